package playbook

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/wardenhq/warden/internal/remediate"
)

// RootUserActivity is the incident response guide's root-usage runbook
// (Appendix C), the part a machine can do: it changes nothing in AWS and
// lists what the root user did recently — CloudTrail LookupEvents with
// Username=root over the lookback window (default 24h), in the finding's
// region and the partition's global-events region (where IAM, STS and
// console sign-in are recorded) — and summarises source addresses, user
// agents, MFA use, the calls made and what they created that could give
// an intruder a way back in (IAM users, access keys, cross-account roles,
// buckets, instances). The events are the run's evidence; the summary is
// its notes.
//
// Telling people at top severity and opening the ticket are not done
// here: the rule that runs this playbook routes the finding (tier 3,
// notify: a pager and a ticketing receiver), and the result of this run
// travels with it.
type RootUserActivity struct{}

// Name implements remediate.Playbook.
func (RootUserActivity) Name() string { return "root-user-activity" }

const (
	rootDefaultLookback  = 24 * time.Hour
	rootMaxLookback      = 90 * 24 * time.Hour // event history's retention
	rootDefaultMaxEvents = 200
)

var regionRe = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// persistenceCalls are calls that can leave a way back in, by what they
// create (Appendix C: cross-account roles, IAM users, buckets, instances)
// or blind the defenders.
var persistenceCalls = map[string]string{
	"CreateUser": "IAM user", "CreateLoginProfile": "console password", "UpdateLoginProfile": "console password",
	"CreateAccessKey": "access key", "CreateRole": "IAM role", "UpdateAssumeRolePolicy": "role trust policy",
	"AttachUserPolicy": "user policy", "PutUserPolicy": "user policy", "AttachRolePolicy": "role policy", "PutRolePolicy": "role policy",
	"AddUserToGroup": "group membership", "CreateVirtualMFADevice": "MFA device", "DeactivateMFADevice": "MFA device",
	"CreateBucket": "S3 bucket", "PutBucketPolicy": "bucket policy", "PutBucketAcl": "bucket ACL", "DeletePublicAccessBlock": "bucket public access",
	"RunInstances": "EC2 instance", "ImportKeyPair": "key pair", "CreateKeyPair": "key pair", "AuthorizeSecurityGroupIngress": "security group rule",
	"StopLogging": "CloudTrail logging", "DeleteTrail": "CloudTrail trail", "UpdateTrail": "CloudTrail trail",
	"DeleteDetector": "GuardDuty", "DisableSecurityHub": "Security Hub", "StopConfigurationRecorder": "AWS Config",
	"CreateSAMLProvider": "identity provider", "CreateOpenIDConnectProvider": "identity provider",
	"UpdateAccountPassword": "account settings", "PutAlternateContactInformation": "account contact", "PutContactInformation": "account contact",
}

// rootEvent is one call as the evidence lists it.
type rootEvent struct {
	Time        string   `json:"time"`
	Region      string   `json:"region,omitempty"`
	EventName   string   `json:"event_name"`
	EventSource string   `json:"event_source,omitempty"`
	SourceIP    string   `json:"source_ip,omitempty"`
	UserAgent   string   `json:"user_agent,omitempty"`
	MFA         string   `json:"mfa,omitempty"` // "yes", "no" or "" (unknown)
	AccessKeyID string   `json:"access_key_id,omitempty"`
	ErrorCode   string   `json:"error_code,omitempty"`
	ReadOnly    bool     `json:"read_only,omitempty"`
	Resources   []string `json:"resources,omitempty"`
	EventID     string   `json:"event_id"`
}

// Run implements remediate.Playbook.
func (RootUserActivity) Run(ctx context.Context, env *remediate.Env, req *remediate.Request, rec *remediate.Recorder) error {
	lookback, err := paramDuration(req, "lookback", rootDefaultLookback)
	if err != nil {
		return err
	}
	if lookback > rootMaxLookback {
		return fmt.Errorf("params.lookback: %s is beyond event history's 90 days", lookback)
	}
	user := first(paramString(req, "username"), "root")
	maxEvents := paramInt(req, "max_events", rootDefaultMaxEvents)
	if maxEvents < 1 {
		return fmt.Errorf("params.max_events: must be at least 1")
	}
	regions := paramStrings(req, "regions")
	for i, r := range regions {
		if !regionRe.MatchString(r) {
			return fmt.Errorf("params.regions[%d]: %q is not an AWS region", i, r)
		}
	}
	if len(regions) == 0 {
		regions = rootRegions(first(req.Region, env.AWS.Region), partition(req))
	}
	end := clock(env)().UTC()
	start := end.Add(-lookback)

	seen := map[string]bool{}
	var events []rootEvent
	truncated := false
	for _, region := range regions {
		ct := cloudtrail.NewFromConfig(env.AWS, func(o *cloudtrail.Options) { o.Region = region })
		err := rec.Step("lookup-events-"+region, false, func(s *remediate.Step) error {
			in := &cloudtrail.LookupEventsInput{
				LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyUsername, AttributeValue: aws.String(user)}},
				StartTime:        aws.Time(start),
				EndTime:          aws.Time(end),
				MaxResults:       aws.Int32(50),
			}
			s.Request = map[string]any{"operation": "cloudtrail:LookupEvents", "region": region, "username": user,
				"start_time": start.Format(time.RFC3339), "end_time": end.Format(time.RFC3339)}
			n := 0
			for {
				out, err := ct.LookupEvents(ctx, in)
				if err != nil {
					return callError("cloudtrail:LookupEvents", err)
				}
				for _, e := range out.Events {
					id := aws.ToString(e.EventId)
					if seen[id] {
						continue
					}
					seen[id] = true
					events = append(events, parseRootEvent(e, region))
					n++
				}
				if out.NextToken == nil || *out.NextToken == "" {
					break
				}
				if len(events) >= maxEvents {
					truncated = true
					break
				}
				in.NextToken = out.NextToken
			}
			s.After = map[string]any{"events": n}
			s.Detail = fmt.Sprintf("%d events by %s in %s since %s", n, user, region, start.Format(time.RFC3339))
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].Time > events[j].Time })
	if len(events) > maxEvents {
		events, truncated = events[:maxEvents], true
	}
	rec.Evidence("root_events", events)
	if trig := triggeringEvent(parseDoc(req.Doc)); trig != nil {
		rec.Evidence("triggering_event", trig)
	}
	for _, n := range rootSummary(events, user, lookback, regions, truncated) {
		rec.Note(n)
	}
	rec.Note("This runbook changes nothing. Paging at top severity and the ticket come from the rule's routing (tier and notify); the runbook's next steps are human: confirm with the account owner, and if unexplained reset the root password, remove root access keys, check the root MFA device and review everything listed above.")
	return nil
}

// rootRegions is the finding's region and the partition's region for
// global service events.
func rootRegions(region, part string) []string {
	global := map[string]string{"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}[part]
	var out []string
	for _, r := range []string{region, global} {
		if r != "" && (len(out) == 0 || out[0] != r) {
			out = append(out, r)
		}
	}
	return out
}

// parseRootEvent reads what the evidence needs from an event.
func parseRootEvent(e cttypes.Event, region string) rootEvent {
	ev := rootEvent{EventName: aws.ToString(e.EventName), EventSource: aws.ToString(e.EventSource),
		AccessKeyID: aws.ToString(e.AccessKeyId), ReadOnly: aws.ToString(e.ReadOnly) == "true", EventID: aws.ToString(e.EventId), Region: region}
	if e.EventTime != nil {
		ev.Time = e.EventTime.UTC().Format(time.RFC3339)
	}
	for _, r := range e.Resources {
		if n := aws.ToString(r.ResourceName); n != "" {
			ev.Resources = append(ev.Resources, strings.TrimSpace(aws.ToString(r.ResourceType)+" "+n))
		}
	}
	var raw struct {
		AwsRegion       string `json:"awsRegion"`
		SourceIPAddress string `json:"sourceIPAddress"`
		UserAgent       string `json:"userAgent"`
		ErrorCode       string `json:"errorCode"`
		UserIdentity    struct {
			SessionContext struct {
				Attributes struct {
					MFAAuthenticated string `json:"mfaAuthenticated"`
				} `json:"attributes"`
			} `json:"sessionContext"`
		} `json:"userIdentity"`
		AdditionalEventData struct {
			MFAUsed string `json:"MFAUsed"`
		} `json:"additionalEventData"`
	}
	if json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &raw) == nil {
		ev.Region = first(raw.AwsRegion, region)
		ev.SourceIP, ev.UserAgent, ev.ErrorCode = raw.SourceIPAddress, raw.UserAgent, raw.ErrorCode
		ev.MFA = mfaValue(raw.AdditionalEventData.MFAUsed, raw.UserIdentity.SessionContext.Attributes.MFAAuthenticated)
	}
	return ev
}

func mfaValue(used, authenticated string) string {
	switch {
	case strings.EqualFold(used, "Yes"), authenticated == "true":
		return "yes"
	case strings.EqualFold(used, "No"), authenticated == "false":
		return "no"
	}
	return ""
}

// triggeringEvent is the call the finding is about, when its document is
// a CloudTrail record (attacker-influenced: shown as the finding says).
func triggeringEvent(d docTree) map[string]any {
	name := first(d.event("eventName"), d.str("ProductFields", "warden/eventName"))
	if name == "" {
		return nil
	}
	m := map[string]any{"event_name": name}
	for k, v := range map[string]string{
		"source_ip":  first(d.event("sourceIPAddress"), d.str("ProductFields", "warden/sourceIPAddress")),
		"user_agent": first(d.event("userAgent"), d.str("ProductFields", "warden/userAgent")),
		"time":       d.event("eventTime"),
		"mfa":        mfaValue(d.event("additionalEventData", "MFAUsed"), d.event("userIdentity", "sessionContext", "attributes", "mfaAuthenticated")),
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// rootSummary writes the notes: where root came from, with what, whether
// MFA was used, what it did and what to check.
func rootSummary(events []rootEvent, user string, lookback time.Duration, regions []string, truncated bool) []string {
	if len(events) == 0 {
		return []string{fmt.Sprintf("No %s activity in CloudTrail event history for the last %s in %s (event history lags up to 15 minutes behind).", user, shortDuration(lookback), strings.Join(regions, ", "))}
	}
	ips, agents, calls, made := map[string]int{}, map[string]int{}, map[string]int{}, map[string][]string{}
	mfaYes, mfaNo, failed, reads := 0, 0, 0, 0
	for _, e := range events {
		ips[first(e.SourceIP, "unknown")]++
		agents[first(e.UserAgent, "unknown")]++
		switch e.MFA {
		case "yes":
			mfaYes++
		case "no":
			mfaNo++
		}
		if e.ErrorCode != "" {
			failed++
		}
		if e.ReadOnly {
			reads++
			continue
		}
		calls[e.EventName]++
		if what, ok := persistenceCalls[e.EventName]; ok && e.ErrorCode == "" {
			item := e.EventName
			if len(e.Resources) > 0 {
				item += " " + strings.Join(e.Resources, ", ")
			}
			made[what] = append(made[what], item)
		}
	}
	more := ""
	if truncated {
		more = " (list cut at the max_events parameter)"
	}
	notes := []string{
		fmt.Sprintf("%s made %s in the last %s%s: %d changing, %d read-only, %d failed.", user, plural(len(events), "call"), shortDuration(lookback), more, len(events)-reads, reads, failed),
		"Source addresses: " + counted(ips) + ".",
		"User agents: " + counted(agents) + ".",
	}
	switch {
	case mfaYes == 0 && mfaNo == 0:
		notes = append(notes, "MFA: unknown (the events do not say).")
	case mfaNo > 0:
		notes = append(notes, fmt.Sprintf("MFA: NOT used on %d events (used on %d).", mfaNo, mfaYes))
	default:
		notes = append(notes, fmt.Sprintf("MFA: used (%d events).", mfaYes))
	}
	if len(calls) > 0 {
		notes = append(notes, "Changing calls: "+counted(calls)+".")
	}
	if len(made) > 0 {
		var parts []string
		for _, what := range sortedKeys(made) {
			parts = append(parts, what+": "+strings.Join(made[what], "; "))
		}
		notes = append(notes, "Check for a way back in (created or changed): "+strings.Join(parts, " | ")+".")
	}
	return notes
}

// shortDuration writes 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// counted renders counts as "a (3), b (1)", most frequent first.
func counted(m map[string]int) string {
	keys := sortedKeys(m)
	sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s (%d)", k, m[k])
	}
	return strings.Join(parts, ", ")
}
