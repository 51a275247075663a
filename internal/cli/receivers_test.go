package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateChecksReceiverSettings: each receiver's own settings
// check runs at policy load and is reported at file:line:col, with the
// other problems, without resolving any secret.
func TestValidateChecksReceiverSettings(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"warden.yaml": "version: 1\n",
		"receivers.yaml": `receivers:
  - name: pager
    type: pagerduty
    config:
      routing_kee: env:PD_KEY
  - name: hook
    type: webhook
    config:
      url: ftp://example.com/hook
  - name: ok
    type: slack
    config:
      webhook_url: env:SLACK_URL
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errs := run(t, "", "validate", "--policy", dir)
	if code != ExitUsage {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"receivers.yaml:4:5: receiver pager (pagerduty): setting routing_kee: unknown", "receivers.yaml:8:5: receiver hook (webhook): setting url"} {
		if !strings.Contains(errs, want) {
			t.Errorf("missing %q in:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "receiver ok") {
		t.Errorf("a valid receiver was reported:\n%s", errs)
	}
}
