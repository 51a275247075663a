package normalize

import (
	"os"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/source"
)

func decodeFile(t *testing.T, name string) Result {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return Decode(source.Record{Data: data, Origin: finding.Origin{Source: name}})
}

func only(t *testing.T, res Result) *finding.Finding {
	t.Helper()
	if len(res.Errors) > 0 || len(res.Findings) != 1 {
		t.Fatalf("want one finding, got %d and errors %v", len(res.Findings), res.Errors)
	}
	return res.Findings[0]
}

// TestIdentityAcrossChannels: one GuardDuty finding, received natively, as
// ASFF through Security Hub and as OCSF through Security Hub, is one
// finding — same ID, same fingerprint — and its account is the member
// account, not the aggregator that forwarded the Security Hub events.
func TestIdentityAcrossChannels(t *testing.T) {
	native := only(t, decodeFile(t, "guardduty-ec2-ssh-bruteforce.json"))
	asff := only(t, decodeFile(t, "asff-guardduty-ec2-ssh-bruteforce.json"))
	ocsf := only(t, decodeFile(t, "ocsf-guardduty-ec2-ssh-bruteforce.json"))
	const arn = "arn:aws:guardduty:us-east-1:193043430472:detector/d4b040365221be2b54a6264dc9a4bc64/finding/46ba0ac2845071e23ccdeb2ae03bfdea"
	for _, f := range []*finding.Finding{native, asff, ocsf} {
		if f.ID != arn {
			t.Errorf("%s: ID %q, want the GuardDuty finding ARN", f.Format, f.ID)
		}
		if f.AccountID != "193043430472" {
			t.Errorf("%s: AccountID %q, want the member account", f.Format, f.AccountID)
		}
		if f.Product != "GuardDuty" || f.Severity != finding.SeverityMedium || f.Region != "us-east-1" {
			t.Errorf("%s: product %q severity %s region %q", f.Format, f.Product, f.Severity, f.Region)
		}
	}
	if native.Fingerprint() != asff.Fingerprint() || asff.Fingerprint() != ocsf.Fingerprint() {
		t.Errorf("fingerprints differ: native %s, asff %s, ocsf %s", native.Fingerprint(), asff.Fingerprint(), ocsf.Fingerprint())
	}
	if native.Format != finding.FormatGuardDuty || asff.Format != finding.FormatASFF || ocsf.Format != finding.FormatOCSF {
		t.Errorf("formats %s %s %s", native.Format, asff.Format, ocsf.Format)
	}
}

// TestGuardDutyTypes: native GuardDuty types get Security Hub's ASFF
// names, so a {"prefix": "TTPs/Command and Control"} rule matches C&C
// findings from every channel.
func TestGuardDutyTypes(t *testing.T) {
	f := only(t, decodeFile(t, "guardduty-ec2-c2.json"))
	if len(f.Types) != 1 || f.Types[0] != "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS" {
		t.Fatalf("Types %q", f.Types)
	}
	if f.Severity != finding.SeverityHigh {
		t.Errorf("severity 8 is %s, want HIGH", f.Severity)
	}
	if !strings.Contains(string(f.Doc), `"Types":["TTPs/Command and Control/Backdoor:EC2-C\u0026CActivity.B!DNS"]`) &&
		!strings.Contains(string(f.Doc), `"Types":["TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS"]`) {
		t.Errorf("Doc Types: %s", f.Doc)
	}
	for typ, want := range map[string]string{
		"Backdoor:EC2/C&CActivity.B":                "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B",
		"Recon:EC2/PortProbeUnprotectedPort":        "TTPs/Discovery/Recon:EC2-PortProbeUnprotectedPort",
		"Backdoor:Runtime/C&CActivity.B":            "TTPs/Command and Control/Backdoor:Runtime-C&CActivity.B",
		"CryptoCurrency:Runtime/BitcoinTool.B":      "TTPs/Command and Control/CryptoCurrency:Runtime-BitcoinTool.B",
		"Policy:S3/BucketBlockPublicAccessDisabled": "Effects/Data Exposure/Policy:S3-BucketBlockPublicAccessDisabled",
	} {
		if got := gdTypes(typ); len(got) != 1 || got[0] != want {
			t.Errorf("gdTypes(%q) = %q, want %q", typ, got, want)
		}
	}
}

// TestGuardDutyGetFindingsPascalCase: GuardDuty's own GetFindings output
// ({"Findings":[...]}, PascalCase as boto3 prints it) decodes like the
// native event.
func TestGuardDutyGetFindingsPascalCase(t *testing.T) {
	rec := `{"Findings":[{"AccountId":"123456789012","Arn":"arn:aws:guardduty:ap-northeast-1:123456789012:detector/c6b2/finding/034f","Id":"034f",
	  "Partition":"aws","Region":"ap-northeast-1","Type":"Trojan:EC2/DropPoint!DNS","Severity":8,"Title":"t","Description":"d",
	  "CreatedAt":"2023-04-16T06:11:53.438Z","UpdatedAt":"2023-04-16T06:11:53.438Z",
	  "Resource":{"ResourceType":"Instance","InstanceDetails":{"InstanceId":"i-99999999"}},
	  "Service":{"ServiceName":"guardduty","DetectorId":"c6b2","Archived":false,"Count":1}}]}`
	f := only(t, Decode(source.Record{Data: []byte(rec)}))
	if f.ID != "arn:aws:guardduty:ap-northeast-1:123456789012:detector/c6b2/finding/034f" || f.Format != finding.FormatGuardDuty ||
		f.ResourceID() != "arn:aws:ec2:ap-northeast-1:123456789012:instance/i-99999999" || f.Types[0] != "Effects/Data Exfiltration/Trojan:EC2-DropPoint!DNS" {
		t.Errorf("got %+v", f)
	}
}

// TestDecodeConcurrent: Decode keeps no shared state; run with -race.
func TestDecodeConcurrent(t *testing.T) {
	files := []string{"asff-batch-import.json", "guardduty-ec2-c2.json", "ocsf-guardduty-ec2-ssh-bruteforce.json", "cloudtrail-log-file.json", "bad-truncated.json"}
	var recs []source.Record
	for _, name := range files {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, source.Record{Data: data, Origin: finding.Origin{Source: name}})
	}
	done := make(chan int)
	for g := 0; g < 4; g++ {
		go func() {
			n := 0
			for i := 0; i < 50; i++ {
				for _, r := range recs {
					res := Decode(r)
					n += len(res.Findings) + len(res.Events)
				}
			}
			done <- n
		}()
	}
	first := <-done
	for g := 1; g < 4; g++ {
		if n := <-done; n != first {
			t.Errorf("goroutines decoded %d and %d", first, n)
		}
	}
}
