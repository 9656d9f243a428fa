package recorder

import (
	"fmt"
	"regexp"
	"strings"
)

// Rule is a deny rule of a database session: a statement it matches is
// refused before it reaches the client.
//
// A rule written "/EXPR/" is a regular expression (Go syntax, matched
// case-insensitively anywhere in the statement); any other rule is a
// case-insensitive substring, with runs of white space in both the rule and
// the statement counting as one space ("drop  table" matches "DROP\nTABLE").
type Rule struct {
	Text string // as given; the "q" event's message is "blocked by rule " + Text
	re   *regexp.Regexp
	sub  string // normalized substring (lower case, single spaces)
}

// ParseRule parses a --block rule.
func ParseRule(s string) (Rule, error) {
	if strings.TrimSpace(s) == "" {
		return Rule{}, fmt.Errorf("block rule: empty")
	}
	if len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/' {
		re, err := regexp.Compile("(?i)" + s[1:len(s)-1])
		if err != nil {
			return Rule{}, fmt.Errorf("block rule %q: %w", s, err)
		}
		return Rule{Text: s, re: re}, nil
	}
	return Rule{Text: s, sub: normalizeSQL(s)}, nil
}

// Match reports whether the rule refuses stmt.
func (r Rule) Match(stmt string) bool {
	if r.re != nil {
		return r.re.MatchString(stmt)
	}
	return r.sub != "" && strings.Contains(normalizeSQL(stmt), r.sub)
}

// normalizeSQL lowercases s and folds runs of white space into one space.
func normalizeSQL(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// matchRules returns the first rule that refuses stmt.
func matchRules(rules []Rule, stmt string) (Rule, bool) {
	for _, r := range rules {
		if r.Match(stmt) {
			return r, true
		}
	}
	return Rule{}, false
}
