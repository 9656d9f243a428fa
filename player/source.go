package player

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/keys"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/player/seek"
	"github.com/auditctl/auditctl/player/vt"
)

// playback is a terminal positioned at a moment of the recording that can
// move forward: a stream read from the start, or a seek.Playback.
type playback interface {
	Terminal() *vt.Terminal
	// At is the time of the last event applied.
	At() time.Duration
	Advance(t time.Duration) error
	Done() bool
	Close() error
}

// indexPlayback adapts a seek.Playback.
type indexPlayback struct{ *seek.Playback }

func (p indexPlayback) Terminal() *vt.Terminal { return p.Term }
func (p indexPlayback) At() time.Duration      { return p.Time }

// streamPlayback reads the recording from its first event: what the player
// shows while the index is not ready (or when there is none).
type streamPlayback struct {
	rd   *recording.Reader
	term *vt.Terminal
	next *recording.Event
	at   time.Duration
	done bool
}

func openStream(path string, opt recording.Options) (*streamPlayback, error) {
	rd, err := recording.Open(path, opt)
	if err != nil {
		return nil, err
	}
	hdr := rd.Header()
	return &streamPlayback{rd: rd, term: vt.New(hdr.Width, hdr.Height)}, nil
}

func (p *streamPlayback) Terminal() *vt.Terminal { return p.term }
func (p *streamPlayback) At() time.Duration      { return p.at }
func (p *streamPlayback) Done() bool             { return p.done }
func (p *streamPlayback) Close() error           { return p.rd.Close() }

func (p *streamPlayback) Advance(t time.Duration) error {
	return p.advance(context.Background(), t)
}

// advance applies every event up to and including t, checking ctx now and
// then. A bad line is returned as an error; calling again goes on after it
// unless the error is fatal.
func (p *streamPlayback) advance(ctx context.Context, t time.Duration) error {
	for n := 0; !p.done; n++ {
		if n&1023 == 1023 && ctx.Err() != nil {
			return ctx.Err()
		}
		if p.next == nil {
			ev, err := p.rd.Next()
			if err == io.EOF {
				p.done = true
				return nil
			}
			if err != nil {
				if fatal(err) {
					p.done = true
				}
				return err
			}
			p.next = &ev
		}
		if p.next.Time > t {
			return nil
		}
		seek.Apply(p.term, p.next)
		p.at = p.next.Time
		p.next = nil
	}
	return nil
}

// fatal reports whether a reading error ends the recording (broken syntax,
// I/O) rather than one bad line.
func fatal(err error) bool {
	var ie *audit.InputError
	if errors.As(err, &ie) {
		return ie.Fatal
	}
	return true
}

// advanceTolerant advances pb to t, skipping bad lines. It returns the last
// error met (nil when none) so that the player can say the recording is
// damaged while it plays what is readable.
func advanceTolerant(pb playback, t time.Duration) error {
	var last error
	for range 10000 {
		err := pb.Advance(t)
		if err == nil {
			return last
		}
		last = err
		if fatal(err) || pb.Done() {
			return err
		}
	}
	return last
}

// ---- the index ----

type indexMsg struct {
	ix  *seek.Index
	err error
}

type indexProgressMsg struct {
	done, total int64
	ch          chan tea.Msg
}

// loadIndex loads or builds the seek index in a goroutine. Progress and the
// result come back on the returned channel.
func loadIndex(ctx context.Context, o Options) chan tea.Msg {
	ch := make(chan tea.Msg, 1)
	go func() {
		sopt := seek.Options{Dir: o.SeekDir, Rec: o.Rec, Stride: o.stride}
		if st, err := os.Stat(o.Path); err == nil && st.Size() < o.indexThreshold() {
			sopt.NoCache = true // small: keep the index in memory
		}
		sopt.Progress = func(done, total int64) {
			select {
			case ch <- indexProgressMsg{done: done, total: total, ch: ch}:
			default: // the model is behind: drop this one
			}
		}
		ix, err := seek.Load(ctx, o.Path, sopt)
		if err == nil {
			// Open once here, so that the index's snapshot file is opened
			// before concurrent seeks read it.
			var pb *seek.Playback
			if pb, err = ix.Open(0); err == nil {
				pb.Close()
			} else {
				ix.Close()
				ix = nil
			}
		}
		select {
		case ch <- indexMsg{ix: ix, err: err}: // the last message
		case <-ctx.Done():
			if ix != nil {
				ix.Close()
			}
		}
	}()
	return ch
}

func listen(ch chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

// ---- seeking ----

type seekMsg struct {
	seq int
	to  time.Duration
	pb  playback
	err error // a bad line met while replaying; pb is still usable when set
}

// openAt returns a playback with every event at or before t applied:
// through the index when there is one, else by reading from the start.
func openAt(ctx context.Context, o Options, ix *seek.Index, t time.Duration) (playback, error) {
	if ix != nil {
		pb, err := ix.Open(t)
		if err == nil {
			return indexPlayback{pb}, nil
		}
		// A damaged index or recording: fall back to reading.
	}
	sp, err := openStream(o.Path, o.Rec)
	if err != nil {
		return nil, err
	}
	var last error
	for range 10000 {
		err := sp.advance(ctx, t)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			sp.Close()
			return nil, ctx.Err()
		}
		last = err
		if sp.done {
			break
		}
	}
	return sp, last
}

// nextEventAfter returns the time of the first event after t: through the
// index when there is one (Playback.Next), else reading from the start.
// ok is false at the end of the recording.
func nextEventAfter(ctx context.Context, o Options, ix *seek.Index, t time.Duration) (next time.Duration, ok bool, err error) {
	if ix != nil {
		// The index reaches t by one snapshot and at most a stride.
		pb, err := ix.Open(t)
		if err != nil {
			return 0, false, err
		}
		defer pb.Close()
		next, ok := pb.Next()
		return next, ok, nil
	}
	rd, err := recording.Open(o.Path, o.Rec)
	if err != nil {
		return 0, false, err
	}
	defer rd.Close()
	for n := 0; ; n++ {
		if n&1023 == 1023 && ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		ev, err := rd.Next()
		if err == io.EOF {
			return 0, false, nil
		}
		if err != nil {
			if fatal(err) {
				return 0, false, err
			}
			continue
		}
		if ev.Time > t {
			return ev.Time, true, nil
		}
	}
}

// ---- the metadata pass ----

// keyEntry is one key typed: the keystroke panel groups them into rows
// (keys.AppendRow).
type keyEntry struct {
	t time.Duration
	k keys.Key
}

// queryEntry is one query of the query panel.
type queryEntry struct {
	t   time.Duration
	q   recording.Query
	bad bool // the data was not a valid query
}

// blocked reports whether a deny rule refused the query.
func (q queryEntry) blocked() bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(q.q.Message)), "blocked by rule")
}

// failed reports whether the server answered with an error.
func (q queryEntry) failed() bool {
	m := strings.ToUpper(strings.TrimSpace(q.q.Message))
	return q.bad || strings.HasPrefix(m, "ERROR") || strings.HasPrefix(m, "FATAL")
}

type markerEntry struct {
	t     time.Duration
	label string
}

// gap is a pause between two events longer than the idle limit.
type gap struct{ from, to time.Duration }

// maxKeys bounds the keystroke panel's memory on huge recordings.
const maxKeys = 1 << 20

// scanMsg carries what the metadata pass found since the last one.
type scanMsg struct {
	keys     []keyEntry
	commands []keys.Command // the command lines typed (keys.LineEditor)
	queries  []queryEntry
	markers  []markerEntry
	gaps     []gap
	duration time.Duration
	events   int64
	skipped  int               // keys beyond maxKeys
	damage   *recording.Damage // what could not be read so far (nil: nothing)
	done     bool              // the last message
	err      error             // a fatal error (the pass stopped)
	ch       chan tea.Msg
}

// scan reads the recording once in a goroutine and sends what it finds in
// batches (every batchEvery, and at the end).
func scan(ctx context.Context, o Options, idleLimit time.Duration) chan tea.Msg {
	ch := make(chan tea.Msg, 1)
	go func() {
		var cur scanMsg
		var rd *recording.Reader
		flush := func(done bool) bool {
			cur.done, cur.ch = done, ch
			if rd != nil {
				if d := rd.Damage(); d.Damaged() {
					cur.damage = &d
				}
			}
			select {
			case ch <- cur:
			case <-ctx.Done():
				return false
			}
			cur = scanMsg{duration: cur.duration, events: cur.events}
			return true
		}
		r, err := recording.Open(o.Path, o.Rec)
		if err != nil {
			cur.err = err
			flush(true)
			return
		}
		rd = r
		defer rd.Close()
		col := collector{idle: idleLimit}
		last := time.Now()
		for n := 0; ; n++ {
			if n&1023 == 1023 {
				if ctx.Err() != nil {
					return
				}
				if time.Since(last) > batchEvery {
					if !flush(false) {
						return
					}
					last = time.Now()
				}
			}
			ev, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if fatal(err) {
					cur.err = err
					break
				}
				continue // skipped: listed in rd.Damage()
			}
			col.add(&cur, &ev)
		}
		col.flush(&cur)
		flush(true)
	}()
	return ch
}

// collector turns events into the panels' entries, the markers, the idle
// gaps and the duration.
type collector struct {
	idle  time.Duration
	dec   keys.Decoder
	ed    keys.LineEditor
	kbuf  []keys.Key
	nkeys int
	prev  time.Duration
}

func (c *collector) add(cur *scanMsg, ev *recording.Event) {
	cur.events++
	if ev.Time-c.prev > c.idle {
		cur.gaps = append(cur.gaps, gap{from: c.prev, to: ev.Time})
	}
	c.prev = ev.Time
	cur.duration = max(cur.duration, ev.Time)
	switch ev.Code {
	case "o":
		c.dec.Output([]byte(ev.Data)) // a cursor position query makes "ESC [1;2R" a reply, as in sessions keystrokes
	case "i":
		c.kbuf = c.dec.Decode(c.kbuf[:0], []byte(ev.Data))
		c.addKeys(cur, ev.Time)
	case "q":
		q, err := recording.DecodeQuery(ev.Data)
		qe := queryEntry{t: ev.Time, q: q}
		if err != nil {
			qe.bad, qe.q = true, recording.Query{Query: ev.Data, Message: "malformed query event: " + err.Error()}
		}
		cur.queries = append(cur.queries, qe)
	case "m":
		cur.markers = append(cur.markers, markerEntry{t: ev.Time, label: ev.Data})
	}
}

func (c *collector) addKeys(cur *scanMsg, t time.Duration) {
	for _, k := range c.kbuf {
		if c.nkeys >= maxKeys {
			cur.skipped++
			continue
		}
		c.nkeys++
		cur.keys = append(cur.keys, keyEntry{t: t, k: k})
		c.ed.Key(t, k)
	}
	cur.commands = append(cur.commands, c.ed.Commands()...)
}

// flush adds the keys still pending at the end of the input, and the line
// being typed.
func (c *collector) flush(cur *scanMsg) {
	c.kbuf = c.dec.Flush(c.kbuf[:0])
	c.addKeys(cur, c.prev)
	c.ed.Close(c.prev)
	cur.commands = append(cur.commands, c.ed.Commands()...)
}

// batchEvery is how often the metadata pass reports.
var batchEvery = 200 * time.Millisecond
