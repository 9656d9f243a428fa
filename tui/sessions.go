package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
)

// maxSessions is how many sessions the sessions view reads at a time
// (newest first); the next ones are read as the selection nears the end
// of what is held.
var maxSessions = 1000

// sessionsRefresh is how often the sessions view reads the list again
// while it shows: a session that starts or ends appears within it.
var sessionsRefresh = 2 * time.Second

// SessionFilter is the sessions view's filter panel (f): the filters of
// `sessions list` (seeds 000 and 002), set by their flag names.
type SessionFilter struct {
	// Fields are the panel's fields, in order.
	Fields []FilterField
	// Compile reads the panel's values (by field name; empty ones left
	// out) as `sessions list` reads its flags. Its errors are shown in
	// place.
	Compile func(values map[string]string) (session.Filter, error)
}

// FilterField is one field of a filter panel: the flag's name and usage.
type FilterField struct{ Name, Usage string }

// SessionPanel is what Enter shows of a session: the panel of `sessions
// show`.
type SessionPanel struct {
	// Render writes the panel at a width, safe to print.
	Render func(width int) (string, error)
	// Events is the query (the -q language) of the user's audit events
	// during the session: Enter in the panel opens them in the logs
	// view ("" when the session names no user).
	Events string
}

// sessionsView is Session History: the sessions of the cache that match
// the panel's filter, newest first, the live ones marked.
type sessionsView struct {
	loaded  bool
	loading bool
	more    bool // the next sessions are on their way
	// gen is the generation of the list: each read of it from the first
	// session (a new filter, a refresh, after the player or a
	// termination) supersedes the reads still on their way, whose older
	// rows are dropped when they arrive (after the newer ones, under load).
	gen    int
	rows   []*session.Session
	total  int
	sel    int
	topRow int
	err    error
	lines  []string

	filter  session.Filter
	values  map[string]string // the panel's values
	ticking bool              // a refresh tick is on its way
}

type sessionsMsg struct {
	gen    int
	offset int
	keep   string // the id to keep selected
	rows   []*session.Session
	total  int
	err    error
}

// playedMsg says the player has returned (play and watch).
type playedMsg struct{ err error }

// sessionsTickMsg reads the list again while the view shows.
type sessionsTickMsg struct{}

// sessionPanelMsg carries the panel of a session (Enter).
type sessionPanelMsg struct {
	s     *session.Session
	panel *SessionPanel
	err   error
}

// terminatedMsg says how a termination went.
type terminatedMsg struct {
	s   *session.Session
	err error
}

// loadSessions reads the list again from the first session, keeping the
// selected one selected.
func (m *Model) loadSessions() tea.Cmd {
	s := &m.sessions
	if m.opt.Sessions == nil {
		s.loaded, s.err = true, errors.New("sessions are read from the cache: not with --remote")
		return nil
	}
	keep := ""
	if sel := s.selected(); sel != nil {
		keep = sel.ID
	}
	s.gen++
	s.loading, s.more = true, false
	return m.readSessions(0, max(maxSessions, len(s.rows)), keep)
}

func (m *Model) readSessions(offset, limit int, keep string) tea.Cmd {
	s := &m.sessions
	store, ctx, f, gen := m.opt.Sessions, m.ctx, s.filter, s.gen
	return func() tea.Msg {
		rows, total, err := store.FindSessions(ctx, f, session.Page{Limit: limit, Offset: offset})
		return sessionsMsg{gen: gen, offset: offset, keep: keep, rows: rows, total: total, err: err}
	}
}

func (m *Model) gotSessions(msg sessionsMsg) {
	s := &m.sessions
	if msg.gen != s.gen {
		return
	}
	if msg.offset > 0 {
		s.more = false
	} else {
		s.loading, s.loaded = false, true
	}
	if msg.err != nil {
		if !errors.Is(msg.err, context.Canceled) {
			s.err = msg.err
		}
		return
	}
	s.err = nil
	if msg.offset > 0 {
		if msg.offset == len(s.rows) {
			s.rows = append(s.rows, msg.rows...)
		}
		s.total = msg.total
		m.relayout()
		return
	}
	s.rows, s.total = msg.rows, msg.total
	if msg.keep != "" {
		for i, r := range s.rows {
			if r.ID == msg.keep {
				s.sel = i
				break
			}
		}
	}
	s.sel = min(s.sel, max(len(s.rows)-1, 0))
	s.scroll(m.pageSize())
	m.relayout()
}

// tickSessions schedules the next read of the list while the view shows.
func (m *Model) tickSessions() tea.Cmd {
	if m.sessions.ticking || m.opt.Sessions == nil || sessionsRefresh <= 0 {
		return nil
	}
	m.sessions.ticking = true
	return tea.Tick(sessionsRefresh, func(time.Time) tea.Msg { return sessionsTickMsg{} })
}

// sessionsMsg handles the messages of the sessions view; false: msg is
// not one of them.
func (m *Model) sessionsUpdate(msg tea.Msg) (tea.Cmd, bool) {
	s := &m.sessions
	switch msg := msg.(type) {
	case sessionsMsg:
		m.gotSessions(msg)
		return nil, true
	case sessionsTickMsg:
		s.ticking = false
		if m.view != viewSessions {
			return nil, true // switching back starts it again
		}
		var cmd tea.Cmd
		if !s.loading && !s.more && m.detail == nil && len(m.layers) == 0 {
			cmd = m.loadSessions()
		}
		return tea.Batch(cmd, m.tickSessions()), true
	case playedMsg:
		if msg.err != nil {
			m.setStatus("player: "+errText(msg.err), true)
		}
		return m.loadSessions(), true // it may have ended meanwhile
	case sessionPanelMsg:
		if msg.err != nil {
			m.setStatus(errText(msg.err), true)
			return nil, true
		}
		if m.view != viewSessions || m.detail != nil {
			return nil, true // the user went elsewhere meanwhile
		}
		m.setStatus("", false)
		title := "Session " + msg.s.ID
		render := msg.panel.Render
		m.showDetail(title, func(w int) (string, error) {
			text, err := render(w)
			// the panel's first line is the title
			return strings.TrimPrefix(text, sanitize.String(title)+"\n"), err
		})
		if q := msg.panel.Events; q != "" {
			m.detail.enter = func() tea.Cmd {
				m.closeLayer(layerDetail)
				m.view = viewLogs
				return m.runQuery(q)
			}
		}
		return nil, true
	case terminatedMsg:
		if msg.err != nil {
			m.setStatus("terminate: "+errText(msg.err), true)
		} else {
			m.setStatus("terminated session "+sanitize.String(msg.s.ID), false)
		}
		return m.loadSessions(), true
	}
	return nil, false
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
		if i > 0 && i-1 < len(s.rows) && s.rows[i-1].Status == session.StatusActive {
			mark = "● "
		}
		s.lines = append(s.lines, mark+ansi.Truncate(l, opt.Width, ""))
	}
}

// scroll keeps the selection on screen.
func (s *sessionsView) scroll(page int) {
	if s.sel < s.topRow {
		s.topRow = s.sel
	}
	if s.sel >= s.topRow+page {
		s.topRow = s.sel - page + 1
	}
	s.topRow = max(s.topRow, 0)
}

// moveSession moves the selection by d and reads the next sessions when
// it nears the end of what is held.
func (m *Model) moveSession(d int) tea.Cmd {
	s := &m.sessions
	if len(s.rows) == 0 {
		return nil
	}
	s.sel = min(max(s.sel+d, 0), len(s.rows)-1)
	s.scroll(m.pageSize())
	if !s.more && !s.loading && len(s.rows) < s.total && s.sel+2*m.pageSize() >= len(s.rows) {
		s.more = true
		return m.readSessions(len(s.rows), maxSessions, "")
	}
	return nil
}

func (m *Model) sessionsKey(key string) tea.Cmd {
	s := &m.sessions
	switch key {
	case "up", "k":
		return m.moveSession(-1)
	case "down", "j":
		return m.moveSession(1)
	case "pgup", "b":
		return m.moveSession(-m.pageSize())
	case "pgdown", "space", " ":
		return m.moveSession(m.pageSize())
	case "home", "g":
		return m.moveSession(-len(s.rows))
	case "end", "G":
		return m.moveSession(len(s.rows))
	case "r":
		return m.loadSessions()
	case "f":
		return m.openSessionFilter()
	case "c":
		if len(s.values) == 0 {
			m.setStatus("no sessions filter to clear", false)
			return nil
		}
		return m.setSessionFilter(nil)
	case "enter":
		return m.showSession()
	case "p":
		return m.play()
	case "w":
		return m.watch()
	case "x":
		return m.confirmTerminate()
	}
	return nil
}

func (s *sessionsView) selected() *session.Session {
	if s.sel >= 0 && s.sel < len(s.rows) {
		return s.rows[s.sel]
	}
	return nil
}

// setSessionFilter applies the panel's values (nil: none) and reads the
// list again from the top.
func (m *Model) setSessionFilter(values map[string]string) tea.Cmd {
	s := &m.sessions
	var f session.Filter
	if len(values) > 0 {
		if m.opt.SessionFilter == nil {
			return nil
		}
		var err error
		if f, err = m.opt.SessionFilter.Compile(values); err != nil {
			m.setStatus(errText(err), true)
			return nil
		}
	}
	s.gen++
	s.filter, s.values = f, values
	s.rows, s.lines, s.sel, s.topRow, s.total, s.more = nil, nil, 0, 0, 0, false
	m.view = viewSessions
	return tea.Batch(m.loadSessions(), m.tickSessions())
}

// showActiveSessions is the overview's way into the active sessions: the
// sessions view filtered to them.
func (m *Model) showActiveSessions() tea.Cmd {
	if m.opt.SessionFilter == nil {
		return m.switchTo(viewSessions)
	}
	m.closeLayer(layerDetail)
	return m.setSessionFilter(map[string]string{"status": string(session.StatusActive)})
}

// sessionsFilterText is the panel's filter as the flags of `sessions
// list`.
func (m *Model) sessionsFilterText() string {
	s := &m.sessions
	if len(s.values) == 0 || m.opt.SessionFilter == nil {
		return "no filter"
	}
	var parts []string
	for _, f := range m.opt.SessionFilter.Fields {
		if v, ok := s.values[f.Name]; ok && v != "" {
			parts = append(parts, "--"+f.Name+" "+shellWord(v))
		}
	}
	return "filter: " + sanitize.String(strings.Join(parts, " "))
}

// shellWord quotes v when it is not one plain word.
func shellWord(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t'\"\\$`!*?;&|<>()[]{}#~") {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// showSession reads the panel of `sessions show` for the selected session
// in a command (it reads the recording and the user's events), or shows
// the session's fields when there is no such reader.
func (m *Model) showSession() tea.Cmd {
	s := &m.sessions
	ses := s.selected()
	if ses == nil {
		return nil
	}
	if m.opt.ShowSession == nil {
		m.showDetail("Session "+ses.ID, func(int) (string, error) {
			var buf bytes.Buffer
			err := output.WriteRecords(&buf, output.FormatYAML, output.SessionRecords([]*session.Session{ses}, output.Options{}), output.Options{})
			return sanitize.Multiline(buf.String()), err
		})
		return nil
	}
	m.setStatus("reading session "+sanitize.String(ses.ID)+"…", false)
	show, ctx := m.opt.ShowSession, m.ctx
	return func() tea.Msg {
		p, err := show(ctx, ses)
		return sessionPanelMsg{s: ses, panel: p, err: err}
	}
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
	play := m.opt.Play
	return m.handOver(func(ctx context.Context, in io.Reader, out io.Writer) error { return play(ctx, ses, in, out) })
}

// watch follows the selected session live in the player, as `sessions
// watch ID` does; q there comes back to the list.
func (m *Model) watch() tea.Cmd {
	ses := m.sessions.selected()
	switch {
	case ses == nil:
		return nil
	case m.opt.Watch == nil:
		m.setStatus("watching is not available here", true)
		return nil
	case ses.Status != session.StatusActive:
		m.setStatus("session "+sanitize.String(ses.ID)+" is not active ("+sanitize.String(string(ses.Status))+"): p plays its recording", true)
		return nil
	}
	w := m.opt.Watch
	return m.handOver(func(ctx context.Context, in io.Reader, out io.Writer) error { return w(ctx, ses, in, out) })
}

// handOver runs fn on the terminal: bubbletea releases it to fn and takes
// it back when fn returns; the list is read again then.
func (m *Model) handOver(fn func(ctx context.Context, in io.Reader, out io.Writer) error) tea.Cmd {
	return execFn(&termCmd{ctx: m.ctx, run: fn}, func(err error) tea.Msg { return playedMsg{err: err} })
}

// execFn hands the terminal to a command (tests run it in place).
var execFn = tea.Exec

// termCmd runs the player as a tea.ExecCommand: bubbletea releases the
// terminal to it and takes it back when it returns.
type termCmd struct {
	ctx     context.Context
	run     func(ctx context.Context, in io.Reader, out io.Writer) error
	in      io.Reader
	out     io.Writer
	discard io.Writer
}

func (c *termCmd) Run() error            { return c.run(c.ctx, c.in, c.out) }
func (c *termCmd) SetStdin(r io.Reader)  { c.in = r }
func (c *termCmd) SetStdout(w io.Writer) { c.out = w }
func (c *termCmd) SetStderr(w io.Writer) { c.discard = w }

// confirmTerminate asks before x ends the selected session.
func (m *Model) confirmTerminate() tea.Cmd {
	ses := m.sessions.selected()
	switch {
	case ses == nil:
		return nil
	case m.opt.Terminate == nil:
		m.setStatus("terminating is not available here", true)
		return nil
	case ses.Status != session.StatusActive:
		m.setStatus("session "+sanitize.String(ses.ID)+" is not active ("+sanitize.String(string(ses.Status))+")", true)
		return nil
	}
	c := newConfirm(ses, m.opt.Color)
	m.openOverlay(c)
	return c.input.Focus()
}

// who names a session in one line: "ID (user on resource)".
func who(s *session.Session) string {
	user := s.UserEmail
	if user == "" {
		user = s.UserName
	}
	return fmt.Sprintf("%s (%s on %s)", s.ID, user, s.ResourceName)
}
