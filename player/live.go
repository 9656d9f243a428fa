package player

import (
	"context"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/player/seek"
	"github.com/auditctl/auditctl/player/vt"
)

// Live mode (Options.Live): the recording is still being written. A
// goroutine follows it (recording.Follow) and sends the new events; the
// player shows the live screen (the "live edge"), or a past moment after a
// seek, read from the start of what is written so far. Playing from a past
// moment goes back to the live edge when it catches up; G goes there at
// once. There is no seek index (the file keeps changing).

// livePlayback is the live edge: the terminal the followed events are
// applied to.
type livePlayback struct{ m *Model }

func (p livePlayback) Terminal() *vt.Terminal        { return p.m.liveTerm }
func (p livePlayback) At() time.Duration             { return p.m.liveAt }
func (p livePlayback) Advance(t time.Duration) error { return nil }
func (p livePlayback) Done() bool                    { return p.m.liveEnded }
func (p livePlayback) Close() error                  { return nil }

// liveMsg carries the events written since the last one.
type liveMsg struct {
	events []recording.Event
	meta   scanMsg
	done   bool
	err    error
	ch     chan tea.Msg
}

// liveBatch is how long the follower gathers events before sending them.
var liveBatch = 30 * time.Millisecond

// follow reads the growing recording in a goroutine.
func follow(ctx context.Context, o Options, idleLimit time.Duration) chan tea.Msg {
	ch := make(chan tea.Msg, 1)
	// followed is an event, or what could not be read so far (after a
	// bad line, and at the end).
	type followed struct {
		ev  recording.Event
		dmg *recording.Damage
	}
	evs := make(chan followed, 1024)
	errc := make(chan error, 1)
	go func() {
		defer close(evs)
		rd, err := recording.Follow(ctx, o.Path, o.Rec, o.LiveDone)
		if err != nil {
			errc <- err
			return
		}
		defer rd.Close()
		send := func(f followed) bool {
			select {
			case evs <- f:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			ev, err := rd.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				d := rd.Damage()
				if !send(followed{dmg: &d}) {
					return
				}
				if fatal(err) {
					errc <- err
					return
				}
				continue
			}
			if !send(followed{ev: ev}) {
				return
			}
		}
	}()
	go func() {
		col := collector{idle: idleLimit}
		var cur liveMsg
		send := func() bool {
			cur.ch = ch
			select {
			case ch <- cur:
			case <-ctx.Done():
				return false
			}
			cur = liveMsg{}
			return true
		}
		timer := time.NewTimer(liveBatch)
		defer timer.Stop()
		for {
			select {
			case f, ok := <-evs:
				if !ok {
					col.flush(&cur.meta)
					select {
					case cur.err = <-errc:
					default:
					}
					cur.done = true
					send()
					return
				}
				if f.dmg != nil {
					cur.meta.damage = f.dmg
					continue
				}
				col.add(&cur.meta, &f.ev)
				cur.events = append(cur.events, f.ev)
			case <-timer.C:
				if (len(cur.events) > 0 || cur.meta.damage != nil) && !send() {
					return
				}
				timer.Reset(liveBatch)
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// liveEvents applies what the follower sent.
func (m *Model) liveEvents(msg liveMsg) tea.Cmd {
	m.addScan(msg.meta)
	for i := range msg.events {
		seek.Apply(m.liveTerm, &msg.events[i])
		m.liveAt = max(m.liveAt, msg.events[i].Time)
	}
	if m.atEdge {
		m.clock = m.liveAt
		m.dirty = true
	}
	if msg.done {
		m.liveEnded, m.scanDone = true, true
		if msg.err != nil {
			m.setError(msg.err)
		} else {
			m.setStatus("the session has ended")
		}
		return nil
	}
	return listen(msg.ch)
}

// goLive shows the live edge.
func (m *Model) goLive() {
	if m.seekStop != nil {
		m.seekStop()
	}
	m.seekSeq++
	m.seeking = false
	if m.pb != nil && !m.atEdge {
		m.pb.Close()
	}
	m.atEdge = true
	m.pb = livePlayback{m}
	m.clock = m.liveAt
	m.playing = false
	m.tickGen++
	m.follow = true
	m.dirty = true
}
