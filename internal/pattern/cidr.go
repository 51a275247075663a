package pattern

import (
	"errors"
	"net/netip"
	"strings"
	"unsafe"
)

// parseCIDR reads a {"cidr": "..."} operand: an IPv4 or IPv6 prefix in
// address/bits form. Host bits may be set; they are ignored. An
// IPv4-mapped IPv6 prefix (::ffff:10.0.0.0/104) is treated as the IPv4
// prefix it maps, because event addresses are compared unmapped.
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		// netip's message repeats the input; keep only the reason.
		msg := err.Error()
		if i := strings.LastIndex(msg, "): "); i >= 0 {
			msg = msg[i+3:]
		}
		return netip.Prefix{}, errors.New(msg)
	}
	a := p.Addr()
	if a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// parseAddr reads an event string as an IP address literal, unmapping
// IPv4-mapped IPv6 addresses. Strings that are not plain address literals
// (zoned ones included) are not addresses.
func parseAddr(s []byte) (netip.Addr, bool) {
	// netip allocates its error, so strings that cannot be addresses
	// (host names, "AWS Internal") are turned away first.
	if len(s) < 2 || len(s) > 45 {
		return netip.Addr{}, false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':') {
			return netip.Addr{}, false
		}
	}
	// The string does not outlive the call: ParseAddr keeps no reference
	// to its input when there is no zone, and "%" was excluded above.
	a, err := netip.ParseAddr(unsafe.String(&s[0], len(s)))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
