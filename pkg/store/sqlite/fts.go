package sqlite

import (
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
)

// Full-text search: the tokens, phrases and their confirmation are shared
// with the PostgreSQL store (pkg/store/fts.go). Here the index is FTS5
// (events_fts, detail=none), whose rowids are event keys; a term of several
// tokens is confirmed by the SQL function fts_confirm (store.Confirm).

// tokenizer is store.Tokenizer under the names this package uses.
type tokenizer struct{ *store.Tokenizer }

func newTokenizer() *tokenizer { return &tokenizer{store.NewTokenizer()} }

func (t *tokenizer) reset()                         { t.Reset() }
func (t *tokenizer) add(s string, isJSON bool)      { t.Add(s, isJSON) }
func (t *tokenizer) addJSON(b []byte)               { t.AddJSON(b) }
func (t *tokenizer) text() string                   { return t.Text() }
func (t *tokenizer) document(e *audit.Event) string { return t.Document(e) }

func tokens(term string) []string               { return store.Tokens(term) }
func needsConfirm(term string) bool             { return store.NeedsConfirm(term) }
func confirm(term string, texts ...string) bool { return store.Confirm(term, texts...) }

// ftsQuery is an FTS5 query matching events that hold every token. Each
// token is quoted, so nothing in it is an operator; tokens hold only
// letters, digits and marks anyway, so no FTS5 syntax (quotes, NEAR, *, ^,
// column filters, parentheses) can reach the MATCH from a search term.
func ftsQuery(toks []string) string {
	parts := make([]string, len(toks))
	for i, tok := range toks {
		parts[i] = `"` + strings.ReplaceAll(tok, `"`, `""`) + `"`
	}
	return strings.Join(parts, " AND ")
}

func isASCII(s string) bool { return store.IsASCII(s) }

// IndexedText is the text the full-text index holds for e: its distinct
// tokens, space-separated, as an import computes them. bench/ingest.sh feeds
// the same text to the sqlite3 shell it compares the import with.
func IndexedText(e *audit.Event) string { return newTokenizer().document(e) }
