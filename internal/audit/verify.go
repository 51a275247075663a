package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
)

// Report is the outcome of verifying a chain.
type Report struct {
	// Records is the number of records found intact, from Seq 1 on.
	Records int64
	// LastHash is the hex hash of the last intact record ("" when none).
	// Kept outside the store (a ticket, an S3 object with Object Lock), it
	// also detects a rewritten or truncated tail, which the chain alone
	// cannot.
	LastHash string
	// Broken names the first broken record; nil when the chain is intact.
	Broken *Break
}

// Break names the first record at which the chain does not hold.
type Break struct {
	Seq    int64
	Reason string // e.g. "record 17: hash mismatch (record content altered)"
}

func (b *Break) String() string { return b.Reason }

// Verifier checks records one by one, in Seq order. Verify drives it from
// a Log; `warden audit verify --file` drives it from Decode. The zero value
// is ready; a Verifier is not safe for concurrent use.
type Verifier struct {
	n      int64
	last   []byte
	broken *Break
}

// Add checks the next record and reports whether the chain still holds.
// After the first break it ignores further records and returns false.
func (v *Verifier) Add(r Record) bool {
	if v.broken != nil {
		return false
	}
	want := v.n + 1
	switch {
	case r.Seq != want && v.n == 0:
		v.fail(want, fmt.Sprintf("record %d missing (sequence starts at %d)", want, r.Seq))
	case r.Seq != want:
		v.fail(want, fmt.Sprintf("record %d missing (sequence jumps from %d to %d)", want, v.n, r.Seq))
	case v.n == 0 && !bytes.Equal(r.PrevHash, Genesis):
		v.fail(r.Seq, "record 1: prev_hash is not genesis")
	case v.n > 0 && !bytes.Equal(r.PrevHash, v.last):
		v.fail(r.Seq, fmt.Sprintf("record %d: prev_hash does not match hash of record %d", r.Seq, v.n))
	case !bytes.Equal(r.Hash, Link(r.PrevHash, r.Record)):
		v.fail(r.Seq, fmt.Sprintf("record %d: hash mismatch (record content altered)", r.Seq))
	default:
		v.n = r.Seq
		v.last = append(v.last[:0], r.Hash...)
		return true
	}
	return false
}

func (v *Verifier) fail(seq int64, reason string) { v.broken = &Break{Seq: seq, Reason: reason} }

// Report returns what has been verified so far.
func (v *Verifier) Report() Report {
	r := Report{Records: v.n, Broken: v.broken}
	if v.n > 0 {
		r.LastHash = hex.EncodeToString(v.last)
	}
	return r
}

var errStop = errors.New("stop")

// Verify walks log from Seq 1, recomputes every hash and reports the first
// broken record. A broken chain is a Report with Broken set, not an error;
// the error is for failing to read the log.
func Verify(ctx context.Context, log Log) (Report, error) {
	var v Verifier
	err := log.Audit(ctx, 0, func(r Record) error {
		if !v.Add(r) {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return v.Report(), fmt.Errorf("reading audit log after record %d: %w", v.n, err)
	}
	return v.Report(), nil
}
