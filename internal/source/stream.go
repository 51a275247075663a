package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/jsonscan"
)

// readStream cuts the records out of one input. It is the whole-file
// state machine: top-level values one after another (JSON Lines, one
// object, pretty-printed objects back to back) and arrays of objects,
// which may be mixed.
func readStream(ctx context.Context, src string, r io.Reader, fn func(Record) error, onErr func(error)) error {
	in, err := decompress(r)
	if err != nil {
		onErr(&Error{Origin: finding.Origin{Source: src}, File: true, Err: err})
		return nil
	}
	s := &stream{src: src, r: in, line: 1, col0: true}
	s.skipBOM()
	index := 0
records:
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !s.skipSpace() {
			break
		}
		if s.peek() == '[' {
			s.consume(1)
			n, stop, err := s.array(ctx, index, fn, onErr)
			index += n
			if err != nil {
				return err
			}
			if stop {
				break
			}
			continue
		}
		line := s.line
		v, err := s.value()
		switch {
		case err == nil:
			if v[0] != '{' {
				onErr(s.recordErr(line, index, fmt.Errorf("record is a JSON %s, want an object", jsonscan.Kind(v[0]))))
			} else if err := fn(Record{Data: bytes.Clone(v), Origin: finding.Origin{Source: src, Line: line, Index: index}}); err != nil {
				return err
			}
			s.consume(len(v))
		case s.rerr != nil:
			break records // the read failed inside this record: the file error says so
		default:
			from := s.line
			s.resync()
			onErr(s.recordErr(line, index, fmt.Errorf("%w%s", describeErr(err, s.eof), skipped(from, s.line))))
		}
		index++
	}
	if s.rerr != nil {
		onErr(&Error{Origin: finding.Origin{Source: src, Line: s.line, Index: index}, File: true,
			Err: fmt.Errorf("reading at line %d, after %d records: %w", s.line, index, s.rerr)})
	}
	return nil
}

// array reads the elements of an array whose '[' was consumed. index is
// the record index of its first element. stop is true when the array is
// broken: an array cannot be resynchronised, so the rest of the file is
// skipped (and said so).
func (s *stream) array(ctx context.Context, index int, fn func(Record) error, onErr func(error)) (n int, stop bool, err error) {
	if !s.skipSpace() {
		return 0, true, s.arrayEnd(index, onErr)
	}
	if s.peek() == ']' {
		s.consume(1)
		return 0, false, nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return n, true, err
		}
		at := index + n
		v, verr := s.value()
		switch {
		case verr == nil:
			if v[0] != '{' {
				onErr(s.recordErr(0, at, fmt.Errorf("array element is a JSON %s, want an object", jsonscan.Kind(v[0]))))
			} else if err := fn(Record{Data: bytes.Clone(v), Origin: finding.Origin{Source: s.src, Index: at}}); err != nil {
				return n + 1, true, err
			}
			s.consume(len(v))
		case s.rerr != nil:
			return n, true, nil
		default:
			onErr(s.recordErr(0, at, fmt.Errorf("%w; the rest of the file is skipped", describeErr(verr, s.eof))))
			return n + 1, true, nil
		}
		n++
		if !s.skipSpace() {
			return n, true, s.arrayEnd(index+n, onErr)
		}
		switch c := s.peek(); c {
		case ',':
			s.consume(1)
			if !s.skipSpace() {
				return n, true, s.arrayEnd(index+n, onErr)
			}
		case ']':
			s.consume(1)
			return n, false, nil
		default:
			onErr(s.recordErr(0, index+n, fmt.Errorf("malformed JSON: invalid character %q after array element %d, want ',' or ']'; the rest of the file is skipped", c, index+n-1)))
			return n, true, nil
		}
	}
}

// arrayEnd reports an input that ends inside an array (unless a read
// error, reported by the caller, is the reason).
func (s *stream) arrayEnd(index int, onErr func(error)) error {
	if s.rerr == nil {
		onErr(s.recordErr(0, index, errors.New("malformed JSON: the input ends inside the array (no closing ']')")))
	}
	return nil
}

func (s *stream) recordErr(line, index int, err error) *Error {
	return &Error{Origin: finding.Origin{Source: s.src, Line: line, Index: index}, Err: err}
}

// describeErr words a scan error for a record: where in the record, and
// whether the input simply ended.
func describeErr(err error, eof bool) error {
	if errors.Is(err, errTooLarge) {
		return fmt.Errorf("record is larger than %d bytes; skipped", recordLimit)
	}
	var se *jsonscan.SyntaxError
	if errors.As(err, &se) {
		if se.End && eof {
			return fmt.Errorf("malformed JSON: the input ends inside this record (%d bytes read)", se.Offset)
		}
		return fmt.Errorf("malformed JSON: %s at byte %d of the record", se.Msg, se.Offset)
	}
	return err
}

func skipped(from, to int) string {
	if to-from <= 1 {
		return ""
	}
	return fmt.Sprintf(" (lines %d to %d skipped)", from, to-1)
}

// decompress returns r, or a gzip reader over it if it starts with the
// gzip magic bytes. Concatenated gzip members are read as one stream.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("reading gzip header: %w", err)
		}
		return zr, nil
	}
	return br, nil
}
