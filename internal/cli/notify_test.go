package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func notifyRepo(t *testing.T, url string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"warden.yaml": "version: 1\ndefault:\n  notify: [hook]\n",
		"receivers.yaml": `receivers:
  - {name: hook, type: webhook, config: {url: "` + url + `/hook", secret: env:HOOK_SECRET}}
  - {name: mail, type: email, config: {to: [sec@example.com], from: warden@example.com, smtp_host: localhost, tls: none}}
`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestNotifyTest: `warden notify test` sends a test message through the
// real receiver (here a signed webhook to a local server) and reports the
// answer; a refusing receiver gives exit 1 and the reason.
func TestNotifyTest(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	status := http.StatusNoContent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("X-Warden-Signature") == "" {
			t.Errorf("unsigned request")
		}
		got = append(got, m)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	t.Setenv("HOOK_SECRET", "s3cret")
	dir := notifyRepo(t, srv.URL)
	code, out, errs := run(t, "", "notify", "test", "--policy", dir, "hook")
	if code != ExitOK || !strings.Contains(out, "sent a test message to hook (webhook)") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	mu.Lock()
	if len(got) != 1 || got[0]["kind"] != "test" {
		t.Fatalf("server got %v", got)
	}
	status = http.StatusForbidden
	mu.Unlock()
	code, _, errs = run(t, "", "notify", "test", "--policy", dir, "hook")
	if code != ExitFindings || !strings.Contains(errs, "403") || strings.Contains(errs, "s3cret") {
		t.Fatalf("refused: exit %d: %s", code, errs)
	}
	if code, _, errs := run(t, "", "notify", "test", "--policy", dir, "nobody"); code != ExitUsage || !strings.Contains(errs, `no receiver "nobody"`) {
		t.Fatalf("unknown receiver: exit %d: %s", code, errs)
	}
}

// TestTemplateRender: `warden template render` shows a receiver's parts
// for a finding file, escaped for their syntax.
func TestTemplateRender(t *testing.T) {
	dir := notifyRepo(t, "https://hooks.example.com")
	finding := filepath.Join(t.TempDir(), "f.json")
	doc := `{"SchemaVersion":"2018-10-08","Id":"f-1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/securityhub","ProductName":"Security Hub",
"GeneratorId":"g","AwsAccountId":"123456789012","Region":"us-east-1","Types":["Software and Configuration Checks"],"CreatedAt":"2026-11-01T00:00:00Z",
"UpdatedAt":"2026-11-01T00:00:00Z","Severity":{"Label":"HIGH"},"Title":"<script>alert(1)</script> bucket","Description":"d",
"Resources":[{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::b"}],"RecordState":"ACTIVE"}`
	if err := os.WriteFile(finding, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "", "template", "render", "--policy", dir, "--receiver", "mail", finding)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"----- mail.subject -----", "----- mail.html -----", "----- mail.text -----", "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	html := out[strings.Index(out, "----- mail.html -----"):strings.Index(out, "----- mail.subject -----")]
	if strings.Contains(html, "<script>") {
		t.Errorf("unescaped script in the HTML part")
	}
}
