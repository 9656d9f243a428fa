package output

import (
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
)

// SessionColumns are the columns of the sessions table (`sessions
// list`, the console's sessions view), in order.
var SessionColumns = []string{"start", "user", "resource", "category", "connector", "account", "duration", "status", "rec", "id"}

// SessionRecords are the rows of the sessions table; JSON and YAML get
// the sessions themselves.
func SessionRecords(rows []*session.Session, oo Options) Records {
	return Records{
		Columns: SessionColumns,
		Table: []Column{
			{Kind: KindFixed, Zoned: true},              // start
			{Kind: KindName, Priority: 1},               // user
			{Kind: KindName, Priority: 2},               // resource
			{Kind: KindFixed, Priority: 7},              // category
			{Kind: KindName, Priority: 9},               // connector
			{Kind: KindName, Priority: 8},               // account
			{Kind: KindFixed, Right: true, Priority: 5}, // duration
			{Kind: KindFixed, Priority: 4},              // status
			{Kind: KindFixed, Priority: 6},              // rec
			{Kind: KindID, Priority: 3},                 // id
		},
		Len:      len(rows),
		Row:      func(i int) []string { return sessionRow(rows[i], nil) },
		TableRow: func(i int) []string { return sessionRow(rows[i], &oo) },
		Item:     func(i int) any { return rows[i] },
	}
}

// sessionRow is the cells of s: for the table with oo (start in its zone), for
// CSV without (start in RFC 3339 UTC).
func sessionRow(s *session.Session, oo *Options) []string {
	out := make([]string, len(SessionColumns))
	for i, c := range SessionColumns {
		switch c {
		case "start":
			if oo != nil {
				out[i] = oo.Time(s.Start)
			} else if !s.Start.IsZero() {
				out[i] = audit.FormatTime(s.Start)
			}
		case "user":
			out[i] = s.UserEmail
			if out[i] == "" {
				out[i] = s.UserName
			}
		case "resource":
			out[i] = s.ResourceName
		case "category":
			out[i] = string(s.Category)
		case "connector":
			out[i] = s.Connector
		case "account":
			out[i] = s.Account
		case "duration":
			if s.Status != session.StatusActive {
				out[i] = FormatDuration(s.Duration)
			}
		case "status":
			out[i] = string(s.Status)
		case "rec":
			if s.HasRecording {
				out[i] = "yes"
			} else {
				out[i] = "no"
			}
		case "id":
			out[i] = s.ID
		}
	}
	return out
}
