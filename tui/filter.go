package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// The filter panel (`f`) is seed 000's: a date range with relative
// presets, service, action, error state, browser, duration min/max, and
// actor, IP, category, workflow, source. It is no second filter language:
// each field is read as the flag of the same name reads it
// (cmdutil.ParseFlagValues: the -q language's values, a,b ORs; times as
// --since reads them; durations as the query's duration: reads them), and
// the panel's filter is ANDed to the query's as the command line's flags
// are to -q (audit.Filter.Merge).

// datePresets are the date range's choices; "" is the default window.
var datePresets = []struct{ label, since string }{
	{"default (last 7 days)", ""},
	{"last 1 hour", "1h"},
	{"last 24 hours", "24h"},
	{"last 7 days", "7d"},
	{"last 30 days", "30d"},
	{"last 90 days", "90d"},
	{"all time", "all"},
	{"custom (from / to)", "custom"},
}

// errorStates are the error state's choices (seed 000: All, Success,
// Error).
var errorStates = []struct{ label, status string }{
	{"all", ""}, {"success", "success"}, {"error (failure)", "failure"},
}

// panelRow is one row of the panel.
type panelRow struct {
	label string
	flag  string      // the flag whose values it takes ("" for the others)
	field audit.Field // the field it filters
	kind  int         // rowText, rowDate, rowError
}

const (
	rowText = iota
	rowDate
	rowError
	rowFrom
	rowTo
	rowMinDur
	rowMaxDur
)

var panelRows = []panelRow{
	{label: "Date range", kind: rowDate},
	{label: "  from", kind: rowFrom},
	{label: "  to", kind: rowTo},
	{label: "Service", flag: "service", field: audit.FieldService},
	{label: "Action", flag: "action", field: audit.FieldAction},
	{label: "Error state", kind: rowError},
	{label: "Browser", flag: "browser", field: audit.FieldBrowser},
	{label: "Duration min (ms)", kind: rowMinDur},
	{label: "Duration max (ms)", kind: rowMaxDur},
	{label: "Actor", flag: "actor", field: audit.FieldActor},
	{label: "IP", flag: "ip", field: audit.FieldIP},
	{label: "Category", flag: "category", field: audit.FieldCategory},
	{label: "Workflow", flag: "workflow", field: audit.FieldWorkflow},
	{label: "Source", flag: "source", field: audit.FieldSource},
}

// filterState is what the panel holds: the texts of its rows and its two
// choices. The zero value filters nothing.
type filterState struct {
	preset int             // datePresets
	errst  int             // errorStates
	text   [numRows]string // one per row; the choice rows leave theirs empty
}

// numRows is len(panelRows) (TestFilterPanel checks it).
const numRows = 14

func (s *filterState) empty() bool { return *s == filterState{} }

// timeMode says what the panel does to the time window.
type timeMode int

const (
	timeNone timeMode = iota // the query's, or the default window
	timeSet                  // the panel gives a window
	timeAll                  // all time: the default window lifted
)

// filter is the panel's filter at now. The error names the row.
func (s *filterState) filter(now time.Time) (audit.Filter, timeMode, error) {
	var f audit.Filter
	mode := timeNone
	now = now.Truncate(time.Microsecond)
	switch p := datePresets[s.preset].since; p {
	case "":
	case "all":
		mode = timeAll
	case "custom":
		var err error
		if t := strings.TrimSpace(s.text[rowIndex(rowFrom)]); t != "" {
			if f.Since, err = audit.ParseTimeArg(t, now); err != nil {
				return f, mode, fmt.Errorf("from: %v", err)
			}
			mode = timeSet
		}
		if t := strings.TrimSpace(s.text[rowIndex(rowTo)]); t != "" {
			if f.Until, err = audit.ParseTimeArg(t, now); err != nil {
				return f, mode, fmt.Errorf("to: %v", err)
			}
			mode = timeSet
		}
		if mode == timeNone {
			mode = timeAll // a custom range left open both ways
		}
	default:
		t, err := audit.ParseTimeArg(p, now)
		if err != nil {
			return f, mode, err
		}
		f.Since, mode = t, timeSet
	}
	if st := errorStates[s.errst].status; st != "" {
		f.Add(audit.FieldStatus, st)
	}
	for i, r := range panelRows {
		t := strings.TrimSpace(s.text[i])
		if t == "" {
			continue
		}
		switch r.kind {
		case rowText:
			vs, err := cmdutil.ParseFlagValues(r.flag, r.field, t)
			if err != nil {
				return f, mode, fmt.Errorf("%s: %s", strings.TrimSpace(r.label), strings.TrimPrefix(errText(err), "--"+r.flag+" "))
			}
			f.Add(r.field, vs...)
		case rowMinDur, rowMaxDur:
			op := ">="
			if r.kind == rowMaxDur {
				op = "<="
			}
			// the query's reading of a duration: 500, 500ms, 1.5s, 2m
			qf, err := query.Parse("duration:"+op+t, now)
			if err != nil || strings.ContainsAny(t, "<>=*,") || strings.Contains(t, "..") {
				return f, mode, fmt.Errorf("%s: %q is not a duration (500, 500ms, 1.5s, 2m)", strings.TrimSpace(r.label), sanitize.String(t))
			}
			if r.kind == rowMinDur {
				f.MinDuration = qf.MinDuration
			} else {
				f.MaxDuration = qf.MaxDuration
			}
		}
	}
	if err := f.Validate(); err != nil {
		return f, mode, err
	}
	return f, mode, nil
}

// summary is the panel's filter in the query language, for the query
// line ("" when it filters nothing).
func (s *filterState) summary(now time.Time) string {
	f, mode, err := s.filter(now)
	if err != nil {
		return ""
	}
	var parts []string
	switch mode {
	case timeAll:
		parts = append(parts, "all time")
	case timeSet:
		if p := datePresets[s.preset]; p.since != "custom" {
			parts = append(parts, p.label)
			f.Since = time.Time{}
		}
	}
	if q := query.Format(f); q != "" {
		parts = append(parts, q)
	}
	return sanitize.String(strings.Join(parts, " "))
}

func rowIndex(kind int) int {
	for i, r := range panelRows {
		if r.kind == kind {
			return i
		}
	}
	return -1
}

// compile is the query bar's text compiled with the command line's
// filter (Options.Compile), ANDed with the filter panel's, as -q and the
// flags are: the default window is lifted when the panel (or a pivot)
// gives a window or asks for all time.
func (m *Model) compile(text string) (audit.Filter, bool, error) {
	f, def, err := m.opt.Compile(text)
	if err != nil {
		return f, def, err
	}
	pf, mode, err := m.pf.filter(m.now())
	if err != nil {
		return f, def, audit.Errorf(audit.EUSAGE, "filter panel: %v", err)
	}
	if def && (mode != timeNone || m.logs.allTime) {
		f.Since, def = time.Time{}, false
	}
	f.Merge(pf)
	if err := f.Validate(); err != nil {
		return f, def, err
	}
	return f, def, nil
}

// filterPanel is the open panel: a copy of the state being edited.
type filterPanel struct {
	st     filterState
	row    int
	inputs []textinput.Model
	err    string
	// comp completes the value typed in a field of completedFields, as
	// the query bar does (the same values, read once for both); reading
	// them ends with ctx, when the panel closes.
	comp   completion
	ctx    context.Context
	cancel context.CancelFunc
}

func (m *Model) openFilter() tea.Cmd {
	p := &filterPanel{st: m.pf}
	for i := range panelRows {
		ti := textinput.New()
		ti.Prompt = ""
		ti.SetValue(p.st.text[i])
		ti.SetWidth(max(m.width-26, 8))
		p.inputs = append(p.inputs, ti)
	}
	p.row = 3 // service: the date range is one ← → away
	p.ctx, p.cancel = context.WithCancel(m.ctx)
	m.panel = p
	m.open(layerFilter)
	p.check(m.now())
	return tea.Batch(p.focus(), m.panelComplete())
}

// panelComplete works out the candidates for the value at the cursor of
// the panel's field (nothing for a field without known values).
func (m *Model) panelComplete() tea.Cmd {
	p := m.panel
	r := panelRows[p.row]
	if r.kind != rowText || !completedFields[r.field] {
		p.comp = completion{idx: -1}
		return nil
	}
	in := &p.inputs[p.row]
	text := []rune(in.Value())
	pos := min(in.Position(), len(text))
	vs := valueStart(text, 0, pos)
	if pos < len(text) && text[pos] != ',' {
		p.comp = completion{idx: -1} // in the middle of a value
		return nil
	}
	var cmd tea.Cmd
	p.comp, cmd = m.valueCompletion(p.ctx, r.field, text, vs, pos)
	if strings.TrimPrefix(p.comp.prefix, `"`) == "" {
		// nothing typed: Tab moves to the next field, so no candidates
		// are offered (the values are read meanwhile)
		p.comp = completion{idx: -1}
	}
	return cmd
}

// panelTab completes the field's value (d 1 the next candidate, -1 the
// one before) and says whether there was one to put in: when there is
// not (nothing typed, no value known), Tab moves to the next field.
func (m *Model) panelTab(d int) (bool, tea.Cmd) {
	p := m.panel
	var cmd tea.Cmd
	if p.comp.stale(&p.inputs[p.row]) {
		cmd = m.panelComplete()
	}
	if !p.comp.cycle(&p.inputs[p.row], d) {
		return false, cmd
	}
	p.check(m.now())
	return true, cmd
}

func (p *filterPanel) focus() tea.Cmd {
	for i := range p.inputs {
		p.inputs[i].Blur()
	}
	if panelRows[p.row].kind == rowDate || panelRows[p.row].kind == rowError {
		return nil
	}
	return p.inputs[p.row].Focus()
}

// check validates what the panel holds.
func (p *filterPanel) check(now time.Time) {
	for i := range p.inputs {
		p.st.text[i] = p.inputs[i].Value()
	}
	p.err = ""
	if _, _, err := p.st.filter(now); err != nil {
		p.err = errText(err)
	}
}

func (m *Model) filterKey(k tea.KeyPressMsg) tea.Cmd {
	p := m.panel
	s := k.String()
	kind := panelRows[p.row].kind
	switch s {
	case "esc":
		return m.closeLast()
	case "enter":
		p.check(m.now())
		if p.err != "" {
			return nil
		}
		m.pf = p.st
		m.closeLayer(layerFilter)
		return m.runQuery(m.logs.query)
	case "tab", "shift+tab":
		d := 1
		if s == "shift+tab" {
			d = -1
		}
		if ok, cmd := m.panelTab(d); ok {
			return cmd
		}
		p.row = (p.row + d + len(panelRows)) % len(panelRows)
		return tea.Batch(p.focus(), m.panelComplete())
	case "up":
		p.row = (p.row + len(panelRows) - 1) % len(panelRows)
		return tea.Batch(p.focus(), m.panelComplete())
	case "down":
		p.row = (p.row + 1) % len(panelRows)
		return tea.Batch(p.focus(), m.panelComplete())
	case "ctrl+x":
		for i := range p.inputs {
			p.inputs[i].SetValue("")
		}
		p.st = filterState{}
		p.check(m.now())
		return m.panelComplete()
	case "left", "right", "space", " ":
		d := 1
		if s == "left" {
			d = -1
		}
		switch kind {
		case rowDate:
			p.st.preset = (p.st.preset + d + len(datePresets)) % len(datePresets)
			p.check(m.now())
			return nil
		case rowError:
			p.st.errst = (p.st.errst + d + len(errorStates)) % len(errorStates)
			p.check(m.now())
			return nil
		}
	}
	if kind == rowDate || kind == rowError {
		return nil
	}
	if (kind == rowFrom || kind == rowTo) && datePresets[p.st.preset].since != "custom" {
		// typing a time makes the range custom
		p.st.preset = len(datePresets) - 1
	}
	return m.panelInput(k)
}

// panelInput hands a message (a key, a paste) to the field being edited,
// checks the panel and completes what it holds now.
func (m *Model) panelInput(msg tea.Msg) tea.Cmd {
	p := m.panel
	before, pos := p.inputs[p.row].Value(), p.inputs[p.row].Position()
	var cmd tea.Cmd
	p.inputs[p.row], cmd = p.inputs[p.row].Update(msg)
	if p.inputs[p.row].Value() == before && p.inputs[p.row].Position() == pos {
		return cmd
	}
	p.check(m.now())
	if p.comp.stale(&p.inputs[p.row]) {
		cmd = tea.Batch(cmd, m.panelComplete())
	}
	return cmd
}

// filterLines draws the panel in h lines.
func (m *Model) filterLines(h int) []string {
	p := m.panel
	out := []string{m.st.title.Render(" Filter") + m.st.dim.Render("  (ANDed with the query; enter applies, esc cancels)"), ""}
	for i, r := range panelRows {
		var val string
		switch r.kind {
		case rowDate:
			val = "‹ " + datePresets[p.st.preset].label + " ›"
		case rowError:
			val = "‹ " + errorStates[p.st.errst].label + " ›"
		default:
			if i == p.row {
				val = p.inputs[i].View()
			} else {
				val = sanitize.String(p.inputs[i].Value())
			}
		}
		line := fmt.Sprintf("  %-19s %s", r.label, val)
		if i == p.row {
			line = m.st.selected.Render(fmt.Sprintf("▸ %-19s", r.label)) + " " + val
		}
		out = append(out, line)
	}
	if c := m.candidatesLine(&p.comp); c != "" {
		out = append(out, c)
	} else {
		out = append(out, "")
	}
	if p.err != "" {
		out = append(out, "  "+m.st.err.Render(p.err))
	} else {
		out = append(out, m.st.dim.Render("  as the flags: a,b ORs, * wildcards, 10.0.0.0/8, 2026-11-01, 24h"))
	}
	return out
}
