package postgres

import (
	"net/netip"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

// dialect is PostgreSQL's side of the shared filter compilation
// (store.Compile). Case-insensitive fields compare lower(column) (an
// ASCII fold under COLLATE "C", as SQLite's NOCASE) with values folded in
// Go; a CIDR is matched on ipaddr, the address as Go parsed it at import
// (so exactly audit.IPInPrefix); full text is the tsvector under its GIN
// index, and a phrase is confirmed on event_docs.ptext.
type dialect struct{}

var _ store.Dialect = dialect{}

func (dialect) Eq(fld audit.Field, col string) string {
	if store.CaseInsensitive(fld) {
		return "lower(" + col + ")"
	}
	return col
}

func (dialect) EqArg(fld audit.Field, v string) any {
	if store.CaseInsensitive(fld) {
		return store.LowerASCII(v)
	}
	return v
}

func (d dialect) SortExpr(fld audit.Field, col string) string { return d.Eq(fld, col) }
func (dialect) NoLimit() string                               { return "" }

// Like: SQLite's LIKE ignores ASCII case in every column.
func (dialect) Like(col, pattern string) (string, any) {
	return "lower(" + col + `) LIKE ? ESCAPE '\'`, store.LowerASCII(pattern)
}

func (dialect) CIDR(_, prefix string) (string, any) {
	p, err := netip.ParsePrefix(strings.TrimSpace(prefix))
	if err != nil { // Validate refused it already
		return "false", nil
	}
	return "coalesce(e.ipaddr <<= ?::cidr, false)", p.Masked().String()
}

func (dialect) IDIn(n int) string { return "e.ext_id IN (" + store.Placeholders(n) + ")" }

// maxLexeme is the longest lexeme a tsvector holds (bytes).
const maxLexeme = 2046

// joinDocs joins event_docs to q's FROM (once; docsJoin).
func joinDocs(q *store.Query) {
	if !q.Docs {
		q.From += docsJoin(q)
		q.Docs = true
	}
}

// Text adds the full-text conditions: the tokens through the GIN index,
// then, for a term of several tokens (or one too long for a lexeme), its
// phrase on ptext; a term without tokens is a case-insensitive substring
// of the stored texts, as in the SQLite store.
func (dialect) Text(q *store.Query, terms, notTerms []string) {
	cond := func(term string) (string, []any) {
		toks := store.Tokens(term)
		var parts []string
		var args []any
		if tq := tsQuery(toks); tq != "" {
			parts, args = append(parts, "e.tsv @@ ?::tsquery"), append(args, tq)
		}
		if len(toks) == 0 {
			joinDocs(q)
			lt := store.LowerASCII(term)
			var ors []string
			for _, col := range []string{"e.description", "d.params::text", "d.custom::text", "d.raw::text"} {
				ors, args = append(ors, "strpos(lower(coalesce("+col+", '')), ?) > 0"), append(args, lt)
			}
			parts = append(parts, "("+strings.Join(ors, " OR ")+")")
		} else if store.NeedsConfirm(term) || tooLong(toks) {
			joinDocs(q)
			parts, args = append(parts, "strpos(d.ptext, ?) > 0"), append(args, store.PhraseNeedle(store.Phrase(term)))
		}
		return strings.Join(parts, " AND "), args
	}
	for _, term := range terms {
		c, args := cond(term)
		q.Where, q.Args = append(q.Where, c), append(q.Args, args...)
	}
	for _, term := range notTerms {
		c, args := cond(term)
		q.Where, q.Args = append(q.Where, "NOT ("+c+")"), append(q.Args, args...)
	}
}

func tooLong(toks []string) bool {
	for _, t := range toks {
		if len(t) > maxLexeme {
			return true
		}
	}
	return false
}

// tsQuery is a tsquery holding every token (those a lexeme can hold), each
// quoted: tokens hold only letters, digits and marks, so no tsquery
// syntax reaches the server from a search term; quotes and backslashes
// are escaped all the same.
func tsQuery(toks []string) string {
	var parts []string
	for _, t := range toks {
		if len(t) > maxLexeme {
			continue
		}
		parts = append(parts, "'"+strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(t)+"'")
	}
	return strings.Join(parts, " & ")
}

// lexemes are the tokens of a document that a tsvector can hold.
func lexemes(doc string) []string {
	if doc == "" {
		return []string{}
	}
	toks := strings.Split(doc, " ")
	out := toks[:0]
	for _, t := range toks {
		if len(t) <= maxLexeme && t != "" {
			out = append(out, t)
		}
	}
	return out
}

// rebind numbers the ? placeholders of q ($1, $2…), outside quoted
// literals (the compiled SQL binds every value: the only literals are
// fixed ones such as ESCAPE '\').
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
