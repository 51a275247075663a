package source

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wardenhq/warden/internal/finding"
)

// got is what one Read delivered: each record as "origin id", each error as
// its message.
type got struct {
	records []string
	errs    []string
}

func collect(t *testing.T, path string, stdin io.Reader) got {
	t.Helper()
	var g got
	err := Read(context.Background(), path, stdin, func(r Record) error {
		var v struct{ Id string }
		if err := json.Unmarshal(r.Data, &v); err != nil {
			t.Fatalf("record %s is not valid JSON: %v", Where(r.Origin), err)
		}
		g.records = append(g.records, Where(r.Origin)+" "+v.Id)
		return nil
	}, func(err error) {
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("onErr got %T, want *source.Error", err)
		}
		g.errs = append(g.errs, err.Error())
	})
	if err != nil {
		t.Fatalf("Read(%s) = %v", path, err)
	}
	return g
}

func TestReadForms(t *testing.T) {
	tests := []struct {
		file    string
		records []string
		errs    []string // substrings, in order
	}{
		{file: "object.json", records: []string{"object.json line 1 finding-1"}},
		{file: "array.json", records: []string{"array.json index 0 finding-1", "array.json index 1 finding-2", "array.json index 2 finding-3"}},
		{file: "lines.jsonl", records: []string{"lines.jsonl line 1 finding-1", "lines.jsonl line 2 finding-2", "lines.jsonl line 3 finding-3"}},
		{file: "lines-crlf.jsonl", records: []string{"lines-crlf.jsonl line 1 finding-1", "lines-crlf.jsonl line 2 finding-2"}},
		{file: "lines-bom.jsonl", records: []string{"lines-bom.jsonl line 1 finding-1"}},
		{file: "concatenated.json", records: []string{"concatenated.json line 1 finding-1", "concatenated.json line 4 finding-2"}},
		{file: "empty.json"},
		{
			file:    "lines-bad.jsonl",
			records: []string{"lines-bad.jsonl line 1 finding-1", "lines-bad.jsonl line 4 finding-3", "lines-bad.jsonl line 7 finding-4", "lines-bad.jsonl line 8 finding-5"},
			errs: []string{
				"lines-bad.jsonl line 2: malformed JSON: invalid character '{' after a value, want ',' or '}' at byte 43 of the record (lines 2 to 3 skipped)",
				"lines-bad.jsonl line 7: malformed JSON: invalid character 'a' in literal true at byte 2 of the record",
			},
		},
		{
			file:    "array-bad-element.json",
			records: []string{"array-bad-element.json index 0 finding-1", "array-bad-element.json index 2 finding-3"},
			errs:    []string{"array-bad-element.json index 1: array element is a JSON number, want an object"},
		},
		{
			file:    "array-truncated.json",
			records: []string{"array-truncated.json index 0 finding-1"},
			errs:    []string{"array-truncated.json index 1: malformed JSON: the input ends inside this record (37 bytes read); the rest of the file is skipped"},
		},
		{
			file:    "pretty-bad.json",
			records: []string{"pretty-bad.json line 10 finding-2"},
			errs:    []string{"pretty-bad.json line 1: malformed JSON: invalid character 'm' looking for the beginning of a value at byte 102 of the record (lines 1 to 9 skipped)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			want := func(g got, prefix string) {
				t.Helper()
				if strings.Join(g.records, "\n") != strings.Join(prefixed(tt.records, prefix), "\n") {
					t.Errorf("records:\n%s\nwant:\n%s", strings.Join(g.records, "\n"), strings.Join(prefixed(tt.records, prefix), "\n"))
				}
				if len(g.errs) != len(tt.errs) {
					t.Fatalf("errors:\n%s\nwant %d", strings.Join(g.errs, "\n"), len(tt.errs))
				}
				for i := range g.errs {
					if g.errs[i] != prefix+tt.errs[i] {
						t.Errorf("error %d:\n%s\nwant:\n%s", i, g.errs[i], prefix+tt.errs[i])
					}
				}
			}
			want(collect(t, path, nil), "testdata/")

			// The same bytes gzip-compressed, under a name that does not say so.
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			gz := filepath.Join(t.TempDir(), "testdata", tt.file)
			if err := os.MkdirAll(filepath.Dir(gz), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(gz, gzipped(t, raw), 0o644); err != nil {
				t.Fatal(err)
			}
			want(collect(t, gz, nil), filepath.Dir(filepath.Dir(gz))+"/testdata/")

			// From stdin, one byte per read: records cut across reads.
			g := collect(t, Stdin, iotest.OneByteReader(bytes.NewReader(raw)))
			want(renamed(g, "-", "testdata/"+tt.file), "testdata/")
		})
	}
}

func prefixed(ss []string, p string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

func renamed(g got, from, to string) got {
	for i := range g.records {
		g.records[i] = to + strings.TrimPrefix(g.records[i], from)
	}
	for i := range g.errs {
		g.errs[i] = to + strings.TrimPrefix(g.errs[i], from)
	}
	return g
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadFolder(t *testing.T) {
	g := collect(t, "testdata/folder", nil)
	want := []string{
		"testdata/folder/a/b.json line 1 a-b",
		"testdata/folder/b/array.json index 0 b-1",
		"testdata/folder/b/array.json index 1 b-2",
		"testdata/folder/c.jsonl line 1 c",
	}
	if strings.Join(g.records, "\n") != strings.Join(want, "\n") || len(g.errs) != 0 {
		t.Fatalf("records:\n%s\nerrors: %v", strings.Join(g.records, "\n"), g.errs)
	}
}

func TestReadIOErrors(t *testing.T) {
	// A gzip stream cut short: the records before the cut, then one file error.
	z := gzipped(t, bytes.Repeat([]byte(`{"Id":"x"}`+"\n"), 5000))
	g := collect(t, Stdin, bytes.NewReader(z[:len(z)/2]))
	if len(g.records) == 0 || len(g.errs) != 1 || !strings.Contains(g.errs[0], "unexpected EOF") {
		t.Fatalf("truncated gzip: %d records, errors %v", len(g.records), g.errs)
	}
	// A read error mid-record.
	g = collect(t, Stdin, io.MultiReader(strings.NewReader(`{"Id":"a"}`+"\n"+`{"Id":`), iotest.ErrReader(errors.New("disk on fire"))))
	if len(g.records) != 1 || len(g.errs) != 1 || g.errs[0] != "-: reading at line 2, after 1 records: disk on fire" {
		t.Fatalf("read error: %v %v", g.records, g.errs)
	}
	// A file that cannot be opened in a folder is reported, the rest read.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"Id":"a"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "b.json"), []byte(`{"Id":"b"}`), 0o000)
	os.WriteFile(filepath.Join(dir, "c.json"), []byte(`{"Id":"c"}`), 0o644)
	g = collect(t, dir, nil)
	if os.Geteuid() != 0 && (len(g.records) != 2 || len(g.errs) != 1) {
		t.Fatalf("unreadable file: %v %v", g.records, g.errs)
	}
	// A missing path is Read's own error.
	if err := Read(context.Background(), filepath.Join(dir, "nope"), nil, func(Record) error { return nil }, nil); err == nil {
		t.Fatal("missing path: no error")
	}
}

func TestReadOversize(t *testing.T) {
	defer func(n int) { recordLimit = n }(recordLimit)
	recordLimit = 100
	in := `{"Id":"a"}` + "\n" + `{"Id":"` + strings.Repeat("x", 300) + `"}` + "\n" + `{"Id":"c"}` + "\n"
	g := collect(t, Stdin, iotest.HalfReader(strings.NewReader(in)))
	if strings.Join(g.records, ",") != "- line 1 a,- line 3 c" || len(g.errs) != 1 || g.errs[0] != "- line 2: record is larger than 100 bytes; skipped" {
		t.Fatalf("oversize: %v %v", g.records, g.errs)
	}
}

func TestReadStopsOnCallbackErrorAndContext(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := Read(context.Background(), "testdata/lines.jsonl", nil, func(Record) error { n++; return stop }, nil)
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("callback error: %v after %d records", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Read(ctx, "testdata/lines.jsonl", nil, func(Record) error { return nil }, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}
}

func TestRecordDataIsOwned(t *testing.T) {
	var recs []Record
	Read(context.Background(), Stdin, iotest.OneByteReader(strings.NewReader(`{"Id":"a"}{"Id":"b"}`)), func(r Record) error {
		recs = append(recs, r)
		return nil
	}, nil)
	if len(recs) != 2 || string(recs[0].Data) != `{"Id":"a"}` || string(recs[1].Data) != `{"Id":"b"}` {
		t.Fatalf("records: %+v", recs)
	}
	if recs[0].Origin != (finding.Origin{Source: "-", Line: 1, Index: 0}) {
		t.Fatalf("origin: %+v", recs[0].Origin)
	}
}
