package writeback

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Plan returns the calls Apply would make, in order, and the outcome of
// each update (DryRun for the ones a call carries, Skipped with the
// reason for the others). It calls nothing.
func (c *Client) Plan(ups []Update) ([]Call, []Outcome) {
	groups, outs := c.plan(ups)
	var calls []*Call
	for _, g := range groups {
		for start := 0; start < len(g.ids); start += MaxBatch {
			end := min(start+MaxBatch, len(g.ids))
			call := g.call(g.ids[start:end], findingIDs(ups, g.idx[start:end]))
			calls = append(calls, call)
			for _, i := range g.idx[start:end] {
				outs[i].Status, outs[i].Call = DryRun, call
			}
		}
	}
	out := make([]Call, len(calls))
	for i, c := range calls {
		out[i] = *c
	}
	return out, outs
}

// Apply writes the updates and returns one outcome per update, in the
// order given. Findings Security Hub leaves unprocessed with a retryable
// code (ConcurrentUpdateError, InternalFailure; V2: ConflictException,
// InternalServerException) are sent again, up to UnprocessedRetries
// times; throttling is retried by the SDK. The error joins the distinct
// failures (nil when no update failed); the outcomes say which update
// each concerns. With Options.DryRun, Apply returns Plan's outcomes.
func (c *Client) Apply(ctx context.Context, ups []Update) ([]Outcome, error) {
	if c.opts.DryRun {
		_, outs := c.Plan(ups)
		return outs, nil
	}
	groups, outs := c.plan(ups)
	for _, g := range groups {
		cl, err := c.client(ctx, g.region)
		if err != nil {
			err = fmt.Errorf("security hub in %s: %w", g.region, err)
			for _, i := range g.idx {
				outs[i].Status, outs[i].Err, outs[i].Retryable = Failed, err, true
			}
			continue
		}
		for start := 0; start < len(g.ids); start += MaxBatch {
			pos := make([]int, 0, MaxBatch)
			for p := start; p < min(start+MaxBatch, len(g.ids)); p++ {
				pos = append(pos, p)
			}
			c.runBatch(ctx, cl, g, pos, ups, outs)
		}
	}
	var errs []error
	seen := map[string]bool{}
	for i := range outs {
		if e := outs[i].Err; outs[i].Status == Failed && e != nil && !seen[e.Error()] {
			seen[e.Error()] = true
			errs = append(errs, e)
		}
	}
	return outs, errors.Join(errs...)
}

// runBatch sends one call for the group's findings at positions pos, and
// sends again those left unprocessed with a retryable code.
func (c *Client) runBatch(ctx context.Context, cl api, g *group, pos []int, ups []Update, outs []Outcome) {
	for attempt := 0; ; attempt++ {
		ids := make([]ident, len(pos))
		idx := make([]int, len(pos))
		for k, p := range pos {
			ids[k], idx[k] = g.ids[p], g.idx[p]
		}
		call := g.call(ids, findingIDs(ups, idx))
		for _, i := range idx {
			outs[i].Call = call
		}
		unprocessed, err := c.send(ctx, cl, g, ids)
		if err != nil {
			err = fmt.Errorf("%s in %s: %w", g.op, g.region, err)
			for _, i := range idx {
				o := &outs[i]
				o.Status, o.Err, o.ErrorCode, o.Retryable = Failed, err, apiCode(err), retryable(err)
			}
			return
		}
		var again []int
		for k, p := range pos {
			o := &outs[idx[k]]
			u, ok := unprocessed[ids[k].key()]
			if !ok {
				o.Status, o.Err, o.ErrorCode, o.Retryable = Updated, nil, "", false
				continue
			}
			retry := retryableCode(u.code)
			if retry && attempt < c.opts.UnprocessedRetries {
				again = append(again, p)
				continue
			}
			o.Status, o.ErrorCode, o.Retryable = Failed, u.code, retry
			o.Err = fmt.Errorf("%s in %s: finding %s not updated: %s: %s", g.op, g.region, o.FindingID, u.code, u.msg)
		}
		if len(again) == 0 {
			return
		}
		if err := c.opts.Sleep(ctx, c.opts.Backoff<<attempt); err != nil {
			for _, p := range again {
				o := &outs[g.idx[p]]
				o.Status, o.Err, o.Retryable = Failed, fmt.Errorf("%s in %s: finding %s: %w", g.op, g.region, o.FindingID, err), true
			}
			return
		}
		pos = again
	}
}

type unprocessed struct{ code, msg string }

func (id ident) key() string {
	switch {
	case id.muid != "":
		return "m\x00" + id.muid
	case id.asff.ID != "":
		return "a\x00" + id.asff.ID + "\x00" + id.asff.ProductArn
	}
	return "o\x00" + id.ocsf.CloudAccountUID + "\x00" + id.ocsf.FindingInfoUID + "\x00" + id.ocsf.MetadataProductUID
}

// send makes one call and returns the findings left unprocessed, by key.
func (c *Client) send(ctx context.Context, cl api, g *group, ids []ident) (map[string]unprocessed, error) {
	out := map[string]unprocessed{}
	if g.op == OpASFF {
		res, err := cl.BatchUpdateFindings(ctx, sdkASFF(g.input(ids).(asffInput)))
		if err != nil {
			return nil, err
		}
		for _, u := range res.UnprocessedFindings {
			var id ident
			if u.FindingIdentifier != nil {
				id.asff = asffID{ID: aws.ToString(u.FindingIdentifier.Id), ProductArn: aws.ToString(u.FindingIdentifier.ProductArn)}
			}
			out[id.key()] = unprocessed{aws.ToString(u.ErrorCode), aws.ToString(u.ErrorMessage)}
		}
		return out, nil
	}
	res, err := cl.BatchUpdateFindingsV2(ctx, sdkOCSF(g.input(ids).(ocsfInput)))
	if err != nil {
		return nil, err
	}
	for _, u := range res.UnprocessedFindings {
		var id ident
		switch {
		case u.MetadataUid != nil:
			id.muid = *u.MetadataUid
		case u.FindingIdentifier != nil:
			f := u.FindingIdentifier
			id.ocsf = ocsfID{CloudAccountUID: aws.ToString(f.CloudAccountUid), FindingInfoUID: aws.ToString(f.FindingInfoUid), MetadataProductUID: aws.ToString(f.MetadataProductUid)}
		}
		out[id.key()] = unprocessed{string(u.ErrorCode), aws.ToString(u.ErrorMessage)}
	}
	return out, nil
}

func findingIDs(ups []Update, idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = ups[i].FindingID
		if out[k] == "" {
			out[k] = ups[i].MetadataUID
		}
	}
	return out
}

// retryableCode reports whether a finding Security Hub did not process
// may be processed when sent again.
func retryableCode(code string) bool {
	switch code {
	case "ConcurrentUpdateError", "InternalFailure", // BatchUpdateFindings
		"ConflictException", "InternalServerException": // BatchUpdateFindingsV2
		return true
	}
	return false
}

// retryable classifies a failed call once the SDK has given up on it:
// throttling, service and network errors may pass later; access denied
// and invalid input will not.
func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "TooManyRequestsException", "LimitExceededException", "InternalException", "InternalServerException", "ServiceUnavailable":
			return true
		}
		return ae.ErrorFault() == smithy.FaultServer
	}
	// Client-side validation fails the same way every time; network
	// errors and the like may pass.
	var ip smithy.InvalidParamsError
	return !errors.As(err, &ip)
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
