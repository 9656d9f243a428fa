package cmdutil

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Notices are the stderr lines that say what a result leaves out, so that
// nothing is hidden silently: events before the default window, a page
// cut short of the total, a value that matches nothing stored. They never
// go to stdout (scripts read that), and the global --quiet suppresses
// every one of them.
type Notices struct {
	IO    *IOStreams
	Quiet bool
}

// Printf writes one notice line, prefixed "auditctl: ", unless quiet.
func (n Notices) Printf(format string, args ...any) {
	if n.Quiet || n.IO == nil {
		return
	}
	fmt.Fprintf(n.IO.ErrOut, "auditctl: "+format+"\n", args...)
}

// NoticeTimeFormat is how notices write a time: to the minute, in UTC.
const NoticeTimeFormat = "2006-01-02 15:04 UTC"

// Window says how many events f would select before its start, when the
// start is the default window's (FilterOptions.DefaultWindowApplied), with
// the newest of them and the flags that show them:
//
//	auditctl: 266 more events match before the default 7-day window (newest 2026-11-02 14:03 UTC): --since 21d or --all shows them
//
// It costs one query (a page of one event and its count) and says nothing
// when nothing is hidden, when quiet, or when the query fails: the result
// itself is already out.
func (n Notices) Window(ctx context.Context, svc audit.EventService, f audit.Filter, now time.Time) {
	if n.Quiet || f.Since.IsZero() {
		return
	}
	before := f
	before.Until, before.Since = f.Since, time.Time{}
	evs, total, err := svc.FindEvents(ctx, before, audit.Page{Limit: 1})
	if err != nil || total <= 0 || len(evs) == 0 {
		return
	}
	newest := evs[0].Time.UTC()
	days := int(math.Ceil(now.Sub(newest).Hours() / 24))
	n.Printf("%d more %s before the default %d-day window (newest %s): --since %dd or --all shows them",
		total, plural(total, "event matches", "events match"), int(DefaultWindow/(24*time.Hour)), newest.Format(NoticeTimeFormat), days)
}

// Page says that a page shows fewer items than the filter selects, for
// output without the table's "Page X of Y (Z total)" footer:
//
//	auditctl: 50 of 266 events shown (page 1 of 6): --page 2 for the next, --limit N for more per page, or logs export for all
//
// what names the items; export is the command that writes them all, if any.
func (n Notices) Page(what string, shown, total, page, limit int, export string) {
	if n.Quiet || total < 0 || shown >= total {
		return
	}
	pages := audit.Pages(total, limit)
	var next string
	if page < pages {
		next = fmt.Sprintf("--page %d for the next, ", page+1)
	}
	all := ""
	if export != "" {
		all = ", or " + export + " for all"
	}
	n.Printf("%d of %d %s shown (page %d of %d): %s--limit N for more per page%s", shown, total, what, page, pages, next, all)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
