package audit

import "strings"

// Ambiguous is the usage error for an id prefix that n items' ids start
// with: "ambiguous: 312 events start with "6b", give more characters: 6b01…,
// 6b02…". some lists a few of those ids; what names the items (events,
// sessions).
func Ambiguous(n int, what, prefix string, some []string) *Error {
	const show = 5
	some = some[:min(len(some), show)]
	more := ""
	if n > show {
		more = ", …"
	}
	return Errorf(EUSAGE, "ambiguous: %d %s start with %q, give more characters: %s%s", n, what, prefix, strings.Join(some, ", "), more)
}

// Pages is the number of pages of limit items that total items fill: at
// least 1, as an empty result is one empty page.
func Pages(total, limit int) int {
	if limit < 1 || total <= limit {
		return 1
	}
	return (total + limit - 1) / limit
}

// CheckPage returns a usage error when page lies past the last page of
// total items (--page 999 of 30 pages).
func CheckPage(page, total, limit int) error {
	if last := Pages(total, limit); total >= 0 && page > last {
		return Errorf(EUSAGE, "page %d is past the last page (%d)", page, last)
	}
	return nil
}
