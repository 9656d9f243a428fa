package player

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/auditctl/auditctl/pkg/keys"
	"github.com/auditctl/auditctl/pkg/recording"
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
	stFlaw     = lipgloss.NewStyle().Foreground(lipgloss.Color("#ff5f5f")).Bold(true)
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
		if len(helpLines) > l.bodyH {
			// A short window: the help scrolls.
			top := clamp(m.helpTop, 0, len(helpLines)-l.bodyH)
			more := top+l.bodyH < len(helpLines)
			helpLines = helpLines[top : top+l.bodyH]
			if more {
				helpLines[len(helpLines)-1] = stDim.Render("  ↓ more: ↓ or space scrolls, any other key closes")
			}
		}
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
	keyList := flawList{n: count, at: at, flaws: m.flaws()}
	lines = keyList.appendLines(lines, l.keysH-1, sel, func(j int) string {
		return fit(stFlaw, m.flawText(keyList.flaws[j]), w)
	}, func(i int) string {
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
	ql := flawList{n: len(m.queries), at: func(i int) time.Duration { return m.queries[i].t }, flaws: m.flaws()}
	for _, v := range window((qh-1)/2, ql.len(), ql.pos(qsel)) {
		i, j := ql.item(v)
		if i < 0 {
			f := ql.flaws[j]
			what := "  its event is lost"
			if m.dmg.Break != nil && j == len(ql.flaws)-1 {
				what = "  nothing after it can be read"
			}
			entries = append(entries, fit(stFlaw, m.flawText(f), w), fit(stFlaw, what, w))
			continue
		}
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

// flawList is a panel's list of n entries (at(i) is the time of entry i)
// with the places where the recording is damaged among them: a row for
// each flaw, before the first entry after it, and for a break, at the end.
// What lies below such a row lies beyond that damage.
type flawList struct {
	n     int
	at    func(i int) time.Duration
	flaws []recording.Flaw // in time order (Damage.All)
}

func (l flawList) len() int { return l.n + len(l.flaws) }

// pos is the row of entry i (-1 stays -1: nothing selected).
func (l flawList) pos(i int) int {
	if i < 0 || i >= l.n {
		return i
	}
	t := l.at(i)
	return i + sort.Search(len(l.flaws), func(j int) bool { return l.flaws[j].At >= t })
}

// item returns what row v is: entry i (j < 0), or flaw j (i < 0).
func (l flawList) item(v int) (i, j int) {
	i = sort.Search(l.n, func(i int) bool { return l.pos(i) >= v })
	if i < l.n && l.pos(i) == v {
		return i, -1
	}
	return -1, v - i
}

// appendLines appends up to h rows of the list, with the row of entry sel
// (none when sel < 0) in view.
func (l flawList) appendLines(lines []string, h, sel int, flawRow, entryRow func(int) string) []string {
	for _, v := range window(h, l.len(), l.pos(sel)) {
		if i, j := l.item(v); i >= 0 {
			lines = append(lines, entryRow(i))
		} else {
			lines = append(lines, flawRow(j))
		}
	}
	return lines
}

// flaws are the places where the recording is damaged, for the panels.
func (m *Model) flaws() []recording.Flaw {
	if m.dmg == nil {
		return nil
	}
	return m.dmgAll
}

// flawText is the row that marks a flaw in a panel.
func (m *Model) flawText(f recording.Flaw) string {
	if b := m.dmg.Break; b != nil && f == *b {
		return fmt.Sprintf("✗%s breaks: %s", fmtOffset(f.At), flawWhere(f))
	}
	return fmt.Sprintf("✗%s %s skipped", fmtOffset(f.At), flawWhere(f))
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

// keyText is a row of the keystroke panel as `sessions keystrokes -o txt`
// prints it (keys.Key.Label): text as typed (blanks as ␣), pastes as
// "[paste] …", terminal replies as "‹reply: …›", named keys in angle
// brackets.
func keyText(k keys.Key) string {
	if k.Kind == keys.Text && strings.TrimSpace(k.Name) == "" {
		return strings.Repeat("␣", min(len(k.Name), 8))
	}
	return cleanLine(k.Label())
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
	brk, broken := m.breakAt()
	switch {
	case !m.durationKnown() || m.live && !m.liveEnded:
		dur += "+"
	case broken && d <= brk:
		dur = "≥" + dur // the rest's length is not known
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
	var dmgNote string
	switch {
	case broken:
		dmgNote = " ✗ readable to " + fmtOffset(brk)
	case m.dmg != nil && m.dmg.Skipped > 0:
		dmgNote = fmt.Sprintf(" ✗ %d bad line", m.dmg.Skipped)
		if m.dmg.Skipped > 1 {
			dmgNote += "s"
		}
	}
	right += " "
	barW := w - ansi.StringWidth(left) - ansi.StringWidth(right) - ansi.StringWidth(dmgNote)
	if barW < 5 {
		return pad(left+stError.Render(dmgNote)+right, w)
	}
	col := func(t time.Duration) int {
		if d <= 0 {
			return 0
		}
		return clamp(int(float64(t)/float64(d)*float64(barW-1)), 0, barW-1)
	}
	// The bar: the part played, the part to come, and past a break the
	// part that cannot be read; the position ●, markers ◆, and where the
	// recording is damaged ✗ (a bad line skipped, the break).
	const (
		played = iota
		ahead
		lost
		position
		marker
		flaw
	)
	cells := make([]uint8, barW)
	pos := col(m.clock)
	for i := range cells {
		switch {
		case broken && d > brk && i > col(brk):
			cells[i] = lost
		case i < pos:
			cells[i] = played
		default:
			cells[i] = ahead
		}
	}
	for _, mk := range m.markers {
		cells[col(mk.t)] = marker
	}
	if m.dmg != nil {
		for _, f := range m.dmg.All() {
			cells[col(f.At)] = flaw
		}
	}
	cells[pos] = position
	var b strings.Builder
	b.WriteString(left)
	glyphs := [...]rune{played: '━', ahead: '─', lost: '╌', position: '●', marker: '◆', flaw: '✗'}
	var run []rune
	for i, c := range cells {
		run = append(run, glyphs[c])
		if i+1 < len(cells) && cells[i+1] == c || c <= ahead && i+1 < len(cells) && cells[i+1] <= ahead {
			continue
		}
		st := stBar
		switch c {
		case lost:
			st = stError
		case position, marker:
			st = stMarker
		case flaw:
			st = stFlaw
		}
		b.WriteString(st.Render(string(run)))
		run = run[:0]
	}
	b.WriteString(stError.Render(dmgNote))
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
	if m.opt.Warning != "" {
		parts = append(parts, stError.Render(cleanLine(m.opt.Warning)))
	}
	if d := m.damageText(); d != "" {
		parts = append(parts, stError.Render(d))
	} else if m.readErr != nil && m.status == "" {
		parts = append(parts, stError.Render("damaged recording: "+cleanLine(m.readErr.Error())))
	}
	if m.status != "" {
		st := cleanLine(m.status)
		if m.statusErr {
			st = stError.Render(st)
		}
		// The answer to the last key comes first.
		parts = append([]string{st}, parts...)
	}
	left := " " + strings.Join(parts, " · ")
	hint := stDim.Render("space play · ←→ seek · / search · p panels · ? help · q quit ")
	if ansi.StringWidth(left)+ansi.StringWidth(hint)+1 <= w {
		return pad(left, w-ansi.StringWidth(hint)) + hint
	}
	return pad(left, w)
}

// damageText says, for the status line, what of the recording could not
// be read: where it breaks and how much of it that leaves readable, or
// the bad lines skipped and from when the screen misses their events.
func (m *Model) damageText() string {
	d := m.dmg
	if d == nil || !d.Damaged() {
		return ""
	}
	var parts []string
	if d.Break != nil {
		p := fmt.Sprintf("damaged: unreadable from %s on, after %s", flawWhere(*d.Break), fmtOffset(d.Readable))
		if d.Duration > d.Readable {
			p += fmt.Sprintf(" of %s", fmtOffset(d.Duration))
		} else {
			p += " (how long the rest is, is not known)"
		}
		parts = append(parts, p)
	}
	if d.Skipped > 0 && len(d.Flaws) > 0 {
		f := d.Flaws[0]
		p := fmt.Sprintf("%d bad line skipped: %s, at %s", d.Skipped, flawWhere(f), fmtOffset(f.At))
		if d.Skipped > 1 {
			p = fmt.Sprintf("%d bad lines skipped, the first %s at %s", d.Skipped, flawWhere(f), fmtOffset(f.At))
		}
		if m.clock >= f.At {
			p += ": this screen may miss events"
		}
		if d.Break == nil {
			p = "damaged: " + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// flawWhere names the place of a flaw: its line, or its record.
func flawWhere(f recording.Flaw) string {
	switch {
	case f.Line > 0:
		return fmt.Sprintf("line %d", f.Line)
	case f.Record > 0:
		return fmt.Sprintf("record %d", f.Record)
	}
	return "a reading error"
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
	return append(lines, "",
		"  Timeline: ● the position, ◆ a marker, ✗ damage (a bad line skipped, or where the recording",
		"  breaks), ╌ the part past a break, which cannot be read. Panels: a ✗ row marks the damage",
		"  among the entries. The panels hide themselves when empty or when the recording needs the room.",
		"", stDim.Render("  ↑ ↓ space scroll; any other key closes this help"))
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
func safeFrame(s string) string { return sanitize.Frame(s) }

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
