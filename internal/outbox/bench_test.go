package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
	"github.com/wardenhq/warden/internal/notify/webhook"
	"github.com/wardenhq/warden/internal/store"
)

type envSecrets map[string]string

func (e envSecrets) Resolve(_ context.Context, ref string) (string, error) {
	if v, ok := e[ref]; ok {
		return v, nil
	}
	return "", fmt.Errorf("no secret %s", ref)
}

// BenchmarkDispatchWebhook measures outbox delivery end to end: notify
// jobs in a SQLite state file, delivered by the dispatcher through the
// real webhook receiver (JSON body, HMAC signature) to a local HTTP
// server, with the job updates and audit records committed. One op is
// one delivered message (one finding, ungrouped).
func BenchmarkDispatchWebhook(b *testing.B) {
	for _, conc := range []int{2, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			var got atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				got.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			ts, err := tmpl.Default()
			if err != nil {
				b.Fatal(err)
			}
			rcv, err := webhook.New(notify.Config{Name: "hook", Type: "webhook", Settings: map[string]any{"url": srv.URL, "secret": "env:HOOK_SECRET"},
				Secrets: envSecrets{"env:HOOK_SECRET": "s3cret"}, HTTP: srv.Client(), Templates: ts})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "w.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			jobs := make([]store.Job, b.N)
			for i := range jobs {
				it := item(fmt.Sprintf("arn:aws:securityhub:eu-west-1:123456789012:finding/%08d", i), finding.SeverityHigh, notify.KindFiring)
				p, _ := json.Marshal(notify.Payload{Item: &it})
				jobs[i] = store.Job{Kind: store.JobNotify, Status: store.JobPending, FindingID: it.Record.FindingID, Target: "hook", Due: t0, Payload: p}
			}
			for lo := 0; lo < len(jobs); lo += 5000 {
				if _, err := st.EnqueueJobs(ctx, jobs[lo:min(lo+5000, len(jobs))], nil); err != nil {
					b.Fatal(err)
				}
			}
			d := &Dispatcher{Store: st, Receivers: map[string]notify.Receiver{"hook": rcv}, Limits: map[string]Limit{"hook": {Concurrency: conc}},
				Clock: func() time.Time { return t0 }}
			b.ResetTimer()
			s, err := d.RunDue(ctx)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if s.Messages != b.N || got.Load() != int64(b.N) {
				b.Fatalf("delivered %d messages, server got %d, want %d", s.Messages, got.Load(), b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
