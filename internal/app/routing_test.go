package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/pipeline"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
)

// hookServer collects the webhook messages it receives.
type hookServer struct {
	mu   sync.Mutex
	msgs []map[string]any
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookServer) take() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.msgs
	h.msgs = nil
	return out
}

func findingIDs(m map[string]any) []string {
	var ids []string
	items, _ := m["items"].([]any)
	for _, it := range items {
		rec := it.(map[string]any)["record"].(map[string]any)
		ids = append(ids, rec["finding_id"].(string))
	}
	return ids
}

func asffDoc(id, product, account string, sev string, updated time.Time) []byte {
	pa := "arn:aws:securityhub:us-east-1::product/aws/securityhub"
	if product == "GuardDuty" {
		pa = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
	}
	d := map[string]any{"SchemaVersion": "2018-10-08", "Id": id, "ProductArn": pa, "ProductName": product, "GeneratorId": "g",
		"AwsAccountId": account, "Region": "us-east-1", "Types": []string{"Software and Configuration Checks"},
		"CreatedAt": "2026-11-01T00:00:00Z", "UpdatedAt": updated.Format(time.RFC3339), "Severity": map[string]any{"Label": sev},
		"Title": "finding " + id, "Resources": []any{map[string]any{"Type": "AwsAccount", "Id": "AWS::::Account:" + account}},
		"RecordState": "ACTIVE", "Workflow": map[string]any{"Status": "NEW"}}
	b, _ := json.Marshal(d)
	return b
}

// TestRoutingHooksAndDigest: a route muted outside business hours holds
// its message until the morning; a posture finding in a retiring account
// is not sent while a GuardDuty finding is active there; the daily digest
// goes out at its time, one message per owner.
func TestRoutingHooksAndDigest(t *testing.T) {
	hook := &hookServer{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	dir := t.TempDir()
	files := map[string]string{
		"warden.yaml": "version: 1\n",
		"accounts.yaml": `accounts:
  - {id: "111111111111", name: app-prod, environment: prod, owner: alice@example.com}
  - {id: "222222222222", name: old-dev, environment: dev, owner: bob@example.com, tags: {lifecycle: decommissioning}}
`,
		"receivers.yaml": `receivers:
  - {name: hook, type: webhook, config: {url: "` + srv.URL + `"}}
  - {name: owners, type: webhook, config: {url: "` + srv.URL + `/owners"}}
`,
		"routes.yaml": `route:
  receiver: hook
  group_by: [finding_id]
  routes:
    - id: dev-quiet-hours
      match: {environment: [dev]}
      receiver: hook
      mute_time_intervals: [night]
time_intervals:
  - name: night
    time_intervals:
      - times: ["00:00-08:00", "18:00-24:00"]
        location: UTC
inhibit_rules:
  - name: threat-first
    source_match: {product: [GuardDuty]}
    target_match:
      account_tag:lifecycle: [decommissioning]
    equal: [account_id]
digests:
  - name: owner-daily
    receiver: owners
    schedule: daily 08:00
    location: UTC
    group_by: [owner]
    include: [open, new, overdue]
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := policy.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := store.NewMemory()
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC) // night
	clock := func() time.Time { return now }
	d, err := Dispatcher(Options{Policy: ps, Store: st, Clock: clock, HTTP: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	feed := func(docs ...[]byte) {
		t.Helper()
		p := pipeline.New(pipeline.Options{Policy: ps, Store: st, Clock: clock})
		if err := p.Feed(ctx, func(ctx context.Context, send func(source.Record) error) error {
			for i, doc := range docs {
				if err := send(source.Record{Data: doc, Origin: finding.Origin{Source: "t", Index: i}}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	run := func() {
		t.Helper()
		if _, err := Digests(ctx, ps, st, now); err != nil {
			t.Fatal(err)
		}
		if _, err := d.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	feed(
		asffDoc("prod-1", "Security Hub", "111111111111", "HIGH", now),
		asffDoc("gd-1", "GuardDuty", "222222222222", "HIGH", now),
		asffDoc("posture-1", "Security Hub", "222222222222", "MEDIUM", now),
	)
	run()
	got := hook.take()
	if len(got) != 1 || findingIDs(got[0])[0] != "prod-1" {
		t.Fatalf("at night: %d messages %v", len(got), got)
	}
	// 08:00: the dev route is no longer muted: the GuardDuty finding goes
	// out, the posture finding of the same retiring account is inhibited.
	// The digest (its schedule started at the first pass) goes out too,
	// one message per owner.
	now = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	run()
	var firing []string
	owners := map[string][]string{}
	for _, m := range hook.take() {
		switch m["kind"] {
		case "digest":
			labels, _ := m["group_labels"].(map[string]any)
			owners[labels["owner"].(string)] = findingIDs(m)
		default:
			firing = append(firing, findingIDs(m)...)
		}
	}
	if len(firing) != 1 || firing[0] != "gd-1" {
		t.Fatalf("in the morning: %v", firing)
	}
	if len(owners["alice@example.com"]) != 1 || len(owners["bob@example.com"]) != 2 {
		t.Fatalf("digests by owner: %v", owners)
	}
	skipped, _ := st.Jobs(ctx, store.JobFilter{Status: []store.JobStatus{store.JobSkipped}})
	if len(skipped) != 1 || skipped[0].FindingID != "posture-1" || !strings.Contains(skipped[0].LastError, "threat-first") {
		t.Fatalf("inhibited jobs %+v", skipped)
	}
	// Not again the same day; again the next morning.
	now = now.Add(time.Hour)
	run()
	if got := hook.take(); len(got) != 0 {
		t.Fatalf("digest sent twice: %v", got)
	}
	now = now.Add(23 * time.Hour)
	run()
	if got := hook.take(); len(got) != 2 {
		t.Fatalf("next day's digests: %d", len(got))
	}
}
