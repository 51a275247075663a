// Package pipeline composes the stages: source records are decoded
// (normalize), raw events run through detections (detect), findings get
// their account context (enrich) and matching rules (policy), then are
// tracked and decided (track, suppress, decide) and made durable with their
// audit record (store, audit) before the decision is emitted.
//
// Decoding, detection and matching are independent per record and run on
// several goroutines; tracking and deciding run in input order on one, so
// the same input always gives the same decisions.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"runtime"
	"sync"
	"time"

	"github.com/wardenhq/warden/internal/decide"
	"github.com/wardenhq/warden/internal/enrich"
	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/normalize"
	"github.com/wardenhq/warden/internal/policy"
	"github.com/wardenhq/warden/internal/source"
	"github.com/wardenhq/warden/internal/store"
)

// Options configure a Pipeline.
type Options struct {
	Policy *policy.Set
	Store  store.Store
	// Clock returns the decision time; default time.Now.
	Clock func() time.Time
	// DryRun marks planned actions "dry-run". Pair it with a store overlay
	// so state is untouched.
	DryRun bool
	// BatchSize is how many records are decided and committed together
	// (default 256).
	BatchSize int
	// Workers decode and match in parallel (default GOMAXPROCS).
	Workers int
	// Emit receives each decision, in input order, after it is durable.
	Emit func(rec *decide.Record, js []byte) error
	// Reject receives each bad input record's error; processing goes on.
	Reject func(err error)
}

// Stats count what went through.
type Stats struct {
	Records    int64            `json:"records"`
	Findings   int64            `json:"findings"`
	Events     int64            `json:"events"`
	Undetected int64            `json:"events_without_detection"`
	Decisions  int64            `json:"decisions"`
	Rejected   int64            `json:"rejected"`
	Batches    int64            `json:"batches"` // store transactions
	Verdicts   map[string]int64 `json:"verdicts"`
	// Queued counts the act-stage jobs the decisions wrote, by kind
	// (notify, remediate, writeback).
	Queued map[string]int64 `json:"queued,omitempty"`
}

// Pipeline processes records. It is not safe for concurrent Run calls.
type Pipeline struct {
	opt   Options
	stats Stats
}

// New returns a pipeline.
func New(opt Options) *Pipeline {
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 256
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Emit == nil {
		opt.Emit = func(*decide.Record, []byte) error { return nil }
	}
	if opt.Reject == nil {
		opt.Reject = func(error) {}
	}
	return &Pipeline{opt: opt, stats: Stats{Verdicts: map[string]int64{}, Queued: map[string]int64{}}}
}

// Stats returns the counters so far.
func (p *Pipeline) Stats() Stats { return p.stats }

// item is one finding ready to decide.
type item struct {
	f       *finding.Finding
	account *enrich.Account
	known   bool
	matched []*policy.CompiledRule
}

// prepared is a batch after the parallel stage.
type prepared struct {
	items  []item
	errs   []error
	events int64
	undet  int64
	recs   int64
}

// Run reads records from in until it is closed or ctx is done, and returns
// when every record read has been decided and committed. The error is the
// first store or emit failure; bad input is never an error here.
func (p *Pipeline) Run(ctx context.Context, in <-chan source.Record) error {
	batches := make(chan []source.Record)
	// Prepared batches queue here while the store commits: the commit
	// stage then takes all of them in one transaction (group commit).
	preps := make(chan prepared, 64)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	go func() {
		defer close(batches)
		// Adaptive batching: a batch is handed on as soon as the next stage
		// is ready for it, and grows (up to BatchSize) while that stage is
		// busy. Light load gives small batches and low latency, heavy load
		// large batches and high throughput; nothing waits on a timer.
		var batch []source.Record
		open := true
		for open || len(batch) > 0 {
			var recv <-chan source.Record
			if open && len(batch) < p.opt.BatchSize {
				recv = in
			}
			var send chan []source.Record
			if len(batch) > 0 {
				send = batches
			}
			select {
			case r, ok := <-recv:
				if !ok {
					open = false
					continue
				}
				batch = append(batch, r)
			case send <- batch:
				batch = nil
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		defer close(preps)
		for b := range batches {
			pr := p.prepare(b)
			select {
			case preps <- pr:
			case <-ctx.Done():
				return
			}
		}
	}()
	var firstErr error
	for pr := range preps {
		if firstErr != nil {
			continue // drain
		}
		pr = gather(pr, preps, p.opt.BatchSize*8)
		if err := p.commit(ctx, pr); err != nil {
			firstErr = err
			cancel()
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
		if errors.Is(firstErr, context.Canceled) {
			firstErr = nil
		}
	}
	return firstErr
}

// gather merges the prepared batches already waiting into pr, up to max
// findings, without waiting for more: a store transaction costs about the
// same for one finding as for hundreds, so under load the commit stage
// takes whatever has piled up while it was busy.
func gather(pr prepared, preps <-chan prepared, max int) prepared {
	for len(pr.items) < max {
		select {
		case more, ok := <-preps:
			if !ok {
				return pr
			}
			pr.items = append(pr.items, more.items...)
			pr.errs = append(pr.errs, more.errs...)
			pr.events += more.events
			pr.undet += more.undet
			pr.recs += more.recs
		default:
			return pr
		}
	}
	return pr
}

// prepare decodes, detects and matches a batch on several goroutines,
// keeping input order.
func (p *Pipeline) prepare(batch []source.Record) prepared {
	ps := p.opt.Policy
	w := p.opt.Workers
	if w > len(batch) {
		w = len(batch)
	}
	parts := make([]prepared, w)
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := k*len(batch)/w, (k+1)*len(batch)/w
		wg.Add(1)
		go func(k int, recs []source.Record) {
			defer wg.Done()
			out := &parts[k]
			for _, rec := range recs {
				out.recs++
				res := normalize.Decode(rec)
				out.errs = append(out.errs, res.Errors...)
				fs := res.Findings
				for _, ev := range res.Events {
					out.events++
					if ps.Detect == nil {
						out.undet++
						continue
					}
					n := len(fs)
					var err error
					fs, err = ps.Detect.Detect(ev.Doc, ev.Origin, fs)
					if err != nil {
						out.errs = append(out.errs, err)
					}
					if len(fs) == n {
						out.undet++
					}
				}
				for _, f := range fs {
					a, known := ps.Account(f.AccountID)
					m, err := ps.Match(f, a, nil)
					if err != nil {
						out.errs = append(out.errs, err)
						continue
					}
					out.items = append(out.items, item{f: f, account: a, known: known, matched: m})
				}
			}
		}(k, batch[lo:hi])
	}
	wg.Wait()
	var all prepared
	for _, pt := range parts {
		all.items = append(all.items, pt.items...)
		all.errs = append(all.errs, pt.errs...)
		all.events += pt.events
		all.undet += pt.undet
		all.recs += pt.recs
	}
	return all
}

// notified returns the receivers that were sent (or are to be sent) a
// message about the finding, from its outbox jobs.
func (p *Pipeline) notified(ctx context.Context, id string) ([]string, error) {
	jobs, err := p.opt.Store.Jobs(ctx, store.JobFilter{Kind: store.JobNotify, FindingID: id,
		Status: []store.JobStatus{store.JobPending, store.JobDone, store.JobDead}})
	if err != nil {
		return nil, fmt.Errorf("reading the outbox of %s: %w", id, err)
	}
	seen := map[string]bool{}
	out := []string{}
	for _, j := range jobs {
		if !seen[j.Target] {
			seen[j.Target] = true
			out = append(out, j.Target)
		}
	}
	return out, nil
}

// commit tracks and decides a prepared batch in order, applies it to the
// store in one transaction and then emits the decisions.
func (p *Pipeline) commit(ctx context.Context, pr prepared) error {
	p.stats.Records += pr.recs
	p.stats.Events += pr.events
	p.stats.Undetected += pr.undet
	for _, e := range pr.errs {
		p.stats.Rejected++
		p.opt.Reject(e)
	}
	if len(pr.items) == 0 {
		return nil
	}
	ids := make([]string, 0, len(pr.items))
	for _, it := range pr.items {
		ids = append(ids, it.f.ID)
	}
	states, err := p.opt.Store.Load(ctx, ids)
	if err != nil {
		return fmt.Errorf("loading finding state: %w", err)
	}
	entries := make([]store.Entry, 0, len(pr.items))
	records := make([]decide.Record, 0, len(pr.items))
	for _, it := range pr.items {
		now := p.opt.Clock().UTC()
		var prev *store.State
		if s, ok := states[it.f.ID]; ok {
			prev = &s
		}
		in := decide.Input{
			Finding: it.f, Prev: prev, Matched: it.matched, Account: it.account, Known: it.known,
			Now: now, DryRun: p.opt.DryRun,
		}
		if prev != nil && it.f.Resolved() && !prev.LastNotified.IsZero() && prev.Status != store.StatusResolved {
			// A resolution goes to the receivers that were told.
			if in.Notified, err = p.notified(ctx, it.f.ID); err != nil {
				return err
			}
		}
		rec, st := decide.Decide(p.opt.Policy, in)
		states[it.f.ID] = st // a later version in the same batch sees this one
		js, err := json.Marshal(&rec)
		if err != nil {
			return fmt.Errorf("encoding decision for %s: %w", it.f.ID, err)
		}
		jobs, err := jobsFor(p.opt.Policy, it.matched, &rec, it.f, now)
		if err != nil {
			return err
		}
		entries = append(entries, store.Entry{State: st, Record: js, StateUnchanged: prev != nil && *prev == st, Jobs: jobs})
		records = append(records, rec)
	}
	p.stats.Batches++
	if err := p.opt.Store.Apply(ctx, entries); err != nil {
		return fmt.Errorf("storing %d decisions: %w", len(entries), err)
	}
	p.stats.Findings += int64(len(records))
	for i := range records {
		for _, j := range entries[i].Jobs {
			p.stats.Queued[string(j.Kind)]++
		}
		p.stats.Decisions++
		p.stats.Verdicts[string(records[i].Verdict)]++
		if err := p.opt.Emit(&records[i], entries[i].Record); err != nil {
			return fmt.Errorf("emitting decision: %w", err)
		}
	}
	return nil
}
