// Package app assembles the act stage from a compiled policy repo: the
// secret resolver, the templates, every configured receiver, the outbox
// dispatcher and the remediation runner. The CLI (and later the server)
// build theirs here so that every entry point is wired the same way.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/wardenhq/warden/internal/notify"
	"github.com/wardenhq/warden/internal/notify/tmpl"
	"github.com/wardenhq/warden/internal/outbox"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/secret"
	"github.com/wardenhq/warden/internal/store"
	"github.com/wardenhq/warden/internal/writeback"
)

// Options are what the act stage takes from its environment. Zero values
// get working defaults.
type Options struct {
	Policy *policy.Set
	Store  store.Store
	Clock  func() time.Time
	Log    *slog.Logger
	// HTTP is the client receivers use (default notify.DefaultHTTPClient).
	HTTP *http.Client
	// AWS returns the engine's own SDK configuration (default: the SDK's
	// default chain, loaded once on first use).
	AWS func(ctx context.Context) (aws.Config, error)
	// Secrets resolves secret references (default: a cache over env,
	// file, SSM and Secrets Manager).
	Secrets secret.Resolver
}

func (o *Options) defaults() {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HTTP == nil {
		o.HTTP = notify.DefaultHTTPClient()
	}
	if o.AWS == nil {
		o.AWS = DefaultAWS()
	}
	if o.Secrets == nil {
		base := ""
		if o.Policy != nil {
			base = o.Policy.Dir
		}
		o.Secrets = secret.New(secret.Options{AWS: o.AWS, BaseDir: base, Clock: o.Clock})
	}
}

// DefaultAWS returns a loader of the SDK's default configuration (env,
// shared config, container or instance role), loaded once it succeeds.
func DefaultAWS() func(ctx context.Context) (aws.Config, error) {
	var (
		mu     sync.Mutex
		cfg    aws.Config
		loaded bool
	)
	return func(ctx context.Context) (aws.Config, error) {
		mu.Lock()
		defer mu.Unlock()
		if loaded {
			return cfg, nil
		}
		c, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRetryMode(aws.RetryModeAdaptive))
		if err != nil { // not kept: a later call tries again
			return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
		}
		cfg, loaded = c, true
		return cfg, nil
	}
}

// Templates loads the default templates and the policy repo's overrides
// (templates/ in the repo).
func Templates(ps *policy.Set) (*tmpl.Set, error) {
	dir := ""
	if ps != nil && ps.Dir != "" {
		dir = filepath.Join(ps.Dir, "templates")
	}
	return tmpl.Load(dir)
}

// Receivers builds every receiver of the policy repo, and their limits.
func Receivers(o Options) (map[string]notify.Receiver, map[string]outbox.Limit, error) {
	Register()
	o.defaults()
	ts, err := Templates(o.Policy)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(o.Policy.Receivers))
	for n := range o.Policy.Receivers {
		names = append(names, n)
	}
	sort.Strings(names)
	rs, lims := map[string]notify.Receiver{}, map[string]outbox.Limit{}
	for _, n := range names {
		rc := o.Policy.Receivers[n]
		r, err := notify.New(notify.Config{
			Name: rc.Name, Type: rc.Type, Settings: rc.Config, Secrets: o.Secrets, HTTP: o.HTTP,
			AWS: o.AWS, Templates: ts, Log: o.Log.With("receiver", rc.Name),
		})
		if err != nil {
			return nil, nil, err
		}
		rs[n] = r
		lims[n] = outbox.Limit{PerMinute: rc.RatePerMinute, Concurrency: rc.Concurrency}
	}
	return rs, lims, nil
}

// Dispatcher builds the outbox dispatcher for the policy repo.
func Dispatcher(o Options) (*outbox.Dispatcher, error) {
	o.defaults()
	rs, lims, err := Receivers(o)
	if err != nil {
		return nil, err
	}
	n := o.Policy.Settings.Notifications
	d := &outbox.Dispatcher{
		Store: o.Store, Receivers: rs, Limits: lims, Clock: o.Clock, Log: o.Log,
		MaxAttempts: n.MaxAttempts, Backoff: time.Duration(n.Backoff), MaxBackoff: time.Duration(n.MaxBackoff),
		Enrich: EnrichAction(o.Store),
	}
	routeHooks(d, o.Policy, o.Store, o.Clock)
	return d, nil
}

// EnrichAction returns the dispatcher hook that fills a message's
// remediation details from the live job: its ID, its current status and
// the commands that approve or cancel it.
func EnrichAction(st store.Store) func(ctx context.Context, it *notify.Item) {
	return func(ctx context.Context, it *notify.Item) {
		if it.Action == nil || it.Action.Mode == "ticket" {
			return
		}
		jobs, err := st.Jobs(ctx, store.JobFilter{Kind: store.JobRemediate, FindingID: it.Record.FindingID, Target: it.Action.Playbook})
		if err != nil || len(jobs) == 0 {
			return
		}
		j := jobs[len(jobs)-1]
		for _, c := range jobs { // the newest job
			if c.ID > j.ID {
				j = c
			}
		}
		it.Action.JobID, it.Action.Status = j.ID, string(j.Status)
		switch j.Status {
		case store.JobWaiting:
			it.Action.ApproveCommand = fmt.Sprintf("warden actions approve %d", j.ID)
			it.Action.CancelCommand = fmt.Sprintf("warden actions deny %d", j.ID)
		case store.JobPending:
			it.Action.CancelCommand = fmt.Sprintf("warden actions cancel %d", j.ID)
		}
	}
}

// Writeback returns the Security Hub write-back client (dry: plan the
// calls, make none).
func Writeback(o Options, dry bool) *writeback.Client {
	o.defaults()
	return writeback.New(writeback.Options{AWS: o.AWS, DryRun: dry})
}
