package jumpcloud

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// State is the part of a stream already in the cache: every event with a
// time in [From, Until).
type State struct{ From, Until time.Time }

// Store is where a sync puts events and remembers how far it came. The
// SQLite cache implements it (through a small adapter in the command).
type Store interface {
	// Import stores the events not stored yet (same source and id) in one
	// transaction and returns how many were new.
	Import(ctx context.Context, events []*audit.Event) (int, error)
	// State returns the recorded state of a stream; ok false if none.
	State(ctx context.Context, org, service string) (st State, ok bool, err error)
	// Extend widens the recorded state of a stream by st, which touches or
	// overlaps it. It is called only after the events are committed.
	Extend(ctx context.Context, org, service string, st State) error
}

// SyncOptions tune Sync.
type SyncOptions struct {
	// Since is how far back the first run (or a backfill) starts.
	Since time.Duration
	// Services to sync, each its own stream: "all" or service names.
	Services []string
	// Orgs to sync (x-org-id), each its own stream; none = the key's own.
	Orgs []string
	// Lag keeps the newest events out (end_time = now − Lag): Directory
	// Insights events can arrive late. Default 2m.
	Lag time.Duration
	// Overlap re-reads the end of the last window (deduplicated), for
	// events that arrived later than Lag. Default 15m.
	Overlap time.Duration
	// SliceEvents is the size a window is split to (by time, after a
	// count). Default 200,000.
	SliceEvents int64
	// Concurrency is how many slices are fetched at once. Default 4.
	Concurrency int
	// PageLimit is the page size (at most 10,000, the default).
	PageLimit int
	// FlushEvents is how many events are stored per transaction (default
	// 50,000); a slice's events are always stored before it counts as done.
	FlushEvents int
	// BufferBytes bounds the events held between fetch and store: pages
	// waiting for the writer and events waiting for its next transaction
	// (DefaultBufferBytes if 0). A transaction is stored when its events
	// reach half of it, so that the fetch goes on while it is stored.
	BufferBytes int64
	// bufferHook, if set (tests), is called each time a page enters the
	// buffer, with the bytes and pages then held and the budget.
	bufferHook func(held, limit int64, pages int)
	Now        func() time.Time
	// DryRun only plans: counts, no events fetched or stored.
	DryRun bool
	// Progress is called after each stored batch with the events fetched
	// so far and the total planned.
	Progress func(fetched, total int64)
}

// Window is a time range of one stream to fetch.
type Window struct {
	Org      string    `json:"org,omitempty"`
	Service  string    `json:"service"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Backfill bool      `json:"backfill,omitempty"`
	Count    int64     `json:"count"`
	Slices   int       `json:"slices"`
}

// SyncResult says what a sync did (or, dry, would do).
type SyncResult struct {
	Windows  []Window `json:"windows"`
	Fetched  int64    `json:"fetched"`
	Inserted int64    `json:"inserted"`
}

// ValidServices checks --service values: "all" alone or known names.
func ValidServices(vs []string) ([]string, error) {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s == "" {
				continue
			}
			if s != "all" && !slices.Contains(KnownServices, s) {
				return nil, audit.Errorf(audit.EUSAGE, "--service %q: want all or some of %s", s, strings.Join(KnownServices, ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"all"}
	}
	if len(out) > 1 && slices.Contains(out, "all") {
		return nil, audit.Errorf(audit.EUSAGE, "--service all cannot be combined with other services")
	}
	return out, nil
}

type slice struct {
	w          *window
	i          int
	start, end time.Time
}

type window struct {
	Window
	slices []*slice
	done   []bool
	mark   int // forward: slices [0, mark) stored; backfill: [mark, n) stored
}

// Sync pulls the events of every org × service stream into the store,
// incrementally: from where the last run stopped (less Overlap) to
// now − Lag, and back to now − Since where the store does not reach. A
// window is counted, split into slices of about SliceEvents, and fetched
// with Concurrency slices at once; the state advances only over slices
// whose events are committed, so an interrupted sync loses nothing, and
// the next run fetches again what was not recorded (duplicates are
// skipped by the store).
func Sync(ctx context.Context, c *Client, st Store, opt SyncOptions) (SyncResult, error) {
	var res SyncResult
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Lag <= 0 {
		opt.Lag = 2 * time.Minute
	}
	if opt.Overlap <= 0 {
		opt.Overlap = 15 * time.Minute
	}
	if opt.SliceEvents <= 0 {
		opt.SliceEvents = 200000
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 4
	}
	if opt.PageLimit <= 0 || opt.PageLimit > MaxLimit {
		opt.PageLimit = MaxLimit
	}
	if opt.Since <= 0 {
		opt.Since = 7 * 24 * time.Hour
	}
	if opt.FlushEvents <= 0 {
		opt.FlushEvents = 50000
	}
	if opt.BufferBytes <= 0 {
		opt.BufferBytes = DefaultBufferBytes
	}
	services, err := ValidServices(opt.Services)
	if err != nil {
		return res, err
	}
	orgs := opt.Orgs
	if len(orgs) == 0 {
		orgs = []string{""}
	}
	now := opt.Now().UTC().Truncate(time.Millisecond)
	end := now.Add(-opt.Lag)
	lower := now.Add(-opt.Since)

	// Plan: the windows of each stream, counted and sliced.
	var windows []*window
	var total int64
	for _, org := range orgs {
		for _, svc := range services {
			state, ok, err := st.State(ctx, org, svc)
			if err != nil {
				return res, err
			}
			var ws []Window
			if !ok {
				ws = append(ws, Window{Org: org, Service: svc, Start: lower, End: end})
			} else {
				if lower.Before(state.From) {
					ws = append(ws, Window{Org: org, Service: svc, Start: lower, End: state.From, Backfill: true})
				}
				ws = append(ws, Window{Org: org, Service: svc, Start: state.Until.Add(-opt.Overlap), End: end})
			}
			for _, w := range ws {
				if !w.Start.Before(w.End) {
					continue
				}
				req := Request{Service: []string{svc}, StartTime: w.Start, EndTime: w.End}
				n, err := c.Count(ctx, org, req)
				if err != nil {
					return res, err
				}
				w.Count = n
				w.Slices = int(max(1, (n+opt.SliceEvents-1)/opt.SliceEvents))
				total += n
				win := &window{Window: w}
				step := w.End.Sub(w.Start) / time.Duration(w.Slices)
				for i := 0; i < w.Slices; i++ {
					s := &slice{w: win, i: i, start: w.Start.Add(time.Duration(i) * step), end: w.Start.Add(time.Duration(i+1) * step)}
					if i == w.Slices-1 {
						s.end = w.End
					}
					win.slices = append(win.slices, s)
				}
				win.done = make([]bool, w.Slices)
				if w.Backfill {
					win.mark = w.Slices
				}
				windows = append(windows, win)
				res.Windows = append(res.Windows, w)
				c.debugf("sync: org %q service %s: window %s – %s: %d events in %d slices", org, svc,
					w.Start.Format(time.RFC3339Nano), w.End.Format(time.RFC3339Nano), n, w.Slices)
			}
		}
	}
	if opt.DryRun {
		return res, nil
	}

	// Memory: each worker holds the page it is reading (MaxPageBytes at
	// most); the pages it has read wait for the writer, and their events
	// for the writer's next transaction, within a budget of BufferBytes
	// (eventsCost: the raw documents, which keep their pages' bodies, and
	// the mapped events). A worker waits for bytes before handing a page
	// on; the writer releases a page's bytes once its events are stored.

	// Fetch: workers page through slices; one writer stores pages in order
	// of arrival and advances the state over completed slices.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		s      *slice
		events []*audit.Event
		cost   int64 // held in the budget
		real   int64 // eventsCost (the test hook's count)
		last   bool
	}
	jobs := make(chan *slice)
	batches := make(chan batch, opt.Concurrency*2)
	bud := newBudget(opt.BufferBytes)
	var held struct {
		sync.Mutex
		bytes int64
		pages int
	}
	var wg sync.WaitGroup
	var fetchErr error
	var once sync.Once
	fail := func(err error) {
		once.Do(func() { fetchErr = err })
		cancel()
	}
	for range opt.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				req := Request{Service: []string{s.w.Service}, StartTime: s.start, EndTime: s.end, Sort: "ASC", Limit: opt.PageLimit}
				err := c.Pages(ctx, s.w.Org, req, func(p Page) error {
					real := eventsCost(p.Events)
					cost, err := bud.acquire(ctx, real)
					if err != nil {
						return err
					}
					if opt.bufferHook != nil {
						held.Lock()
						held.bytes += real
						held.pages++
						opt.bufferHook(held.bytes, opt.BufferBytes, held.pages)
						held.Unlock()
					}
					select {
					case batches <- batch{s: s, events: p.Events, cost: cost, real: real}:
						return nil
					case <-ctx.Done():
						bud.release(cost)
						return ctx.Err()
					}
				})
				if err == nil {
					select {
					case batches <- batch{s: s, last: true}:
					case <-ctx.Done():
						err = ctx.Err()
					}
				}
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, w := range windows {
			order := w.slices
			if w.Backfill { // newest first, so the state grows back in time
				order = slices.Clone(order)
				slices.Reverse(order)
			}
			for _, s := range order {
				select {
				case jobs <- s:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() { wg.Wait(); close(batches) }()

	// Pages are stored in transactions of about FlushEvents (a commit costs
	// more than a page), and always before a slice is recorded as done. The
	// first is stored as soon as no page is waiting, so that the store does
	// not wait for FlushEvents of them at the start (the workers fill the
	// channel meanwhile). Storing whatever had come each time no page was
	// waiting cost 1.12x the CPU (more, smaller transactions, each a
	// full-text flush) for no faster sync: docs/performance.md.
	//
	// A transaction is also stored when its events reach half the budget,
	// and whenever a worker waits for bytes and no page is waiting (all the
	// budget is then in the transaction): so the pipeline cannot stall.
	var storeErr error
	var pending []*audit.Event
	var pendingCost, pendingReal int64 // the bytes pending holds in the budget, and by eventsCost
	pendingPages := 0
	release := func() {
		if opt.bufferHook != nil { // first: a worker may take the bytes as soon as they are released
			held.Lock()
			held.bytes -= pendingReal
			held.pages -= pendingPages
			held.Unlock()
		}
		bud.release(pendingCost)
		pendingCost, pendingReal, pendingPages = 0, 0, 0
	}
	defer release() // after an error: the workers are cancelled, nothing waits for it
	flush := func() {
		if len(pending) == 0 || storeErr != nil {
			return
		}
		n, err := st.Import(ctx, pending)
		if err != nil {
			storeErr = err
			cancel()
			return
		}
		res.Fetched += int64(len(pending))
		res.Inserted += int64(n)
		clear(pending) // the events and their pages' bodies can go
		pending = pending[:0]
		release()
		if opt.Progress != nil {
			opt.Progress(res.Fetched, total)
		}
	}
	for {
		if storeErr == nil && len(pending) > 0 && len(batches) == 0 && bud.starving() {
			flush() // the budget is in pending: store it to let the workers on
		}
		var b batch
		var ok bool
		select {
		case b, ok = <-batches:
		case <-bud.starved:
			continue
		}
		if !ok {
			break
		}
		if storeErr != nil {
			bud.release(b.cost)
			continue // drain
		}
		pending = append(pending, b.events...)
		pendingCost += b.cost
		pendingReal += b.real
		if !b.last {
			pendingPages++
		}
		if len(pending) >= opt.FlushEvents || pendingCost >= opt.BufferBytes/2 {
			flush()
		}
		if b.last {
			flush()
			if storeErr == nil {
				if err := advance(ctx, st, b.s); err != nil {
					storeErr = err
					cancel()
				}
			}
		} else if res.Fetched == 0 && len(batches) == 0 && len(pending) > 0 {
			flush() // the first: start storing with the first pages
		}
	}
	switch {
	case storeErr != nil:
		return res, storeErr
	case fetchErr != nil:
		return res, fetchErr
	}
	return res, ctx.Err()
}

// advance marks s stored and records the stream's state over the slices
// stored without a gap from the covered side of the window.
func advance(ctx context.Context, st Store, s *slice) error {
	w := s.w
	w.done[s.i] = true
	if w.Backfill {
		old := w.mark
		for w.mark > 0 && w.done[w.mark-1] {
			w.mark--
		}
		if w.mark == old {
			return nil
		}
		return st.Extend(ctx, w.Org, w.Service, State{From: w.slices[w.mark].start, Until: w.End})
	}
	old := w.mark
	for w.mark < len(w.done) && w.done[w.mark] {
		w.mark++
	}
	if w.mark == old {
		return nil
	}
	return st.Extend(ctx, w.Org, w.Service, State{From: w.Start, Until: w.slices[w.mark-1].end})
}

// EventSlice is an audit.EventReader over events in memory.
type EventSlice struct {
	Events []*audit.Event
	i      int
}

// Next returns the next event, io.EOF at the end.
func (r *EventSlice) Next() (*audit.Event, error) {
	if r.i >= len(r.Events) {
		return nil, io.EOF
	}
	r.i++
	return r.Events[r.i-1], nil
}

// String describes a window for the dry-run plan.
func (w Window) String() string {
	org := w.Org
	if org == "" {
		org = "(own)"
	}
	kind := ""
	if w.Backfill {
		kind = " backfill"
	}
	return fmt.Sprintf("org %s service %s%s: %s – %s: %d events, %d slices", org, w.Service, kind,
		w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), w.Count, w.Slices)
}
