package normalize

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	gojson "github.com/goccy/go-json"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/jsonscan"
	"github.com/wardenhq/warden/internal/source"
)

// FuzzDecode: Decode never panics, and what it returns is well formed:
// findings have an identity and an account and a valid Doc, events a valid
// Doc, problems are FieldErrors. Seeds: testdata/fuzz/FuzzDecode (corpus
// samples) and every fixture.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := Decode(source.Record{Data: data, Origin: finding.Origin{Source: "fuzz"}})
		for _, fd := range res.Findings {
			if fd.ID == "" || fd.AccountID == "" {
				t.Fatalf("finding without ID or account: %+v", fd)
			}
			if !json.Valid(fd.Doc) || !json.Valid(fd.Raw) {
				t.Fatalf("finding %s: Doc or Raw is not valid JSON", fd.ID)
			}
			_ = fd.Fingerprint()
		}
		for _, e := range res.Events {
			if !json.Valid(e.Doc) {
				t.Fatalf("event Doc is not valid JSON: %q", e.Doc)
			}
		}
		for _, err := range res.Errors {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Msg == "" {
				t.Fatalf("error %T %v", err, err)
			}
		}
	})
}

// FuzzDecoderAgreement: wherever both go-json and encoding/json accept a
// finding, they decode it into the same SDK value, so using go-json for
// speed changes nothing.
func FuzzDecoderAgreement(f *testing.F) {
	for _, b := range corpusFindings(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Decode only what the scanner accepts, as Decode does.
		if end, err := jsonscan.Skip(data, 0); err != nil || jsonscan.SkipSpace(data, end) != len(data) {
			return
		}
		var a, b types.AwsSecurityFinding
		errStd := json.Unmarshal(data, &a)
		errFast := fastUnmarshal(data, &b)
		if errStd == nil && errFast == nil && !reflect.DeepEqual(a, b) {
			t.Fatalf("go-json and encoding/json disagree on %q", data)
		}
	})
}

// TestDecoderAgreement checks every corpus finding decodes the same with
// go-json and encoding/json.
func TestDecoderAgreement(t *testing.T) {
	for _, b := range corpusFindings(t) {
		var a, c types.AwsSecurityFinding
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		if err := gojson.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, c) {
			t.Fatalf("decoders disagree on %s", b[:100])
		}
	}
}

// corpusFindings returns the ASFF findings of the corpus and fixtures, one
// object each.
func corpusFindings(tb testing.TB) [][]byte {
	files, _ := filepath.Glob(filepath.Join(corpus, "asr-simdata", "*.json"))
	fixtures, _ := filepath.Glob("testdata/asff-*.json")
	var out [][]byte
	for _, name := range append(files, fixtures...) {
		data, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		res := Decode(source.Record{Data: data})
		for _, f := range res.Findings {
			if f.Format == finding.FormatASFF {
				out = append(out, f.Raw)
			}
		}
	}
	return out
}
