package detect

import (
	"encoding/json"
	"net/netip"
	"time"

	"github.com/wardenhq/warden/internal/finding"
)

// asff is the ASFF-shaped document of a detection finding (Finding.Doc).
// Field names are Security Hub's, so a policy pattern written against
// Security Hub findings (ProductName, GeneratorId, Types prefix,
// Severity.Label, Resources.Type, Action.AwsApiCallAction.Api) matches
// detection findings too.
type asff struct {
	SchemaVersion   string            `json:"SchemaVersion"`
	ID              string            `json:"Id"`
	ProductArn      string            `json:"ProductArn"`
	ProductName     string            `json:"ProductName"`
	CompanyName     string            `json:"CompanyName"`
	GeneratorID     string            `json:"GeneratorId"`
	AwsAccountID    string            `json:"AwsAccountId"`
	Region          string            `json:"Region,omitempty"`
	Types           []string          `json:"Types,omitempty"`
	Title           string            `json:"Title"`
	Description     string            `json:"Description,omitempty"`
	Severity        asffSeverity      `json:"Severity"`
	Resources       []asffResource    `json:"Resources"`
	RecordState     string            `json:"RecordState"`
	Workflow        asffWorkflow      `json:"Workflow"`
	Remediation     *asffRemediation  `json:"Remediation,omitempty"`
	Action          *asffAction       `json:"Action,omitempty"`
	ProductFields   map[string]string `json:"ProductFields"`
	CreatedAt       string            `json:"CreatedAt,omitempty"`
	UpdatedAt       string            `json:"UpdatedAt,omitempty"`
	FirstObservedAt string            `json:"FirstObservedAt,omitempty"`
	LastObservedAt  string            `json:"LastObservedAt,omitempty"`
}

type asffSeverity struct {
	Label string `json:"Label"`
}

type asffResource struct {
	Type      string `json:"Type"`
	ID        string `json:"Id"`
	Region    string `json:"Region,omitempty"`
	Partition string `json:"Partition,omitempty"`
}

type asffWorkflow struct {
	Status string `json:"Status"`
}

type asffRemediation struct {
	Recommendation struct {
		Text string `json:"Text,omitempty"`
		URL  string `json:"Url,omitempty"`
	} `json:"Recommendation"`
}

type asffAction struct {
	ActionType       string            `json:"ActionType"`
	AwsAPICallAction asffAPICallDetail `json:"AwsApiCallAction"`
}

type asffAPICallDetail struct {
	API             string         `json:"Api,omitempty"`
	ServiceName     string         `json:"ServiceName,omitempty"`
	RemoteIPDetails *asffRemoteIPs `json:"RemoteIpDetails,omitempty"`
}

type asffRemoteIPs struct {
	IPAddressV4 string `json:"IpAddressV4"`
}

// asffDocument renders f (with the rule and event it came from) as ASFF.
func asffDocument(f *finding.Finding, r *compiled, c *buildContext) []byte {
	d := asff{
		SchemaVersion: schemaVersion,
		ID:            f.ID,
		ProductArn:    f.ProductArn,
		ProductName:   productName,
		CompanyName:   productName,
		GeneratorID:   f.GeneratorID,
		AwsAccountID:  f.AccountID,
		Region:        f.Region,
		Types:         f.Types,
		Title:         f.Title,
		Description:   f.Description,
		Severity:      asffSeverity{Label: f.Severity.String()},
		RecordState:   f.RecordState,
		Workflow:      asffWorkflow{Status: f.WorkflowStatus},
		ProductFields: map[string]string{"warden/detection": r.rule.ID},
	}
	d.Resources = make([]asffResource, len(f.Resources))
	for i, res := range f.Resources {
		d.Resources[i] = asffResource{Type: res.Type, ID: res.ID, Region: res.Region, Partition: res.Partition}
	}
	if f.RemediationText != "" || f.RemediationURL != "" {
		d.Remediation = &asffRemediation{}
		d.Remediation.Recommendation.Text = f.RemediationText
		d.Remediation.Recommendation.URL = f.RemediationURL
	}
	t := &c.ev.Detail
	if t.EventName != "" {
		d.Action = &asffAction{ActionType: "AWS_API_CALL", AwsAPICallAction: asffAPICallDetail{API: t.EventName, ServiceName: t.EventSource}}
		if a, err := netip.ParseAddr(t.SourceIPAddress); err == nil && a.Is4() {
			d.Action.AwsAPICallAction.RemoteIPDetails = &asffRemoteIPs{IPAddressV4: a.String()}
		}
	}
	for k, v := range map[string]string{
		"warden/eventName":       t.EventName,
		"warden/eventSource":     t.EventSource,
		"warden/eventID":         t.EventID,
		"warden/actor":           f.Actor,
		"warden/sourceIPAddress": t.SourceIPAddress,
		"warden/userAgent":       t.UserAgent,
	} {
		if v != "" {
			d.ProductFields[k] = v
		}
	}
	if !f.CreatedAt.IsZero() {
		ts := f.CreatedAt.Format(time.RFC3339Nano)
		d.CreatedAt, d.UpdatedAt, d.FirstObservedAt, d.LastObservedAt = ts, ts, ts, ts
	}
	// Only strings, slices and maps of strings: Marshal cannot fail (and
	// replaces invalid UTF-8 rather than failing).
	b, _ := json.Marshal(&d)
	return b
}
