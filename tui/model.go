package tui

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/session"
)

// Options configure the console.
type Options struct {
	// Events is where events are read: the cache or a remote API
	// (cmdutil.Factory.EventService), exactly as the logs commands read
	// them.
	Events audit.EventService
	// Compile turns the query bar's text into the filter to show, with
	// whatever the command line added (its filter flags and --since), and
	// says whether the default time window was applied because nothing
	// gave a time. Its errors are shown in place; a *query.SyntaxError
	// points at its column.
	Compile func(query string) (f audit.Filter, defaultWindow bool, err error)
	// Query is the initial query (-q).
	Query string
	// Where names what Events reads, for the header ("cache PATH",
	// "jumpcloud").
	Where string
	// Color: colours (off with --no-color or NO_COLOR; bold and reverse
	// video stay).
	Color bool
	// In and Out are the terminal (the process's when nil).
	In  io.Reader
	Out io.Writer
	// Location is the time zone of the table's times (nil: UTC).
	Location *time.Location
	// Now is the clock (nil: time.Now): where a window without an end
	// ends, for the overview's histogram.
	Now func() time.Time
	// Wake blocks until there may be new events for the live tail (t),
	// or ctx ends; nil polls every second (Poll). A store that can push
	// (PostgreSQL's LISTEN/NOTIFY) returns when it is told.
	Wake func(ctx context.Context) error
	// Config reads the config file (export.require_encryption refuses
	// an unencrypted export); nil: no config file.
	Config func() (*config.File, error)
	// SigningKey is the key that signs an export's manifest (that of
	// `logs export --manifest`) and, when it was created now, its file;
	// nil: the export form offers no manifest that can be signed.
	SigningKey func() (key ed25519.PrivateKey, created string, err error)
	// ChainHead reads the store's chain head for a manifest (nil with
	// --remote: no chain).
	ChainHead func(ctx context.Context) (*chain.ManifestChain, error)
	// ScryptWorkFactor is the export passphrase's scrypt work (log2; 0:
	// age's default). Tests lower it.
	ScryptWorkFactor int
	// Clipboard says, at each copy (y), whether the terminal takes an
	// OSC 52 sequence (OSC52); when it does not, the value is written to
	// CopyFile instead. Nil: OSC 52.
	Clipboard ClipboardCheck
	// CopyFile is where y writes a value the terminal cannot take
	// (DefaultCopyFile).
	CopyFile string
	// Sessions is Session History (the cache); nil with --remote.
	Sessions SessionFinder
	// Play plays the recording of a session on the terminal in, out
	// (the session player) and returns when the user quits it.
	Play func(ctx context.Context, s *session.Session, in io.Reader, out io.Writer) error
	// Watch follows an active session live in the player on the terminal
	// in, out (`sessions watch`) and returns when the user quits it.
	Watch func(ctx context.Context, s *session.Session, in io.Reader, out io.Writer) error
	// Terminate ends an active session (`sessions terminate`), the reason
	// going into the audit log.
	Terminate func(ctx context.Context, s *session.Session, reason string) error
	// ShowSession reads the panel of `sessions show`: the session, its
	// files, its user's audit events during it. Nil: the session's fields.
	ShowSession func(ctx context.Context, s *session.Session) (*SessionPanel, error)
	// SessionFilter is the sessions view's filter panel; nil: none.
	SessionFilter *SessionFilter
}

// SessionFinder lists sessions: the cache (session.Store).
type SessionFinder interface {
	FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error)
}

// The views, in Tab order.
type viewID int

const (
	viewOverview viewID = iota
	viewLogs
	viewSessions
	numViews
)

var viewNames = [...]string{"overview", "logs", "sessions"}

// Run runs the console until the user quits or ctx ends.
func Run(ctx context.Context, o Options) error {
	m := New(ctx, o)
	defer m.Close()
	popts := []tea.ProgramOption{tea.WithContext(ctx)}
	if o.In != nil {
		popts = append(popts, tea.WithInput(o.In))
	}
	if o.Out != nil {
		popts = append(popts, tea.WithOutput(o.Out))
	}
	if !o.Color {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	_, err := tea.NewProgram(m, popts...).Run()
	if err != nil && (ctx.Err() != nil || errors.Is(err, tea.ErrProgramKilled)) {
		return nil // interrupted
	}
	return err
}

// Model is the console's bubbletea model. Update reacts to keys, window
// sizes and the results of the work it started (each query runs in a
// command off the update loop, under a context cancelled when a newer
// query supersedes it); View draws the frame. It is used through a
// pointer: Update changes it in place.
type Model struct {
	opt    Options
	ctx    context.Context
	cancel context.CancelFunc

	width, height int
	st            styles

	view     viewID
	ov       overview
	logs     logsView
	sessions sessionsView
	bar      *queryBar
	detail   *detailPanel
	help     *helpPanel
	panel    *filterPanel // the open filter panel (f)
	pf       filterState  // the filter panel's applied state
	pivots   []frame      // what each pivot left, the last on top
	tail     tailState    // the live tail (t)
	over     overlay      // a list, a panel or a prompt in place of the body
	export   *exportPanel // the export form, or the export running (e)
	exportID int
	// layers are what is open over the logs view, in the order opened:
	// Esc closes the last.
	layers []layer

	values  map[audit.Field]*fieldValues // what the bar completes
	history []string                     // queries run from the bar, oldest first
	status  string                       // a message for the key line
	isErr   bool
}

type layer int

const (
	layerBar layer = iota
	layerDetail
	layerHelp
	layerFilter
	layerOverlay
	layerExport
)

// New returns the console's model; Init starts the first query.
func New(ctx context.Context, o Options) *Model {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{opt: o, ctx: ctx, cancel: cancel, width: 80, height: 24, st: newStyles(o.Color),
		values: map[audit.Field]*fieldValues{}}
	m.logs.init()
	return m
}

// Close stops the work still running.
func (m *Model) Close() { m.cancel() }

// Init runs the initial query; the overview is the first screen.
func (m *Model) Init() tea.Cmd {
	return m.runQuery(m.opt.Query)
}

func (m *Model) now() time.Time {
	if m.opt.Now != nil {
		return m.opt.Now()
	}
	return time.Now()
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	return m, m.update(msg)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 8)
		m.relayout()
		return m.resized()
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if p, ok := m.over.(*sessFilterPanel); ok && m.bar == nil {
			p.paste(msg)
			return nil
		}
		if l, ok := m.top(); ok && l == layerExport && m.export.job == nil {
			e := m.export
			if e.row != exFormat && e.row != exEncrypt {
				var cmd tea.Cmd
				e.inputs[e.row], cmd = e.inputs[e.row].Update(msg)
				return cmd
			}
			return nil
		}
		if l, ok := m.top(); ok && l == layerFilter {
			return m.panelInput(msg)
		}
		if m.bar != nil {
			return m.barInput(msg)
		}
		return nil
	case tea.MouseWheelMsg:
		return m.wheel(msg)
	case tea.MouseClickMsg:
		return m.click(msg)
	case pageMsg:
		return m.gotPage(msg)
	case totalMsg:
		m.gotTotal(msg)
		m.overviewTotal()
		return nil
	case overviewMsg:
		return m.gotOverview(msg)
	case exportTickMsg:
		return m.gotExportTick(msg)
	case exportDoneMsg:
		m.gotExportDone(msg)
		return nil
	case valuesMsg:
		return m.gotValues(msg)
	case tailWakeMsg:
		return m.gotTailWake(msg)
	case tailMsg:
		return m.gotTail(msg)
	case debounceMsg:
		if m.bar != nil && msg.gen == m.bar.gen {
			return m.runQuery(m.bar.input.Value())
		}
		return nil
	}
	if cmd, ok := m.sessionsUpdate(msg); ok {
		return cmd
	}
	if m.bar != nil {
		return m.barInput(msg) // the cursor's blink
	}
	return nil
}

// open pushes a layer; close pops the last one.
func (m *Model) open(l layer) { m.layers = append(m.layers, l) }

func (m *Model) closeLast() tea.Cmd {
	if len(m.layers) == 0 {
		return nil
	}
	l := m.layers[len(m.layers)-1]
	m.layers = m.layers[:len(m.layers)-1]
	switch l {
	case layerBar:
		return m.cancelBar()
	case layerExport:
		if m.export != nil && m.export.job == nil {
			m.export = nil
		}
	default:
		m.drop(l)
	}
	m.relayout()
	return nil
}

// drop forgets what the panel layer l shows (the bar and the export form
// are closed by their callers: the one cancels, the other may be running).
func (m *Model) drop(l layer) {
	switch l {
	case layerDetail:
		m.detail = nil
	case layerHelp:
		m.help = nil
	case layerFilter:
		if m.panel != nil {
			m.panel.cancel()
		}
		m.panel = nil
	case layerOverlay:
		m.over = nil
	}
}

// closeLayer removes l from the stack wherever it is.
func (m *Model) closeLayer(l layer) {
	for i, x := range m.layers {
		if x == l {
			m.layers = append(m.layers[:i], m.layers[i+1:]...)
			break
		}
	}
	if l == layerBar {
		if m.bar != nil {
			m.bar.cancel()
		}
		m.bar = nil
	} else {
		m.drop(l)
	}
	m.relayout()
}

func (m *Model) top() (layer, bool) {
	if len(m.layers) == 0 {
		return 0, false
	}
	return m.layers[len(m.layers)-1], true
}

func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	s := k.String()
	if m.bar == nil {
		m.setStatus("", false) // a message lasts until the next key
	}
	if s == "ctrl+c" {
		m.cancel()
		return tea.Quit
	}
	if l, ok := m.top(); ok {
		switch l {
		case layerBar:
			return m.barKey(k)
		case layerFilter:
			return m.filterKey(k)
		case layerExport:
			return m.exportKey(k)
		case layerHelp:
			if s == "q" {
				m.cancel()
				return tea.Quit
			}
			if m.help.key(s, m.bodyHeight()) {
				return nil
			}
			return m.closeLast()
		case layerDetail:
			if m.detail.copying != nil {
				return m.copyKey(s)
			}
			if m.detail.event != nil {
				switch s {
				case "v":
					m.turnPage()
					return nil
				case "y":
					m.detail.copying = &copyList{items: copyItems(m.detail.event)}
					return nil
				}
			}
			if s == "enter" && m.detail.enter != nil {
				return m.detail.enter()
			}
			if m.detail.key(s) {
				return nil
			}
		case layerOverlay:
			if cmd, ok := m.over.key(m, k); ok {
				return cmd
			}
		}
	}
	switch s {
	case "q":
		m.cancel()
		return tea.Quit
	case "esc":
		return m.closeLast()
	case "?":
		m.help = &helpPanel{}
		m.open(layerHelp)
		return nil
	case "/":
		m.closeLayer(layerDetail)
		m.view = viewLogs
		return m.openBar()
	case "tab":
		return m.switchTo((m.view + 1) % numViews)
	case "shift+tab":
		return m.switchTo((m.view + numViews - 1) % numViews)
	case "1":
		return m.switchTo(viewOverview)
	case "2":
		return m.switchTo(viewLogs)
	case "3":
		return m.switchTo(viewSessions)
	}
	if m.view == viewLogs {
		switch s {
		case "a", "i", "w":
			return m.pivot(s)
		case "backspace":
			return m.back()
		case "t":
			return m.toggleTail()
		case "e":
			m.closeLayer(layerDetail)
			return m.openExport()
		}
	}
	if m.detail != nil || m.over != nil {
		return nil
	}
	if m.view == viewSessions {
		return m.sessionsKey(s)
	}
	switch s {
	case "c":
		if m.logs.query == "" && m.pf.empty() {
			m.setStatus("no query or filter to clear", false)
			return nil
		}
		m.pf = filterState{}
		m.logs.allTime, m.logs.timeline = false, false
		return m.runQuery("")
	case "f":
		m.view = viewLogs
		return m.openFilter()
	case "r":
		return m.runQuery(m.logs.query)
	}
	if m.view == viewOverview {
		return m.overviewKey(s)
	}
	switch s {
	case "up", "k":
		return m.move(-1)
	case "down", "j":
		return m.move(1)
	case "pgup", "b":
		return m.move(-m.pageSize())
	case "pgdown", "space", " ":
		return m.move(m.pageSize())
	case "home", "g":
		return m.first()
	case "end", "G":
		return m.last()
	case "enter":
		return m.openDetail()
	case "y":
		m.openDetail()
		if m.detail != nil {
			m.detail.copying = &copyList{items: copyItems(m.detail.event)}
		}
	}
	return nil
}

// switchTo shows view v (closing a detail panel), reading it the first
// time.
func (m *Model) switchTo(v viewID) tea.Cmd {
	m.closeLayer(layerDetail)
	m.view = v
	m.setStatus("", false)
	if v == viewSessions {
		var load tea.Cmd
		if !m.sessions.loaded && !m.sessions.loading {
			load = m.loadSessions()
		}
		return tea.Batch(load, m.tickSessions())
	}
	if v == viewOverview {
		return m.loadOverview()
	}
	return nil
}

func (m *Model) setStatus(s string, isErr bool) { m.status, m.isErr = s, isErr }

// bodyHeight is the number of lines between the query line and the
// footer.
func (m *Model) bodyHeight() int {
	h := m.height - 4 // header, query line, footer, key line
	h -= m.barLines()
	return max(h, 1)
}

// pageSize is the number of table rows on screen (a page).
func (m *Model) pageSize() int { return max(m.bodyHeight()-1, 1) }

// relayout fits what depends on the size.
func (m *Model) relayout() {
	if m.logs.timeline {
		m.logs.layout(m.width-timelineGutter, m.tableOpts())
	} else {
		m.logs.layout(m.width, m.tableOpts())
	}
	m.logs.scrollTo(m.pageSize())
	m.sessions.layout(m.width, output.Options{Color: m.opt.Color, Location: m.opt.Location})
	if m.detail != nil {
		m.detail.resize(m.width, m.bodyHeight()-1)
	}
	if m.bar != nil {
		m.bar.input.SetWidth(max(m.width-3, 1))
	}
}

// isOpen says whether layer l is open.
func (m *Model) isOpen(l layer) bool {
	for _, x := range m.layers {
		if x == l {
			return true
		}
	}
	return false
}
