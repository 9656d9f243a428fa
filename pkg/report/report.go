// Package report holds the results of compliance and detection rules
// (`auditctl check`, `auditctl hunt`) and writes them: a table on a
// terminal, JSON, JUnit XML, SARIF 2.1.0 and GitHub Actions annotations. It
// also decides the exit status: 1 only when a rule at or above the
// severity threshold has violations.
package report

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
)

// Severity ranks a rule. The zero value is SeverityInfo.
type Severity int

// The severities, lowest first.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"info", "low", "medium", "high", "critical"}

// SeverityNames lists the severities, lowest first, for help and errors.
func SeverityNames() []string { return append([]string(nil), severityNames...) }

// ParseSeverity reads a severity name, case-insensitively ("informational"
// is info, as Sigma spells it).
func ParseSeverity(s string) (Severity, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "informational" {
		s = "info"
	}
	for i, n := range severityNames {
		if s == n {
			return Severity(i), nil
		}
	}
	return 0, audit.Errorf(audit.EUSAGE, "unknown severity %q (want %s)", s, strings.Join(severityNames, ", "))
}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Status is the outcome of one rule.
type Status string

// The statuses of a rule.
const (
	StatusPass  Status = "pass"  // evaluated, no violation
	StatusFail  Status = "fail"  // evaluated, violations at or above the threshold
	StatusWarn  Status = "warn"  // violations, but the rule is below the threshold
	StatusError Status = "error" // could not be evaluated (Result.Error says why)
	StatusSkip  Status = "skip"  // not evaluated on purpose (Result.Skipped says why)
)

// Result is what one rule found.
type Result struct {
	ID          string   `json:"id"`
	Title       string   `json:"title,omitempty"`
	Severity    Severity `json:"severity"`
	Description string   `json:"description,omitempty"`
	// File and Line locate the rule's definition (a policy or Sigma file):
	// SARIF results and annotations point there.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Status is set by Report.Finish.
	Status     Status      `json:"status"`
	Violations []Violation `json:"violations"`
	// Notes are remarks for the reader: an expired exception that was
	// ignored, a field a rule could not push down.
	Notes []string `json:"notes,omitempty"`
	// Error says why the rule could not be evaluated (then it has no
	// violations, and the run exits 3); Skipped why it was left out on
	// purpose (not an error).
	Error   string `json:"error,omitempty"`
	Skipped string `json:"skipped,omitempty"`
	// ErrorCode is the audit error code of Error: "" (audit.EINVALID, exit
	// 3), or audit.ELOCAL (exit 5) when the rule needs a local cache that
	// is not there (a sessions or queries rule of a --remote check).
	ErrorCode string `json:"-"`
}

// Violation is one breach of a rule: a match, a burst over a threshold, a
// sequence, a missing event.
type Violation struct {
	// Message says what happened, for a person.
	Message string `json:"message"`
	// Group names the group_by value(s) the violation is about ("actor=
	// alice@example.com"); "" when the rule has no groups.
	Group string `json:"group,omitempty"`
	// First and Last span the offending events (or the window in which an
	// expected event is missing).
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	// Count is how many events the violation is about; Events holds the
	// first of them (at most MaxEvents).
	Count  int64          `json:"count"`
	Events []*audit.Event `json:"events"`
	// Sessions are the offending sessions of a rule over sessions (the
	// first MaxEvents), instead of Events.
	Sessions []*session.Session `json:"sessions,omitempty"`
	// Queries are the offending database queries of a rule over query
	// history (the first MaxEvents), instead of Events.
	Queries []Query `json:"queries,omitempty"`
}

// Query is a database query of a session's recording (a "q" event) that a
// rule over query history found.
type Query struct {
	SessionID string `json:"session_id"`
	User      string `json:"user,omitempty"`
	Resource  string `json:"resource,omitempty"`
	// Time is when the statement was entered; Offset the same moment in
	// seconds from the start of the recording (`sessions play ID --at`).
	Time      time.Time `json:"time"`
	Offset    float64   `json:"offset"`
	Status    string    `json:"status"` // ok, error or blocked
	Statement string    `json:"statement"`
	Message   string    `json:"message"` // the reply, or the rule that blocked it
}

// MaxEvents is how many offending events a violation keeps by default.
const MaxEvents = 10

// Report is the result of a run over a window.
type Report struct {
	// Tool names the command ("auditctl check"), Version its version.
	Tool    string `json:"tool"`
	Version string `json:"version,omitempty"`
	// Since and Until bound the window looked at.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Threshold is the severity from which violations fail the run.
	Threshold Severity `json:"threshold"`
	Rules     []Result `json:"rules"`
	Summary   Summary  `json:"summary"`
}

// Summary counts the rules by status and the violations.
type Summary struct {
	Rules      int   `json:"rules"`
	Passed     int   `json:"passed"`
	Failed     int   `json:"failed"`
	Warned     int   `json:"warned"`
	Errors     int   `json:"errors"`
	Skipped    int   `json:"skipped"`
	Violations int64 `json:"violations"`
}

// Finish sets each rule's status against the threshold, orders the rules
// (failed first, then by severity, highest first, then by id) and counts
// the summary. Call it once all results are in, before writing.
func (r *Report) Finish(threshold Severity) {
	r.Threshold = threshold
	r.Summary = Summary{Rules: len(r.Rules)}
	for i := range r.Rules {
		res := &r.Rules[i]
		if res.Violations == nil {
			res.Violations = []Violation{}
		}
		for j := range res.Violations {
			if res.Violations[j].Events == nil {
				res.Violations[j].Events = []*audit.Event{}
			}
		}
		switch {
		case res.Error != "":
			res.Status = StatusError
			r.Summary.Errors++
		case res.Skipped != "":
			res.Status = StatusSkip
			r.Summary.Skipped++
		case len(res.Violations) == 0:
			res.Status = StatusPass
			r.Summary.Passed++
		case res.Severity >= threshold:
			res.Status = StatusFail
			r.Summary.Failed++
		default:
			res.Status = StatusWarn
			r.Summary.Warned++
		}
		r.Summary.Violations += int64(len(res.Violations))
	}
	rank := map[Status]int{StatusError: 0, StatusFail: 1, StatusWarn: 2, StatusSkip: 3, StatusPass: 4}
	slices.SortStableFunc(r.Rules, func(a, b Result) int {
		return cmp.Or(cmp.Compare(rank[a.Status], rank[b.Status]), cmp.Compare(b.Severity, a.Severity), strings.Compare(a.ID, b.ID))
	})
}

// ErrViolations is returned by Err when a rule at or above the threshold
// has violations: the caller maps it to exit 1 (its silent error).
var ErrViolations = errors.New("violations at or above the severity threshold")

// Err is the run's exit decision, after Finish: when a rule could not be
// evaluated, an error naming the rules: audit.ELOCAL (exit 5) when one of
// them lacked the local cache it needs, else audit.EINVALID (exit 3);
// else ErrViolations (exit 1) when a rule at or above the threshold has
// violations; else nil (exit 0; violations below the threshold are
// reported but pass).
func (r *Report) Err() error {
	if r.Summary.Errors > 0 {
		var ids []string
		code := audit.EINVALID
		why := map[string]bool{}
		for _, res := range r.Rules {
			if res.Status == StatusError {
				ids = append(ids, res.ID)
				why[res.Error] = true
				if res.ErrorCode == audit.ELOCAL {
					code = audit.ELOCAL
				}
			}
		}
		msg := fmt.Sprintf("%d of %d rules could not be evaluated: %s", r.Summary.Errors, r.Summary.Rules, strings.Join(ids, ", "))
		if len(why) == 1 {
			for w := range why { // one cause (for all: no cache): say it
				msg += " (" + w + ")"
			}
		}
		return audit.Errorf(code, "%s", msg)
	}
	if r.Summary.Failed > 0 {
		return ErrViolations
	}
	return nil
}
