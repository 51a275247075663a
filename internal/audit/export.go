package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// exported is one line of the JSONL export.
//
// The decision record is embedded as-is ("record") so the line reads as
// JSON and SHA-256(prev_hash || record bytes) can be recomputed from the
// file alone. A record that is not single-line JSON cannot be embedded
// byte for byte, so it goes out base64-encoded as "record_base64" instead
// (stores accept any bytes; Warden itself writes compact JSON).
type exported struct {
	Seq          int64           `json:"seq"`
	PrevHash     string          `json:"prev_hash"`
	Hash         string          `json:"hash"`
	Record       json.RawMessage `json:"record,omitempty"`
	RecordBase64 []byte          `json:"record_base64,omitempty"`
}

// Export writes every record of log to w as JSONL, one object per record:
// {"seq":N,"prev_hash":"hex","hash":"hex","record":{...}}.
func Export(ctx context.Context, log Log, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err := log.Audit(ctx, 0, func(r Record) error {
		line := exported{
			Seq:      r.Seq,
			PrevHash: hex.EncodeToString(r.PrevHash),
			Hash:     hex.EncodeToString(r.Hash),
		}
		if embeddable(r.Record) {
			line.Record = r.Record
		} else {
			line.RecordBase64 = r.Record
			if line.RecordBase64 == nil {
				line.RecordBase64 = []byte{}
			}
		}
		if err := enc.Encode(&line); err != nil {
			return fmt.Errorf("writing audit record %d: %w", r.Seq, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("exporting audit log: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("exporting audit log: %w", err)
	}
	return nil
}

// embeddable reports whether b survives json.Encoder byte for byte on one
// line: valid JSON without line breaks (the encoder compacts RawMessage,
// which is the identity on such input only if it has no insignificant
// whitespace at all).
func embeddable(b []byte) bool {
	if len(b) == 0 || !json.Valid(b) {
		return false
	}
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return false
	}
	return bytes.Equal(c.Bytes(), b)
}

// Decode reads a JSONL export and calls fn for each record in file order,
// stopping at and returning the first error fn returns. Errors name the
// line. Feed the records to a Verifier to verify an export offline.
func Decode(r io.Reader, fn func(Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var e exported
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("audit export line %d: %w", line, err)
		}
		rec, err := e.record()
		if err != nil {
			return fmt.Errorf("audit export line %d: %w", line, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading audit export: %w", err)
	}
	return nil
}

func (e *exported) record() (Record, error) {
	prev, err := hex.DecodeString(e.PrevHash)
	if err != nil {
		return Record{}, fmt.Errorf("prev_hash: %w", err)
	}
	hash, err := hex.DecodeString(e.Hash)
	if err != nil {
		return Record{}, fmt.Errorf("hash: %w", err)
	}
	r := Record{Seq: e.Seq, PrevHash: prev, Hash: hash}
	switch {
	case e.Record != nil && e.RecordBase64 != nil:
		return Record{}, errors.New("both record and record_base64 set")
	case e.Record != nil:
		r.Record = []byte(e.Record)
	case e.RecordBase64 != nil:
		r.Record = e.RecordBase64
	default:
		return Record{}, errors.New("record: missing")
	}
	return r, nil
}
