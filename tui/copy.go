package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// The event's detail panel has three pages, v cycles them: the fields
// (the panel of logs show: seed 000's sections), the whole event as JSON
// pretty-printed, and the before/after diff: both states pretty-printed
// and compared line by line. y copies a value.

const (
	pageFields = iota
	pageJSON
	pageDiff
	numPages
)

var pageNames = [numPages]string{"fields", "JSON", "before/after"}

// eventJSON is the whole event, indented, every string safe to print
// (encoding/json escapes C0 controls; C1 and bidi characters are escaped
// by sanitize).
func eventJSON(e *audit.Event) string {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return "(" + errText(err) + ")"
	}
	return sanitize.Multiline(string(b))
}

// indented is a JSON document indented, or as it is when it does not
// parse.
func indented(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		buf.Reset()
		buf.Write(raw)
	}
	return strings.Split(sanitize.Multiline(buf.String()), "\n")
}

// maxDiffLines bounds the line diff (its table is quadratic); past it the
// changes are listed by path only.
const maxDiffLines = 2000

// diffPage is the before/after page: the changes by path (output.Diff,
// as logs show lists them), then both states pretty-printed, line by
// line: "-" only before, "+" only after.
func diffPage(e *audit.Event, color bool) string {
	if len(e.Before) == 0 && len(e.After) == 0 {
		return "This event holds no before/after states."
	}
	del, add := lipgloss.NewStyle(), lipgloss.NewStyle()
	if color {
		del = del.Foreground(lipgloss.Color("#ff5f5f"))
		add = add.Foreground(lipgloss.Color("#5fd75f"))
	}
	var b strings.Builder
	changes, err := output.Diff(e.Before, e.After)
	switch {
	case err != nil:
		fmt.Fprintf(&b, "(cannot compare: %s)\n", errText(err))
	case len(changes) == 0:
		b.WriteString("No changes.\n")
	default:
		if len(changes) == 1 {
			b.WriteString("1 change:\n")
		} else {
			fmt.Fprintf(&b, "%d changes:\n", len(changes))
		}
		for _, c := range changes {
			path := c.Path
			if path == "" {
				path = "(the whole document)"
			}
			fmt.Fprintf(&b, "  %-8s %s\n", c.Op, sanitize.String(path))
		}
	}
	before, after := indented(e.Before), indented(e.After)
	b.WriteString("\n--- before\n+++ after\n")
	if len(before)+len(after) > maxDiffLines {
		b.WriteString("(too long to compare line by line)\n")
		return b.String()
	}
	for _, l := range lineDiff(before, after) {
		switch l[0] {
		case '-':
			b.WriteString(del.Render(l))
		case '+':
			b.WriteString(add.Render(l))
		default:
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// lineDiff is a longest-common-subsequence diff of two lists of lines:
// "  " both, "- " only a, "+ " only b.
func lineDiff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, "  "+a[i])
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+a[i])
			i++
		default:
			out = append(out, "+ "+b[j])
			j++
		}
	}
	return out
}

// copyItem is one value y can copy.
type copyItem struct{ label, value string }

// copyItems are the event's values that y offers, the empty ones left
// out.
func copyItems(e *audit.Event) []copyItem {
	t := ""
	if !e.Time.IsZero() {
		t = audit.FormatTime(e.Time)
	}
	all := []copyItem{
		{"ID", e.ID}, {"Time", t}, {"Actor", e.Actor}, {"Actor ID", e.ActorID}, {"IP address", e.IP},
		{"Service", e.Service}, {"Action", e.Action}, {"Status", string(e.Status)}, {"Target", e.Target},
		{"Target ID", e.TargetID}, {"Workflow ID", e.WorkflowID}, {"Browser", e.UserAgent}, {"Error", e.Error},
		{"Description", e.Description}, {"Source", e.Source},
	}
	var out []copyItem
	for _, c := range all {
		if c.value != "" {
			out = append(out, c)
		}
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err == nil {
		out = append(out, copyItem{"The event as JSON", string(b)})
	}
	return out
}

// copyList is the open list of values to copy (y).
type copyList struct {
	items []copyItem
	sel   int
}

// copyValue puts a value on the clipboard: an OSC 52 sequence through
// the terminal (bubbletea's SetClipboard), so it works over ssh and in
// tmux (set-clipboard on); where the terminal is known to drop it
// (Options.Clipboard), the value goes to a file (Options.CopyFile) and
// the key line says so. What is copied is the value made safe as the
// screen shows it (sanitize: an escape sequence in a log value is copied
// as its visible text, never as control bytes that a later paste into a
// terminal would run).
func (m *Model) copyValue(c copyItem) tea.Cmd {
	v := sanitize.Multiline(c.value)
	preview := sanitize.String(strings.ReplaceAll(v, "\n", " "))
	if r := []rune(preview); len(r) > 40 {
		preview = string(r[:39]) + "…"
	}
	if m.opt.Clipboard != nil {
		if ok, why := m.opt.Clipboard(); !ok {
			path := m.opt.CopyFile
			if path == "" {
				m.setStatus("cannot copy: "+why+", and there is no cache directory to write it to", true)
				return nil
			}
			if err := writeCopy(path, v); err != nil {
				m.setStatus("cannot copy: "+why+"; "+errText(err), true)
				return nil
			}
			m.setStatus(fmt.Sprintf("wrote %s (%d bytes) to %s: %s", c.label, len(v), sanitize.String(homeShort(path)), why), false)
			return nil
		}
	}
	m.setStatus(fmt.Sprintf("copied %s (%d bytes) to the clipboard: %s", c.label, len(v), preview), false)
	return tea.SetClipboard(v)
}

func (m *Model) copyKey(s string) tea.Cmd {
	d := m.detail
	c := d.copying
	switch s {
	case "up", "k":
		c.sel = max(c.sel-1, 0)
	case "down", "j":
		c.sel = min(c.sel+1, len(c.items)-1)
	case "home", "g":
		c.sel = 0
	case "end", "G":
		c.sel = len(c.items) - 1
	case "enter", "y":
		d.copying = nil
		return m.copyValue(c.items[c.sel])
	case "esc", "q":
		d.copying = nil
	}
	return nil
}

// copyLines draws the list of values to copy in h lines.
func (m *Model) copyLines(h int) []string {
	c := m.detail.copying
	out := []string{m.st.title.Render(" Copy which value?") + m.st.dim.Render("  (enter copies, esc cancels)")}
	top := max(min(c.sel-(h-2)/2, len(c.items)-(h-1)), 0)
	for i := top; i < len(c.items) && len(out) < h; i++ {
		v := sanitize.String(strings.ReplaceAll(c.items[i].value, "\n", " "))
		line := fmt.Sprintf("  %-18s %s", c.items[i].label, v)
		if i == c.sel {
			line = m.st.selected.Render(pad(line, m.width))
		}
		out = append(out, line)
	}
	return out
}
