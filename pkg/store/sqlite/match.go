package sqlite

import (
	"database/sql/driver"
	"net/netip"
	"strings"
	"unsafe"

	"github.com/auditctl/auditctl/pkg/audit"

	sqlite3 "modernc.org/sqlite/lib"
)

// A matcher is a filter compiled to Go: the same rows as the WHERE clause
// of compile(f), decided on the values of a few columns of the events
// table, so that many filters can share one read of the rows (see
// onePass). Its semantics are the SQL's: equality under the column's
// collation (NOCASE, which folds ASCII letters only; ext_id and source
// compare bytes), LIKE (ASCII case folded; the only wildcard is *, as
// likePattern escapes % and _), cidr_match, duration_ms bounds (a NULL
// duration matches no bound) and the time bounds as key ranges (plus
// time_ns for a bound finer than a microsecond). Values of a storage
// class the schema does not give them (a REAL or TEXT duration, a BLOB
// actor: only written behind auditctl's back, which verify reports) may
// be judged otherwise than SQL would.
type matcher struct {
	lo, hi        int64 // key range [lo, hi); hasLo/hasHi say whether bounded
	hasLo, hasHi  bool
	nsLo, nsHi    *int64 // time_ns bounds when not microsecond-aligned
	minDur        *int64
	maxDur        *int64
	conds         []fieldCond
	nsPos, durPos int // positions of time_ns and duration_ms in the row (set by the pass)
}

// fieldCond is one field's include (or exclude: not) set.
type fieldCond struct {
	col    string // the SQL column (column[fld])
	pos    int    // its index in the pass's row (set by the pass)
	not    bool
	nocase bool
	exact  []string
	likes  [][]string // patterns split at *
	cidrs  []netip.Prefix
}

// goMatchable reports whether f can be compiled to a matcher: no
// full-text terms (they need the FTS index and the documents).
func goMatchable(f audit.Filter) bool {
	return len(f.Text) == 0 && len(f.NotText) == 0
}

// compileMatcher compiles f (goMatchable, validated) to a matcher.
func compileMatcher(f audit.Filter) *matcher {
	m := &matcher{minDur: f.MinDuration, maxDur: f.MaxDuration}
	if !f.Since.IsZero() {
		m.hasLo, m.lo = true, keyFloor(f.Since)
		if !microAligned(f.Since) {
			ns := unixNano(f.Since)
			m.nsLo = &ns
		}
	}
	if !f.Until.IsZero() {
		m.hasHi, m.hi = true, keyCeil(f.Until)
		if !microAligned(f.Until) {
			ns := unixNano(f.Until)
			m.nsHi = &ns
		}
	}
	for _, fld := range audit.MatchFields {
		if vs := f.Include[fld]; len(vs) > 0 {
			m.conds = append(m.conds, newFieldCond(fld, vs, false))
		}
		if vs := f.Exclude[fld]; len(vs) > 0 {
			m.conds = append(m.conds, newFieldCond(fld, vs, true))
		}
	}
	return m
}

func newFieldCond(fld audit.Field, vs []string, not bool) fieldCond {
	c := fieldCond{col: column[fld], not: not, nocase: fld != audit.FieldID && fld != audit.FieldSource}
	if fld == audit.FieldID {
		c.col = "e.ext_id"
	}
	for _, v := range vs {
		switch {
		case fld == audit.FieldIP && strings.Contains(v, "/"):
			p, err := netip.ParsePrefix(v) // as cidr_match parses it
			if err != nil {
				continue // cidr_match: 0
			}
			c.cidrs = append(c.cidrs, p.Masked())
		case strings.Contains(v, "*"):
			c.likes = append(c.likes, splitStar(v))
		default:
			c.exact = append(c.exact, v)
		}
	}
	return c
}

// columns are the columns m reads besides the key.
func (m *matcher) columns() []string {
	var cols []string
	if m.nsLo != nil || m.nsHi != nil {
		cols = append(cols, "e.time_ns")
	}
	if m.minDur != nil || m.maxDur != nil {
		cols = append(cols, "e.duration_ms")
	}
	for _, c := range m.conds {
		cols = append(cols, c.col)
	}
	return cols
}

// place sets the positions of m's columns in the pass's rows.
func (m *matcher) place(pos map[string]int) {
	m.nsPos, m.durPos = pos["e.time_ns"], pos["e.duration_ms"]
	for i := range m.conds {
		m.conds[i].pos = pos[m.conds[i].col]
	}
}

// match decides a row: its key, and its values at the positions place
// set.
func (m *matcher) match(key int64, row rowReader) bool {
	if m.hasLo && key < m.lo || m.hasHi && key >= m.hi {
		return false
	}
	if m.nsLo != nil || m.nsHi != nil {
		ns, _ := row.intAt(m.nsPos)
		if m.nsLo != nil && ns < *m.nsLo || m.nsHi != nil && ns >= *m.nsHi {
			return false
		}
	}
	if m.minDur != nil || m.maxDur != nil {
		d, ok := row.intAt(m.durPos)
		if !ok || m.minDur != nil && d < *m.minDur || m.maxDur != nil && d > *m.maxDur {
			return false
		}
	}
	for i := range m.conds {
		c := &m.conds[i]
		if c.matches(row.textAt(c.pos)) == c.not {
			return false
		}
	}
	return true
}

// rowReader is a row of a pass: a driver row, or the current row of a
// raw statement.
type rowReader interface {
	// intAt is the integer in column i (false when it is not one: NULL).
	intAt(i int) (int64, bool)
	// textAt is the text in column i ("" for NULL), valid until the
	// next row: to keep it, copy it (strings.Clone).
	textAt(i int) string
}

// driverRow is a row's values as the driver gives them.
type driverRow []driver.Value

func (r driverRow) intAt(i int) (int64, bool) { n, ok := r[i].(int64); return n, ok }
func (r driverRow) textAt(i int) string       { return driverString(r[i]) }

// rawRow is the current row of a raw statement (rawread.go): its text is
// read where SQLite holds it, not copied, and each column at most once a
// row (many filters look at the same columns).
type rawRow struct {
	st    *rawStmt
	row   uint32   // the current row's number (from 1)
	seen  []uint32 // the row whose text text[i] holds
	text  []string
	iseen []uint32 // the row whose value ints[i] (ok: iok[i]) holds
	ints  []int64
	iok   []bool
}

func newRawRow(st *rawStmt, cols int) *rawRow {
	return &rawRow{st: st, seen: make([]uint32, cols), text: make([]string, cols),
		iseen: make([]uint32, cols), ints: make([]int64, cols), iok: make([]bool, cols)}
}

// next moves to the statement's next row.
func (r *rawRow) next() { r.row++ }

func (r *rawRow) intAt(i int) (int64, bool) {
	if r.iseen[i] != r.row {
		r.iseen[i] = r.row
		r.iok[i] = r.st.typ(i) == sqlite3.SQLITE_INTEGER
		r.ints[i] = 0
		if r.iok[i] {
			r.ints[i] = r.st.int64(i)
		}
	}
	return r.ints[i], r.iok[i]
}

func (r *rawRow) textAt(i int) string {
	if r.seen[i] == r.row {
		return r.text[i]
	}
	b := r.st.bytes(i, true)
	s := ""
	if len(b) > 0 {
		s = unsafe.String(&b[0], len(b))
	}
	r.seen[i], r.text[i] = r.row, s
	return s
}

func driverString(v driver.Value) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return ""
}

func (c *fieldCond) matches(s string) bool {
	for _, v := range c.exact {
		if s == v || c.nocase && nocaseEqual(s, v) {
			return true
		}
	}
	for _, p := range c.likes {
		if likeMatch(s, p) {
			return true
		}
	}
	for _, p := range c.cidrs {
		if audit.IPInPrefix(s, p) {
			return true
		}
	}
	return false
}

// nocaseEqual is SQLite's NOCASE: ASCII letters folded, other bytes
// compared as they are.
func nocaseEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
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

// nocaseIndex is strings.Index under nocaseEqual.
func nocaseIndex(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if nocaseEqual(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// likeMatch is s LIKE the pattern whose literal parts are parts (split at
// *; % and _ are literal), ASCII case folded.
func likeMatch(s string, parts []string) bool {
	if len(parts) == 1 {
		return nocaseEqual(s, parts[0])
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first) || !nocaseEqual(s[:len(first)], first) {
		return false
	}
	s = s[len(first):]
	for _, p := range parts[1 : len(parts)-1] {
		i := nocaseIndex(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && nocaseEqual(s[len(s)-len(last):], last)
}

// splitStar splits a wildcard value at its stars.
func splitStar(v string) []string { return strings.Split(v, "*") }
