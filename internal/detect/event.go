package detect

import (
	"strings"
	"time"
)

// event holds the envelope fields and the few CloudTrail fields a finding
// is built from. It is read only for events that matched a detection, in
// one pass over the envelope and the detail object (nested request and
// response parameters are skipped, not decoded).
type event struct {
	ID, DetailType, Source, Account, Time, Region string

	Detail trailRecord
}

// trailRecord is the part of a CloudTrail record (the EventBridge detail)
// that findings use.
type trailRecord struct {
	EventID, EventName, EventSource, EventTime, EventType string
	AWSRegion, RecipientAccountID                         string
	SourceIPAddress, UserAgent, ErrorCode                 string
	UserIdentity                                          identity
}

type identity struct {
	Type, ARN, AccountID, PrincipalID, UserName, InvokedBy string
	IssuerType, IssuerARN                                  string // sessionContext.sessionIssuer
}

// read fills e from doc. Fields that are missing or not strings stay
// empty; the document's JSON validity was checked by the matcher.
func (e *event) read(doc []byte) {
	members(doc, func(k, v []byte) {
		switch string(k) {
		case "id":
			e.ID = stringAt(v)
		case "detail-type":
			e.DetailType = stringAt(v)
		case "source":
			e.Source = stringAt(v)
		case "account":
			e.Account = stringAt(v)
		case "time":
			e.Time = stringAt(v)
		case "region":
			e.Region = stringAt(v)
		case "detail":
			e.Detail.read(v)
		}
	})
}

func (t *trailRecord) read(obj []byte) {
	members(obj, func(k, v []byte) {
		switch string(k) {
		case "eventID":
			t.EventID = stringAt(v)
		case "eventName":
			t.EventName = stringAt(v)
		case "eventSource":
			t.EventSource = stringAt(v)
		case "eventTime":
			t.EventTime = stringAt(v)
		case "eventType":
			t.EventType = stringAt(v)
		case "awsRegion":
			t.AWSRegion = stringAt(v)
		case "recipientAccountId":
			t.RecipientAccountID = stringAt(v)
		case "sourceIPAddress":
			t.SourceIPAddress = stringAt(v)
		case "userAgent":
			t.UserAgent = stringAt(v)
		case "errorCode":
			t.ErrorCode = stringAt(v)
		case "userIdentity":
			t.UserIdentity.read(v)
		}
	})
}

func (u *identity) read(obj []byte) {
	members(obj, func(k, v []byte) {
		switch string(k) {
		case "type":
			u.Type = stringAt(v)
		case "arn":
			u.ARN = stringAt(v)
		case "accountId":
			u.AccountID = stringAt(v)
		case "principalId":
			u.PrincipalID = stringAt(v)
		case "userName":
			u.UserName = stringAt(v)
		case "invokedBy":
			u.InvokedBy = stringAt(v)
		case "sessionContext":
			members(v, func(k, v []byte) {
				if string(k) != "sessionIssuer" {
					return
				}
				members(v, func(k, v []byte) {
					switch string(k) {
					case "type":
						u.IssuerType = stringAt(v)
					case "arn":
						u.IssuerARN = stringAt(v)
					}
				})
			})
		}
	})
}

// account is where the call happened: CloudTrail's recipientAccountId,
// else the envelope account, else the caller's.
func (e *event) account() string {
	switch {
	case e.Detail.RecipientAccountID != "":
		return e.Detail.RecipientAccountID
	case e.Account != "":
		return e.Account
	}
	return e.Detail.UserIdentity.AccountID
}

func (e *event) region() string {
	if e.Region != "" {
		return e.Region
	}
	return e.Detail.AWSRegion
}

// observedAt is the event time: CloudTrail eventTime, else the envelope
// time; zero if neither parses.
func (e *event) observedAt() time.Time {
	for _, s := range [...]string{e.Detail.EventTime, e.Time} {
		if s == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// partition derives the AWS partition from a region name.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// actor is the principal that made the call: its ARN, the root ARN for
// the root user (CloudTrail sometimes leaves it empty), else the service
// that acted or the principal id.
func (e *event) actor(part string) string {
	u := &e.Detail.UserIdentity
	switch {
	case u.ARN != "":
		return u.ARN
	case u.Type == "Root":
		acct := u.AccountID
		if acct == "" {
			acct = e.account()
		}
		return "arn:" + part + ":iam::" + acct + ":root"
	case u.InvokedBy != "":
		return u.InvokedBy
	}
	return u.PrincipalID
}
