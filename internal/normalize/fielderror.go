package normalize

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
	"github.com/wardenhq/warden/internal/jsonscan"
	"github.com/wardenhq/warden/internal/source"
)

// FieldError is a problem with one field of one record.
type FieldError struct {
	Origin finding.Origin
	Path   string // e.g. "detail.findings[2].Severity.Label"; "" for the whole record
	Msg    string
}

// Error reads like
// `file.json index 3: detail.findings[2].Severity.Label: unknown severity "SUPER"`.
func (e *FieldError) Error() string {
	if e.Path == "" {
		return source.Where(e.Origin) + ": " + e.Msg
	}
	return source.Where(e.Origin) + ": " + e.Path + ": " + e.Msg
}

func fieldErr(o finding.Origin, path, format string, args ...any) *FieldError {
	return &FieldError{Origin: o, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// join appends a field path to a prefix: join("detail.findings[2]", "Id").
func join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	}
	return prefix + "." + path
}

// describeSyntax words a scan error; base is the offset in the record of
// the bytes that were scanned, so that the byte offset is the record's.
func describeSyntax(err error, base int) string {
	var se *jsonscan.SyntaxError
	if errors.As(err, &se) {
		if se.End {
			return fmt.Sprintf("malformed JSON: the record ends at byte %d, inside this value (truncated?)", base+se.Offset)
		}
		return fmt.Sprintf("malformed JSON: %s at byte %d", se.Msg, base+se.Offset)
	}
	return "malformed JSON: " + err.Error()
}

// decodeErr turns an encoding/json error for the value at prefix into a
// FieldError with the full path: UnmarshalTypeError knows the field
// ("Severity.Label"), the prefix says where the value is in the record.
func decodeErr(o finding.Origin, prefix string, err error) *FieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fieldErr(o, join(prefix, te.Field), "got a JSON %s, want %s", strings.TrimSuffix(te.Value, " "), goKind(te.Type))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fieldErr(o, prefix, "malformed JSON: %s at byte %d of the value", se.Error(), se.Offset)
	}
	return fieldErr(o, prefix, "%s", err.Error())
}

// goKind names a Go type in JSON terms for messages.
func goKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}
