// Package audit holds the tamper-evident decision log: every decision
// record is a link in a SHA-256 hash chain (hash = SHA-256(prev_hash ||
// record)), so altering, removing or reordering any stored record breaks
// every link after it and Verify names the first broken one.
package audit

import (
	"crypto/sha256"
)

// Genesis is the PrevHash of the first record.
var Genesis = make([]byte, sha256.Size)

// Link returns the hash of a record given the previous record's hash.
func Link(prev, record []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(record)
	return h.Sum(nil)
}
