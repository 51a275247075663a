package detect

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/finding"
)

// FuzzDetect feeds arbitrary bytes to the built-in pack: Detect must never
// panic, and every finding it returns must be well formed. Seeds are in
// testdata/fuzz/FuzzDetect (wrapped Panther records and the fixtures).
func FuzzDetect(f *testing.F) {
	e := builtinEngine(f)
	f.Add([]byte(`{"detail":{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{"name":"t"}}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		fs, err := e.Detect(doc, finding.Origin{Source: "fuzz"}, nil)
		if err != nil {
			if len(fs) != 0 {
				t.Fatalf("findings returned with error %v", err)
			}
			return
		}
		for _, f := range fs {
			if !strings.HasPrefix(f.ID, "arn:aws:warden:") || f.ControlID == "" || len(f.Resources) == 0 || f.Severity == finding.SeverityUnknown {
				t.Fatalf("malformed finding %+v", f)
			}
			if !json.Valid(f.Doc) {
				t.Fatalf("finding Doc is not JSON: %s", f.Doc)
			}
		}
	})
}
