package store

import (
	"fmt"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Columns maps a field to its column in both stores' events table (alias
// e).
var Columns = map[audit.Field]string{
	audit.FieldID: "e.ext_id", audit.FieldSource: "e.source", audit.FieldService: "e.service",
	audit.FieldAction: "e.action", audit.FieldCategory: "e.category", audit.FieldWorkflow: "e.workflow_id",
	audit.FieldWorkflowType: "e.workflow_type", audit.FieldActor: "e.actor", audit.FieldActorID: "e.actor_id",
	audit.FieldActorType: "e.actor_type", audit.FieldTarget: "e.target", audit.FieldTargetID: "e.target_id",
	audit.FieldTargetType: "e.target_type", audit.FieldIP: "e.ip", audit.FieldClient: "e.client",
	audit.FieldBrowser: "e.user_agent", audit.FieldStatus: "e.status", audit.FieldError: "e.error",
	audit.FieldTenant: "e.tenant", audit.FieldDuration: "e.duration_ms", audit.FieldTime: "e.id",
}

// CaseInsensitive says whether values of the field match ignoring ASCII
// case (SQLite: the column is COLLATE NOCASE; PostgreSQL: lower() of a
// COLLATE "C" column). The id and source match exactly.
func CaseInsensitive(f audit.Field) bool {
	switch f {
	case audit.FieldID, audit.FieldSource, audit.FieldTime, audit.FieldDuration:
		return false
	}
	return true
}

// Query is a compiled filter: FROM clause, WHERE conditions and their
// bound arguments, with ? placeholders (the PostgreSQL store numbers them).
// Values are always bound, never spliced into the SQL.
type Query struct {
	From   string
	Where  []string
	Args   []any
	KeyCol string // the time-ordered key: e.id, or the index's rowid when it drives
	Docs   bool   // From joins event_docs as d
	// KeyMin and KeyMax are the key range the time bounds give (*KeyMin <=
	// key < *KeyMax; nil when unbounded), for a store that repeats it on
	// another table keyed alike.
	KeyMin, KeyMax *int64
}

// JoinDocs joins event_docs as d (once).
func (q *Query) JoinDocs() {
	if !q.Docs {
		q.From += " JOIN event_docs d ON d.id = e.id"
		q.Docs = true
	}
}

// Dialect is what the stores' SQL differs in, for filters.
type Dialect interface {
	// Eq is the expression compared with = and IN to values of fld
	// (EqArg gives each value as bound).
	Eq(fld audit.Field, col string) string
	EqArg(fld audit.Field, v string) any
	// Like is the condition that col matches a LIKE pattern (escape \),
	// case-insensitively for ASCII (SQLite's LIKE), with its argument.
	Like(col, pattern string) (string, any)
	// CIDR is the condition that the address in col lies in prefix (a
	// valid CIDR: Filter.Validate checked it), with its argument.
	CIDR(col, prefix string) (string, any)
	// IDIn is the condition that the event's id is one of n bound values.
	IDIn(n int) string
	// Text adds the full-text conditions: every term must match, no
	// notTerm may.
	Text(q *Query, terms, notTerms []string)
	// SortExpr is the expression that orders by fld.
	SortExpr(fld audit.Field, col string) string
	// NoLimit is the LIMIT clause that allows an OFFSET without a limit.
	NoLimit() string
}

// Compile compiles a filter for dialect d.
func Compile(f audit.Filter, d Dialect) (*Query, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q := &Query{From: "events e", KeyCol: "e.id"}
	// A time bound is a key range. Only a bound finer than a microsecond
	// also needs time_ns, which the indexes do not hold.
	if !f.Since.IsZero() {
		lo := KeyFloor(f.Since)
		q.KeyMin = &lo
		q.Where, q.Args = append(q.Where, "e.id >= ?"), append(q.Args, lo)
		if !MicroAligned(f.Since) {
			q.Where, q.Args = append(q.Where, "e.time_ns >= ?"), append(q.Args, UnixNano(f.Since))
		}
	}
	if !f.Until.IsZero() {
		hi := KeyCeil(f.Until)
		q.KeyMax = &hi
		q.Where, q.Args = append(q.Where, "e.id < ?"), append(q.Args, hi)
		if !MicroAligned(f.Until) {
			q.Where, q.Args = append(q.Where, "e.time_ns < ?"), append(q.Args, UnixNano(f.Until))
		}
	}
	for _, fld := range audit.MatchFields {
		if vs := f.Include[fld]; len(vs) > 0 {
			cond, args := matchAny(d, Columns[fld], fld, vs)
			q.Where, q.Args = append(q.Where, cond), append(q.Args, args...)
		}
		if vs := f.Exclude[fld]; len(vs) > 0 {
			cond, args := matchAny(d, Columns[fld], fld, vs)
			q.Where, q.Args = append(q.Where, "NOT "+cond), append(q.Args, args...)
		}
	}
	if f.MinDuration != nil {
		q.Where, q.Args = append(q.Where, "e.duration_ms >= ?"), append(q.Args, *f.MinDuration)
	}
	if f.MaxDuration != nil {
		q.Where, q.Args = append(q.Where, "e.duration_ms <= ?"), append(q.Args, *f.MaxDuration)
	}
	d.Text(q, f.Text, f.NotText)
	return q, nil
}

// matchAny builds "(col = … OR col LIKE … OR <in prefix>)".
func matchAny(d Dialect, col string, fld audit.Field, values []string) (string, []any) {
	var ors []string
	var args, exact []any
	for _, v := range values {
		switch {
		case fld == audit.FieldIP && strings.Contains(v, "/"):
			cond, arg := d.CIDR(col, v)
			ors, args = append(ors, cond), append(args, arg)
		case strings.Contains(v, "*"):
			cond, arg := d.Like(col, LikePattern(v))
			ors, args = append(ors, cond), append(args, arg)
		default:
			exact = append(exact, d.EqArg(fld, v))
		}
	}
	switch {
	case fld == audit.FieldID && len(exact) > 0:
		ors = append([]string{d.IDIn(len(exact))}, ors...)
		args = append(exact, args...)
	case len(exact) == 1:
		ors = append([]string{d.Eq(fld, col) + " = ?"}, ors...)
		args = append(exact, args...)
	case len(exact) > 1:
		ors = append([]string{d.Eq(fld, col) + " IN (" + Placeholders(len(exact)) + ")"}, ors...)
		args = append(exact, args...)
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// Placeholders is "?,?,…" (n of them).
func Placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// LikePattern turns a value with * wildcards into a LIKE pattern with
// escape character \.
func LikePattern(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `*`, `%`)
	return r.Replace(v)
}

// LowerASCII folds A-Z to a-z and nothing else: what SQLite's NOCASE and
// LIKE fold, and PostgreSQL's lower() under COLLATE "C".
func LowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// WhereSQL is " WHERE a AND b…", or "" without conditions.
func (q *Query) WhereSQL() string {
	if len(q.Where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.Where, " AND ")
}

// OrderSQL is the ORDER BY (and LIMIT/OFFSET) of page p over a query whose
// time-ordered key is keyCol: newest first unless p sorts otherwise, ties
// broken by the key, newest first; events without a duration go last when
// sorting by duration.
func OrderSQL(d Dialect, keyCol string, p audit.Page) (string, error) {
	sort := p.Sort
	if len(sort) == 0 {
		sort = []audit.SortKey{{Field: audit.FieldTime, Desc: true}}
	}
	var parts []string
	byKey := false
	for _, k := range sort {
		col, ok := Columns[k.Field]
		if !ok {
			return "", audit.Errorf(audit.EUSAGE, "cannot sort by %q", k.Field)
		}
		if k.Field == audit.FieldTime {
			col, byKey = keyCol, true
		} else {
			col = d.SortExpr(k.Field, col)
		}
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		if k.Field == audit.FieldDuration {
			// events without a duration go last either way
			parts = append(parts, col+" IS NULL")
		}
		parts = append(parts, col+dir)
	}
	if !byKey {
		parts = append(parts, keyCol+" DESC")
	}
	s := " ORDER BY " + strings.Join(parts, ", ")
	if p.Limit > 0 {
		s += fmt.Sprintf(" LIMIT %d", p.Limit)
		if p.Offset > 0 {
			s += fmt.Sprintf(" OFFSET %d", p.Offset)
		}
	} else if p.Offset > 0 {
		s += fmt.Sprintf("%s OFFSET %d", d.NoLimit(), p.Offset)
	}
	return s, nil
}
