package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Signature headers.
const (
	HeaderTimestamp = "X-Warden-Timestamp"
	HeaderSignature = "X-Warden-Signature"
	HeaderDelivery  = "X-Warden-Delivery"
)

// DefaultTolerance is how far a timestamp may be from the receiver's
// clock when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns (wrapped).
var (
	ErrSignature = errors.New("webhook signature does not match")
	ErrTimestamp = errors.New("webhook timestamp outside the tolerance")
)

// Sign returns the X-Warden-Signature value for a body sent at timestamp
// (Unix seconds, as sent in X-Warden-Timestamp):
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery on the receiving side: timestamp and signature
// are the X-Warden-Timestamp and X-Warden-Signature headers, body the raw
// request body (before any JSON decoding), now the receiver's clock.
// Deliveries whose timestamp is more than tolerance (DefaultTolerance when
// zero or negative) before or after now are rejected, so a captured
// request cannot be replayed later. Comparison is constant-time.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrTimestamp, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s is %s from now (tolerance %s)", ErrTimestamp, HeaderTimestamp, d.Round(time.Second), tolerance)
	}
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if !ok {
		return fmt.Errorf("%w: %s does not start with sha256=", ErrSignature, HeaderSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %s is not hex", ErrSignature, HeaderSignature)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, timestamp, body), "sha256="))
	if !hmac.Equal(got, want) {
		return ErrSignature
	}
	return nil
}
