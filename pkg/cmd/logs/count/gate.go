package count

import (
	"context"
	"fmt"
	"io"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// A --fail-if gate must not pass on no data: a window with no events at all
// (a mistyped --db, a sync that stopped, a --since before anything was
// imported) makes '>0' hold never, and the CI job green. "No data" means
// that the gate's window holds no events of the sources it considers: the
// filter's time window and its source conditions, without its other
// conditions. A filter that matches nothing in a window that has data is a
// genuine pass.

// window is the part of f that says what data a gate looks at: its time
// window and its sources.
func window(f audit.Filter) audit.Filter {
	w := audit.Filter{Since: f.Since, Until: f.Until}
	if vs := f.Include[audit.FieldSource]; len(vs) > 0 {
		w.Add(audit.FieldSource, vs...)
	}
	if vs := f.Exclude[audit.FieldSource]; len(vs) > 0 {
		w.AddExclude(audit.FieldSource, vs...)
	}
	return w
}

// sourceLister is an event service that can say which sources it holds
// (the cache); for others (a remote API) the newest event of all is shown.
type sourceLister interface {
	Sources(ctx context.Context) ([]string, error)
}

// checkGate returns an audit.ENODATA error when the window of filter holds
// no events and allowEmpty is not set; matching is the filter's count. With
// debug set it writes to debug what the gate looked at.
func checkGate(ctx context.Context, svc audit.EventService, filter audit.Filter, matching int64, allowEmpty bool, debug io.Writer) error {
	w := window(filter)
	inWindow := matching
	if matching == 0 || debug != nil {
		var err error
		if inWindow, err = svc.CountEvents(ctx, w); err != nil {
			return err
		}
	}
	if debug != nil {
		if err := reportGate(ctx, debug, svc, w, inWindow, matching); err != nil {
			return err
		}
	}
	if inWindow > 0 || allowEmpty {
		return nil
	}
	return audit.Errorf(audit.ENODATA, "--fail-if: no data: the window (%s) holds no events at all, so the gate cannot pass; check --since, --until, --source and the cache (--db, sync, import), or pass --allow-empty to accept an empty window (--debug shows the newest event of each source)", describe(w))
}

// describe renders a window for messages.
func describe(w audit.Filter) string {
	s := w.String()
	if s == "" {
		return "all time"
	}
	return s
}

// reportGate writes what the gate looked at: the window, its events (all,
// and those the filter matches) and the newest event of each source.
func reportGate(ctx context.Context, out io.Writer, svc audit.EventService, w audit.Filter, inWindow, matching int64) error {
	fmt.Fprintf(out, "gate: window %s\n", describe(w))
	fmt.Fprintf(out, "gate: events in the window: %d; matching the filter: %d\n", inWindow, matching)
	var sources []string
	if vs := w.Include[audit.FieldSource]; len(vs) > 0 {
		sources = vs
	} else if sl, ok := svc.(sourceLister); ok {
		var err error
		if sources, err = sl.Sources(ctx); err != nil {
			return err
		}
	}
	if len(sources) == 0 {
		sources = []string{""} // all at once
	}
	for _, src := range sources {
		all := audit.Filter{Include: map[audit.Field][]string{}, Exclude: w.Exclude}
		inSrc := w
		if src != "" {
			all.Include[audit.FieldSource] = []string{src}
			inSrc = audit.Filter{Since: w.Since, Until: w.Until, Exclude: w.Exclude}
			inSrc.Add(audit.FieldSource, src)
		}
		evs, _, err := svc.FindEvents(ctx, all, audit.Page{Limit: 1, NoTotal: true})
		if err != nil {
			return err
		}
		newest := "none"
		if len(evs) > 0 {
			newest = audit.FormatTime(evs[0].Time)
			if src == "" {
				newest += " (source " + evs[0].Source + ")"
			}
		}
		label := src
		if label == "" {
			label = "all sources"
		}
		n := inWindow
		if src != "" && len(sources) > 1 {
			if n, err = svc.CountEvents(ctx, inSrc); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "gate: newest event of %s: %s; %d in the window\n", sanitize.String(label), sanitize.String(newest), n)
	}
	return nil
}
