package jsonscan

// Members and Elements iterate over JSON that has already been checked
// (by Skip, Object or Array): they only find boundaries — strings by their
// closing quote, containers by bracket depth — which is several times
// faster than checking again. On input that was not checked they stay
// memory-safe and return an error when the structure breaks, but they may
// accept malformed values; whoever decodes a value checks it then.

// special marks the bytes skipTrusted must look at inside a container.
var special = func() (t [256]bool) {
	for _, c := range []byte(`"{}[]`) {
		t[c] = true
	}
	return t
}()

// skipTrusted returns the end of the checked value at data[i].
func skipTrusted(data []byte, i int) (int, error) {
	i = SkipSpace(data, i)
	if i >= len(data) {
		return i, errEnd(i)
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for {
			for i < len(data) && !special[data[i]] {
				i++
			}
			if i >= len(data) {
				return i, errEnd(i)
			}
			switch data[i] {
			case '"':
				end, err := stringEnd(data, i)
				if err != nil {
					return end, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			default: // '}', ']'
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
	}
	// A number or literal ends at a delimiter.
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, nil
		}
		i++
	}
	return i, nil
}

// stringEnd returns the offset past the closing quote of the string whose
// opening quote is at data[i].
func stringEnd(data []byte, i int) (int, error) {
	i++
	for i < len(data) {
		for i < len(data) && plain[data[i]] {
			i++
		}
		if i >= len(data) {
			break
		}
		switch data[i] {
		case '"':
			return i + 1, nil
		case '\\':
			i += 2
		default: // a control character: not checked input, but keep going
			i++
		}
	}
	return len(data), errEnd(len(data))
}

// Members is Object for checked input.
func Members(data []byte, fn func(key, value []byte) error) error {
	i := SkipSpace(data, 0)
	if i >= len(data) {
		return errEnd(i)
	}
	if data[i] != '{' {
		return errAt(i, "found a JSON %s, want an object", Kind(data[i]))
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for {
		if i >= len(data) {
			return errEnd(i)
		}
		if data[i] != '"' {
			return errAt(i, "invalid character %s looking for the beginning of an object key", describe(data[i]))
		}
		ke, err := stringEnd(data, i)
		if err != nil {
			return err
		}
		key := data[i+1 : ke-1]
		vs := SkipSpace(data, ke)
		if vs >= len(data) || data[vs] != ':' {
			if vs >= len(data) {
				return errEnd(vs)
			}
			return errAt(vs, "invalid character %s after an object key, want ':'", describe(data[vs]))
		}
		vs = SkipSpace(data, vs+1)
		end, err := skipTrusted(data, vs)
		if err != nil {
			return &MemberError{SyntaxError: err.(*SyntaxError), Key: key, Index: -1, ValueStart: vs}
		}
		if err := fn(key, data[vs:end]); err != nil {
			return err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return errEnd(i)
		}
		switch data[i] {
		case '}':
			return nil
		case ',':
			i = SkipSpace(data, i+1)
		default:
			return errAt(i, "invalid character %s after a value, want ',' or '}'", describe(data[i]))
		}
	}
}

// Elements is Array for checked input.
func Elements(data []byte, fn func(index int, value []byte) error) error {
	i := SkipSpace(data, 0)
	if i >= len(data) {
		return errEnd(i)
	}
	if data[i] != '[' {
		return errAt(i, "found a JSON %s, want an array", Kind(data[i]))
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return nil
	}
	for n := 0; ; n++ {
		end, err := skipTrusted(data, i)
		if err != nil {
			return &MemberError{SyntaxError: err.(*SyntaxError), Index: n, ValueStart: i}
		}
		if end == i {
			return errAt(i, "invalid character %s looking for the beginning of a value", describe(data[i]))
		}
		if err := fn(n, data[i:end]); err != nil {
			return err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return errEnd(i)
		}
		switch data[i] {
		case ']':
			return nil
		case ',':
			i = SkipSpace(data, i+1)
		default:
			return errAt(i, "invalid character %s after a value, want ',' or ']'", describe(data[i]))
		}
	}
}
