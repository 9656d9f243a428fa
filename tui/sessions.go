package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
)

// maxSessions is how many sessions the sessions view reads (newest
// first): Session History is small next to the events.
var maxSessions = 1000

// sessionsView is Session History: the sessions of the cache, newest
// first, the live ones marked.
type sessionsView struct {
	loaded  bool
	loading bool
	rows    []*session.Session
	total   int
	sel     int
	topRow  int
	err     error
	lines   []string
}

type sessionsMsg struct {
	rows  []*session.Session
	total int
	err   error
}

// playedMsg says the player has returned.
type playedMsg struct{ err error }

func (m *Model) loadSessions() tea.Cmd {
	s := &m.sessions
	if m.opt.Sessions == nil {
		s.loaded, s.err = true, errors.New("sessions are read from the cache: not with --remote")
		return nil
	}
	s.loading = true
	store, ctx := m.opt.Sessions, m.ctx
	return func() tea.Msg {
		rows, total, err := store.FindSessions(ctx, session.Filter{}, session.Page{Limit: maxSessions})
		return sessionsMsg{rows: rows, total: total, err: err}
	}
}

func (m *Model) gotSessions(msg sessionsMsg) {
	s := &m.sessions
	s.loading, s.loaded = false, true
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			s.err = msg.err
		}
		return
	}
	s.rows, s.total, s.err = msg.rows, msg.total, nil
	s.sel = min(s.sel, max(len(s.rows)-1, 0))
	m.relayout()
}

// layout lays the sessions out as `sessions list` does, a column before
// them for the active marker.
func (s *sessionsView) layout(width int, opt output.Options) {
	s.lines = nil
	if len(s.rows) == 0 {
		return
	}
	opt.Width = max(width-2, 1)
	var buf bytes.Buffer
	if err := output.WriteRecords(&buf, output.FormatTable, output.SessionRecords(s.rows, opt), opt); err != nil {
		s.lines = []string{errText(err)}
		return
	}
	for i, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		mark := "  "
		if i > 0 && s.rows[i-1].Status == session.StatusActive {
			mark = "● "
		}
		s.lines = append(s.lines, mark+ansi.Truncate(l, opt.Width, ""))
	}
}

func (m *Model) sessionsKey(key string) tea.Cmd {
	s := &m.sessions
	move := func(d int) {
		if len(s.rows) == 0 {
			return
		}
		s.sel = min(max(s.sel+d, 0), len(s.rows)-1)
		if s.sel < s.topRow {
			s.topRow = s.sel
		}
		if page := m.pageSize(); s.sel >= s.topRow+page {
			s.topRow = s.sel - page + 1
		}
	}
	switch key {
	case "up", "k":
		move(-1)
	case "down", "j":
		move(1)
	case "pgup", "b":
		move(-m.pageSize())
	case "pgdown", "space", " ", "f":
		move(m.pageSize())
	case "home", "g":
		move(-len(s.rows))
	case "end", "G":
		move(len(s.rows))
	case "r":
		return m.loadSessions()
	case "enter":
		if ses := s.selected(); ses != nil {
			m.showDetail("Session "+ses.ID, func(int) (string, error) {
				var buf bytes.Buffer
				err := output.WriteRecords(&buf, output.FormatYAML, output.SessionRecords([]*session.Session{ses}, output.Options{}), output.Options{})
				return sanitize.Multiline(buf.String()), err
			})
		}
	case "p":
		return m.play()
	}
	return nil
}

func (s *sessionsView) selected() *session.Session {
	if s.sel >= 0 && s.sel < len(s.rows) {
		return s.rows[s.sel]
	}
	return nil
}

// play hands the terminal to the session player (Options.Play) and comes
// back to the list when it quits.
func (m *Model) play() tea.Cmd {
	ses := m.sessions.selected()
	switch {
	case ses == nil:
		return nil
	case m.opt.Play == nil:
		m.setStatus("playing is not available here", true)
		return nil
	case !ses.HasRecording:
		m.setStatus("session "+sanitize.String(ses.ID)+" has no recording", true)
		return nil
	}
	return execFn(&playCmd{ctx: m.ctx, play: m.opt.Play, s: ses}, func(err error) tea.Msg { return playedMsg{err: err} })
}

// execFn hands the terminal to a command (tests run it in place).
var execFn = tea.Exec

// playCmd runs the player as a tea.ExecCommand: bubbletea releases the
// terminal to it and takes it back when it returns.
type playCmd struct {
	ctx     context.Context
	play    func(ctx context.Context, s *session.Session, in io.Reader, out io.Writer) error
	s       *session.Session
	in      io.Reader
	out     io.Writer
	discard io.Writer
}

func (c *playCmd) Run() error            { return c.play(c.ctx, c.s, c.in, c.out) }
func (c *playCmd) SetStdin(r io.Reader)  { c.in = r }
func (c *playCmd) SetStdout(w io.Writer) { c.out = w }
func (c *playCmd) SetStderr(w io.Writer) { c.discard = w }
