package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden/internal/audit"
	"github.com/wardenhq/warden/internal/store"
)

func TestExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "warden.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	records := [][]byte{
		[]byte(`{"finding_id":"f-1","verdict":"notify","title":"<b>&amp; \u2028 ü"}`),
		[]byte("{\n  \"pretty\": true\n}"), // not single-line: base64
		[]byte{0xff, 0, '\n'},              // not JSON: base64
		[]byte(`null`),
		[]byte(`"just a string"`),
		[]byte(` {"padded":1}`), // insignificant space: base64 keeps the bytes
	}
	for i, r := range records {
		if err := st.Apply(ctx, []store.Entry{{State: store.State{ID: fmt.Sprint("f-", i)}, Record: r}}); err != nil {
			t.Fatal(err)
		}
	}

	var buf bytes.Buffer
	if err := audit.Export(ctx, st, &buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(records) {
		t.Fatalf("export has %d lines, want %d:\n%s", len(lines), len(records), buf.String())
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("line %d is not JSON: %s", i+1, l)
		}
	}
	first := audit.Link(audit.Genesis, records[0])
	want := fmt.Sprintf(`{"seq":1,"prev_hash":"%064x","hash":"%x","record":%s}`, audit.Genesis, first, records[0])
	if lines[0] != want {
		t.Errorf("line 1 =\n%s\nwant\n%s", lines[0], want)
	}

	var v audit.Verifier
	var got []audit.Record
	if err := audit.Decode(&buf, func(r audit.Record) error {
		got = append(got, r)
		v.Add(r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var stored []audit.Record
	if err := st.Audit(ctx, 0, func(r store.AuditRecord) error { stored = append(stored, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(stored) {
		t.Errorf("decoded export differs from the store:\n got %v\nwant %v", got, stored)
	}
	if rep := v.Report(); rep.Broken != nil || rep.Records != int64(len(records)) {
		t.Errorf("verifying the export: %+v", rep)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"NotJSON", "{\"seq\":1}\nnope\n", "audit export line 1: record: missing"},
		{"BadJSONLine2", `{"seq":1,"prev_hash":"00","hash":"00","record":{}}` + "\nnope\n", "audit export line 2: invalid character"},
		{"BadHex", `{"seq":1,"prev_hash":"zz","hash":"00","record":{}}`, "audit export line 1: prev_hash: encoding/hex"},
		{"Both", `{"seq":1,"prev_hash":"00","hash":"00","record":{},"record_base64":""}`, "audit export line 1: both record and record_base64 set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := audit.Decode(strings.NewReader(c.in), func(audit.Record) error { return nil })
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Decode = %v, want an error starting %q", err, c.want)
			}
		})
	}
	stop := errors.New("stop")
	in := `{"seq":1,"prev_hash":"00","hash":"00","record":{}}`
	if err := audit.Decode(strings.NewReader(in), func(audit.Record) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Decode = %v, want the callback's error", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"seq":1,"prev_hash":"00","hash":"00","record":{"a":1}}`)
	f.Add(`{"seq":2,"prev_hash":"","hash":"","record_base64":"AAE="}` + "\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		var v audit.Verifier
		_ = audit.Decode(strings.NewReader(in), func(r audit.Record) error {
			v.Add(r)
			return nil
		})
		_ = v.Report()
	})
}
