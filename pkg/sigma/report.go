package sigma

import (
	"fmt"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/report"
)

// Report writes a hunt as the report of `auditctl check` (pkg/report):
// one result per rule, in the order loaded; a rule with matches has one
// violation holding their count, time span and the oldest events; a rule
// that could not be loaded or evaluated is an error, one whose logsource
// the cache does not hold is skipped.
func Report(rules []*Rule, results []Result) []report.Result {
	byRule := map[*Rule]Result{}
	for _, r := range results {
		byRule[r.Rule] = r
	}
	out := make([]report.Result, 0, len(rules))
	for _, r := range rules {
		sev, err := report.ParseSeverity(r.Level)
		if err != nil || r.Level == "" {
			sev = report.SeverityMedium // Sigma's level is optional; medium when absent or unknown
		}
		res := report.Result{ID: r.ID, Title: r.Title, Severity: sev, Description: r.Description, File: r.File, Line: r.Line}
		if r.Level != "" && err != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("unknown level %q: taken as medium", r.Level))
		}
		switch {
		case r.Err != nil:
			res.Error = r.Err.Error()
		case r.Skip != "":
			res.Skipped = r.Skip
		default:
			h, ok := byRule[r]
			switch {
			case !ok:
				res.Error = "not evaluated"
			case h.Err != nil:
				res.Error = h.Err.Error()
			case r.agg != nil:
				for _, g := range h.Groups {
					msg := fmt.Sprintf("%d events", g.Count)
					if r.agg.field != "" {
						msg = fmt.Sprintf("%d distinct %s", g.Count, r.agg.field)
					}
					if g.Key != "" {
						msg += " with " + g.Key
					}
					if r.agg.timeframe > 0 {
						msg += " within " + r.agg.timeframe.String()
					}
					res.Violations = append(res.Violations, report.Violation{
						Message: msg + " (" + r.agg.String() + "): " + r.Title,
						Group:   g.Key, First: g.First, Last: g.Last, Count: g.Count,
						Events: append([]*audit.Event(nil), g.Events...),
					})
				}
			case h.Count > 0:
				res.Violations = []report.Violation{{
					Message: matchMessage(h.Count, r.Title),
					First:   h.First, Last: h.Last, Count: h.Count,
					Events: append([]*audit.Event(nil), h.Events...),
				}}
			}
		}
		out = append(out, res)
	}
	return out
}

func matchMessage(n int64, title string) string {
	if n == 1 {
		return "1 event matches: " + title
	}
	return fmt.Sprintf("%d events match: %s", n, title)
}
