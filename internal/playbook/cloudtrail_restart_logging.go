package playbook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// CloudTrailRestartLogging answers a CloudTrail StopLogging: it reads the
// trail's live status, calls StartLogging on that trail when it is not
// logging (it never creates a trail: a deleted trail must be recreated
// from infrastructure code), and reports who stopped it and from where —
// from the event in the finding, or from CloudTrail event history when
// the finding does not say.
//
// The trail is the parameter trail_name, else the AwsCloudTrailTrail
// resource, else the event's requestParameters.name (a name or an ARN).
// Calls go to the trail's home region: the ARN's, else the event's
// awsRegion, else the finding's.
type CloudTrailRestartLogging struct{}

// Name implements remediate.Playbook.
func (CloudTrailRestartLogging) Name() string { return "cloudtrail-restart-logging" }

// lookupWindow is how far back event history is searched for the
// StopLogging call when the trail status does not say when it stopped.
const lookupWindow = 7 * 24 * time.Hour

// lookupPages caps the LookupEvents pages read (50 events each; the API
// allows 2 calls per second per account and region).
const lookupPages = 4

// trailStopper is who stopped the trail.
type trailStopper struct {
	Actor       string `json:"actor,omitempty"`
	Type        string `json:"type,omitempty"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	SourceIP    string `json:"source_ip,omitempty"`
	UserAgent   string `json:"user_agent,omitempty"`
	Time        string `json:"time,omitempty"`
	EventID     string `json:"event_id,omitempty"`
	// From says where this came from: "finding" (attacker-influenced
	// event data) or "cloudtrail" (event history).
	From string `json:"from"`
}

// Run implements remediate.Playbook.
func (p CloudTrailRestartLogging) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	doc := parseDoc(req.Doc)
	trail := first(paramString(req, "trail_name"), resourceID(req, "AwsCloudTrailTrail"),
		doc.event("requestParameters", "name"), doc.str("Resources", "Details", "AwsCloudTrailTrail", "TrailArn"))
	if trail == "" {
		return notApplicable("the finding names no CloudTrail trail (no AwsCloudTrailTrail resource, no requestParameters.name, no trail_name parameter)")
	}
	// StartLogging must be called in the trail's home region: the ARN's,
	// else the region the StopLogging call was made in (which had to be
	// the home region too).
	region := doc.event("awsRegion")
	if a, err := arn.Parse(trail); err == nil {
		if req.AccountID != "" && a.AccountID != req.AccountID {
			return notApplicable("trail %s belongs to account %s, not %s (an organization trail is restarted in its management account)", trail, a.AccountID, req.AccountID)
		}
		region = a.Region
	}
	ct := cloudtrail.NewFromConfig(env.AWS, func(o *cloudtrail.Options) {
		if region != "" {
			o.Region = region
		}
	})
	now := clock(env)

	var status *cloudtrail.GetTrailStatusOutput
	err := rec.Step("read-trail-status", false, func(s *remediate.Step) error {
		s.Request = map[string]any{"operation": "cloudtrail:GetTrailStatus", "name": trail}
		out, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(trail)})
		if err != nil {
			if code := errorCode(err); code == "TrailNotFoundException" {
				return goneError("trail "+trail+" no longer exists (deleted trails are recreated from infrastructure code, not by this playbook)", err)
			}
			return callError("cloudtrail:GetTrailStatus", err)
		}
		status = out
		s.Before = trailStatus(out)
		s.Detail = fmt.Sprintf("trail %s logging: %t", trail, aws.ToBool(out.IsLogging))
		return nil
	})
	if err != nil {
		return err
	}
	rec.Evidence("trail_status_before", trailStatus(status))

	err = rec.Step("start-logging", false, func(s *remediate.Step) error {
		s.Before = map[string]any{"is_logging": aws.ToBool(status.IsLogging)}
		if aws.ToBool(status.IsLogging) {
			s.Status, s.Detail = remediate.StepUnchanged, "trail "+trail+" is already logging"
			return nil
		}
		s.Request = map[string]any{"operation": "cloudtrail:StartLogging", "name": trail}
		if env.DryRun {
			s.Status, s.Detail = remediate.StepWouldChange, "would call StartLogging on trail "+trail
			return nil
		}
		if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(trail)}); err != nil {
			if errorCode(err) == "TrailNotFoundException" {
				return goneError("trail "+trail+" was deleted before logging could restart", err)
			}
			return callError("cloudtrail:StartLogging", err)
		}
		after, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(trail)})
		if err != nil {
			return callError("cloudtrail:GetTrailStatus", err)
		}
		s.After = trailStatus(after)
		if !aws.ToBool(after.IsLogging) {
			return fmt.Errorf("StartLogging on trail %s succeeded but the trail still reports IsLogging=false", trail)
		}
		s.Status, s.Detail = remediate.StepChanged, "logging restarted on trail "+trail
		rec.Rollback(fmt.Sprintf("aws cloudtrail stop-logging --name %s (only if the trail was meant to be off)", trail))
		return nil
	})
	if err != nil {
		return err
	}

	var who *trailStopper
	err = rec.Step("identify-who-stopped", false, func(s *remediate.Step) error {
		who = stopperFromDoc(doc, req)
		if who.Actor != "" && who.SourceIP != "" {
			s.Detail = "from the finding's event"
			s.After = who
			return nil
		}
		start := now().Add(-lookupWindow)
		if t := status.StopLoggingTime; t != nil && !t.IsZero() {
			start = t.Add(-time.Hour)
		}
		in := &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("StopLogging")}},
			StartTime:        aws.Time(start),
			EndTime:          aws.Time(now()),
			MaxResults:       aws.Int32(50),
		}
		s.Request = map[string]any{"operation": "cloudtrail:LookupEvents", "event_name": "StopLogging", "start_time": start.UTC().Format(time.RFC3339)}
		for page := 0; page < lookupPages; page++ {
			out, err := ct.LookupEvents(ctx, in)
			if err != nil {
				return callError("cloudtrail:LookupEvents", err)
			}
			for _, e := range out.Events {
				if found := stopperFromEvent(e, trail); found != nil {
					who = found
					s.After, s.Detail = who, "from CloudTrail event history"
					return nil
				}
			}
			if out.NextToken == nil || *out.NextToken == "" {
				break
			}
			in.NextToken = out.NextToken
		}
		if who.Actor != "" {
			s.After, s.Detail = who, "from the finding's event; event history has no StopLogging call for this trail"
			return nil
		}
		s.Detail = "no StopLogging call on this trail in event history since " + start.UTC().Format(time.RFC3339)
		return nil
	})
	if err != nil {
		return err
	}
	if who.Actor != "" {
		rec.Evidence("stopped_by", who)
		rec.Note(fmt.Sprintf("Trail %s was stopped by %s%s%s%s (source: %s).", trail, who.Actor,
			prefixed(" from ", who.SourceIP), prefixed(" with user agent ", who.UserAgent), prefixed(" at ", who.Time), who.From))
	} else {
		rec.Note("Trail " + trail + ": who stopped it is unknown (neither the finding nor event history names the caller).")
	}
	if !aws.ToBool(status.IsLogging) && !env.DryRun {
		rec.Note("API activity between the stop and the restart was not delivered by this trail: review what the actor did in that window (event history keeps 90 days of management events), and treat the actor's credentials as compromised until the change is explained.")
	}
	return nil
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func trailStatus(o *cloudtrail.GetTrailStatusOutput) map[string]any {
	m := map[string]any{"is_logging": aws.ToBool(o.IsLogging)}
	if o.StopLoggingTime != nil {
		m["stop_logging_time"] = o.StopLoggingTime.UTC().Format(time.RFC3339)
	}
	if o.StartLoggingTime != nil {
		m["start_logging_time"] = o.StartLoggingTime.UTC().Format(time.RFC3339)
	}
	if e := aws.ToString(o.LatestDeliveryError); e != "" {
		m["latest_delivery_error"] = e
	}
	return m
}

// stopperFromDoc reads the caller from the finding: a CloudTrail record
// (or EventBridge event), else the ASFF ProductFields of a Warden
// detection, else the finding's actor and source IP.
func stopperFromDoc(d docTree, req *remediate.Request) *trailStopper {
	w := &trailStopper{From: "finding"}
	w.Actor = first(d.event("userIdentity", "arn"), d.str("ProductFields", "warden/actor"), req.Actor)
	w.Type = d.event("userIdentity", "type")
	w.AccessKeyID = d.event("userIdentity", "accessKeyId")
	w.SourceIP = first(d.event("sourceIPAddress"), d.str("ProductFields", "warden/sourceIPAddress"), req.SourceIP)
	w.UserAgent = first(d.event("userAgent"), d.str("ProductFields", "warden/userAgent"))
	w.Time = first(d.event("eventTime"), d.str("FirstObservedAt"), d.str("CreatedAt"))
	w.EventID = first(d.event("eventID"), d.str("ProductFields", "warden/eventID"))
	return w
}

// stopperFromEvent returns the caller of a StopLogging event on trail, or
// nil when the event is about another trail.
func stopperFromEvent(e cttypes.Event, trail string) *trailStopper {
	var ev struct {
		UserIdentity struct {
			Type        string `json:"type"`
			ARN         string `json:"arn"`
			AccessKeyID string `json:"accessKeyId"`
		} `json:"userIdentity"`
		SourceIPAddress   string `json:"sourceIPAddress"`
		UserAgent         string `json:"userAgent"`
		EventTime         string `json:"eventTime"`
		EventID           string `json:"eventID"`
		RequestParameters struct {
			Name string `json:"name"`
		} `json:"requestParameters"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &ev); err != nil {
		return nil
	}
	if trailName(ev.RequestParameters.Name) != trailName(trail) || ev.RequestParameters.Name == "" {
		return nil
	}
	w := &trailStopper{
		Actor: first(ev.UserIdentity.ARN, aws.ToString(e.Username)), Type: ev.UserIdentity.Type,
		AccessKeyID: first(ev.UserIdentity.AccessKeyID, aws.ToString(e.AccessKeyId)),
		SourceIP:    ev.SourceIPAddress, UserAgent: ev.UserAgent, Time: ev.EventTime,
		EventID: first(ev.EventID, aws.ToString(e.EventId)), From: "cloudtrail",
	}
	if w.Time == "" && e.EventTime != nil {
		w.Time = e.EventTime.UTC().Format(time.RFC3339)
	}
	return w
}

// trailName returns the name of a trail given by name or ARN.
func trailName(s string) string {
	if i := strings.LastIndex(s, ":trail/"); i >= 0 {
		return s[i+len(":trail/"):]
	}
	return s
}
