package sns

import (
	"errors"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wardenhq/warden/internal/notify"
)

// throttles are SNS's throttling codes: retried by the SDK first, then by
// the dispatcher.
var throttles = map[string]bool{
	"Throttled": true, "Throttling": true, "ThrottlingException": true, "KMSThrottling": true, "TooManyRequestsException": true,
}

// classify marks errors that retrying cannot fix as permanent: client
// faults such as NotFound (no such topic), AuthorizationError,
// InvalidParameter and the KMS key errors, and other 4xx answers.
// Throttling, server faults and network errors stay retryable.
func classify(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch {
		case throttles[ae.ErrorCode()]:
			return err
		case ae.ErrorFault() == smithy.FaultClient:
			return notify.Permanent(err)
		case ae.ErrorFault() == smithy.FaultServer:
			return err
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		if s := re.HTTPStatusCode(); s >= 400 && s < 500 && s != http.StatusTooManyRequests && s != http.StatusRequestTimeout {
			return notify.Permanent(err)
		}
	}
	var ip smithy.InvalidParamsError
	if errors.As(err, &ip) {
		return notify.Permanent(err)
	}
	return err
}
