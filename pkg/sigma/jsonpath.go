package sigma

import (
	"encoding/json"
	"strings"
)

// Values of a field path inside a stored JSON document, read straight from
// its bytes: a Sigma rule reads two or three fields of a record of a
// kilobyte or more, and decoding the whole record for that costs ten times
// as much as finding the fields.
//
// A path is split on dots and walked member by member; an array on the way
// is walked into element by element (requestParameters.containerDefinitions
// .command looks into every container definition), and a key that itself
// holds dots ("a.b") is found too. At the end, a string gives its text, a
// number its literal, true and false their names, an object its JSON text,
// an array each of its elements; null and an absent member give nothing.

// lookupPath appends to out the values at path (already split) inside the
// JSON value doc. A doc that is not valid JSON gives whatever can be read
// before the damage, never a panic.
func lookupPath(doc []byte, path []string, out []any) []any {
	i := skipWS(doc, 0)
	if i >= len(doc) {
		return out
	}
	return lookupAt(doc, i, path, out, 0)
}

const maxDepth = 64

func lookupAt(doc []byte, i int, path []string, out []any, depth int) []any {
	if depth > maxDepth || i >= len(doc) {
		return out
	}
	if len(path) == 0 {
		return appendLeaf(doc, i, out, true)
	}
	switch doc[i] {
	case '{':
		// A key given twice (in any case) keeps its last value, as the
		// importer keeps it for the columns.
		bestJ, bestN := -1, 0
		i = skipWS(doc, i+1)
		for i < len(doc) && doc[i] == '"' {
			kEnd := skipString(doc, i)
			if kEnd < 0 {
				return out
			}
			key := doc[i:kEnd]
			j := skipWS(doc, kEnd)
			if j >= len(doc) || doc[j] != ':' {
				return out
			}
			j = skipWS(doc, j+1)
			vEnd := skipValue(doc, j, depth)
			if vEnd < 0 {
				return out
			}
			if n := keyMatches(key, path); n > 0 {
				bestJ, bestN = j, n
			}
			i = skipWS(doc, vEnd)
			if i < len(doc) && doc[i] == ',' {
				i = skipWS(doc, i+1)
			}
		}
		if bestN > 0 {
			out = lookupAt(doc, bestJ, path[bestN:], out, depth+1)
		}
	case '[':
		i = skipWS(doc, i+1)
		for i < len(doc) && doc[i] != ']' {
			vEnd := skipValue(doc, i, depth)
			if vEnd < 0 {
				return out
			}
			out = lookupAt(doc, i, path, out, depth+1)
			i = skipWS(doc, vEnd)
			if i < len(doc) && doc[i] == ',' {
				i = skipWS(doc, i+1)
			}
		}
	}
	return out
}

// keyMatches returns how many elements of path the quoted key stands for
// (1 for "a", 2 for "a.b" against a.b.c), 0 when none.
func keyMatches(quoted []byte, path []string) int {
	key := unquoteKey(quoted)
	if strings.EqualFold(key, path[0]) {
		return 1
	}
	rest := key
	for n := 0; n < len(path); n++ {
		if len(rest) < len(path[n]) || !strings.EqualFold(rest[:len(path[n])], path[n]) {
			return 0
		}
		rest = rest[len(path[n]):]
		if rest == "" {
			return n + 1
		}
		if rest[0] != '.' {
			return 0
		}
		rest = rest[1:]
	}
	return 0
}

func unquoteKey(q []byte) string {
	if len(q) < 2 {
		return ""
	}
	for _, c := range q {
		if c == '\\' {
			var s string
			if json.Unmarshal(q, &s) != nil {
				return ""
			}
			return s
		}
	}
	return string(q[1 : len(q)-1])
}

// appendLeaf appends the value at doc[i:]; expand unpacks an array into its
// elements (one level).
func appendLeaf(doc []byte, i int, out []any, expand bool) []any {
	end := skipValue(doc, i, 0)
	if end < 0 {
		return out
	}
	v := doc[i:end]
	switch v[0] {
	case '"':
		return append(out, unquoteKey(v))
	case 'n':
		return out // null: no value
	case '{':
		return append(out, string(v))
	case '[':
		if !expand {
			return append(out, string(v))
		}
		j := skipWS(doc, i+1)
		for j < end && doc[j] != ']' {
			e := skipValue(doc, j, 0)
			if e < 0 {
				return out
			}
			out = appendLeaf(doc, j, out, false)
			j = skipWS(doc, e)
			if j < end && doc[j] == ',' {
				j = skipWS(doc, j+1)
			}
		}
		return out
	}
	return append(out, string(v)) // number, true, false
}

func skipWS(doc []byte, i int) int {
	for i < len(doc) {
		switch doc[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index after the string starting at doc[i] ('"'),
// or -1.
func skipString(doc []byte, i int) int {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at doc[i], or
// -1 when it is cut short or too deep.
func skipValue(doc []byte, i, depth int) int {
	if i >= len(doc) || depth > maxDepth {
		return -1
	}
	switch doc[i] {
	case '"':
		return skipString(doc, i)
	case '{', '[':
		// Count brackets outside strings.
		level := 0
		for j := i; j < len(doc); j++ {
			switch doc[j] {
			case '"':
				e := skipString(doc, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				level++
				if level > maxDepth*4 {
					return -1
				}
			case '}', ']':
				level--
				if level == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(doc) {
		switch doc[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if j == i {
				return -1
			}
			return j
		}
		j++
	}
	if j == i {
		return -1
	}
	return j
}
