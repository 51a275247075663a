package pattern

import (
	"strconv"
	"unsafe"
)

// numericLimit is the magnitude EventBridge documents for numeric matching:
// values between -5.0e9 and +5.0e9 inclusive. Pattern operands outside it
// are rejected; event values are compared as float64 whatever their size.
const numericLimit = 5e9

// numRange is a compiled {"numeric": [...]} operand: one comparison, or a
// lower bound followed by an upper bound.
type numRange struct {
	lo, hi         float64
	hasLo, hasHi   bool
	loIncl, hiIncl bool
	// ops and lits keep the operand as written, for String and Explain.
	ops  []string
	lits []string
}

func (r *numRange) contains(f float64) bool {
	if r.hasLo && (f < r.lo || (f == r.lo && !r.loIncl)) {
		return false
	}
	if r.hasHi && (f > r.hi || (f == r.hi && !r.hiIncl)) {
		return false
	}
	return true
}

// set applies one comparison to the range.
func (r *numRange) set(op string, f float64) {
	switch op {
	case "=":
		r.lo, r.hi, r.hasLo, r.hasHi, r.loIncl, r.hiIncl = f, f, true, true, true, true
	case ">":
		r.lo, r.hasLo, r.loIncl = f, true, false
	case ">=":
		r.lo, r.hasLo, r.loIncl = f, true, true
	case "<":
		r.hi, r.hasHi, r.hiIncl = f, true, false
	case "<=":
		r.hi, r.hasHi, r.hiIncl = f, true, true
	}
}

// parseFloat reads a JSON number's text as float64; ok is false when it
// does not fit (e.g. 1e400).
func parseFloat(s []byte) (float64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	// The string is only read during the call.
	f, err := strconv.ParseFloat(unsafe.String(&s[0], len(s)), 64)
	return f, err == nil
}
