package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
)

// TableEvents is how many offending events of each violation the table
// lists under it.
const TableEvents = 3

// TableViolations is how many violations of each rule the table lists.
const TableViolations = 5

var tableColumns = []output.Column{
	{Name: "status", Kind: output.KindFixed, Style: output.OutcomeStyle},
	{Name: "rule", Kind: output.KindName, Min: 12},
	{Name: "severity", Kind: output.KindFixed},
	{Name: "violations", Kind: output.KindFixed, Right: true},
	{Name: "offending", Header: "FIRST OFFENDING EVENTS", Kind: output.KindText, Priority: 1},
}

// WriteTable writes r as a table: one row per rule (status, rule id,
// severity, number of violations, and its first violation), then a row for
// each further violation (up to TableViolations) and one per offending
// event (up to TableEvents each); then the notes and a summary line. Every
// value from a log is sanitized by the table layout.
func WriteTable(w io.Writer, r *Report, opt output.Options) error {
	type row [5]string
	var rows []row
	for _, res := range r.Rules {
		first := row{strings.ToUpper(string(res.Status)), res.ID, res.Severity.String(), fmt.Sprint(len(res.Violations)), ""}
		switch {
		case res.Error != "":
			first[4] = "error: " + res.Error
		case res.Skipped != "":
			first[4] = "skipped: " + res.Skipped
		case len(res.Violations) == 0:
			first[4] = res.Title
		}
		rows = append(rows, first)
		for i, v := range res.Violations {
			if i == TableViolations {
				rows = append(rows, row{4: fmt.Sprintf("… and %d more violations (-o json, --junit or --sarif list them all)", len(res.Violations)-i)})
				break
			}
			msg := v.Message
			if i == 0 {
				rows[len(rows)-1][4] = msg
			} else {
				rows = append(rows, row{4: msg})
			}
			lines := ItemSummaries(v, opt)
			for j, l := range lines {
				if j == TableEvents {
					rows = append(rows, row{4: fmt.Sprintf("    … %d more", v.Count-int64(j))})
					break
				}
				rows = append(rows, row{4: "    " + l})
			}
		}
	}
	t := output.Table{Columns: tableColumns, Len: len(rows), Cell: func(i, col int) string { return rows[i][col] }}
	if err := output.RenderTable(w, t, opt); err != nil {
		return err
	}
	for _, res := range r.Rules {
		for _, n := range res.Notes {
			if _, err := fmt.Fprintf(w, "note: %s: %s\n", sanitize.String(res.ID), sanitize.String(n)); err != nil {
				return err
			}
		}
	}
	_, err := fmt.Fprintln(w, r.SummaryLine())
	return err
}

// SummaryLine sums the report up in one line: "2 of 14 rules failed (7
// violations) at severity medium or above; 1 below it; 11 passed".
func (r *Report) SummaryLine() string {
	s := r.Summary
	v := "violations"
	if s.Violations == 1 {
		v = "violation"
	}
	parts := []string{fmt.Sprintf("%d of %d rules failed (%d %s in all) at severity %s or above", s.Failed, s.Rules, s.Violations, v, r.Threshold)}
	if s.Warned > 0 {
		parts = append(parts, fmt.Sprintf("%d with violations below %s", s.Warned, r.Threshold))
	}
	if s.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d could not be evaluated", s.Errors))
	}
	if s.Skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped))
	}
	parts = append(parts, fmt.Sprintf("%d passed", s.Passed))
	return strings.Join(parts, "; ")
}

// ItemSummaries are the offending events (or sessions) of v, one line
// each (EventSummary, SessionSummary).
func ItemSummaries(v Violation, opt output.Options) []string {
	var out []string
	for _, e := range v.Events {
		out = append(out, EventSummary(e, opt))
	}
	for _, s := range v.Sessions {
		out = append(out, SessionSummary(s, opt))
	}
	for _, q := range v.Queries {
		out = append(out, QuerySummary(q, opt))
	}
	return out
}

// maxStatement is how many characters of a statement a summary shows.
const maxStatement = 200

// QuerySummary is one query on one line: time, session id, user,
// resource, status, the statement and the message (each on one line, cut
// at 200 characters). Not sanitized.
func QuerySummary(q Query, opt output.Options) string {
	t := opt.Time(q.Time)
	if opt.Location == nil {
		t += "Z"
	}
	parts := []string{t, q.SessionID}
	if q.User != "" {
		parts = append(parts, "by "+q.User)
	}
	if q.Resource != "" {
		parts = append(parts, "on "+q.Resource)
	}
	parts = append(parts, q.Status+":", oneLine(q.Statement, maxStatement))
	if q.Message != "" {
		parts = append(parts, "("+oneLine(q.Message, maxStatement)+")")
	}
	return strings.Join(parts, " ")
}

// oneLine folds s onto one line (runs of white space, line breaks
// included, become one space) and cuts it at n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// SessionSummary is one session on one line: start, id prefix, user,
// resource, category, duration, recording. Not sanitized.
func SessionSummary(s *session.Session, opt output.Options) string {
	t := opt.Time(s.Start)
	if opt.Location == nil {
		t += "Z"
	}
	id := s.ID
	user := s.UserEmail
	if user == "" {
		user = s.UserName
	}
	parts := []string{t, id, "session of " + user}
	if s.ResourceName != "" {
		parts = append(parts, "on "+s.ResourceName)
	}
	if s.Category != "" {
		parts = append(parts, "("+string(s.Category)+")")
	}
	if s.Duration > 0 {
		parts = append(parts, output.FormatDuration(s.Duration))
	}
	if s.HasRecording {
		parts = append(parts, "recorded")
	} else {
		parts = append(parts, "no recording")
	}
	return strings.Join(parts, " ")
}

// EventSummary is one event on one line, for a person: time, an id prefix
// that `logs show` takes, action, actor, target, ip and status. It is not
// sanitized (the table, JUnit and annotation writers do that).
func EventSummary(e *audit.Event, opt output.Options) string {
	t := opt.Time(e.Time)
	if opt.Location == nil {
		t += "Z"
	}
	id := e.ID
	if len(id) > 12 {
		id = id[:12]
	}
	parts := []string{t, id}
	if e.Action != "" {
		parts = append(parts, e.Action)
	}
	if e.Actor != "" {
		parts = append(parts, "by "+e.Actor)
	}
	if e.Target != "" {
		parts = append(parts, "on "+e.Target)
	}
	if e.IP != "" {
		parts = append(parts, "from "+e.IP)
	}
	if e.Status != "" {
		parts = append(parts, string(e.Status))
	}
	return strings.Join(parts, " ")
}

// WriteJSON writes r as one indented JSON document (terminal-safe, as every
// JSON output of auditctl).
func WriteJSON(w io.Writer, r *Report) error { return output.WriteJSON(w, r) }
