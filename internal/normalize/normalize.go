// Package normalize turns input records into Warden's one finding model
// (package finding), or into raw events for the detection stage.
//
// The format of a record is detected from its content, never declared:
// Security Hub ASFF (bare, in a BatchImportFindings or GetFindings payload,
// or in a "Security Hub Findings - Imported" / "Custom Action" event), OCSF
// ("Findings Imported V2", Security Lake), native GuardDuty, AWS Config,
// Trusted Advisor, Inspector2 and Macie events, and CloudTrail (EventBridge
// events, log files and bare records). docs/FINDINGS.md gives the field
// mapping, identity and severity rule of each.
//
// The package is pure: it does not log, it returns what it found and what
// was wrong, each problem as a *FieldError naming the record and the field.
package normalize

import (
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/jsonscan"
	"github.com/wardenhq/warden/internal/source"
)

// Event is a raw event in EventBridge envelope shape, for detections.
type Event struct {
	Doc    []byte
	Origin finding.Origin
}

// Result is what one record decoded into. A record may hold several
// findings (detail.findings[], a Findings array) or events (a CloudTrail
// log file); a problem with one of them is in Errors and does not lose the
// others. A finding with a problem is not in Findings: it is reported, not
// half-decoded.
type Result struct {
	Findings []*finding.Finding
	Events   []Event
	Errors   []error
}

// Decode detects the format of one record and decodes it. It never panics
// on input. Findings and events keep slices of rec.Data (Raw, Doc), so the
// caller must not modify rec.Data afterwards.
func Decode(rec source.Record) Result {
	d := decoder{rec: rec}
	d.decode()
	return d.res
}

// decoder carries one record through detection and decoding.
type decoder struct {
	rec source.Record
	res Result
	// cut is the syntax error that cut the record short, if any. The
	// record is checked once, at the top; what lies before the cut is
	// well formed and is used, and every member or element the cut falls
	// in is reported with this error.
	cut error
}

func (d *decoder) fail(item int, path, format string, args ...any) {
	d.res.Errors = append(d.res.Errors, fieldErr(d.origin(item), path, format, args...))
}

func (d *decoder) origin(item int) finding.Origin {
	o := d.rec.Origin
	o.Item = item
	return o
}

func (d *decoder) add(f *finding.Finding) { d.res.Findings = append(d.res.Findings, f) }

// decode reads the top-level members once, then dispatches on them.
func (d *decoder) decode() {
	data := d.rec.Data
	var top members
	end, err := jsonscan.Object(data, 0, top.collect)
	if err == nil && jsonscan.SkipSpace(data, end) != len(data) {
		d.fail(0, "", "malformed JSON: data after the end of the object at byte %d", jsonscan.SkipSpace(data, end))
		return
	}
	if err != nil {
		d.cut = err
		if !top.salvage(data, err) {
			d.fail(0, "", "%s", describeSyntax(err, 0))
			return
		}
	}
	d.dispatch(&top)
}

// dispatch picks the format. The order matters: an EventBridge envelope
// is recognised by detail-type before anything inside it is looked at.
func (d *decoder) dispatch(top *members) {
	switch {
	case top.has("detail-type"):
		d.envelope(top)
	case top.has("Findings"):
		d.findingsArray(top, "Findings")
	case top.has("Records") && top.get("Records").isArray():
		d.cloudTrailLog(top)
	case top.truncated != nil:
		// Not enough was read to tell the format: the syntax error says why.
		d.fail(0, top.truncatedPath(), "%s", describeSyntax(top.truncated, 0))
	case isASFF(top):
		d.asff(0, "", d.rec.Data, "")
	case top.has("class_uid"):
		d.ocsf(0, "", d.rec.Data, "")
	case isCloudTrailRecord(top):
		d.cloudTrailRecord(0, d.rec.Data, top)
	default:
		d.fail(0, "", "unrecognised record: not ASFF (no SchemaVersion/Id/ProductArn), not an EventBridge event (no detail-type), not OCSF (no class_uid), not CloudTrail (no eventName)")
	}
}

// isASFF: SchemaVersion or ProductArn, or an Id with an AwsAccountId.
func isASFF(m *members) bool {
	return m.has("SchemaVersion") || m.has("ProductArn") || (m.has("Id") && m.has("AwsAccountId"))
}

// findingsArray decodes {"Findings":[...]} — a BatchImportFindings request
// or a GetFindings / GetFindingsV2 response — detecting each element: ASFF,
// OCSF, or a GuardDuty finding from GuardDuty's own GetFindings.
func (d *decoder) findingsArray(top *members, key string) {
	v := top.get(key)
	if !v.isArray() {
		d.fail(0, key, "got a JSON %s, want an array of findings", v.kind())
		return
	}
	d.eachFinding(v, key, "")
	d.cutElsewhere(top, "", key, d.rec.Data)
}

// eachFinding decodes the elements of a findings array at path; region is
// the envelope's, the last fallback for a finding's region.
func (d *decoder) eachFinding(v value, path, region string) {
	err := jsonscan.Elements(v.data, func(i int, el []byte) error {
		p := path + "[" + itoa(i) + "]"
		if el[0] != '{' {
			d.fail(i, p, "got a JSON %s, want a finding object", jsonscan.Kind(el[0]))
			return nil
		}
		var k findingKeys
		if err := jsonscan.Members(el, k.note); err != nil {
			d.fail(i, p, "%s", describeSyntax(err, d.off(el)))
			return nil
		}
		switch {
		case k.classUID:
			d.ocsf(i, p, el, region)
		case k.schemaVersion || k.productArn || (k.id && k.awsAccountID):
			d.asff(i, p, el, region)
		case k.arn && k.service:
			d.guardDutyFinding(i, p, el, nil)
		default:
			d.fail(i, p, "unrecognised finding: not ASFF (no SchemaVersion/Id/ProductArn), not OCSF (no class_uid), not GuardDuty (no arn/service)")
		}
		return nil
	})
	if err != nil {
		d.salvageErr(err, v, path)
	}
}

// findingKeys notes the keys that tell the format of a finding in an
// array, without keeping the members.
type findingKeys struct {
	classUID, schemaVersion, productArn, id, awsAccountID, arn, service bool
}

func (k *findingKeys) note(key, _ []byte) error {
	switch string(key) {
	case "class_uid":
		k.classUID = true
	case "SchemaVersion":
		k.schemaVersion = true
	case "ProductArn":
		k.productArn = true
	case "Id":
		k.id = true
	case "AwsAccountId":
		k.awsAccountID = true
	case "arn", "Arn":
		k.arn = true
	case "service", "Service":
		k.service = true
	}
	return nil
}

// salvageErr reports a syntax error that cut a findings or records array
// short; the elements before the cut were decoded.
func (d *decoder) salvageErr(err error, v value, path string) {
	cause, base := err, d.off(v.data)
	if d.cut != nil {
		cause, base = d.cut, 0
	}
	if me, ok := err.(*jsonscan.MemberError); ok && me.Index >= 0 {
		d.fail(me.Index, path+"["+itoa(me.Index)+"]", "%s", describeSyntax(cause, base))
		return
	}
	d.fail(0, path, "%s", describeSyntax(cause, base))
}

// off is the offset of sub, a slice of the record, in the record: slicing
// keeps the end of the backing array, so the capacities tell.
func (d *decoder) off(sub []byte) int {
	return cap(d.rec.Data) - cap(sub)
}

// cutElsewhere reports a syntax error that cut the object m (at path)
// outside the member already handled, whose own cut was reported.
func (d *decoder) cutElsewhere(m *members, path, handled string, data []byte) {
	if m.truncated == nil || m.cutIn(handled) {
		return
	}
	cause, base := m.truncated, d.off(data)
	if d.cut != nil {
		cause, base = d.cut, 0
	}
	d.fail(0, join(path, m.truncatedPath()), "%s", describeSyntax(cause, base))
}
