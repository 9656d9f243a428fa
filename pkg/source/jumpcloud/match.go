package jumpcloud

import (
	"bytes"
	"github.com/auditctl/auditctl/pkg/store"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// match reports whether e passes f, with the cache's semantics (package
// sqlite): values compare case-insensitively (ASCII, as SQLite's NOCASE),
// `*` is a wildcard, an ip value with a / is a CIDR range, a duration bound
// excludes events without a duration, and text terms must occur in the
// description, params, custom data or raw document (case-insensitively).
func match(f *audit.Filter, e *audit.Event) bool {
	if !f.Since.IsZero() && e.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !e.Time.Before(f.Until) {
		return false
	}
	for fld, vs := range f.Include {
		if len(vs) > 0 && !matchAny(fld, e.Value(string(fld)), vs) {
			return false
		}
	}
	for fld, vs := range f.Exclude {
		if len(vs) > 0 && matchAny(fld, e.Value(string(fld)), vs) {
			return false
		}
	}
	if f.MinDuration != nil || f.MaxDuration != nil {
		d, ok := e.Duration()
		if !ok || (f.MinDuration != nil && d < *f.MinDuration) || (f.MaxDuration != nil && d > *f.MaxDuration) {
			return false
		}
	}
	for _, t := range f.Text {
		if !hasText(e, t) {
			return false
		}
	}
	for _, t := range f.NotText {
		if hasText(e, t) {
			return false
		}
	}
	return true
}

func matchAny(fld audit.Field, v string, values []string) bool {
	for _, want := range values {
		switch {
		case fld == audit.FieldIP && strings.Contains(want, "/"):
			if _, p, err := audit.ParseIPMatch(want); err == nil && audit.IPInPrefix(v, p) {
				return true
			}
		case strings.Contains(want, "*"):
			if like(asciiLower(v), asciiLower(want)) {
				return true
			}
		default:
			if asciiEqualFold(v, want) {
				return true
			}
		}
	}
	return false
}

// asciiLower lowercases ASCII letters only, as SQLite's NOCASE and LIKE do.
func asciiLower(s string) string { return store.LowerASCII(s) }

func asciiEqualFold(a, b string) bool {
	return len(a) == len(b) && asciiLower(a) == asciiLower(b)
}

// like matches s against a pattern where * is any run of characters
// (both already lowercased).
func like(s, pattern string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	if len(parts) == 1 {
		return s == ""
	}
	return strings.HasSuffix(s, last) && len(s) >= len(last)
}

func hasText(e *audit.Event, term string) bool {
	t := []byte(strings.ToLower(term))
	if bytes.Contains([]byte(strings.ToLower(e.Description)), t) {
		return true
	}
	for _, d := range [][]byte{e.Params, e.Custom, e.Raw} {
		if bytes.Contains(bytes.ToLower(d), t) {
			return true
		}
	}
	return false
}
