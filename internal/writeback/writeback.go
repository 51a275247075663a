// Package writeback writes decisions back to AWS Security Hub: the
// workflow status, Warden's part of the finding note (merged by key with
// other tools' parts) and user-defined fields.
//
// ASFF findings (Security Hub CSPM) are updated with BatchUpdateFindings
// (PATCH /findings/batchupdate); OCSF findings (Security Hub's V2
// findings) with BatchUpdateFindingsV2 (PATCH /findingsv2/batchupdatev2),
// which takes a status id and a comment but no user-defined fields. Both
// set the same values on every finding of a call, so updates are grouped
// by region, API and values, and each group is sent in calls of at most
// 100 findings.
package writeback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/wardenhq/warden/internal/finding"
)

// Workflow statuses (ASFF Workflow.Status).
const (
	WorkflowNew        = "NEW"
	WorkflowNotified   = "NOTIFIED"
	WorkflowSuppressed = "SUPPRESSED"
	WorkflowResolved   = "RESOLVED"
)

// OCSF status_id values BatchUpdateFindingsV2 takes for each workflow
// status (OCSF: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved).
var ocsfStatus = map[string]int32{
	WorkflowNew: 1, WorkflowNotified: 2, WorkflowSuppressed: 3, WorkflowResolved: 4,
}

// The operations.
const (
	OpASFF = "BatchUpdateFindings"
	OpOCSF = "BatchUpdateFindingsV2"
)

// MaxBatch is the most findings one call updates.
const MaxBatch = 100

// DefaultNoteKey and DefaultUpdatedBy are used when an Update leaves
// them empty.
const (
	DefaultNoteKey   = "warden"
	DefaultUpdatedBy = "warden"
)

// Update is what to write to one finding.
type Update struct {
	// FindingID is the finding's Id (ASFF) or finding_info.uid (OCSF).
	FindingID string
	// ProductArn is the ASFF ProductArn; for OCSF findings, the
	// metadata.product.uid.
	ProductArn string
	// MetadataUID, for OCSF findings, names the finding by metadata.uid
	// instead of (account, finding_info.uid, product uid).
	MetadataUID string
	// Format selects the API: finding.FormatOCSF uses
	// BatchUpdateFindingsV2; detections (not in Security Hub) are
	// skipped; every other format is an ASFF finding in Security Hub.
	Format finding.Format
	// AccountID is the finding's account (cloud.account.uid for OCSF).
	AccountID string
	// Region is where the call goes (unless Options.Region is set).
	Region string
	// Workflow is NEW, NOTIFIED, SUPPRESSED or RESOLVED; "" leaves it.
	Workflow string
	// NoteKey is the key of Warden's part of the note (default "warden").
	NoteKey string
	// Note is Warden's part of the note; nil leaves the note alone.
	Note map[string]any
	// ExistingNote is the finding's current Note.Text (OCSF: comment),
	// from its document, which the new note is merged into.
	ExistingNote string
	// UserDefinedFields are set on ASFF findings (see Fields).
	UserDefinedFields map[string]string
	// UpdatedBy is the note's author (default "warden").
	UpdatedBy string
}

// Status is what became of one update.
type Status string

// Statuses.
const (
	Updated Status = "updated"
	Failed  Status = "failed"
	Skipped Status = "skipped" // nothing to write, not a Security Hub finding, or superseded
	DryRun  Status = "dry-run" // Options.DryRun: the call was not made
)

// Outcome is the result of one update.
type Outcome struct {
	FindingID string
	Region    string
	Status    Status
	// Call is the call that carried the update (the last one, when it
	// was retried); nil when it was skipped before any call.
	Call *Call
	// ErrorCode is Security Hub's code for a finding it did not process
	// (FindingNotFound, ConcurrentUpdateError, …) or the API error code
	// of a failed call.
	ErrorCode string
	Err       error
	// Retryable tells whether trying again later may succeed (throttling,
	// service errors, concurrent updates).
	Retryable bool
	// Notes say what was changed to fit Security Hub's limits, or why
	// part of the update was left out.
	Notes []string
}

// Call is one API call: made, or, in a dry run, that would be made.
type Call struct {
	Region string
	Op     string // OpASFF or OpOCSF
	// Input is the request body as sent (JSON, the API's field names).
	Input      json.RawMessage
	FindingIDs []string
}

// Options configures a Client.
type Options struct {
	// AWS returns the SDK configuration; each region's client is built
	// from it with the region set. Required unless DryRun.
	AWS func(ctx context.Context) (aws.Config, error)
	// Region, when set, sends every call there (the aggregation region
	// of cross-region aggregation updates the linked regions' findings).
	Region string
	// DryRun returns the calls without making them.
	DryRun bool
	// MaxAttempts is the SDK's attempts per call, throttling included
	// (default 5).
	MaxAttempts int
	// UnprocessedRetries is how often findings Security Hub returns as
	// unprocessed with a retryable code are sent again (default 3).
	UnprocessedRetries int
	// Backoff is the wait before the first such retry, doubled each time
	// (default 1s).
	Backoff time.Duration
	// Sleep waits (default: a timer that ends early with ctx).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client applies updates. It is safe for concurrent use.
type Client struct {
	opts Options

	mu      sync.Mutex
	cfg     *aws.Config
	clients map[string]api
}

// api is the part of the Security Hub client this package calls.
type api interface {
	BatchUpdateFindings(ctx context.Context, in *securityhub.BatchUpdateFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsOutput, error)
	BatchUpdateFindingsV2(ctx context.Context, in *securityhub.BatchUpdateFindingsV2Input, optFns ...func(*securityhub.Options)) (*securityhub.BatchUpdateFindingsV2Output, error)
}

// New returns a Client.
func New(opts Options) *Client {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.UnprocessedRetries <= 0 {
		opts.UnprocessedRetries = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	return &Client{opts: opts, clients: map[string]api{}}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// client returns the region's Security Hub client, built once.
func (c *Client) client(ctx context.Context, region string) (api, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[region]; ok {
		return cl, nil
	}
	if c.cfg == nil {
		if c.opts.AWS == nil {
			return nil, errors.New("no AWS configuration")
		}
		cfg, err := c.opts.AWS(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading AWS configuration: %w", err)
		}
		c.cfg = &cfg
	}
	attempts := c.opts.MaxAttempts
	cl := securityhub.NewFromConfig(*c.cfg, func(o *securityhub.Options) {
		o.Region = region
		if o.Retryer == nil {
			o.Retryer = retry.NewStandard()
		}
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, attempts)
	})
	c.clients[region] = cl
	return cl, nil
}
