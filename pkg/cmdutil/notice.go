package cmdutil

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
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
// It counts only up to WindowNoticeCount ("1000+ more events match"): the
// older matches are what grows as a store keeps months, and a first page
// must not cost more because of them; the notice has to say that there
// are more and how to see them, `logs count --all` counts them. It costs
// one query (a page of one event and its capped count) and says nothing
// when nothing is hidden, when quiet, or when the query fails: the result
// itself is already out.
func (n Notices) Window(ctx context.Context, svc audit.EventService, f audit.Filter, now time.Time) {
	if n.Quiet || f.Since.IsZero() {
		return
	}
	before := f
	before.Until, before.Since = f.Since, time.Time{}
	evs, total, err := svc.FindEvents(ctx, before, audit.Page{Limit: 1, CountUpTo: WindowNoticeCount})
	if err != nil || total <= 0 || len(evs) == 0 {
		return
	}
	count := fmt.Sprint(total)
	if total == WindowNoticeCount { // "that many or more" (audit.Page.CountUpTo)
		count += "+"
	}
	newest := evs[0].Time.UTC()
	days := int(math.Ceil(now.Sub(newest).Hours() / 24))
	n.Printf("%s more %s before the default %d-day window (newest %s): --since %dd or --all shows them",
		count, plural(total, "event matches", "events match"), int(DefaultWindow/(24*time.Hour)), newest.Format(NoticeTimeFormat), days)
}

// WindowNoticeCount is how far Window counts the matches before the
// window.
const WindowNoticeCount = 1000

// Page says that a page shows fewer items than the filter selects, for
// output without the table's "Page X of Y (Z total)" footer:
//
//	auditctl: 50 of 266 events shown (page 1 of 6): --page 2 for the next, --limit N for more per page, or logs export for all
//
// what names the items; export is the command that writes them all, if
// any. atLeast says total was counted only up to there (audit.Page
// CountUpTo): "50 of 1000+ events shown (page 1 of 20+)".
func (n Notices) Page(what string, shown, total, page, limit int, atLeast bool, export string) {
	if n.Quiet || total < 0 || shown >= total {
		return
	}
	pages := audit.Pages(total, limit)
	plus := ""
	if atLeast {
		plus = "+"
	}
	var next string
	if page < pages || atLeast {
		next = fmt.Sprintf("--page %d for the next, ", page+1)
	}
	all := ""
	if export != "" {
		all = ", or " + export + " for all"
	}
	n.Printf("%d of %d%s %s shown (page %d of %d%s): %s--limit N for more per page%s", shown, total, plus, what, page, pages, plus, next, all)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// suggestFields are the fields whose stored values Suggest draws on: names
// people type, not ids, addresses or statuses (which are checked).
var suggestFields = []audit.Field{
	audit.FieldActor, audit.FieldAction, audit.FieldService, audit.FieldCategory, audit.FieldSource,
	audit.FieldTenant, audit.FieldTarget, audit.FieldActorType, audit.FieldTargetType, audit.FieldClient,
	audit.FieldWorkflowType,
}

// Suggest is for an empty result: for each exact value of f (no *) that
// no stored event has in its field, it names the closest stored values
// and the wildcard that would have matched them (Values). A value that
// some event has is left alone: the other filters emptied the result. It
// costs one grouping query per field that has such a value.
func (n Notices) Suggest(ctx context.Context, svc audit.EventService, f audit.Filter) {
	if n.Quiet {
		return
	}
	for _, fld := range suggestFields {
		if !slices.ContainsFunc(f.Include[fld], exact) {
			continue
		}
		buckets, err := svc.CountBy(ctx, audit.Filter{}, fld, 0)
		if err != nil {
			return
		}
		stored := make([]string, 0, len(buckets))
		for _, b := range buckets {
			stored = append(stored, b.Key)
		}
		n.Values("event", string(fld), f.Include[fld], stored)
	}
}

// exact reports whether a filter value matches one stored value only (no
// wildcard), so that a suggestion can be made for it.
func exact(v string) bool { return v != "" && !strings.Contains(v, "*") }

// Values says, for each exact value typed for field that none of the
// stored values equals (ignoring case), which stored values are closest
// (Closest; stored most frequent first), and the wildcard that matches
// them; what names the items ("event", "session"):
//
//	auditctl: no event has actor "nina"; did you mean nina.kowalski@example.com? (nina* matches every actor that starts with "nina")
//	auditctl: no session has user "zed"
func (n Notices) Values(what, field string, typed, stored []string) {
	if n.Quiet {
		return
	}
	for _, v := range typed {
		if !exact(v) || slices.ContainsFunc(stored, func(s string) bool { return strings.EqualFold(s, v) }) {
			continue
		}
		sugg := Closest(v, stored, 3)
		if len(sugg) == 0 {
			n.Printf("no %s has %s %q", what, field, v)
			continue
		}
		names := make([]string, len(sugg))
		for i, s := range sugg {
			names[i] = sanitize.String(s.Value)
		}
		hint, sv := "", sanitize.String(v)
		switch sugg[0].Kind {
		case MatchPrefix:
			hint = fmt.Sprintf(" (%s* matches every %s that starts with %q)", sv, field, v)
		case MatchSubstring:
			hint = fmt.Sprintf(" (*%s* matches every %s that contains %q)", sv, field, v)
		}
		n.Printf("no %s has %s %q; did you mean %s?%s", what, field, v, strings.Join(names, ", "), hint)
	}
}
