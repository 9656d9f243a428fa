package sqlite

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Full-text search.
//
// The index (events_fts) holds, per event, the distinct tokens of its
// description and of the values in its parameters, custom data and raw
// document, computed here in Go on the import's reader goroutine. FTS5 then indexes that short list with
// detail=none (no positions), which is a fraction of the work of indexing
// the documents themselves. Because the index has no positions, a search
// term of several tokens ("alice@example.com", "break glass") is matched as
// all of its tokens through the index, then confirmed by a case-insensitive
// substring test on the stored text (ftsConfirm). A one-token term needs no
// confirmation: it matches whole tokens, as full-text search does.
//
// The tokenizer must not change without a migration that rebuilds the
// index: deleting from a contentless index replays the same tokens.

// tokenizer splits text into tokens: maximal runs of letters, digits and
// marks, lowercased. It keeps a set to drop repeated tokens.
type tokenizer struct {
	seen map[string]struct{}
	buf  []byte
}

func newTokenizer() *tokenizer { return &tokenizer{seen: make(map[string]struct{}, 256)} }

func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func (t *tokenizer) reset() {
	clear(t.seen)
	t.buf = t.buf[:0]
}

// add appends the distinct tokens of s. In JSON text (isJSON), a backslash
// escape (\n, \", \u00e9…) separates tokens instead of joining its letter
// to the next word.
func (t *tokenizer) add(s string, isJSON bool) {
	for i := 0; ; {
		start, end, plain := nextToken(s, i, isJSON)
		if start == end {
			return
		}
		tok := s[start:end]
		if !plain {
			tok = lowerToken(tok)
		}
		if _, ok := t.seen[tok]; !ok {
			t.seen[tok] = struct{}{}
			if len(t.buf) > 0 {
				t.buf = append(t.buf, ' ')
			}
			t.buf = append(t.buf, tok...)
		}
		i = end
	}
}

// nextToken finds the first token of s at or after byte i: s[start:end],
// with start == end when there is none. plain says the token is lowercase
// ASCII already (else lowerToken gives its indexed form). This is the one
// definition of a token, for the index and for phrase confirmation alike.
func nextToken(s string, i int, isJSON bool) (start, end int, plain bool) {
	for i < len(s) {
		start = i
		ascii, lower := true, true
		for i < len(s) {
			c := s[i]
			if c < utf8.RuneSelf {
				if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
					i++
					continue
				}
				if c >= 'A' && c <= 'Z' {
					lower = false
					i++
					continue
				}
				break
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			if !isTokenRune(r) {
				break
			}
			ascii = false
			i += n
		}
		if i > start {
			return start, i, ascii && lower
		}
		// a separator
		c := s[i]
		switch {
		case isJSON && c == '\\' && i+1 < len(s) && s[i+1] == 'u':
			i += min(6, len(s)-i)
		case isJSON && c == '\\':
			i += min(2, len(s)-i)
		case c < utf8.RuneSelf:
			i++
		default:
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
	}
	return len(s), len(s), true
}

// lowerToken lowercases a token and, for non-ASCII text, removes
// diacritics (é → e), so "cafe" finds "Café".
func lowerToken(s string) string {
	b := make([]byte, 0, len(s))
	ascii := true
	for _, r := range s {
		if r >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFD.String(s)
	}
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return string(b)
}

// text is the document's token list.
func (t *tokenizer) text() string { return string(t.buf) }

// addJSON appends the distinct tokens of the values in a JSON document
// (see eachJSONText).
func (t *tokenizer) addJSON(b []byte) { eachJSONText(string(b), t.add) }

// eachJSONText calls fn with each text of a JSON document that full-text
// search covers: the strings and numbers among its values, with isJSON
// set for strings (their escapes separate tokens). Object keys and the
// literals true, false and null are left out: people search for values,
// and keys repeat in every event of a source, costing index work for
// nothing. A string left unterminated runs to the end.
func eachJSONText(s string, fn func(text string, isJSON bool)) {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			end := stringEnd(s, i+1)
			if end < 0 {
				fn(s[i:], true)
				return
			}
			j := end + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
				j++
			}
			if j >= len(s) || s[j] != ':' {
				fn(s[i+1:end], true)
			}
			i = end + 1
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-') {
				j++
			}
			fn(s[i:j], false)
			i = j
		default:
			i++
		}
	}
}

// stringEnd returns the index of the quote closing the JSON string whose
// content starts at i, or -1.
func stringEnd(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
		case '"':
			return i
		default:
			i++
		}
	}
	return -1
}

// document is the full-text document of an event.
func (t *tokenizer) document(e *audit.Event) string {
	t.reset()
	t.add(e.Description, false)
	t.addJSON(e.Params)
	t.addJSON(e.Custom)
	t.addJSON(e.Raw)
	return t.text()
}

// IndexedText is the text the full-text index holds for e: its distinct
// tokens, space-separated, as an import computes them. bench/ingest.sh feeds
// the same text to the sqlite3 shell it compares the import with.
func IndexedText(e *audit.Event) string { return newTokenizer().document(e) }

// tokens returns the tokens of a search term, in order, repeats dropped:
// what the index must hold for the term to match.
func tokens(term string) []string {
	t := newTokenizer()
	t.add(term, false)
	if len(t.buf) == 0 {
		return nil
	}
	return strings.Split(string(t.buf), " ")
}

// phrase returns the tokens of a search term in order, repeats kept: the
// words a text must hold one after the other, whatever separates them.
func phrase(term string) []string {
	var out []string
	for i := 0; ; {
		start, end, plain := nextToken(term, i, false)
		if start == end {
			return out
		}
		tok := term[start:end]
		if !plain {
			tok = lowerToken(tok)
		}
		out = append(out, tok)
		i = end
	}
}

// needsConfirm reports whether an index match of a term must be confirmed
// on the text: unless the term is one token, its tokens must also stand
// next to each other, in order.
func needsConfirm(term string) bool {
	return len(phrase(term)) != 1
}

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

// confirm is the SQL function fts_confirm(term, description, params,
// custom, raw): whether the term occurs as a phrase in the description or
// in one value of the JSON documents. A phrase is the term's tokens, in
// order, with nothing but separators between them, so "break glass" finds
// "break-glass" and "Break Glass", and "alice@example.com" finds
// "alice@example.com" but not "alice example" followed by other words. A
// term without any token ("@@", ".") is searched as text, ignoring case,
// in the texts as stored.
func confirm(term string, texts ...string) bool {
	words := phrase(term)
	if len(words) == 0 {
		lt := strings.ToLower(term)
		for _, s := range texts {
			if len(s) >= len(term) && containsFold(s, lt) {
				return true
			}
		}
		return false
	}
	for i, s := range texts {
		if i == 0 {
			if hasPhrase(s, false, words) {
				return true
			}
			continue
		}
		found := false
		eachJSONText(s, func(text string, isJSON bool) {
			if !found && hasPhrase(text, isJSON, words) {
				found = true
			}
		})
		if found {
			return true
		}
	}
	return false
}

// hasPhrase reports whether the tokens of s include words, consecutively.
func hasPhrase(s string, isJSON bool, words []string) bool {
	var window []string // the last len(words) tokens
	for i := 0; ; {
		start, end, plain := nextToken(s, i, isJSON)
		if start == end {
			return false
		}
		tok := s[start:end]
		if !plain {
			tok = lowerToken(tok)
		}
		if len(window) == len(words) {
			copy(window, window[1:])
			window = window[:len(window)-1]
		}
		window = append(window, tok)
		if len(window) == len(words) && slices.Equal(window, words) {
			return true
		}
		i = end
	}
}

func containsFold(s, lowerNeedle string) bool {
	if isASCII(lowerNeedle) && isASCII(s) {
		n := len(lowerNeedle)
		for i := 0; i+n <= len(s); i++ {
			if asciiEqualFold(s[i:i+n], lowerNeedle) {
				return true
			}
		}
		return false
	}
	return strings.Contains(strings.ToLower(s), lowerNeedle)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiEqualFold(a, lower string) bool {
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
