package detect

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardenhq/warden/internal/finding"
)

// Finding field values every detection finding carries.
const (
	productName   = "Warden"
	schemaVersion = "2018-10-08"
)

// ASFF length limits (Security Hub rejects longer values).
const (
	maxTitle       = 256
	maxDescription = 1024
	maxRemediation = 512
)

// buildContext is one matched event, shared by the findings of every
// detection that matched it.
type buildContext struct {
	doc    []byte // private copy of the event
	origin finding.Origin
	ev     event

	account, region, part string
	actor                 string
	at                    time.Time
	actorResource         finding.Resource
	resourceForTitle      string // the current finding's first resource id
}

func (c *buildContext) init() {
	c.account = c.ev.account()
	c.region = c.ev.region()
	c.part = partition(c.region)
	c.actor = c.ev.actor(c.part)
	c.at = c.ev.observedAt()
	c.actorResource = c.defaultResource()
}

// defaultResource is the principal that made the call, typed from
// userIdentity: IAM users and roles by ARN (the role, not the session),
// the root user as its account.
func (c *buildContext) defaultResource() finding.Resource {
	u := &c.ev.Detail.UserIdentity
	r := finding.Resource{Type: "Other", ID: c.actor, Region: c.region, Partition: c.part}
	switch u.Type {
	case "IAMUser":
		r.Type = "AwsIamUser"
	case "AssumedRole", "Role":
		r.Type = "AwsIamRole"
		if a := u.IssuerARN; a != "" {
			r.ID = a
		}
	case "Root":
		r.Type = "AwsAccount"
		r.ID = accountResourceID(c.rootAccount())
	}
	if r.ID == "" {
		r.ID = accountResourceID(c.account)
		r.Type = "AwsAccount"
	}
	return r
}

func (c *buildContext) rootAccount() string {
	if a := c.ev.Detail.UserIdentity.AccountID; a != "" {
		return a
	}
	return c.account
}

// accountResourceID is the ASFF resource id of an account, as Security
// Hub's own account-level findings write it.
func accountResourceID(acct string) string { return "AWS::::Account:" + acct }

func (c *buildContext) placeholder(name string) string {
	switch name {
	case "actor":
		return c.actor
	case "account":
		return c.account
	case "region":
		return c.region
	case "event_name":
		return c.ev.Detail.EventName
	case "event_source":
		return c.ev.Detail.EventSource
	case "source_ip":
		return c.ev.Detail.SourceIPAddress
	case "resource":
		return c.resourceForTitle
	}
	return ""
}

// build makes the finding for one matching detection.
func (r *compiled) build(c *buildContext) *finding.Finding {
	resources := r.resources(c)
	c.resourceForTitle = resources[0].ID
	key := r.identityKey(c)
	id := "arn:aws:warden:" + c.region + ":" + c.account + ":detection/" + r.rule.ID + "/" + key

	f := &finding.Finding{
		ID:              id,
		Format:          finding.FormatDetection,
		Product:         productName,
		ProductArn:      "arn:" + c.part + ":securityhub:" + c.region + "::product/warden/detections",
		GeneratorID:     r.generatorID,
		ControlID:       r.rule.ID,
		Types:           r.rule.Types,
		Title:           truncate(r.title.render(c), maxTitle),
		Description:     truncate(r.description.render(c), maxDescription),
		AccountID:       c.account,
		Region:          c.region,
		Partition:       c.part,
		Severity:        r.severity,
		Resources:       resources,
		RecordState:     "ACTIVE",
		WorkflowStatus:  "NEW",
		FirstObservedAt: c.at,
		LastObservedAt:  c.at,
		CreatedAt:       c.at,
		UpdatedAt:       c.at,
		RemediationText: truncate(r.rule.Remediation, maxRemediation),
		RemediationURL:  r.rule.RemediationURL,
		Actor:           c.actor,
		SourceIP:        c.ev.Detail.SourceIPAddress,
		Raw:             c.doc,
		Origin:          c.origin,
	}
	f.Doc = asffDocument(f, r, c)
	return f
}

// resources names what the finding is about: the values at the rule's
// resource path (one resource each), else the acting principal.
func (r *compiled) resources(c *buildContext) []finding.Resource {
	if r.resource == nil {
		res := c.actorResource
		if r.rule.Resource.Type == "AwsAccount" {
			res = finding.Resource{Type: "AwsAccount", ID: accountResourceID(c.account), Region: c.region, Partition: c.part}
		}
		return []finding.Resource{res}
	}
	var out []finding.Resource
	lookup(c.doc, r.resource, func(v string) {
		if v == "" {
			return
		}
		for _, o := range out {
			if o.ID == v {
				return
			}
		}
		out = append(out, finding.Resource{Type: r.rule.Resource.Type, ID: v, Region: c.region, Partition: c.part})
	})
	if len(out) == 0 {
		return []finding.Resource{c.actorResource}
	}
	return out
}

// maxReadableKey is the longest identity key kept as written; longer keys,
// and keys with characters outside keySafe, are hashed.
const maxReadableKey = 64

// identityKey is the part of the finding ID that says which occurrence
// this is: the values at the rule's key paths, readable when short and
// plain, otherwise a SHA-256 prefix. When none of the key fields is
// present the event's own identity is used (eventID, else the envelope
// id, else a hash of the document), so unrelated malformed events never
// collapse into one finding.
func (r *compiled) identityKey(c *buildContext) string {
	vals := make([]string, len(r.key))
	present := false
	for i, p := range r.key {
		n := 0
		var sb strings.Builder
		lookup(c.doc, p, func(v string) {
			if n > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(v)
			n++
		})
		vals[i] = sb.String()
		if vals[i] != "" {
			present = true
		}
	}
	if !present {
		switch {
		case c.ev.Detail.EventID != "":
			vals = []string{c.ev.Detail.EventID}
		case c.ev.ID != "":
			vals = []string{c.ev.ID}
		default:
			sum := sha256.Sum256(c.doc)
			return hex.EncodeToString(sum[:16])
		}
	}
	return encodeKey(vals)
}

// encodeKey writes key values readably (joined by "/", a missing value as
// "-") when that is short and unambiguous, else as a hash of them all.
func encodeKey(vals []string) string {
	readable := true
	total := len(vals) - 1
	for _, v := range vals {
		total += max(len(v), 1)
		if v == "-" || !keySafe(v) {
			readable = false
		}
	}
	if readable && total <= maxReadableKey {
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteByte('/')
			}
			if v == "" {
				v = "-"
			}
			b.WriteString(v)
		}
		return b.String()
	}
	h := sha256.New()
	var n [8]byte
	for _, v := range vals {
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		h.Write(n[:])
		h.Write([]byte(v))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func keySafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("._:@+=,-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// truncate cuts s to at most n runes, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}
