package act

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/wardenhq/warden/internal/remediate"
)

// outcome is how a run's error is treated.
type outcome int

const (
	outcomeDone      outcome = iota // success
	outcomeGone                     // resource gone: done without change
	outcomeRetry                    // retry later
	outcomeFailed                   // permanent failure
	outcomeInterrupt                // the pass was cancelled: run again, attempt not counted
)

// accessDenied are API error codes retrying cannot fix.
var accessDenied = map[string]bool{
	"AccessDenied":                true,
	"AccessDeniedException":       true,
	"UnauthorizedOperation":       true,
	"UnauthorizedAccess":          true,
	"AuthFailure":                 true,
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
	"SignatureDoesNotMatch":       true,
	"OptInRequired":               true,
}

// classify decides what a run's error means. ctx is the pass's context.
func classify(ctx context.Context, err error) outcome {
	switch {
	case err == nil:
		return outcomeDone
	case errors.Is(err, remediate.ErrGone):
		return outcomeGone
	case errors.Is(err, remediate.ErrNotApplicable):
		return outcomeFailed
	case ctx.Err() != nil:
		return outcomeInterrupt
	}
	var api smithy.APIError
	if errors.As(err, &api) && accessDenied[api.ErrorCode()] {
		return outcomeFailed
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return outcomeRetry // the run's own timeout
	}
	// The SDK's retryer already retried these; what is left after its
	// attempts (throttling, 5xx, connection errors) may pass later.
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return outcomeRetry
	}
	if (retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}).IsErrorThrottle(err) == aws.TrueTernary {
		return outcomeRetry
	}
	return outcomeFailed
}
