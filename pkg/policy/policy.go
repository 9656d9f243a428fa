// Package policy reads compliance policies (YAML files of rules for
// `auditctl check`) and evaluates them over an audit.EventService (the
// cache or a remote API) and a session.Store, into a report.Report.
//
// A policy file:
//
//	rules:
//	  - id: delete-user-outside-change-window
//	    title: DeleteUser outside the change window
//	    severity: high
//	    description: Users are deleted only in the Tuesday change window.
//	    events:
//	      query: 'action:DeleteUser status:success'
//	    condition: none
//	    schedule:
//	      - days: [tue]
//	        from: "18:00"
//	        to: "20:00"
//	        tz: UTC
//	    exceptions:
//	      - query: 'actor:svc-offboarding@example.com'
//	        until: 2027-01-01
//	        reason: automated offboarding (SEC-123)
//
// A rule looks at events (a -q query), sessions (the filters of `sessions
// list`) or queries: the database queries recorded in the sessions'
// recordings, by status (blocked, error, ok) and statement. See
// docs/compliance.md for every key.
package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/recorder"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

// Policy is the rules of one or more files, in order.
type Policy struct {
	Rules []*Rule
}

// Kind says what a condition checks.
type Kind string

// The conditions.
const (
	KindNone      Kind = "none"      // any match is a violation
	KindMax       Kind = "max"       // more than N matches in the window
	KindThreshold Kind = "threshold" // more than N per group within a sliding window
	KindRequire   Kind = "require"   // fewer than N matches (per period of `every`)
	KindSequence  Kind = "sequence"  // step 1 then step 2… for the same group within a window
)

// Rule is one rule of a policy.
type Rule struct {
	ID          string
	Title       string
	Severity    report.Severity
	Description string
	// File, Line and Column locate the rule (its "- id:" item).
	File         string
	Line, Column int

	// Exactly one of Query (events), Sessions and Queries is the rule's
	// subject. Query is the `-q` language; "" with Events set matches
	// every event.
	Events   bool
	Query    string
	Sessions *session.Filter
	Queries  *QueryFilter

	Condition  Condition
	Exceptions []Exception
	Schedule   []Window
}

// Condition is a rule's condition.
type Condition struct {
	Kind Kind
	// N: the most matches allowed (max), per group per window
	// (threshold), or the fewest required (require, default 1).
	N       int64
	GroupBy []audit.Field
	Window  time.Duration // threshold, sequence
	Every   time.Duration // require: per period; 0 = over the whole window
	Steps   []Step        // sequence
}

// Step is one step of a sequence: events matching Query (ANDed with the
// rule's query), at least Count of them (default 1) within the window.
type Step struct {
	Query string
	Count int
}

// Exception excuses the matches of Query (an events rule's) or Queries (a
// queries rule's) until Until (zero: no end), for Reason. An expired
// exception is ignored, and the report says so.
type Exception struct {
	Query   string
	Queries *QueryFilter
	Until   time.Time
	Reason  string
	Line    int
}

// QueryFilter selects database queries (the "q" events of recordings):
// the sessions by the filters of `sessions list`, their queries by status
// and statement.
type QueryFilter struct {
	Sessions session.Filter
	// Status: ok, error, blocked (recording.QueryStatus); any when empty.
	Status []string
	// Statement is a match as `sessions record --block` takes it: /EXPR/
	// a regular expression, else a substring, both case-insensitive and
	// matched against the statement's normal form (comments removed,
	// white space collapsed); "" matches every statement.
	Statement string
	statement *recorder.Rule
}

// Match reports whether query q, of a session whose client speaks
// dialect d, passes the status and statement filters (the session
// filters are the store's).
func (f *QueryFilter) Match(d sqllex.Dialect, q recording.QueryEvent) bool {
	if len(f.Status) > 0 && !slices.Contains(f.Status, q.Status) {
		return false
	}
	return f.statement == nil || f.statement.MatchStatement(d, q.Query.Query)
}

// Window is a time of the week when matches are allowed (a change
// window): on Days (all days when empty), from From to To (minutes after
// midnight; To <= From spans midnight) in Location.
type Window struct {
	Days     []time.Weekday
	From, To int
	Location *time.Location
}

// Contains reports whether t falls in the window.
func (w Window) Contains(t time.Time) bool {
	t = t.In(w.Location)
	m := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	if w.To <= w.From { // spans midnight: the part after midnight belongs to the day before
		if m < w.To {
			day = (day + 6) % 7
		} else if m < w.From {
			return false
		}
	} else if m < w.From || m >= w.To {
		return false
	}
	if len(w.Days) == 0 {
		return true
	}
	for _, d := range w.Days {
		if d == day {
			return true
		}
	}
	return false
}

func (w Window) String() string {
	days := "every day"
	if len(w.Days) > 0 {
		days = ""
		for i, d := range w.Days {
			if i > 0 {
				days += ","
			}
			days += d.String()[:3]
		}
	}
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d %s", days, w.From/60, w.From%60, w.To/60, w.To%60, w.Location)
}

// Error is a policy error at a place in a file: "policy.yaml:12:7:
// rules[2].condition: want one of none, max, threshold…". errors.As finds
// an *audit.Error with code EUSAGE in it (exit 2).
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
		if e.Column > 0 {
			s += fmt.Sprintf(":%d", e.Column)
		}
	}
	return s + ": " + e.Msg
}

// As lets errors.As find an *audit.Error (EUSAGE) in an *Error.
func (e *Error) As(target any) bool {
	if t, ok := target.(**audit.Error); ok {
		*t = &audit.Error{Code: audit.EUSAGE, Message: e.Error()}
		return true
	}
	return false
}
