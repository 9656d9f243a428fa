package audit

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseIPMatch reads an ip filter value: an address, or a CIDR prefix.
// Exactly one of addr and prefix is valid on success. The error says what
// is wrong and what a valid value looks like.
func ParseIPMatch(v string) (addr netip.Addr, prefix netip.Prefix, err error) {
	raw := v
	v = strings.TrimSpace(v)
	if strings.Contains(v, "/") {
		prefix, err = netip.ParsePrefix(v)
		if err == nil {
			prefix = prefix.Masked()
		}
	} else if strings.Contains(v, "*") {
		// wildcard patterns (10.0.*) are matched as text
		return
	} else {
		addr, err = netip.ParseAddr(v)
	}
	if err != nil {
		err = ipError(raw, err)
	}
	return
}

// ipError explains an invalid ip value: netip's reason without its
// ParseAddr("…") prefix, and examples of valid values.
func ipError(v string, err error) error {
	reason := err.Error()
	if i := strings.LastIndex(reason, "): "); i >= 0 {
		reason = reason[i+3:]
	}
	return fmt.Errorf("invalid ip %q (%s): want an IPv4 or IPv6 address or a CIDR prefix, e.g. 10.0.0.1, 2001:db8::1 or 185.220.101.0/24", v, reason)
}

// IPInPrefix reports whether the text ip lies in prefix. Unparseable
// addresses never match.
func IPInPrefix(ip string, prefix netip.Prefix) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	return prefix.Contains(a.Unmap())
}
