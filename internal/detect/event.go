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
	members(doc, 0, func(k []byte, v int) {
		switch string(k) {
		case "id":
			e.ID = stringAt(doc, v)
		case "detail-type":
			e.DetailType = stringAt(doc, v)
		case "source":
			e.Source = stringAt(doc, v)
		case "account":
			e.Account = stringAt(doc, v)
		case "time":
			e.Time = stringAt(doc, v)
		case "region":
			e.Region = stringAt(doc, v)
		case "detail":
			e.Detail.read(doc, v)
		}
	})
}

func (t *trailRecord) read(doc []byte, at int) {
	members(doc, at, func(k []byte, v int) {
		switch string(k) {
		case "eventID":
			t.EventID = stringAt(doc, v)
		case "eventName":
			t.EventName = stringAt(doc, v)
		case "eventSource":
			t.EventSource = stringAt(doc, v)
		case "eventTime":
			t.EventTime = stringAt(doc, v)
		case "eventType":
			t.EventType = stringAt(doc, v)
		case "awsRegion":
			t.AWSRegion = stringAt(doc, v)
		case "recipientAccountId":
			t.RecipientAccountID = stringAt(doc, v)
		case "sourceIPAddress":
			t.SourceIPAddress = stringAt(doc, v)
		case "userAgent":
			t.UserAgent = stringAt(doc, v)
		case "errorCode":
			t.ErrorCode = stringAt(doc, v)
		case "userIdentity":
			t.UserIdentity.read(doc, v)
		}
	})
}

func (u *identity) read(doc []byte, at int) {
	members(doc, at, func(k []byte, v int) {
		switch string(k) {
		case "type":
			u.Type = stringAt(doc, v)
		case "arn":
			u.ARN = stringAt(doc, v)
		case "accountId":
			u.AccountID = stringAt(doc, v)
		case "principalId":
			u.PrincipalID = stringAt(doc, v)
		case "userName":
			u.UserName = stringAt(doc, v)
		case "invokedBy":
			u.InvokedBy = stringAt(doc, v)
		case "sessionContext":
			members(doc, v, func(k []byte, v int) {
				if string(k) != "sessionIssuer" {
					return
				}
				members(doc, v, func(k []byte, v int) {
					switch string(k) {
					case "type":
						u.IssuerType = stringAt(doc, v)
					case "arn":
						u.IssuerARN = stringAt(doc, v)
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
