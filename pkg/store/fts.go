package store

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Full-text search, shared by the stores.
//
// Each store's index holds, per event, the distinct tokens of its
// description and of the values in its parameters, custom data and raw
// document, computed here in Go on the import's reader goroutine (SQLite:
// FTS5 with detail=none; PostgreSQL: a tsvector made of exactly these
// lexemes, under a GIN index). Neither index has positions, so a search
// term of several tokens ("alice@example.com", "break glass") is matched as
// all of its tokens through the index, then confirmed on the stored text
// (Confirm; PostgreSQL: PhraseText). A one-token term needs no
// confirmation: it matches whole tokens, as full-text search does.
//
// The tokenizer must not change without migrations that rebuild the
// indexes: deleting from SQLite's contentless index replays the same tokens.

// Tokenizer splits text into tokens: maximal runs of letters, digits and
// marks, lowercased. It keeps a set to drop repeated tokens.
type Tokenizer struct {
	seen map[string]struct{}
	buf  []byte
}

func NewTokenizer() *Tokenizer { return &Tokenizer{seen: make(map[string]struct{}, 256)} }

func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func (t *Tokenizer) Reset() {
	clear(t.seen)
	t.buf = t.buf[:0]
}

// Add appends the distinct tokens of s. In JSON text (isJSON), a backslash
// escape (\n, \", \u00e9…) separates tokens instead of joining its letter
// to the next word.
func (t *Tokenizer) Add(s string, isJSON bool) {
	for i := 0; ; {
		start, end, plain := NextToken(s, i, isJSON)
		if start == end {
			return
		}
		tok := s[start:end]
		if !plain {
			tok = LowerToken(tok)
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

// NextToken finds the first token of s at or after byte i: s[start:end],
// with start == end when there is none. plain says the token is lowercase
// ASCII already (else LowerToken gives its indexed form). This is the one
// definition of a token, for the index and for phrase confirmation alike.
func NextToken(s string, i int, isJSON bool) (start, end int, plain bool) {
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

// LowerToken lowercases a token and, for non-ASCII text, removes
// diacritics (é → e), so "cafe" finds "Café".
func LowerToken(s string) string {
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

// Text is the document's token list.
func (t *Tokenizer) Text() string { return string(t.buf) }

// AddJSON appends the distinct tokens of the values in a JSON document
// (see EachJSONText).
func (t *Tokenizer) AddJSON(b []byte) { EachJSONText(string(b), t.Add) }

// EachJSONText calls fn with each text of a JSON document that full-text
// search covers: the strings and numbers among its values, with isJSON
// set for strings (their escapes separate tokens). Object keys and the
// literals true, false and null are left out: people search for values,
// and keys repeat in every event of a source, costing index work for
// nothing. A string left unterminated runs to the end.
func EachJSONText(s string, fn func(text string, isJSON bool)) {
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

// Document is the full-text document of an event.
func (t *Tokenizer) Document(e *audit.Event) string {
	t.Reset()
	t.Add(e.Description, false)
	t.AddJSON(e.Params)
	t.AddJSON(e.Custom)
	t.AddJSON(e.Raw)
	return t.Text()
}

// Tokens returns the tokens of a search term, in order, repeats dropped:
// what the index must hold for the term to match.
func Tokens(term string) []string {
	t := NewTokenizer()
	t.Add(term, false)
	if len(t.buf) == 0 {
		return nil
	}
	return strings.Split(string(t.buf), " ")
}

// Phrase returns the tokens of a search term in order, repeats kept: the
// words a text must hold one after the other, whatever separates them.
func Phrase(term string) []string {
	var out []string
	for i := 0; ; {
		start, end, plain := NextToken(term, i, false)
		if start == end {
			return out
		}
		tok := term[start:end]
		if !plain {
			tok = LowerToken(tok)
		}
		out = append(out, tok)
		i = end
	}
}

// NeedsConfirm reports whether an index match of a term must be confirmed
// on the text: unless the term is one token, its tokens must also stand
// next to each other, in order.
func NeedsConfirm(term string) bool {
	return len(Phrase(term)) != 1
}

// Confirm is the SQL function fts_confirm of the SQLite store(term, description, params,
// custom, raw): whether the term occurs as a phrase in the description or
// in one value of the JSON documents. A phrase is the term's tokens, in
// order, with nothing but separators between them, so "break glass" finds
// "break-glass" and "Break Glass", and "alice@example.com" finds
// "alice@example.com" but not "alice example" followed by other words. A
// term without any token ("@@", ".") is searched as text, ignoring case,
// in the texts as stored.
func Confirm(term string, texts ...string) bool {
	words := Phrase(term)
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
		EachJSONText(s, func(text string, isJSON bool) {
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
		start, end, plain := NextToken(s, i, isJSON)
		if start == end {
			return false
		}
		tok := s[start:end]
		if !plain {
			tok = LowerToken(tok)
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
	if IsASCII(lowerNeedle) && IsASCII(s) {
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

// IsASCII says s holds only ASCII bytes.
func IsASCII(s string) bool {
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

// PhraseText is the text on which the PostgreSQL store confirms a phrase:
// for the description and for each value of the parameters, custom data and
// raw document that full-text search covers (EachJSONText), its tokens in
// order, repeats kept, each unit as " tok tok … " and the units separated by
// newlines. A phrase (Phrase) occurs in one unit exactly when
// " w1 w2 … " is a substring of it (PhraseNeedle): the same test as
// Confirm's, as a strpos the server runs.
func PhraseText(e *audit.Event) string {
	var b strings.Builder
	unit := func(s string, isJSON bool) {
		n := 0
		for i := 0; ; {
			start, end, plain := NextToken(s, i, isJSON)
			if start == end {
				break
			}
			if n == 0 {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteByte(' ')
			}
			tok := s[start:end]
			if !plain {
				tok = LowerToken(tok)
			}
			b.WriteString(tok)
			b.WriteByte(' ')
			n++
			i = end
		}
	}
	unit(e.Description, false)
	for _, d := range [][]byte{e.Params, e.Custom, e.Raw} {
		EachJSONText(string(d), unit)
	}
	return b.String()
}

// PhraseNeedle is what PhraseText holds where words stand in order in one
// unit.
func PhraseNeedle(words []string) string { return " " + strings.Join(words, " ") + " " }
