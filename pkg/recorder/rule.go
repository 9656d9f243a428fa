package recorder

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

// Rule is a deny rule of a database session: a statement it matches is
// refused before it reaches the client.
//
// A rule matches the statement's normal form (sqllex.Unit.Normal: comments
// removed, runs of white space collapsed to one space, case folded, outside
// string literals). A rule written "/EXPR/" is a regular expression (Go
// syntax, matched case-insensitively anywhere in the normal form); any
// other rule is a case-insensitive substring of it, itself normalized
// ("drop  table" matches "DROP/**/TABLE" and "DrOp\n\tTaBlE").
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
	sub := strings.ToLower(sqllex.Normalize(sqllex.Generic, s))
	if sub == "" {
		return Rule{}, fmt.Errorf("block rule %q: nothing but comments", s)
	}
	return Rule{Text: s, sub: sub}, nil
}

// Match reports whether the rule refuses a statement whose normal form is
// normal.
func (r Rule) Match(normal string) bool {
	if r.re != nil {
		return r.re.MatchString(normal)
	}
	return r.sub != "" && strings.Contains(strings.ToLower(normal), r.sub)
}

// MatchStatement reports whether the rule matches a statement as written
// (a "q" event's query): its normal form in dialect d, or its folded form,
// comments and all, as the recorder decides on a statement.
func (r Rule) MatchStatement(d sqllex.Dialect, stmt string) bool {
	return r.Match(sqllex.Normalize(d, stmt)) || r.Match(sqllex.Folded(stmt))
}

// matchRules returns the first rule that refuses the statement whose
// normal form is normal.
func matchRules(rules []Rule, normal string) (Rule, bool) {
	for _, r := range rules {
		if r.Match(normal) {
			return r, true
		}
	}
	return Rule{}, false
}

// isBlocked reports whether a "q" event's message says the statement was
// not sent.
func isBlocked(message string) bool { return recording.QueryStatus(message) == "blocked" }
