// Package storecopy moves a local cache into a PostgreSQL team store
// (`auditctl db copy`): its events with their documents, each keeping its
// key, its sessions (the recordings' metadata) and its sync state.
//
// The copy is resumable and idempotent. Events go in key order, in slices:
// each slice is one Import into the team store (one transaction, sealed in
// the team store's tamper-evidence chain like any import, events already
// there skipped by their identity), after which table copy_state records
// the last key copied from this cache. An interrupted copy resumes after
// that key; a slice that committed just before the interruption, without
// its state, is read again and adds nothing. Sessions are inserted unless
// their id is there; sync state only ever widens.
package storecopy

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// DefaultSlice is how many events one transaction copies.
const DefaultSlice = 5000

// Options tune Copy.
type Options struct {
	// Origin names the cache in the team store's copy_state (its absolute
	// path): a copy from the same origin resumes where the last one
	// stopped.
	Origin string
	// Slice is how many events one transaction copies (DefaultSlice if 0).
	Slice int
	// Progress, when set, is called after each slice with the events read
	// so far and how many the cache holds.
	Progress func(done, total int64)
	// AfterSlice, when set, is called after each slice committed and its
	// state was recorded (tests interrupt a copy there).
	AfterSlice func(slice int)
}

// Result says what a copy did.
type Result struct {
	From string `json:"from"`
	To   string `json:"to"` // password redacted
	// Events read from the cache this run (after where an earlier copy
	// stopped), and those of them new to the team store.
	Events    int64 `json:"events"`
	EventsNew int64 `json:"events_new"`
	// Resumed is true when an earlier copy from this cache had come part
	// of the way.
	Resumed bool `json:"resumed"`
	// Sessions finished in the cache, those new to the team store, and the
	// active ones not copied (their recording is still being written).
	Sessions       int `json:"sessions"`
	SessionsNew    int `json:"sessions_new"`
	SessionsActive int `json:"sessions_active_skipped"`
	// SyncStreams is how many sync streams' state was merged.
	SyncStreams int `json:"sync_streams"`
}

const kindEvents = "events"

// Copy copies the cache from into the team store to.
func Copy(ctx context.Context, from *sqlite.DB, to *postgres.DB, opt Options) (Result, error) {
	res := Result{From: from.Path(), To: to.URL()}
	if opt.Origin == "" {
		return res, audit.Errorf(audit.EINTERNAL, "db copy: no origin")
	}
	slice := opt.Slice
	if slice <= 0 {
		slice = DefaultSlice
	}
	total, err := from.CountEvents(ctx, audit.Filter{})
	if err != nil {
		return res, err
	}
	last, err := to.CopyState(ctx, opt.Origin, kindEvents)
	if err != nil {
		return res, err
	}
	var after int64 = -1 << 63
	if last != "" {
		if after, err = strconv.ParseInt(last, 10, 64); err != nil {
			return res, audit.Errorf(audit.EINVALID, "copy_state of %s: last key %q: %v", opt.Origin, last, err)
		}
		res.Resumed = true
	}
	// What lies before the resumed key was copied: it counts as done (a
	// progress figure, to the microsecond).
	var done int64
	if res.Resumed {
		if done, err = from.CountEvents(ctx, audit.Filter{Until: time.UnixMicro(after>>store.SlotBits + 1).UTC()}); err != nil {
			return res, err
		}
	}
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		keys, events, err := from.EventsAfter(ctx, after, slice)
		if err != nil {
			return res, err
		}
		if len(events) == 0 {
			break
		}
		byEvent := make(map[*audit.Event]int64, len(events))
		for i, e := range events {
			byEvent[e] = keys[i]
		}
		r, err := to.Import(ctx, &sliceReader{events: events}, store.ImportOptions{
			Name: from.Path(), Key: func(e *audit.Event) int64 { return byEvent[e] },
		})
		if err != nil {
			return res, err
		}
		after = keys[len(keys)-1]
		if err := to.SetCopyState(ctx, opt.Origin, kindEvents, strconv.FormatInt(after, 10)); err != nil {
			return res, err
		}
		res.Events += int64(r.Read)
		res.EventsNew += int64(r.Inserted)
		done += int64(len(events))
		if opt.Progress != nil {
			opt.Progress(min(done, total), total)
		}
		if opt.AfterSlice != nil {
			opt.AfterSlice(n)
		}
	}
	if err := copySessions(ctx, from, to, &res); err != nil {
		return res, err
	}
	states, err := from.SyncStates(ctx, "jumpcloud")
	if err != nil {
		return res, err
	}
	for _, st := range states {
		if err := to.ExtendSyncState(ctx, st); err != nil {
			return res, err
		}
		res.SyncStreams++
	}
	return res, nil
}

// copySessions inserts every finished session of the cache the team store
// does not hold yet. An active session is left out: its row changes when
// it ends, and a team store's row is never changed by a copy.
func copySessions(ctx context.Context, from *sqlite.DB, to *postgres.DB, res *Result) error {
	const page = 500
	for off := 0; ; off += page {
		rows, total, err := from.FindSessions(ctx, session.Filter{}, session.Page{Limit: page, Offset: off})
		if err != nil {
			return err
		}
		for _, s := range rows {
			if s.Status == session.StatusActive {
				res.SessionsActive++
				continue
			}
			res.Sessions++
			added, err := to.AddSession(ctx, s)
			if err != nil {
				return err
			}
			if added {
				res.SessionsNew++
			}
		}
		if len(rows) < page || off+page >= total {
			return nil
		}
	}
}

// sliceReader reads a slice of events.
type sliceReader struct {
	events []*audit.Event
	i      int
}

func (r *sliceReader) Next() (*audit.Event, error) {
	if r.i == len(r.events) {
		return nil, io.EOF
	}
	r.i++
	return r.events[r.i-1], nil
}
