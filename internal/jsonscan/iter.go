package jsonscan

// MemberError is returned by Object and Array when the grammar breaks
// inside a member's value or an element: the members before it were passed
// to the callback, and Key or Index says where the break is, so that a
// caller can still use what came before (a truncated detail.findings[]
// keeps the findings before the cut).
type MemberError struct {
	*SyntaxError
	Key        []byte // raw key of the object member whose value is broken, nil for arrays
	Index      int    // index of the broken array element, -1 for objects
	ValueStart int    // offset of the broken value's first byte
}

func (e *MemberError) Unwrap() error { return e.SyntaxError }

// Object calls fn for each member of the object that starts at data[i]
// (after optional whitespace): key is the raw key between the quotes
// (escapes not decoded), value the member's bytes. It returns the offset
// just past the object. It stops at fn's first error and returns it.
func Object(data []byte, i int, fn func(key, value []byte) error) (int, error) {
	i = SkipSpace(data, i)
	if i >= len(data) {
		return i, errEnd(i)
	}
	if data[i] != '{' {
		return i, errAt(i, "found a JSON %s, want an object", Kind(data[i]))
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(data) {
			return i, errEnd(i)
		}
		if data[i] != '"' {
			return i, errAt(i, "invalid character %s looking for the beginning of an object key", describe(data[i]))
		}
		ke, kerr := skipString(data, i)
		if kerr != nil {
			return ke, kerr
		}
		key := data[i+1 : ke-1]
		vs := SkipSpace(data, ke)
		if vs >= len(data) {
			return vs, errEnd(vs)
		}
		if data[vs] != ':' {
			return vs, errAt(vs, "invalid character %s after an object key, want ':'", describe(data[vs]))
		}
		vs = SkipSpace(data, vs+1)
		end, verr := Skip(data, vs)
		if verr != nil {
			return end, &MemberError{SyntaxError: verr.(*SyntaxError), Key: key, Index: -1, ValueStart: vs}
		}
		if err := fn(key, data[vs:end]); err != nil {
			return end, err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return i, errEnd(i)
		}
		switch data[i] {
		case '}':
			return i + 1, nil
		case ',':
			i = SkipSpace(data, i+1)
		default:
			return i, errAt(i, "invalid character %s after a value, want ',' or '}'", describe(data[i]))
		}
	}
}

// Array calls fn for each element of the array that starts at data[i]
// (after optional whitespace) and returns the offset just past the array.
// It stops at fn's first error and returns it.
func Array(data []byte, i int, fn func(index int, value []byte) error) (int, error) {
	i = SkipSpace(data, i)
	if i >= len(data) {
		return i, errEnd(i)
	}
	if data[i] != '[' {
		return i, errAt(i, "found a JSON %s, want an array", Kind(data[i]))
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, nil
	}
	for n := 0; ; n++ {
		end, err := Skip(data, i)
		if err != nil {
			return end, &MemberError{SyntaxError: err.(*SyntaxError), Index: n, ValueStart: i}
		}
		if err := fn(n, data[i:end]); err != nil {
			return end, err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return i, errEnd(i)
		}
		switch data[i] {
		case ']':
			return i + 1, nil
		case ',':
			i = SkipSpace(data, i+1)
		default:
			return i, errAt(i, "invalid character %s after a value, want ',' or ']'", describe(data[i]))
		}
	}
}
