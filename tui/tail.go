package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
)

// tailInterval is how often the live tail asks for new events when
// Options.Wake is nil.
var tailInterval = time.Second

// Poll is the live tail's default source of wake-ups: every interval,
// until ctx ends. A store that can say when it changed (PostgreSQL's
// LISTEN/NOTIFY) gives Options.Wake a function that returns when told.
func Poll(interval time.Duration) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTimer(interval)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// tailState is the live tail (t): while on, a chain of commands waits
// (Options.Wake) and then reads the events newer than the newest of the
// result, by a keyset page (oldest first from it), off the update loop.
type tailState struct {
	on     bool
	gen    int // of this run of the tail: a stopped one's messages are dropped
	ctx    context.Context
	cancel context.CancelFunc
	fresh  int // new events above the screen, since the view last showed the top
}

type tailWakeMsg struct{ gen int }

type tailMsg struct {
	gen, lgen int // the tail's run, the logs query's generation
	events    []*audit.Event
	err       error
}

func (m *Model) toggleTail() tea.Cmd {
	t := &m.tail
	if t.on {
		m.stopTail()
		m.setStatus("live tail off", false)
		return nil
	}
	if m.logs.timeline {
		m.setStatus("a workflow timeline does not tail (backspace goes back to the table)", false)
		return nil
	}
	t.on, t.fresh = true, 0
	t.gen++
	t.ctx, t.cancel = context.WithCancel(m.ctx)
	m.setStatus("live tail on: new events appear at the top (t stops it)", false)
	return m.tailWait()
}

func (m *Model) stopTail() {
	t := &m.tail
	if t.cancel != nil {
		t.cancel()
	}
	t.on, t.fresh = false, 0
	t.gen++
}

// tailWait waits, off the loop, for a reason to look for new events.
func (m *Model) tailWait() tea.Cmd {
	gen, ctx, wake, poll := m.tail.gen, m.tail.ctx, m.opt.Wake, Poll(tailInterval)
	if wake == nil {
		wake = poll
	}
	return func() tea.Msg {
		if err := wake(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // stopped
			}
			// a source that fails (a lost LISTEN connection) must not
			// spin: this time, poll
			if poll(ctx) != nil {
				return nil
			}
		}
		return tailWakeMsg{gen: gen}
	}
}

// tailFetch reads the events newer than the newest of the result, oldest
// first, under the query's context (a new query cancels it).
func (m *Model) tailFetch() tea.Cmd {
	v := &m.logs
	gen, lgen, ctx, f, svc, after := m.tail.gen, v.gen, v.ctx, v.filter, m.opt.Events, v.newest
	return func() tea.Msg {
		p := audit.Page{Limit: chunkSize, NoTotal: true}
		if after != nil {
			p.After, p.Sort = after, []audit.SortKey{{Field: audit.FieldTime}}
		}
		evs, _, err := svc.FindEvents(ctx, f, p)
		if after == nil {
			slices.Reverse(evs)
		}
		return tailMsg{gen: gen, lgen: lgen, events: evs, err: err}
	}
}

func (m *Model) gotTailWake(msg tailWakeMsg) tea.Cmd {
	if !m.tail.on || msg.gen != m.tail.gen {
		return nil
	}
	if v := &m.logs; v.loading || v.newer || v.timeline {
		// the result, or the events above what is held, are being
		// read: they may hold the new events; look next time
		return m.tailWait()
	}
	return m.tailFetch()
}

// gotTail puts new events at the top of the result without moving the
// selection: the same event stays selected, and the screen stays put
// unless it showed the top (then the new events appear there).
//
// Only events newer than the top of the result go in, each once: the
// tail reads past the newest it knows (v.newest), and drops any event
// already held (a page of newer events read meanwhile may hold it). When
// the top is not held, or more arrive than the rows held can take without
// losing the selected one, they are counted above the screen, not read
// into it ("+N new ↑ (home)": home reads them).
func (m *Model) gotTail(msg tailMsg) tea.Cmd {
	if !m.tail.on || msg.gen != m.tail.gen {
		return nil
	}
	v := &m.logs
	if msg.lgen != v.gen || v.loading || v.newer || v.timeline {
		// a newer query (its own newest counts), or a page of newer
		// events on its way that may hold these: read them again
		return m.tailWait()
	}
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			m.setStatus("live tail: "+errText(msg.err), true)
		}
		return m.tailWait()
	}
	full := len(msg.events) == chunkSize
	evs := newEvents(msg.events, v.rows, v.base)
	n := len(evs)
	if n == 0 {
		if full {
			return m.tailFetch()
		}
		return m.tailWait()
	}
	slices.Reverse(evs) // newest first, as the table
	v.newest = audit.CursorOf(evs[0])
	if v.total >= 0 {
		v.total += n
	}
	onTop := v.topRow == 0
	switch {
	case len(v.rows) == 0: // the result was empty
		v.rows, v.sel, v.topRow = slices.Clone(evs), 0, 0
		// read newest first: the older ones come by scrolling
		v.atEnd = !full
	case v.base == 0 && v.sel+n < maxHeld:
		v.rows = append(slices.Clone(evs), v.rows...)
		v.sel += n
		if !onTop {
			v.topRow += n
		}
		if len(v.rows) > maxHeld {
			v.rows = slices.Clone(v.rows[:maxHeld])
			v.atEnd = false
		}
	default:
		// the top is not held, or holding these would drop the
		// selected row: they are counted above what is held
		v.base += n
		v.sel += n
		v.topRow += n
	}
	v.scrollTo(m.pageSize())
	if v.topRow > 0 {
		m.tail.fresh += n
	} else {
		m.tail.fresh = 0
	}
	m.relayout()
	if full {
		return m.tailFetch() // more are waiting
	}
	return m.tailWait()
}

// newEvents are the events of evs (the tail's page) that are not held
// yet: when the top of the result is held (base 0), a page of newer
// events read meanwhile may hold some.
func newEvents(evs, held []*audit.Event, base int) []*audit.Event {
	if base != 0 || len(held) == 0 {
		return evs
	}
	type key struct{ source, id string }
	top := held[:min(len(held), 2*chunkSize)]
	in := make(map[key]bool, len(top))
	for _, e := range top {
		in[key{e.Source, e.ID}] = true
	}
	out := evs[:0:0]
	for _, e := range evs {
		if !in[key{e.Source, e.ID}] {
			out = append(out, e)
		}
	}
	return out
}

// tailText is the header's note of the live tail.
func (m *Model) tailText() string {
	if !m.tail.on {
		return ""
	}
	if m.tail.fresh > 0 && m.logs.topRow > 0 {
		return fmt.Sprintf("● live  +%d new ↑ (home) ", m.tail.fresh)
	}
	return "● live "
}
