package cmdutil

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Match kinds of Closest, best first.
const (
	MatchPrefix    = iota // the value starts with what was typed
	MatchSubstring        // the value contains it
	MatchSpelling         // the value (or its part before @) is a few edits away
)

// Suggestion is a stored value close to one that matched nothing.
type Suggestion struct {
	Value string
	Kind  int // MatchPrefix, MatchSubstring or MatchSpelling
	dist  int
	rank  int // position in the candidates (most frequent first)
}

// Closest returns up to n of candidates that are close to typed, ignoring
// case: those that start with it, then those that contain it, then those a
// few edits away (at most a quarter of its length, at least 1), in each
// group the candidates' order (most frequent first). A candidate equal to
// typed is not a suggestion.
func Closest(typed string, candidates []string, n int) []Suggestion {
	t := strings.ToLower(typed)
	if t == "" || n <= 0 {
		return nil
	}
	maxDist := max(1, utf8.RuneCountInString(t)/4)
	var out []Suggestion
	for i, c := range candidates {
		lc := strings.ToLower(c)
		switch {
		case lc == t:
			continue
		case strings.HasPrefix(lc, t):
			out = append(out, Suggestion{Value: c, Kind: MatchPrefix, rank: i})
		case strings.Contains(lc, t):
			out = append(out, Suggestion{Value: c, Kind: MatchSubstring, rank: i})
		default:
			d := editDistance(t, lc, maxDist)
			if local, _, ok := strings.Cut(lc, "@"); ok && !strings.Contains(t, "@") {
				d = min(d, editDistance(t, local, maxDist))
			}
			if d <= maxDist {
				out = append(out, Suggestion{Value: c, Kind: MatchSpelling, dist: d, rank: i})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.dist, b.dist), cmp.Compare(a.rank, b.rank))
	})
	return out[:min(n, len(out))]
}

// editDistance is the Levenshtein distance of a and b in runes, or limit+1
// when it is above limit (computed no further).
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			sub := prev[j-1]
			if ra[i-1] != rb[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
