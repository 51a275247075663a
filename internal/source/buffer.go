package source

import (
	"bytes"
	"errors"
	"io"

	"github.com/wardenhq/warden/internal/jsonscan"
)

// recordLimit is MaxRecordSize; tests lower it.
var recordLimit = MaxRecordSize

var errTooLarge = errors.New("record is too large; skipped")

const (
	minRead    = 4 << 10  // grow or compact when less room than this is left
	initialBuf = 64 << 10 // first buffer size
	smallValue = 64 << 10 // a value this small is re-scanned whenever a line ends
)

// stream is a sliding buffer over one input: buf[start:end] is read but
// not yet consumed. It tracks the line number of buf[start] and whether
// buf[start] is at the start of a line.
type stream struct {
	src        string
	r          io.Reader
	buf        []byte
	start, end int
	eof        bool
	rerr       error // a read error other than io.EOF
	line       int
	col0       bool
}

// read reads once into the free space, compacting or growing the buffer
// first when little room is left, and returns the bytes read.
func (s *stream) read() int {
	if s.eof || s.rerr != nil {
		return 0
	}
	if len(s.buf)-s.end < minRead {
		pending := s.end - s.start
		if s.start > 0 && len(s.buf)-pending >= minRead && pending < len(s.buf)/2 {
			copy(s.buf, s.buf[s.start:s.end])
		} else {
			size := max(2*len(s.buf), initialBuf)
			nb := make([]byte, size)
			copy(nb, s.buf[s.start:s.end])
			s.buf = nb
		}
		s.start, s.end = 0, pending
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if errors.Is(err, io.EOF) {
			s.eof = true
		} else if err != nil {
			s.rerr = err
		}
		if n > 0 || err != nil {
			return n
		}
	}
	s.rerr = io.ErrNoProgress
	return 0
}

func (s *stream) peek() byte { return s.buf[s.start] }

// consume advances past n pending bytes, counting lines.
func (s *stream) consume(n int) {
	if n == 0 {
		return
	}
	seg := s.buf[s.start : s.start+n]
	s.line += bytes.Count(seg, []byte{'\n'})
	s.col0 = seg[n-1] == '\n'
	s.start += n
}

func (s *stream) skipBOM() {
	for s.end-s.start < 3 && !s.eof && s.rerr == nil {
		s.read()
	}
	if bytes.HasPrefix(s.buf[s.start:s.end], []byte("\xef\xbb\xbf")) {
		s.start += 3
	}
}

// skipSpace consumes whitespace and reports whether a non-space byte is
// pending (false at the end of input or after a read error).
func (s *stream) skipSpace() bool {
	for {
		i := jsonscan.SkipSpace(s.buf[:s.end], s.start)
		s.consume(i - s.start)
		if s.start < s.end {
			return true
		}
		if s.read() == 0 && (s.eof || s.rerr != nil) {
			return false
		}
	}
}

// value returns the pending JSON value (a slice of the buffer, valid until
// the next read), reading more input as it needs. It returns a
// *jsonscan.SyntaxError for malformed input, errTooLarge, or, with
// s.rerr set, the read error's consequence.
func (s *stream) value() ([]byte, error) {
	for {
		data := s.buf[s.start:s.end]
		end, err := jsonscan.Skip(data, 0)
		if err == nil {
			// A number at the very end may continue in the next read.
			if end > recordLimit {
				return nil, errTooLarge
			}
			if end < len(data) || s.eof || s.rerr != nil || data[0] == '{' || data[0] == '[' || data[0] == '"' {
				return data[:end], nil
			}
		} else if se := err.(*jsonscan.SyntaxError); !se.End || s.eof || s.rerr != nil {
			return nil, err
		}
		if len(data) > recordLimit {
			return nil, errTooLarge
		}
		s.readMore(len(data))
	}
}

// readMore reads until the pending data is worth scanning again: it has
// doubled (so re-scans cost O(n) in total), or a line ended and the value
// is still small (so a record typed into stdin is seen at once), or the
// read stopped at the end of a line, or the input ended.
func (s *stream) readMore(scanned int) {
	for {
		n := s.read()
		pending := s.end - s.start
		if s.eof || s.rerr != nil || pending >= 2*scanned || pending > recordLimit {
			return
		}
		chunk := s.buf[s.end-n : s.end]
		if n > 0 && (chunk[n-1] == '\n' || (pending < smallValue && bytes.IndexByte(chunk, '\n') >= 0)) {
			return
		}
	}
}

// resync skips a broken record: it discards the rest of the current line
// and then every line that does not start with '{', the way a JSON Lines
// record starts, so one bad line costs one error, not one per line.
func (s *stream) resync() {
	for {
		s.discardLine()
		if !s.skipToByte() {
			return
		}
		if s.col0 && s.peek() == '{' {
			return
		}
	}
}

// skipToByte makes at least one byte pending; false at the end of input.
func (s *stream) skipToByte() bool {
	for s.start == s.end {
		if s.read() == 0 && (s.eof || s.rerr != nil) {
			return false
		}
	}
	return true
}

// discardLine consumes through the next newline (or to the end of input)
// without keeping what it skips, so a huge bad line costs no memory.
func (s *stream) discardLine() {
	for {
		if i := bytes.IndexByte(s.buf[s.start:s.end], '\n'); i >= 0 {
			s.consume(i + 1)
			return
		}
		s.consume(s.end - s.start)
		if s.read() == 0 && (s.eof || s.rerr != nil) {
			return
		}
	}
}
