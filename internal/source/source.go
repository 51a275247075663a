// Package source reads input records — JSON objects, one per finding or
// event — from files, folders and standard input, for replay and backfill.
//
// A file may hold one JSON object, several objects one after another (JSON
// Lines, or pretty-printed objects back to back), or a JSON array of
// objects; any of these may be gzip-compressed, which is detected from the
// magic bytes, not the file name. Records are cut out of the stream without
// decoding them (see package jsonscan), so memory stays bounded by the
// largest record, not the file.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/wardenhq/warden/internal/finding"
)

// Record is one JSON value (an object) to decode, and where it was read.
// Data is owned by the record: later stages may keep it.
type Record struct {
	Data   []byte
	Origin finding.Origin
}

// MaxRecordSize bounds one record (one JSONL line, one array element, one
// object). It is large because a CloudTrail log file, {"Records":[...]},
// is a single record of up to tens of MiB.
const MaxRecordSize = 64 << 20

// Stdin is the path that names standard input.
const Stdin = "-"

// Read reads path — a file, a folder (recursively, files in lexical order,
// hidden files and folders skipped) or "-" for stdin — and calls fn for
// every record, in order.
//
// A malformed record (a line that is not JSON, an array element that is
// not an object, a record over MaxRecordSize) is reported to onErr as an
// *Error naming the file, line or index and what is wrong, and reading goes
// on with the next record. An I/O error on a file (it cannot be opened, a
// read fails, its gzip stream is corrupt) ends that file: it is reported to
// onErr and reading goes on with the next file. onErr may be nil.
//
// Read returns an error only if path itself cannot be read, ctx is done, or
// fn returns an error (returned as is).
func Read(ctx context.Context, path string, stdin io.Reader, fn func(Record) error, onErr func(error)) error {
	if fn == nil {
		return errors.New("source.Read: nil record callback")
	}
	if onErr == nil {
		onErr = func(error) {}
	}
	if path == Stdin {
		if stdin == nil {
			return errors.New("reading stdin: no standard input given")
		}
		return readStream(ctx, Stdin, stdin, fn, onErr)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if info.IsDir() {
		return readDir(ctx, path, fn, onErr)
	}
	return readFile(ctx, path, fn, onErr)
}

// readFile reads one file; failing to open it is reported, not returned,
// so that a folder replay goes on.
func readFile(ctx context.Context, path string, fn func(Record) error, onErr func(error)) error {
	f, err := os.Open(path)
	if err != nil {
		onErr(&Error{Origin: finding.Origin{Source: path}, File: true, Err: fmt.Errorf("opening file: %w", err)})
		return nil
	}
	defer f.Close()
	return readStream(ctx, path, f, fn, onErr)
}
