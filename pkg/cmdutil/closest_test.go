package cmdutil

import (
	"reflect"
	"testing"
)

func TestClosest(t *testing.T) {
	stored := []string{"alice@example.com", "nina.kowalski@example.com", "Nina.Moreau@example.com", "bob@example.com", "USER_LOGIN", "UpdateUser"}
	for _, tc := range []struct {
		typed string
		want  []string
		kind  int
	}{
		{"nina", []string{"nina.kowalski@example.com", "Nina.Moreau@example.com"}, MatchPrefix},
		{"NINA.K", []string{"nina.kowalski@example.com"}, MatchPrefix},
		{"kowalski", []string{"nina.kowalski@example.com"}, MatchSubstring},
		{"alise@example.com", []string{"alice@example.com"}, MatchSpelling},
		{"nina.kowalsky", []string{"nina.kowalski@example.com"}, MatchSpelling}, // the part before @
		{"user_logn", []string{"USER_LOGIN"}, MatchSpelling},
		{"example", []string{"alice@example.com", "nina.kowalski@example.com", "Nina.Moreau@example.com"}, MatchSubstring},
		{"zzzz", nil, 0},
		{"bob@example.com", nil, 0}, // equal is not a suggestion
		{"", nil, 0},
	} {
		got := Closest(tc.typed, stored, 3)
		var vals []string
		for _, s := range got {
			vals = append(vals, s.Value)
		}
		if !reflect.DeepEqual(vals, tc.want) || (len(got) > 0 && got[0].Kind != tc.kind) {
			t.Errorf("Closest(%q) = %+v, want %q (kind %d)", tc.typed, got, tc.want, tc.kind)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 2, 3}, // above the limit: limit+1
		{"", "abc", 5, 3},
		{"été", "ete", 5, 2},
		{"same", "same", 0, 0},
	} {
		if got := editDistance(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}
