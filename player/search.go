package player

import (
	"bytes"
	"context"
	"io"
	"time"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/player/seek"
	"github.com/auditctl/auditctl/player/vt"
)

// searchMsg reports the progress of a search: the moments found since the
// last message (times at which the text appeared on the screen).
type searchMsg struct {
	seq     int
	matches []time.Duration
	at      time.Duration // how far the search has read
	done    bool
	err     error
	ch      chan tea.Msg
}

// maxMatches bounds the moments a search keeps.
const maxMatches = 100000

// screenMatcher looks for a text in a terminal's screen. Rows that wrapped
// are joined to the next one, others end with a newline, so a text that
// wrapped over the right margin is found too. The search ignores case
// when the text has no upper-case letter (smart case).
type screenMatcher struct {
	needle []byte
	fold   bool
	buf    []byte
}

func newMatcher(q string) *screenMatcher {
	m := &screenMatcher{needle: []byte(q), fold: true}
	for _, r := range q {
		if unicode.IsUpper(r) {
			m.fold = false
		}
	}
	if m.fold {
		m.needle = bytes.ToLower(m.needle)
	}
	return m
}

func (m *screenMatcher) match(t *vt.Terminal) bool {
	_, rows := t.Size()
	b := m.buf[:0]
	for r := range rows {
		b = t.AppendRowText(b, r)
		if !t.RowWrapped(r) {
			b = append(b, '\n')
		}
	}
	if m.fold {
		b = lowerInPlace(b)
	}
	m.buf = b
	return bytes.Contains(b, m.needle)
}

// lowerInPlace lower-cases ASCII letters in place, and other text through
// bytes.ToLower (which may allocate) only when there is some.
func lowerInPlace(b []byte) []byte {
	ascii := true
	for i, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	if ascii {
		return b
	}
	return bytes.ToLower(b)
}

// search replays the recording through its own emulator and reports every
// moment the text appears on the screen (it was not there at the previous
// moment). The screen is checked once per distinct event time, after every
// event at that time is applied: exactly the screens playback can show.
func search(ctx context.Context, o Options, seq int, q string) chan tea.Msg {
	ch := make(chan tea.Msg, 1)
	go func() {
		var cur searchMsg
		send := func(done bool) bool {
			cur.seq, cur.done, cur.ch = seq, done, ch
			select {
			case ch <- cur:
			case <-ctx.Done():
				return false
			}
			cur = searchMsg{at: cur.at}
			return true
		}
		rd, err := recording.Open(o.Path, o.Rec)
		if err != nil {
			cur.err = err
			send(true)
			return
		}
		defer rd.Close()
		hdr := rd.Header()
		term := vt.New(hdr.Width, hdr.Height)
		m := newMatcher(q)
		var (
			t       time.Duration
			dirty   bool
			present = m.match(term)
			found   int
			last    = time.Now()
		)
		if present {
			cur.matches = append(cur.matches, 0)
			found++
		}
		check := func() {
			if !dirty {
				return
			}
			dirty = false
			now := m.match(term)
			if now && !present && found < maxMatches {
				cur.matches = append(cur.matches, t)
				found++
			}
			present = now
		}
		for n := 0; ; n++ {
			if n&255 == 255 {
				if ctx.Err() != nil {
					return
				}
				// The first match goes out at once; then batches.
				if (len(cur.matches) > 0 && found == len(cur.matches)) || time.Since(last) > batchEvery {
					cur.at = t
					if !send(false) {
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
				continue
			}
			if ev.Time != t {
				check()
				t = ev.Time
			}
			if ev.Code == "o" || ev.Code == "r" {
				seek.Apply(term, &ev)
				dirty = true
			}
		}
		check()
		cur.at = t
		send(true)
	}()
	return ch
}
