package writeback

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/wardenhq/warden/internal/finding"
)

// The request bodies, with the APIs' field names in the order the SDK
// writes them, so a dry run shows what would be sent.
type (
	asffInput struct {
		FindingIdentifiers []asffID          `json:"FindingIdentifiers"`
		Note               *asffNote         `json:"Note,omitempty"`
		UserDefinedFields  map[string]string `json:"UserDefinedFields,omitempty"`
		Workflow           *asffWorkflow     `json:"Workflow,omitempty"`
	}
	asffID struct {
		ID         string `json:"Id"`
		ProductArn string `json:"ProductArn"`
	}
	asffNote struct {
		Text      string `json:"Text"`
		UpdatedBy string `json:"UpdatedBy"`
	}
	asffWorkflow struct {
		Status string `json:"Status"`
	}
	ocsfInput struct {
		Comment            *string  `json:"Comment,omitempty"`
		FindingIdentifiers []ocsfID `json:"FindingIdentifiers,omitempty"`
		MetadataUids       []string `json:"MetadataUids,omitempty"`
		StatusID           *int32   `json:"StatusId,omitempty"`
	}
	ocsfID struct {
		CloudAccountUID    string `json:"CloudAccountUid"`
		FindingInfoUID     string `json:"FindingInfoUid"`
		MetadataProductUID string `json:"MetadataProductUid"`
	}
)

// ident names one finding in a call.
type ident struct {
	asff asffID
	ocsf ocsfID
	muid string
}

// group is the updates that share a region, an API and the values
// written: they can share calls.
type group struct {
	region, op string
	asff       asffInput // without identifiers
	ocsf       ocsfInput
	byMUID     bool // OCSF findings named by metadata.uid (not mixable with identifiers)
	ids        []ident
	idx        []int // the updates, parallel to ids
}

// input returns the request for some of the group's findings.
func (g *group) input(ids []ident) any {
	if g.op == OpASFF {
		in := g.asff
		in.FindingIdentifiers = make([]asffID, len(ids))
		for i, id := range ids {
			in.FindingIdentifiers[i] = id.asff
		}
		return in
	}
	in := g.ocsf
	for _, id := range ids {
		if g.byMUID {
			in.MetadataUids = append(in.MetadataUids, id.muid)
		} else {
			in.FindingIdentifiers = append(in.FindingIdentifiers, id.ocsf)
		}
	}
	return in
}

func (g *group) call(ids []ident, findingIDs []string) *Call {
	b, err := marshal(g.input(ids))
	if err != nil { // the inputs are strings, maps and numbers
		b = []byte("null")
	}
	return &Call{Region: g.region, Op: g.op, Input: b, FindingIDs: findingIDs}
}

// plan groups the updates. Outcomes come back with FindingID, Region and
// Notes set, and Status Skipped (with the reason in Err) for the updates
// no call carries.
func (c *Client) plan(ups []Update) ([]*group, []Outcome) {
	outs := make([]Outcome, len(ups))
	var groups []*group
	byKey := map[string]*group{}
	last := map[string]int{} // finding → its last update
	for i := range ups {
		last[findingKey(&ups[i])] = i
	}
	for i := range ups {
		u := &ups[i]
		o := &outs[i]
		o.FindingID, o.Region = u.FindingID, u.Region
		if c.opts.Region != "" {
			o.Region = c.opts.Region
		}
		if last[findingKey(u)] != i {
			o.Status, o.Err = Skipped, fmt.Errorf("finding %s: superseded by a later update of the same finding", u.FindingID)
			continue
		}
		g, id, err := c.prepare(u, o)
		if err != nil {
			o.Status, o.Err = Skipped, fmt.Errorf("finding %s: %w", u.FindingID, err)
			continue
		}
		key := string(mustJSON([]any{g.region, g.op, g.byMUID, g.asff, g.ocsf}))
		if have, ok := byKey[key]; ok {
			g = have
		} else {
			byKey[key] = g
			groups = append(groups, g)
		}
		g.ids = append(g.ids, id)
		g.idx = append(g.idx, i)
	}
	return groups, outs
}

func findingKey(u *Update) string {
	return string(mustJSON([]string{string(u.Format), u.ProductArn, u.AccountID, u.FindingID, u.MetadataUID}))
}

// prepare checks one update and turns it into a group of one with the
// finding's identifier.
func (c *Client) prepare(u *Update, o *Outcome) (*group, ident, error) {
	g := &group{region: o.Region}
	var id ident
	if g.region == "" {
		return nil, id, fmt.Errorf("no region")
	}
	if u.Format == finding.FormatDetection {
		return nil, id, fmt.Errorf("a Warden detection is not a Security Hub finding")
	}
	if u.Workflow != "" {
		if _, ok := ocsfStatus[u.Workflow]; !ok {
			return nil, id, fmt.Errorf("workflow status %q is not NEW, NOTIFIED, SUPPRESSED or RESOLVED", u.Workflow)
		}
	}
	var note string
	hasNote := false
	if u.Note != nil {
		key := u.NoteKey
		if key == "" {
			key = DefaultNoteKey
		}
		text, shrunk, ok, why := MergeNote(u.ExistingNote, key, u.Note, NoteLimit)
		switch {
		case !ok:
			o.Notes = append(o.Notes, why)
		default:
			note, hasNote = text, true
			if shrunk != "" {
				o.Notes = append(o.Notes, shrunk)
			}
		}
	}
	if u.Format == finding.FormatOCSF {
		g.op = OpOCSF
		switch {
		case u.MetadataUID != "":
			g.byMUID, id.muid = true, u.MetadataUID
		case u.FindingID == "" || u.AccountID == "" || u.ProductArn == "":
			return nil, id, fmt.Errorf("an OCSF finding needs its metadata.uid, or its account, finding_info.uid and product uid")
		default:
			id.ocsf = ocsfID{CloudAccountUID: u.AccountID, FindingInfoUID: u.FindingID, MetadataProductUID: u.ProductArn}
		}
		if s, ok := ocsfStatus[u.Workflow]; ok {
			g.ocsf.StatusID = aws.Int32(s)
		}
		if hasNote {
			g.ocsf.Comment = aws.String(note)
		}
		if len(u.UserDefinedFields) > 0 {
			o.Notes = append(o.Notes, "user-defined fields left out: BatchUpdateFindingsV2 has none")
		}
		if g.ocsf.StatusID == nil && g.ocsf.Comment == nil {
			return nil, id, fmt.Errorf("nothing to update")
		}
		return g, id, nil
	}
	g.op = OpASFF
	if u.FindingID == "" || u.ProductArn == "" {
		return nil, id, fmt.Errorf("an ASFF finding needs its Id and ProductArn")
	}
	id.asff = asffID{ID: u.FindingID, ProductArn: u.ProductArn}
	if u.Workflow != "" {
		g.asff.Workflow = &asffWorkflow{Status: u.Workflow}
	}
	if hasNote {
		by := u.UpdatedBy
		if by == "" {
			by = DefaultUpdatedBy
		}
		g.asff.Note = &asffNote{Text: note, UpdatedBy: cut(by, NoteLimit)}
	}
	fields, notes := checkFields(u.UserDefinedFields)
	o.Notes = append(o.Notes, notes...)
	if len(fields) > 0 {
		g.asff.UserDefinedFields = fields
	}
	if g.asff.Workflow == nil && g.asff.Note == nil && g.asff.UserDefinedFields == nil {
		return nil, id, fmt.Errorf("nothing to update")
	}
	return g, id, nil
}

// sdkASFF and sdkOCSF turn a request body into the SDK's input.
func sdkASFF(in asffInput) *securityhub.BatchUpdateFindingsInput {
	out := &securityhub.BatchUpdateFindingsInput{UserDefinedFields: in.UserDefinedFields}
	for _, id := range in.FindingIdentifiers {
		out.FindingIdentifiers = append(out.FindingIdentifiers, types.AwsSecurityFindingIdentifier{Id: aws.String(id.ID), ProductArn: aws.String(id.ProductArn)})
	}
	if in.Note != nil {
		out.Note = &types.NoteUpdate{Text: aws.String(in.Note.Text), UpdatedBy: aws.String(in.Note.UpdatedBy)}
	}
	if in.Workflow != nil {
		out.Workflow = &types.WorkflowUpdate{Status: types.WorkflowStatus(in.Workflow.Status)}
	}
	return out
}

func sdkOCSF(in ocsfInput) *securityhub.BatchUpdateFindingsV2Input {
	out := &securityhub.BatchUpdateFindingsV2Input{Comment: in.Comment, StatusId: in.StatusID, MetadataUids: in.MetadataUids}
	for _, id := range in.FindingIdentifiers {
		out.FindingIdentifiers = append(out.FindingIdentifiers, types.OcsfFindingIdentifier{
			CloudAccountUid: aws.String(id.CloudAccountUID), FindingInfoUid: aws.String(id.FindingInfoUID), MetadataProductUid: aws.String(id.MetadataProductUID),
		})
	}
	return out
}
