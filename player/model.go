package player

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/keys"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/player/seek"
	"github.com/auditctl/auditctl/player/vt"
)

// Options configure the player.
type Options struct {
	// Path is the recording file.
	Path string
	// Rec are the options for reading it.
	Rec recording.Options
	// SeekDir is the seek index cache directory ("" for the default).
	SeekDir string
	// NoIndex plays without a seek index: seeks read from the start.
	NoIndex bool
	// IndexThreshold is the size from which the index is cached on disk;
	// smaller recordings are indexed in memory. 0 means 16 MiB.
	IndexThreshold int64
	// In and Out are the host terminal (nil: the process's).
	In  io.Reader
	Out io.Writer

	// Live follows a recording that is still being written (`sessions
	// watch`): the player shows the live screen and can seek back in what
	// is written so far. LiveDone reports that the session has ended (see
	// recording.Follow); nil means it ends with the recording's exit event.
	Live     bool
	LiveDone func() bool

	// Start, when set, picks the moment to open at once the duration is
	// known (`sessions play --at`).
	Start func(duration time.Duration) (time.Duration, error)

	// Paused opens the player paused; by default it starts playing at once,
	// as `asciinema play` and `tsh play` do (`sessions play --paused`).
	// A live view ignores it: it shows the live edge.
	Paused bool

	// Warning, when set, stays in the status line for the whole session:
	// what the user must keep in mind (`sessions play --allow-modified`:
	// the recording was changed after it was registered).
	Warning string

	stride int64 // the index's stride (tests)
}

func (o Options) indexThreshold() int64 {
	if o.IndexThreshold > 0 {
		return o.IndexThreshold
	}
	return 16 << 20
}

// Run plays the recording in the terminal until the user quits.
func Run(ctx context.Context, o Options) error {
	m, err := New(ctx, o)
	if err != nil {
		return err
	}
	defer m.Close()
	var popts []tea.ProgramOption
	popts = append(popts, tea.WithContext(ctx))
	if o.In != nil {
		popts = append(popts, tea.WithInput(o.In))
	}
	if o.Out != nil {
		popts = append(popts, tea.WithOutput(o.Out))
	}
	_, err = tea.NewProgram(m, popts...).Run()
	if err != nil && ctx.Err() != nil {
		return nil // interrupted
	}
	return err
}

// speeds are the playback speeds, +/- move between them.
var speeds = []float64{0.25, 0.5, 1, 2, 4, 8, 16}

// frameInterval is the playback clock's tick.
const frameInterval = time.Second / 30

// defaultIdle is the idle limit when the recording sets none.
const defaultIdle = 2 * time.Second

type panel int

// panelsPref is what the user asked of the side panels (p).
type panelsPref int

const (
	panelsAuto   panelsPref = iota // shown when they hold something and leave the recording room
	panelsHidden                   // hidden
	panelsShown                    // shown, even beside a clipped screen
)

const (
	panelKeys panel = iota
	panelQueries
)

// meta is what the header shows, from the recording's header.
type meta struct {
	user, email, resource, category, title string
	start                                  time.Time
}

// Model is the player's bubbletea model. Update reacts to messages (keys,
// window sizes, the playback clock's ticks, and what the background work
// sends back); View assembles the frame from what Update rendered. It is
// used through a pointer: Update changes it in place.
type Model struct {
	opt    Options
	ctx    context.Context
	cancel context.CancelFunc
	hdr    recording.Header
	meta   meta

	// Playback.
	pb       playback
	clock    time.Duration // the moment shown
	playing  bool
	speedIx  int
	idle     bool
	idleLim  time.Duration
	lastTick time.Time
	tickGen  int   // ticks of another generation are stale
	readErr  error // a bad line met while playing

	// From the metadata pass.
	keys     []keys.Row // grouped as `sessions keystrokes` does
	commands []keys.Command
	cmdView  bool // the keystroke panel lists the command lines
	queries  []queryEntry
	markers  []markerEntry
	gaps     []gap
	scanDur  time.Duration
	scanDone bool
	scanErr  error
	keysSkip int
	dmg      *recording.Damage // what could not be read (nil: nothing, or not known yet)
	dmgAll   []recording.Flaw  // dmg.All(): the panels mark them
	scanCh   chan tea.Msg

	// The seek index.
	indexCh  chan tea.Msg
	ix       *seek.Index
	ixErr    error
	ixDone   int64
	ixTotal  int64
	indexing bool

	// Seeks and steps in flight (results of older ones are dropped).
	seekSeq int
	seeking bool
	// seekByClock: the seek in flight is playback's own, so the wall time
	// it takes still counts.
	seekByClock bool
	seekStop    context.CancelFunc
	stepSeq     int
	stepping    bool
	// gotoAsked: the seek in flight is a go-to typed at the prompt (this
	// text), which says so when it lies past the end.
	gotoAsked string

	// Search and the prompt.
	searchSeq int
	srch      *searchState
	hl        *highlighter // marks the search text on the screen
	input     lineInput
	inputOn   bool

	// Live mode.
	live      bool
	liveTerm  *vt.Terminal
	liveAt    time.Duration
	liveEnded bool
	atEdge    bool
	started   bool // Options.Start was applied

	// Layout and panels.
	width, height int
	focus         panel
	panelPref     panelsPref
	keySel        int
	querySel      int
	follow        bool // the panels' selection follows playback
	help          bool
	helpTop       int // the first line of the help shown (it scrolls when the window is short)
	status        string
	statusErr     bool
	statusGen     int // bumped by each message; a message's timer clears it only if unchanged
	statusTimed   int // the generation whose expiry timer is running

	// Render cache: the screen is rendered in Update when it changed.
	rend      *screenRenderer
	frame     frame
	dirty     bool
	frameAt   time.Duration
	frameTerm any
	frameL    layout // the layout it was rendered for
}

type searchState struct {
	q       string
	seq     int
	cancel  context.CancelFunc
	matches []time.Duration
	at      time.Duration
	done    bool
	err     error
	jumped  bool
}

// New opens the recording and reads its first screen. The index, the
// metadata pass and playback start with Init.
func New(ctx context.Context, o Options) (*Model, error) {
	sp, err := openStream(o.Path, o.Rec)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{
		opt: o, ctx: ctx, cancel: cancel, hdr: sp.rd.Header(), pb: sp,
		speedIx: 2, follow: true, rend: newScreenRenderer(), dirty: true,
		width: 80, height: 24,
	}
	if o.Live {
		sp.Close()
		m.live, m.atEdge = true, true
		m.liveTerm = vt.New(m.hdr.Width, m.hdr.Height)
		m.pb = livePlayback{m}
		m.opt.NoIndex = true
	}
	m.meta = headerMeta(m.hdr)
	m.idleLim = defaultIdle
	if m.hdr.Idle > 0 {
		m.idleLim = time.Duration(m.hdr.Idle * float64(time.Second))
	}
	if !o.Live {
		m.readErr = advanceTolerant(sp, 0)
	}
	m.refresh()
	return m, nil
}

func headerMeta(h recording.Header) meta {
	md := meta{title: h.Title, start: h.Timestamp}
	if len(h.Audit) > 0 {
		var a map[string]any
		if json.Unmarshal(h.Audit, &a) == nil {
			get := func(k string) string {
				if s, ok := a[k].(string); ok {
					return s
				}
				return ""
			}
			md.user, md.email = get("user_name"), get("user_email")
			md.resource, md.category = get("resource_name"), get("category")
			if md.start.IsZero() {
				if t, err := time.Parse(time.RFC3339Nano, get("start")); err == nil {
					md.start = t
				}
			}
		}
	}
	return md
}

// Close stops the background work and releases the recording.
func (m *Model) Close() {
	m.cancel()
	if m.pb != nil {
		m.pb.Close()
	}
	if m.ix != nil {
		m.ix.Close()
	}
}

// Init starts the metadata pass, the index and, unless Options.Paused,
// playback.
func (m *Model) Init() tea.Cmd {
	if m.live {
		return listen(follow(m.ctx, m.opt, m.idleLim))
	}
	m.scanCh = scan(m.ctx, m.opt, m.idleLim)
	cmds := []tea.Cmd{listen(m.scanCh)}
	if !m.opt.Paused {
		cmds = append(cmds, m.setPlaying(true))
	}
	if !m.opt.NoIndex {
		m.indexing = true
		m.indexCh = loadIndex(m.ctx, m.opt)
		cmds = append(cmds, listen(m.indexCh))
	}
	return tea.Batch(cmds...)
}

type tickMsg struct {
	gen int
	t   time.Time
}

type stepMsg struct {
	seq int
	t   time.Duration
	ok  bool
	err error
}

func (m *Model) tick() tea.Cmd {
	gen := m.tickGen
	return tea.Tick(frameInterval, func(t time.Time) tea.Msg { return tickMsg{gen: gen, t: t} })
}

// Update reacts to one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	if m.status != "" && m.statusTimed != m.statusGen {
		m.statusTimed = m.statusGen
		cmd = tea.Batch(cmd, expireStatus(m.statusGen, m.statusErr))
	}
	if m.opt.Start != nil && !m.started && m.durationKnown() {
		m.started = true
		if t, err := m.opt.Start(m.duration()); err != nil {
			m.setError(err)
		} else {
			cmd = tea.Batch(cmd, m.seekTo(t))
		}
	}
	m.refresh()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.dirty = true
		return nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.inputOn {
			m.input.update(tea.KeyPressMsg{Text: msg.Content})
		}
		return nil
	case statusExpiredMsg:
		if msg.gen == m.statusGen {
			m.status, m.statusErr = "", false
		}
		return nil
	case tickMsg:
		if msg.gen != m.tickGen || !m.playing {
			return nil
		}
		cmd := m.advanceClock(msg.t)
		if !m.playing {
			return cmd
		}
		return tea.Batch(cmd, m.tick())
	case seekMsg:
		if msg.seq != m.seekSeq {
			if msg.pb != nil {
				msg.pb.Close()
			}
			return nil
		}
		m.seeking = false
		if msg.pb == nil {
			m.setError(fmt.Errorf("seek: %w", msg.err))
			return nil
		}
		if m.pb != nil {
			m.pb.Close()
		}
		m.pb, m.readErr = msg.pb, msg.err
		m.clock = msg.to
		if at, broken := m.breakAt(); broken && m.clock > at {
			// Past the break: nothing after it can be read. Playback
			// stops here, with this message rather than its own.
			m.clock = min(at, m.pb.At())
			m.setError(m.pastBreak(msg.to))
			m.setPlaying(false)
		} else if m.pb.Done() && m.clock > m.pb.At() {
			// Past the last event, found by reading: the end.
			m.clock = m.pb.At()
			if m.gotoAsked != "" {
				m.setError(pastEnd(m.gotoAsked, m.clock))
				m.setPlaying(false)
			}
		}
		m.gotoAsked = ""
		if !m.seekByClock {
			m.lastTick = time.Time{}
		}
		m.dirty = true
		return nil
	case stepMsg:
		if msg.seq != m.stepSeq {
			return nil
		}
		m.stepping = false
		if m.seeking {
			return nil
		}
		switch {
		case msg.err != nil:
			m.setError(fmt.Errorf("step: %w", msg.err))
		case !msg.ok:
			m.clock = max(m.clock, m.pb.At())
			m.setStatus("at the last event")
		default:
			m.clock = msg.t
			m.readErr = advanceTolerant(m.pb, m.clock)
			m.follow = true
		}
		return nil
	case liveMsg:
		return m.liveEvents(msg)
	case scanMsg:
		m.addScan(msg)
		if msg.done {
			m.scanDone, m.scanErr = true, msg.err
			if _, broken := m.breakAt(); msg.err != nil && !broken {
				// Not a break in the recording (the timeline and the
				// status line show those): say it once.
				m.setError(fmt.Errorf("reading %s: %w (showing what could be read)", m.opt.Path, msg.err))
			}
			return nil
		}
		return listen(msg.ch)
	case indexProgressMsg:
		m.ixDone, m.ixTotal = msg.done, msg.total
		return listen(msg.ch)
	case indexMsg:
		m.indexing = false
		m.ix, m.ixErr = msg.ix, msg.err
		if m.ix != nil && !m.scanDone {
			if d := m.ix.Damage(); d.Damaged() {
				m.setDamage(d)
			}
		}
		return nil
	case searchMsg:
		return m.searchResult(msg)
	}
	return nil
}

// addScan adds what the metadata pass (or the live follower) found.
func (m *Model) addScan(msg scanMsg) {
	for _, k := range msg.keys {
		m.keys = keys.AppendRow(m.keys, k.t, 0, k.k)
	}
	m.commands = append(m.commands, msg.commands...)
	m.queries = append(m.queries, msg.queries...)
	m.markers = append(m.markers, msg.markers...)
	m.gaps = append(m.gaps, msg.gaps...)
	m.scanDur = max(m.scanDur, msg.duration)
	m.keysSkip += msg.skipped
	if msg.damage != nil {
		m.setDamage(*msg.damage)
	}
}

// duration is the recording's duration as far as it is known: for a
// recording that breaks early, the whole recording's when its header
// gives it (see breakAt for the readable part).
func (m *Model) duration() time.Duration {
	if m.live {
		return max(m.scanDur, m.liveAt)
	}
	var whole time.Duration
	if m.dmg != nil {
		whole = m.dmg.Duration
	}
	if m.ix != nil {
		return max(m.ix.Duration, whole)
	}
	d := max(m.scanDur, m.pb.At(), whole)
	if !m.scanDone && m.hdr.Duration > 0 {
		d = max(d, time.Duration(m.hdr.Duration*float64(time.Second)))
	}
	return d
}

func (m *Model) durationKnown() bool { return m.ix != nil || m.scanDone || m.live }

func (m *Model) setDamage(d recording.Damage) {
	m.dmg, m.dmgAll = &d, d.All()
}

// breakAt returns where the readable part of a recording that breaks
// early (a file cut mid-line, a compressed stream cut short) ends; ok is
// false when the recording reads to its end (or that is not known yet).
func (m *Model) breakAt() (at time.Duration, ok bool) {
	if m.dmg != nil && m.dmg.Break != nil {
		return m.dmg.Readable, true
	}
	return 0, false
}

// playEnd is the last moment playback can show: the end, or the break;
// ok is false while that is not known.
func (m *Model) playEnd() (end time.Duration, ok bool) {
	if at, broken := m.breakAt(); broken {
		return at, true
	}
	return m.duration(), m.durationKnown()
}

// pastBreak says that moment t lies past the break of the recording.
func (m *Model) pastBreak(t time.Duration) error {
	b := m.dmg.Break
	return fmt.Errorf("%s lies past the damage: the recording is unreadable after %s (%s): showing the last readable screen",
		fmtOffset(t), fmtOffset(m.dmg.Readable), flawWhere(*b))
}

// advanceClock moves the clock by the wall time since the last tick times
// the speed, skipping idle time beyond the limit when that is on. When an
// index snapshot lies between the screen shown and the new time (a burst of
// output, or a high speed), the move is a seek in the background, which
// replays at most one stride, instead of replaying everything in Update.
func (m *Model) advanceClock(now time.Time) tea.Cmd {
	if m.seeking {
		return nil // the time passes on to the tick after the seek
	}
	if m.live && m.atEdge {
		return nil
	}
	if m.lastTick.IsZero() {
		m.lastTick = now
		return nil
	}
	dt := now.Sub(m.lastTick)
	m.lastTick = now
	if dt <= 0 {
		return nil
	}
	next := m.clock + time.Duration(float64(dt)*speeds[m.speedIx])
	if m.idle {
		next = m.skipIdle(next)
	}
	end, endKnown := m.playEnd()
	if endKnown && next >= end {
		next = end
	}
	if m.ix != nil && m.crossesPoint(m.pb.At(), next) {
		cmd := m.seekTo(next)
		m.seekByClock = true
		return cmd
	}
	m.clock = next
	m.readErr = advanceTolerant(m.pb, m.clock)
	if m.live && (m.clock >= m.liveAt || m.pb.Done()) {
		m.goLive()
		return nil
	}
	if endKnown && m.clock >= end || !endKnown && m.pb.Done() {
		m.playing = false
		m.tickGen++
		if at, broken := m.breakAt(); broken {
			m.setError(fmt.Errorf("the recording is unreadable after %s (%s): end of the readable part", fmtOffset(at), flawWhere(*m.dmg.Break)))
		} else {
			m.setStatus("end of recording")
		}
	}
	return nil
}

// crossesPoint reports whether an index snapshot was taken after time a and
// at or before b.
func (m *Model) crossesPoint(a, b time.Duration) bool {
	pts := m.ix.Points
	i := sort.Search(len(pts), func(i int) bool { return pts[i].Time > a })
	return i < len(pts) && pts[i].Time <= b
}

// skipIdle cuts the pauses longer than the idle limit: once the clock has
// spent the limit in such a pause, it goes on from the event that ends it.
func (m *Model) skipIdle(to time.Duration) time.Duration {
	for range 1000 {
		i := sort.Search(len(m.gaps), func(i int) bool { return m.gaps[i].to > to })
		if i == len(m.gaps) || m.gaps[i].from > to {
			return to
		}
		g := m.gaps[i]
		over := to - g.from - m.idleLim
		if over <= 0 {
			return to
		}
		to = g.to + over
	}
	return to
}

// seekTo moves to t through the index (or by reading from the start).
func (m *Model) seekTo(t time.Duration) tea.Cmd {
	t = max(t, 0)
	if m.live && t >= m.liveAt {
		m.goLive()
		return nil
	}
	return m.startSeek(t)
}

// startSeek opens a playback at t in the background.
func (m *Model) startSeek(t time.Duration) tea.Cmd {
	m.atEdge = false
	if m.durationKnown() {
		t = min(t, m.duration())
	}
	m.clock = t
	m.follow = true
	if m.seekStop != nil {
		m.seekStop()
	}
	m.seekSeq++
	m.seeking, m.seekByClock, m.gotoAsked = true, false, ""
	ctx, stop := context.WithCancel(m.ctx)
	m.seekStop = stop
	seq, o, ix := m.seekSeq, m.opt, m.ix
	return func() tea.Msg {
		defer stop()
		pb, err := openAt(ctx, o, ix, t)
		return seekMsg{seq: seq, to: t, pb: pb, err: err}
	}
}

func (m *Model) setPlaying(on bool) tea.Cmd {
	if on == m.playing {
		return nil
	}
	if on && m.live && m.atEdge {
		// Pause the live view: hold the screen as it is now; playing
		// resumes from there (G goes back to live).
		m.setStatus("live view paused: space plays on from here, G goes back to live")
		return m.startSeek(m.liveAt)
	}
	m.playing = on
	m.tickGen++
	m.lastTick = time.Time{}
	if !on {
		return nil
	}
	if end, ok := m.playEnd(); ok && m.clock >= end {
		m.setStatus("")
		return tea.Batch(m.seekTo(0), m.tick())
	}
	return m.tick()
}

// setStatus shows a message in the status line for statusTTL.
func (m *Model) setStatus(s string) {
	m.status, m.statusErr = s, false
	m.statusGen++
}

// setError shows an error in the status line for errorTTL.
func (m *Model) setError(err error) {
	m.status, m.statusErr = err.Error(), true
	m.statusGen++
}

// How long status messages and errors stay.
var (
	statusTTL = 4 * time.Second
	errorTTL  = 8 * time.Second
)

// statusExpiredMsg clears the status message of generation gen, unless
// another one replaced it since.
type statusExpiredMsg struct{ gen int }

func expireStatus(gen int, isErr bool) tea.Cmd {
	ttl := statusTTL
	if isErr {
		ttl = errorTTL
	}
	return tea.Tick(ttl, func(time.Time) tea.Msg { return statusExpiredMsg{gen: gen} })
}

// key handles a key press.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	s := k.String()
	if m.inputOn {
		switch s {
		case "enter":
			m.inputOn = false
			if m.input.prompt == promptTime {
				return m.gotoTime(string(m.input.value))
			}
			return m.startSearch(string(m.input.value))
		case "esc", "ctrl+c":
			m.inputOn = false
			return nil
		}
		m.input.update(k)
		return nil
	}
	if m.help {
		switch s {
		case "q", "ctrl+c":
			return tea.Quit
		case "up", "k":
			m.helpTop = max(m.helpTop-1, 0)
		case "down", "j":
			m.helpTop++
		case "pgup":
			m.helpTop = max(m.helpTop-10, 0)
		case "pgdown", "space", " ":
			m.helpTop += 10
		default:
			m.help = false
		}
		m.helpTop = clamp(m.helpTop, 0, len(helpText())-m.layout().bodyH)
		return nil
	}
	switch s {
	case "q", "ctrl+c":
		m.cancel()
		return tea.Quit
	case "?":
		m.help, m.helpTop = true, 0
	case "esc":
		if m.srch != nil && !m.srch.done {
			m.srch.cancel()
			m.srch.done = true
			m.setStatus("search canceled")
		}
	case "space", " ":
		return m.setPlaying(!m.playing)
	case "left":
		return m.seekTo(m.clock - 5*time.Second)
	case "right":
		return m.seekTo(m.clock + 5*time.Second)
	case "shift+left", "[":
		return m.seekTo(m.clock - time.Minute)
	case "shift+right", "]":
		return m.seekTo(m.clock + time.Minute)
	case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9":
		if !m.durationKnown() {
			m.setStatus("the duration is not known yet: still reading the recording")
			return nil
		}
		n := int(s[0] - '0')
		return m.seekTo(m.duration() * time.Duration(n) / 10)
	case "g", "home":
		return m.seekTo(0)
	case "G", "end":
		end, ok := m.playEnd()
		if !ok {
			m.setStatus("the end is not known yet: still reading the recording")
			return nil
		}
		return m.seekTo(end)
	case ".":
		if m.seeking {
			return nil
		}
		cmd := m.setPlaying(false)
		m.stepSeq++
		m.stepping = true
		seq, o, ix, at := m.stepSeq, m.opt, m.ix, m.clock
		ctx := m.ctx
		return tea.Batch(cmd, func() tea.Msg {
			t, ok, err := nextEventAfter(ctx, o, ix, at)
			return stepMsg{seq: seq, t: t, ok: ok, err: err}
		})
	case "+", "=":
		m.speedIx = min(m.speedIx+1, len(speeds)-1)
		m.lastTick = time.Time{}
	case "-", "_":
		m.speedIx = max(m.speedIx-1, 0)
		m.lastTick = time.Time{}
	case "i":
		m.idle = !m.idle
		if m.idle {
			m.setStatus(fmt.Sprintf("idle limit on: pauses longer than %s are cut", fmtSeconds(m.idleLim)))
		} else {
			m.setStatus("idle limit off: real time")
		}
	case "/":
		m.inputOn = true
		m.input.prompt, m.input.value = promptSearch, m.input.value[:0]
	case "t", ":":
		m.inputOn = true
		m.input.prompt, m.input.value = promptTime, m.input.value[:0]
	case "n":
		return m.jumpMatch(true)
	case "N":
		return m.jumpMatch(false)
	case "m":
		for _, mk := range m.markers {
			if mk.t > m.clock {
				m.setStatus("marker: " + cleanLine(mk.label))
				return m.seekTo(mk.t)
			}
		}
		m.setStatus("no marker after this point")
	case "M":
		for i := len(m.markers) - 1; i >= 0; i-- {
			if m.markers[i].t < m.clock {
				m.setStatus("marker: " + cleanLine(m.markers[i].label))
				return m.seekTo(m.markers[i].t)
			}
		}
		m.setStatus("no marker before this point")
	case ">", "<":
		return m.jumpEntry(s == ">")
	case "c":
		m.cmdView = !m.cmdView
		m.follow, m.keySel = true, 0
		if m.cmdView {
			m.setStatus("keystroke panel: the command lines typed (c: keys)")
		} else {
			m.setStatus("keystroke panel: the keys typed (c: command lines)")
		}
	case "p":
		if m.layout().panelW > 0 {
			m.panelPref = panelsHidden
			m.setStatus("panels hidden (p shows them)")
		} else if m.width < 60 {
			m.setStatus("the window is too narrow for the panels")
		} else {
			// Back to automatic when that shows them; else shown anyway.
			m.panelPref = panelsAuto
			if m.layout().panelW == 0 {
				m.panelPref = panelsShown
			}
			m.setStatus("panels shown (p hides them)")
		}
		m.dirty = true
	case "tab", "shift+tab":
		if m.showQueries() {
			m.focus = 1 - m.focus
		}
	case "up", "k":
		m.moveSel(-1)
	case "down", "j":
		m.moveSel(1)
	case "pgup":
		m.moveSel(-10)
	case "pgdown":
		m.moveSel(10)
	case "enter":
		if t, ok := m.selectedTime(); ok {
			m.follow = true
			return m.seekTo(t)
		}
	}
	return nil
}

// Prompts of the input line.
const (
	promptSearch = " search: "
	promptTime   = " go to (1:30, 90s, 1m30s, 50%): "
)

// gotoTime seeks to a time typed at the prompt.
func (m *Model) gotoTime(s string) tea.Cmd {
	t, pct, err := parseMoment(s)
	if err != nil {
		m.setError(err)
		return nil
	}
	if pct >= 0 {
		if !m.durationKnown() {
			m.setStatus("the duration is not known yet: still reading the recording")
			return nil
		}
		t = time.Duration(float64(m.duration()) * pct)
	}
	if at, broken := m.breakAt(); broken && t > at {
		m.setError(m.pastBreak(t))
		m.setPlaying(false)
		return m.seekTo(at)
	}
	if m.durationKnown() && t > m.duration() {
		m.setError(pastEnd(s, m.duration()))
		m.setPlaying(false) // at the end: stopped, with this message
		return m.seekTo(m.duration())
	}
	cmd := m.seekTo(t)
	m.gotoAsked = strings.TrimSpace(s)
	return cmd
}

// pastEnd says that a moment typed at the go-to prompt lies past the end.
func pastEnd(typed string, end time.Duration) error {
	return fmt.Errorf("%s is past the end of the recording (%s): showing the end", strings.TrimSpace(typed), fmtOffset(end))
}

// parseMoment reads a time from the start: "90", "90.5", "1:30",
// "1:02:03.5", "1m30s", or a percentage "50%" (then pct is 0..1, else -1).
func parseMoment(s string) (t time.Duration, pct float64, err error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("not a time: %q (try 1:30, 90s, 1m30s or 50%%)", s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f < 0 || f > 100 {
			return 0, 0, bad
		}
		return 0, f / 100, nil
	}
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		if len(parts) > 3 {
			return 0, 0, bad
		}
		var total float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil || f < 0 || (i > 0 && f >= 60) || (i < len(parts)-1 && strings.Contains(p, ".")) {
				return 0, 0, bad
			}
			total = total*60 + f
		}
		return time.Duration(total * float64(time.Second)), -1, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), -1, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, -1, nil
	}
	return 0, 0, bad
}

// jumpEntry seeks to the next (or previous) keystroke, or query when the
// query panel has the focus.
func (m *Model) jumpEntry(forward bool) tea.Cmd {
	n, at := m.keyList()
	what := "keystroke"
	if m.cmdView {
		what = "command"
	}
	if m.focus == panelQueries && m.showQueries() {
		what, n = "query", len(m.queries)
		at = func(i int) time.Duration { return m.queries[i].t }
	}
	if forward {
		if i := sort.Search(n, func(i int) bool { return at(i) > m.clock }); i < n {
			return m.seekTo(at(i))
		}
		m.setStatus("no " + what + " after this point")
		return nil
	}
	if i := sort.Search(n, func(i int) bool { return at(i) >= m.clock }) - 1; i >= 0 {
		return m.seekTo(at(i))
	}
	m.setStatus("no " + what + " before this point")
	return nil
}

// keyList is the keystroke panel's list: its length and the time of each
// entry (a row of keys, or a command line).
func (m *Model) keyList() (n int, at func(i int) time.Duration) {
	if m.cmdView {
		return len(m.commands), func(i int) time.Duration { return m.commands[i].Start }
	}
	return len(m.keys), func(i int) time.Duration { return m.keys[i].Time }
}

// currentKey is the index of the last entry of the keystroke panel at or
// before the clock (-1: none).
func (m *Model) currentKey() int {
	n, at := m.keyList()
	return sort.Search(n, func(i int) bool { return at(i) > m.clock }) - 1
}

func (m *Model) currentQuery() int {
	return sort.Search(len(m.queries), func(i int) bool { return m.queries[i].t > m.clock }) - 1
}

func (m *Model) showQueries() bool {
	return m.meta.category == "database" || len(m.queries) > 0
}

func (m *Model) moveSel(d int) {
	if m.follow {
		m.keySel, m.querySel = max(m.currentKey(), 0), max(m.currentQuery(), 0)
		m.follow = false
	}
	if m.focus == panelQueries && m.showQueries() {
		m.querySel = clamp(m.querySel+d, 0, len(m.queries)-1)
	} else {
		n, _ := m.keyList()
		m.keySel = clamp(m.keySel+d, 0, n-1)
	}
}

func (m *Model) selectedTime() (time.Duration, bool) {
	if m.focus == panelQueries && m.showQueries() {
		i := m.querySel
		if m.follow {
			i = m.currentQuery()
		}
		if i >= 0 && i < len(m.queries) {
			return m.queries[i].t, true
		}
		return 0, false
	}
	i := m.keySel
	if m.follow {
		i = m.currentKey()
	}
	if n, at := m.keyList(); i >= 0 && i < n {
		return at(i), true
	}
	return 0, false
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

// startSearch cancels a running search and starts one for q.
func (m *Model) startSearch(q string) tea.Cmd {
	if m.srch != nil && !m.srch.done {
		m.srch.cancel()
	}
	if q == "" {
		m.srch, m.dirty = nil, true
		return nil
	}
	m.searchSeq++
	ctx, cancel := context.WithCancel(m.ctx)
	m.srch = &searchState{q: q, seq: m.searchSeq, cancel: cancel}
	m.hl = newHighlighter(q)
	m.dirty = true
	m.setStatus("")
	return listen(search(ctx, m.opt, m.searchSeq, q))
}

func (m *Model) searchResult(msg searchMsg) tea.Cmd {
	s := m.srch
	if s == nil || msg.seq != s.seq {
		return nil // a canceled search
	}
	s.matches = append(s.matches, msg.matches...)
	s.at = msg.at
	var cmds []tea.Cmd
	if msg.done {
		s.done, s.err = true, msg.err
		s.cancel()
		if msg.err != nil {
			m.setError(fmt.Errorf("search: %w", msg.err))
		}
	} else {
		cmds = append(cmds, listen(msg.ch))
	}
	if !s.jumped && len(s.matches) > 0 {
		s.jumped = true
		cmds = append(cmds, m.setPlaying(false), m.seekTo(s.matches[0]))
	}
	return tea.Batch(cmds...)
}

func (m *Model) jumpMatch(forward bool) tea.Cmd {
	s := m.srch
	if s == nil {
		m.setStatus("no search: press / first")
		return nil
	}
	if forward {
		i := sort.Search(len(s.matches), func(i int) bool { return s.matches[i] > m.clock })
		if i < len(s.matches) {
			return m.seekTo(s.matches[i])
		}
	} else {
		i := sort.Search(len(s.matches), func(i int) bool { return s.matches[i] >= m.clock }) - 1
		if i >= 0 {
			return m.seekTo(s.matches[i])
		}
	}
	if s.done {
		m.setStatus("no more matches")
	} else {
		m.setStatus("no more matches yet: still searching")
	}
	return nil
}

// refresh re-renders the screen when it changed.
func (m *Model) refresh() {
	if m.pb == nil {
		return
	}
	term := m.pb.Terminal()
	l := m.layout()
	if !m.dirty && m.frameAt == m.pb.At() && m.frameTerm == any(term) && m.frameL == l {
		return
	}
	var hl *highlighter
	if m.srch != nil {
		hl = m.hl
	}
	m.frame = m.rend.render(term, l.screenW, l.bodyH, hl)
	m.frameAt, m.frameTerm, m.frameL, m.dirty = m.pb.At(), term, l, false
}
