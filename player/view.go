package player

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/keys"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// Styles, declared once.
var (
	stHeader   = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#ffffff")).Background(lipgloss.Color("#30407a"))
	stDim      = lipgloss.NewStyle().Faint(true)
	stTitle    = lipgloss.NewStyle().Bold(true)
	stTitleFoc = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#7aa2f7"))
	stCurrent  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#e0af68"))
	stSelected = lipgloss.NewStyle().Reverse(true)
	stSpecial  = lipgloss.NewStyle().Foreground(lipgloss.Color("#7dcfff"))
	stBlocked  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#ffffff")).Background(lipgloss.Color("#b00020"))
	stFailed   = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#ff5f5f"))
	stOK       = lipgloss.NewStyle().Foreground(lipgloss.Color("#9ece6a"))
	stError    = lipgloss.NewStyle().Foreground(lipgloss.Color("#ff5f5f"))
	stBar      = lipgloss.NewStyle().Foreground(lipgloss.Color("#7aa2f7"))
	stMarker   = lipgloss.NewStyle().Foreground(lipgloss.Color("#e0af68")).Bold(true)
	stSep      = lipgloss.NewStyle().Foreground(lipgloss.Color("#565f89"))
)

// layout is where things go for the current window size.
type layout struct {
	screenW, bodyH int
	panelW         int // 0: no side panel
	keysH          int // lines of the keystroke panel (title included)
}

// Side panel widths.
const (
	minPanelW = 24
	maxPanelW = 48
)

func (m *Model) layout() layout {
	w, h := max(m.width, 1), max(m.height, 4)
	l := layout{screenW: w, bodyH: h - 3}
	if pw := m.panelWidth(w); pw > 0 {
		l.panelW = pw
		l.screenW = w - l.panelW - 1
	}
	l.keysH = l.bodyH
	if m.showQueries() {
		l.keysH = max(l.bodyH*2/5, 3)
	}
	return l
}

// panelWidth is the side panels' width in a window w columns wide, 0 when
// they are hidden: by the user (p), in a window too narrow for them, and,
// unless the user asked for them, when they are empty or when the
// recording's screen would be clipped beside them. The panels take 30 % of
// the window, less when that leaves the recording room.
func (m *Model) panelWidth(w int) int {
	pw := clamp(w*3/10, minPanelW, maxPanelW)
	if m.panelPref == panelsHidden || w < 60 {
		return 0
	}
	if m.panelPref == panelsShown {
		return pw
	}
	if !m.showQueries() && len(m.keys) == 0 && len(m.commands) == 0 {
		return 0 // nothing to show
	}
	if m.pb != nil {
		cols, _ := m.pb.Terminal().Size()
		pw = min(pw, w-cols-1)
	}
	if pw < minPanelW {
		return 0 // the recording needs the room
	}
	return pw
}

// View assembles the frame: header, screen beside the panels, timeline and
// status line. The screen itself was rendered by Update.
//
// Every text from the recording is made safe where it enters the view
// (cleanLine, and the renderer's check of each cell); as a last line of
// defence, the whole frame goes through the terminal chokepoint's rules
// (safeFrame): nothing but SGR styling reaches the terminal raw.
func (m *Model) View() tea.View {
	v := tea.NewView(safeFrame(m.render()))
	v.AltScreen = true
	return v
}

func (m *Model) render() string {
	l := m.layout()
	var b strings.Builder
	b.Grow((m.width + 32) * m.height)
	b.WriteString(fit(stHeader, m.headerText(), m.width))
	b.WriteByte('\n')
	var side []string
	if m.help {
		side = nil
	} else if l.panelW > 0 {
		side = m.panels(l)
	}
	sep := stSep.Render("│")
	if m.frame.clipX {
		sep = stSep.Render("»")
	}
	var helpLines []string
	if m.help {
		helpLines = helpText()
	}
	for row := range l.bodyH {
		if m.help {
			line := ""
			if row < len(helpLines) {
				line = helpLines[row]
			}
			b.WriteString(pad(line, m.width))
		} else {
			if row < len(m.frame.lines) {
				b.WriteString(m.frame.lines[row])
			} else {
				b.WriteString(strings.Repeat(" ", l.screenW))
			}
			if l.panelW > 0 {
				b.WriteString(sep)
				if row < len(side) {
					b.WriteString(side[row])
				}
			}
		}
		b.WriteByte('\n')
	}
	b.WriteString(m.timeline(m.width))
	b.WriteByte('\n')
	b.WriteString(m.statusLine(m.width))
	return b.String()
}

func (m *Model) headerText() string {
	md := m.meta
	parts := []string{"auditctl player", cleanLine(filepath.Base(m.opt.Path))}
	if md.user != "" || md.email != "" {
		u := md.user
		if md.email != "" {
			u = strings.TrimSpace(u + " <" + md.email + ">")
		}
		parts = append(parts, "user "+cleanLine(u))
	}
	if md.resource != "" {
		r := "resource " + cleanLine(md.resource)
		if md.category != "" {
			r += " (" + cleanLine(md.category) + ")"
		}
		parts = append(parts, r)
	}
	if !md.start.IsZero() {
		parts = append(parts, "started "+md.start.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if md.title != "" && md.title != md.resource {
		parts = append(parts, cleanLine(md.title))
	}
	return " " + strings.Join(parts, " · ")
}

// panels renders the side column: keystrokes, then queries for a database
// session.
func (m *Model) panels(l layout) []string {
	w := l.panelW
	lines := make([]string, 0, l.bodyH)
	title := func(s string, focused bool) string {
		if focused {
			return fit(stTitleFoc, s, w)
		}
		return fit(stTitle, s, w)
	}
	// Keystrokes, or the command lines.
	count, at := m.keyList()
	n := fmt.Sprintf(" Keystrokes (%d)", count)
	if m.cmdView {
		n = fmt.Sprintf(" Commands (%d)", count)
	}
	if m.keysSkip > 0 {
		n = strings.TrimSuffix(n, ")") + fmt.Sprintf("; %d keys not listed)", m.keysSkip)
	}
	if !m.scanDone {
		n += " …"
	}
	lines = append(lines, title(n, m.focus == panelKeys || !m.showQueries()))
	cur := m.currentKey()
	sel := m.keySel
	if m.follow {
		sel = cur
	}
	lines = appendList(lines, l.keysH-1, w, count, sel, func(i int) string {
		var text string
		special := false
		if m.cmdView {
			text = commandText(m.commands[i])
			special = m.commands[i].Ended != "enter" || m.commands[i].Uncertain
		} else {
			text = keyText(m.keys[i].Key)
			special = m.keys[i].Key.Kind != keys.Text
		}
		text = fmtOffset(at(i)) + " " + text
		switch {
		case i == cur && i == sel && !m.follow:
			return fit(stSelected, "›"+text, w)
		case i == cur:
			return fit(stCurrent, "▶"+text, w)
		case i == sel && !m.follow:
			return fit(stSelected, "›"+text, w)
		case special:
			return fit(stSpecial, " "+text, w)
		}
		return pad(" "+text, w)
	})
	if !m.showQueries() {
		return lines
	}
	// Queries: two lines each.
	qh := l.bodyH - len(lines)
	if qh <= 0 {
		return lines
	}
	n = fmt.Sprintf(" Queries (%d)", len(m.queries))
	if blocked := countBlocked(m.queries); blocked > 0 {
		n += fmt.Sprintf(", %d blocked", blocked)
	}
	lines = append(lines, title(n, m.focus == panelQueries))
	qcur := m.currentQuery()
	qsel := m.querySel
	if m.follow {
		qsel = qcur
	}
	var entries []string
	for _, i := range window((qh-1)/2, len(m.queries), qsel) {
		q := m.queries[i]
		status := stOK.Render("ok")
		switch {
		case q.blocked():
			status = stBlocked.Render("BLOCKED")
		case q.failed():
			status = stFailed.Render("ERROR")
		}
		head := fmtOffset(q.t) + " " + status + " " + fmtMS(q.q.DurationMS)
		if msg := cleanLine(q.q.Message); msg != "" {
			head += " " + stDim.Render(msg)
		}
		body := "  " + cleanLine(q.q.Query)
		mark := " "
		switch {
		case i == qsel && !m.follow:
			mark = "›"
		case i == qcur:
			mark = "▶"
		}
		first := pad(mark+head, w)
		if i == qcur && (m.follow || i != qsel) {
			first = fit(stCurrent, ansi.Strip(mark+head), w)
		} else if i == qsel && !m.follow {
			first = fit(stSelected, ansi.Strip(mark+head), w)
		}
		entries = append(entries, first, pad(body, w))
	}
	lines = append(lines, entries...)
	return lines
}

func countBlocked(qs []queryEntry) int {
	n := 0
	for _, q := range qs {
		if q.blocked() {
			n++
		}
	}
	return n
}

// appendList appends up to h lines of a list of n items, showing sel (or
// the top when sel < 0).
func appendList(lines []string, h, w, n, sel int, item func(i int) string) []string {
	for _, i := range window(h, n, sel) {
		lines = append(lines, item(i))
	}
	return lines
}

// window returns the indices of the items shown in h lines when sel must be
// in view: sel stays in the middle third when it can.
func window(h, n, sel int) []int {
	if h <= 0 || n == 0 {
		return nil
	}
	top := 0
	if n > h {
		top = clamp(sel-h/2, 0, n-h)
	}
	idx := make([]int, 0, min(h, n))
	for i := top; i < n && i < top+h; i++ {
		idx = append(idx, i)
	}
	return idx
}

// keyText is a row of the keystroke panel: text as typed, named keys in
// angle brackets, as `sessions keystrokes -o txt` prints them.
func keyText(k keys.Key) string {
	switch k.Kind {
	case keys.Text:
		if strings.TrimSpace(k.Name) == "" {
			return strings.Repeat("␣", min(len(k.Name), 8))
		}
		return cleanLine(k.Name)
	case keys.Paste:
		return "[paste] " + cleanLine(k.Name)
	default:
		return "<" + cleanLine(k.Name) + ">"
	}
}

// commandText is a command line of the panel, with how it ended when that
// was not Enter and "?" when history or completion make it uncertain.
func commandText(c keys.Command) string {
	s := cleanLine(c.Line)
	if c.Uncertain {
		s = "? " + s
	}
	if c.Ended != "enter" {
		s += " [" + c.Ended + "]"
	}
	return s
}

// timeline is the position, the duration, the bar with markers, speed and
// modes.
func (m *Model) timeline(w int) string {
	state := "❚❚"
	switch {
	case m.live && m.atEdge && !m.liveEnded:
		state = "● LIVE"
	case m.playing:
		state = "▶ "
	}
	d := m.duration()
	dur := fmtOffset(d)
	if !m.durationKnown() || m.live && !m.liveEnded {
		dur += "+"
	}
	left := fmt.Sprintf(" %s %s / %s ", state, fmtOffset(m.clock), dur)
	right := " " + strconv.FormatFloat(speeds[m.speedIx], 'g', -1, 64) + "×"
	if m.idle {
		right += " idle≤" + fmtSeconds(m.idleLim)
	}
	if m.frame.clipX || m.frame.clipY {
		cols, rows := m.pb.Terminal().Size()
		l := m.layout()
		right += fmt.Sprintf(" clipped %dx%d→%dx%d", cols, rows, min(cols, l.screenW), min(rows, l.bodyH))
	}
	right += " "
	barW := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if barW < 5 {
		return pad(left+right, w)
	}
	bar := make([]rune, barW)
	pos := 0
	if d > 0 {
		pos = clamp(int(float64(m.clock)/float64(d)*float64(barW-1)), 0, barW-1)
	}
	for i := range bar {
		if i < pos {
			bar[i] = '━'
		} else {
			bar[i] = '─'
		}
	}
	isMarker := make([]bool, barW)
	if d > 0 {
		for _, mk := range m.markers {
			isMarker[clamp(int(float64(mk.t)/float64(d)*float64(barW-1)), 0, barW-1)] = true
		}
	}
	var b strings.Builder
	b.WriteString(left)
	run := []rune{}
	flush := func() {
		if len(run) > 0 {
			b.WriteString(stBar.Render(string(run)))
			run = run[:0]
		}
	}
	for i, r := range bar {
		switch {
		case i == pos:
			flush()
			b.WriteString(stMarker.Render("●"))
		case isMarker[i]:
			flush()
			b.WriteString(stMarker.Render("◆"))
		default:
			run = append(run, r)
		}
	}
	flush()
	b.WriteString(right)
	return pad(b.String(), w)
}

func (m *Model) statusLine(w int) string {
	if m.inputOn {
		return pad(m.input.view(), w)
	}
	var parts []string
	if m.seeking {
		parts = append(parts, "seeking…")
	}
	if m.indexing {
		p := "indexing"
		if m.ixTotal > 0 {
			p += fmt.Sprintf(" %d%%", m.ixDone*100/m.ixTotal)
		}
		parts = append(parts, p)
	} else if m.ixErr != nil {
		parts = append(parts, "no index ("+cleanLine(m.ixErr.Error())+"): seeks read from the start")
	}
	if s := m.srch; s != nil {
		p := fmt.Sprintf("search %q: %d match", cleanLine(s.q), len(s.matches))
		if len(s.matches) != 1 {
			p += "es"
		}
		if !s.done {
			p += " (searching " + fmtOffset(s.at) + ", esc stops)"
		} else if len(s.matches) == 0 {
			p = fmt.Sprintf("search %q: not found", cleanLine(s.q))
		} else {
			p += " (n/N)"
		}
		parts = append(parts, p)
	}
	if m.badLines > 0 {
		p := fmt.Sprintf("%d bad line skipped", m.badLines)
		if m.badLines > 1 {
			p = fmt.Sprintf("%d bad lines skipped", m.badLines)
		}
		parts = append(parts, stError.Render(p))
	}
	if m.status != "" {
		st := cleanLine(m.status)
		if m.statusErr {
			st = stError.Render(st)
		}
		parts = append(parts, st)
	} else if m.readErr != nil {
		parts = append(parts, stError.Render("damaged recording: "+cleanLine(m.readErr.Error())))
	}
	left := " " + strings.Join(parts, " · ")
	hint := stDim.Render("space play · ←→ seek · / search · p panels · ? help · q quit ")
	if ansi.StringWidth(left)+ansi.StringWidth(hint)+1 <= w {
		return pad(left, w-ansi.StringWidth(hint)) + hint
	}
	return pad(left, w)
}

// keyTable is the help: the key bindings.
var keyTable = [][2]string{
	{"space", "play / pause"},
	{"← / →", "back / forward 5 seconds"},
	{"shift+← / shift+→, [ / ]", "back / forward 1 minute"},
	{"0 … 9", "jump to 0 %, 10 % … 90 %"},
	{"g / G", "start / end"},
	{"t or :", "go to a time: 1:30, 90s, 1m30s, 50%"},
	{".", "step: the next event (pauses)"},
	{"+ / -", "faster / slower (0.25× … 16×)"},
	{"i", "idle limit on/off (pauses cut to the header's idle_time_limit or 2 s)"},
	{"/", "search the screen text over the whole recording, jump to where it first appears"},
	{"n / N", "next / previous match"},
	{"m / M", "next / previous marker"},
	{"> / <", "next / previous keystroke (query when the query panel has the focus)"},
	{"c", "keystroke panel: keys grouped into words / command lines typed"},
	{"p", "hide / show the panels (hidden by themselves when empty or when the recording would be clipped)"},
	{"tab", "switch focus: keystrokes / queries"},
	{"↑ ↓ pgup pgdn (k j)", "move in the focused panel"},
	{"enter", "jump to the selected keystroke or query"},
	{"esc", "stop a search, close this help"},
	{"?", "this help"},
	{"q", "quit"},
}

func helpText() []string {
	lines := []string{"", stTitle.Render("  Keys"), ""}
	for _, k := range keyTable {
		lines = append(lines, fmt.Sprintf("  %-26s %s", k[0], k[1]))
	}
	return append(lines, "", stDim.Render("  any key closes this help"))
}

// fit renders s (truncated to w columns) with style st over exactly w
// columns.
func fit(st lipgloss.Style, s string, w int) string {
	return st.Render(pad(s, w))
}

// pad truncates or pads s (which may hold SGR sequences) to exactly w
// columns.
func pad(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w-1, "") + "…"
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// safeFrame returns the frame with its SGR sequences kept and every other
// control, escape sequence, format character or invalid byte escaped, as
// auditctl's terminal chokepoint (sanitize.Terminal) writes text; tabs too.
func safeFrame(s string) string {
	if strings.IndexByte(s, '\t') >= 0 {
		s = strings.ReplaceAll(s, "\t", `\t`) // text may keep tabs; a frame may not
	}
	var b strings.Builder
	b.Grow(len(s))
	t := sanitize.NewTerminal(&b, true)
	if sanitize.WriteStyled(t, s) != nil || t.Flush() != nil {
		return "" // a strings.Builder does not fail
	}
	return b.String()
}

// cleanLine makes untrusted text one safe line: the one way text from a
// recording (or a file name, or an error quoting either) enters the view.
func cleanLine(s string) string {
	return sanitize.String(s)
}

// fmtOffset prints a time from the start as H:MM:SS.t (MM:SS.t under an
// hour).
func fmtOffset(d time.Duration) string {
	d = max(d, 0)
	h := int(d / time.Hour)
	mi := int(d/time.Minute) % 60
	s := int(d/time.Second) % 60
	t := int(d/(100*time.Millisecond)) % 10
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%d", h, mi, s, t)
	}
	return fmt.Sprintf("%02d:%02d.%d", mi, s, t)
}

func fmtSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', 4, 64) + "s"
}

func fmtMS(ms float64) string {
	switch {
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + "s"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	default:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	}
}
