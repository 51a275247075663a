package normalize

import (
	"errors"
	"strconv"

	"github.com/wardenhq/warden/internal/jsonscan"
)

// member is one object member as scanned: raw key, value bytes.
type member struct {
	key, val []byte
}

// members are the members of one object, looked up by key without
// decoding the object. Records have a few dozen top-level keys at most, so
// a slice beats a map.
type members struct {
	list []member
	// truncated is the syntax error that cut the object short, and
	// truncKey the member whose value it cut (nil if it fell between
	// members). The members before it are usable.
	truncated error
	truncKey  []byte
}

func (m *members) collect(k, v []byte) error {
	if m.list == nil {
		m.list = make([]member, 0, 24)
	}
	m.list = append(m.list, member{k, v})
	return nil
}

// salvage keeps what came before a syntax error: the complete members and,
// if the error is inside a member's value, that value cut short, so that
// the findings before the cut in a truncated findings array still decode.
// It reports whether anything was kept.
func (m *members) salvage(data []byte, err error) bool {
	m.truncated = err
	var me *jsonscan.MemberError
	if errors.As(err, &me) && me.Key != nil {
		m.truncKey = me.Key
		// Keep the value up to the error: the bytes before it were
		// checked, so what is cut out of them is well formed.
		end := max(me.Offset, me.ValueStart)
		m.list = append(m.list, member{me.Key, data[me.ValueStart:min(end, len(data))]})
	}
	return len(m.list) > 0
}

// truncatedPath names the member a syntax error cut, "" if none.
func (m *members) truncatedPath() string {
	if m.truncKey == nil {
		return ""
	}
	return jsonscan.Unquote(m.truncKey)
}

// cutIn reports whether the object was cut short inside member name.
func (m *members) cutIn(name string) bool {
	return m.truncKey != nil && jsonscan.KeyIs(m.truncKey, name)
}

func (m *members) get(name string) value {
	for _, e := range m.list {
		if jsonscan.KeyIs(e.key, name) {
			return value{e.val}
		}
	}
	return value{}
}

func (m *members) has(name string) bool { return m.get(name).data != nil }

// getFold looks a key up ignoring ASCII case, for CloudTrail records that
// some pipelines lower-case ("eventname"). An exact match wins.
func (m *members) getFold(name string) value {
	if v := m.get(name); v.data != nil {
		return v
	}
	for _, e := range m.list {
		if len(e.key) == len(name) && equalFold(e.key, name) {
			return value{e.val}
		}
	}
	return value{}
}

// equalFold compares a raw key with name ignoring ASCII case (a key with
// escapes never matches: CloudTrail writes none).
func equalFold(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// value is a member's bytes; nil data means the member is missing.
type value struct {
	data []byte
}

func (v value) isArray() bool  { return len(v.data) > 0 && v.data[0] == '[' }
func (v value) isObject() bool { return len(v.data) > 0 && v.data[0] == '{' }

func (v value) kind() string {
	if len(v.data) == 0 {
		return "nothing"
	}
	return jsonscan.Kind(v.data[0])
}

// str returns the value if it is a JSON string, else "".
func (v value) str() string {
	s, _ := jsonscan.String(v.data)
	return s
}

// object lists the members of the value, an object of the checked record.
func (v value) object() (m members, err error) {
	err = jsonscan.Members(v.data, m.collect)
	return m, err
}

func itoa(i int) string { return strconv.Itoa(i) }
