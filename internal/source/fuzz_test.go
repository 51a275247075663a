package source

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/wardenhq/warden/internal/jsonscan"
)

// FuzzRead feeds arbitrary bytes to Read as stdin, whole and one byte per
// read: it must not panic, every record must be one complete JSON object,
// every problem an *Error, and how the input is cut into reads must not
// change the result.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := readAll(t, bytes.NewReader(data))
		bytewise := readAll(t, iotest.OneByteReader(bytes.NewReader(data)))
		if !slices.Equal(whole, bytewise) {
			t.Fatalf("result depends on read sizes:\nwhole:    %q\nbytewise: %q", whole, bytewise)
		}
	})
}

func readAll(t *testing.T, r interface{ Read([]byte) (int, error) }) []string {
	var out []string
	err := Read(context.Background(), Stdin, r, func(rec Record) error {
		end, err := jsonscan.Skip(rec.Data, 0)
		if err != nil || end != len(rec.Data) || rec.Data[0] != '{' {
			t.Fatalf("record %s is not one JSON object: %q (%v)", Where(rec.Origin), rec.Data, err)
		}
		out = append(out, Where(rec.Origin)+" "+string(rec.Data))
		return nil
	}, func(err error) {
		var se *Error
		if !errors.As(err, &se) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		out = append(out, "error: "+err.Error())
	})
	if err != nil {
		t.Fatalf("Read returned %v", err)
	}
	return out
}
