package sqlite

import (
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

// dialect is SQLite's side of the filter compilation shared with the
// PostgreSQL store (store.Compile): the columns are COLLATE NOCASE, so
// they compare as they are; LIKE ignores ASCII case by itself; ids are
// found with a seek per source; full text goes through FTS5.
type dialect struct{}

var _ store.Dialect = dialect{}

func (dialect) Eq(_ audit.Field, col string) string       { return col }
func (dialect) EqArg(_ audit.Field, v string) any         { return v }
func (dialect) SortExpr(_ audit.Field, col string) string { return col }
func (dialect) NoLimit() string                           { return " LIMIT -1" }

func (dialect) Like(col, pattern string) (string, any) {
	return col + ` LIKE ? ESCAPE '\'`, pattern
}

func (dialect) CIDR(col, prefix string) (string, any) {
	return "cidr_match(" + col + ", ?)", prefix
}

// IDIn: a seek per source on (source, ext_id), not a scan.
func (dialect) IDIn(n int) string {
	return "e.id IN (SELECT i.id FROM sources s CROSS JOIN events i ON i.source = s.name AND i.ext_id IN (" + store.Placeholders(n) + "))"
}

// Text adds the full-text conditions (see fts.go).
func (dialect) Text(q *store.Query, terms, notTerms []string) {
	var all, confirms []string
	for _, term := range terms {
		toks := tokens(term)
		all = append(all, toks...)
		if len(toks) == 0 || needsConfirm(term) {
			confirms = append(confirms, term)
		}
	}
	if len(all) > 0 {
		// Drive the query from the index: its rowids are event keys, so
		// "ORDER BY f.rowid DESC LIMIT n" reads only n matches.
		q.From = "events_fts f JOIN events e ON e.id = f.rowid"
		q.KeyCol = "f.rowid"
		q.Where = append([]string{"events_fts MATCH ?"}, q.Where...)
		q.Args = append([]any{ftsQuery(all)}, q.Args...)
		// The time bounds again on the index's rowids, which FTS5 takes
		// as a range of its posting lists: on e.id alone it reads every
		// match and drops those outside the window after the join (the
		// window notice's newest match before the window read the
		// word's whole posting list: 340 ms at 5M events).
		if q.KeyMin != nil {
			q.Where, q.Args = append(q.Where, "f.rowid >= ?"), append(q.Args, *q.KeyMin)
		}
		if q.KeyMax != nil {
			q.Where, q.Args = append(q.Where, "f.rowid < ?"), append(q.Args, *q.KeyMax)
		}
	}
	for _, term := range confirms {
		q.JoinDocs()
		q.Where = append(q.Where, confirmSQL)
		q.Args = append(q.Args, confirmArg(term))
	}
	for _, term := range notTerms {
		toks := tokens(term)
		var cond string
		var args []any
		if len(toks) > 0 {
			cond, args = "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)", []any{ftsQuery(toks)}
		}
		if len(toks) == 0 || needsConfirm(term) {
			q.JoinDocs()
			if cond != "" {
				cond += " AND "
			}
			cond += confirmSQL
			args = append(args, confirmArg(term))
		}
		q.Where = append(q.Where, "NOT ("+cond+")")
		q.Args = append(q.Args, args...)
	}
}

const confirmSQL = "fts_confirm(?, e.description, d.params, d.custom, d.raw)"

// confirmArg binds a term for fts_confirm as a BLOB: SQLite hands a TEXT
// argument to a function cut at its first NUL, a BLOB whole.
func confirmArg(term string) []byte { return []byte(term) }
