package audit

import (
	"net/netip"
	"strings"
)

// ParseIPMatch reads an ip filter value: an address, or a CIDR prefix.
// Exactly one of addr and prefix is valid on success.
func ParseIPMatch(v string) (addr netip.Addr, prefix netip.Prefix, err error) {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "/") {
		prefix, err = netip.ParsePrefix(v)
		if err == nil {
			prefix = prefix.Masked()
		}
		return
	}
	if strings.Contains(v, "*") {
		// wildcard patterns (10.0.*) are matched as text
		return
	}
	addr, err = netip.ParseAddr(v)
	return
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
