package tui

import "fmt"

// keyTable lists every key, for `?` and docs/tui.md. The keys are the
// player's where they mean the same thing (q, ?, /, space, g G, Esc).
var keyTable = [][2]string{
	{"↑ ↓  k j", "move the selection (the detail panel: scroll)"},
	{"pgup pgdown  b space", "a page up / down"},
	{"home end  g G", "the newest / the oldest match"},
	{"enter", "open the detail panel of the selected event"},
	{"  v  (detail)", "its pages: fields, the event as JSON, before/after"},
	{"y", "copy a value (OSC 52; where dropped, to a file)"},
	{"/", "query bar: the -q language, run as you type"},
	{"  ↑ ↓ in the bar", "earlier queries"},
	{"  tab shift+tab", "complete a key or a value seen in the cache"},
	{"  enter  esc", "keep the query / go back to the one before"},
	{"f", "filter panel: dates, service, action, error state…"},
	{"  ↑ ↓  ← →", "a field / a choice; enter applies, esc cancels"},
	{"  tab shift+tab", "complete a value seen in the cache (empty: next field)"},
	{"a  i", "pivot: the same actor / the same IP within ±1 h"},
	{"w", "pivot: the event's whole workflow, as a timeline"},
	{"backspace", "back from the last pivot, as it was"},
	{"t", "live tail on/off: new events appear at the top"},
	{"e", "export: format, file, age, armor, csv-raw, manifest"},
	{"  x  esc (export)", "cancel the running export / hide its progress"},
	{"c", "clear the query and the panel (the flags stay)"},
	{"tab  shift+tab  1 2 3", "next / previous view; overview, logs, sessions"},
	{"enter (overview)", "open the logs filtered to the number chosen"},
	{"← →  h l (overview)", "choose a bar; enter narrows the window to it"},
	{"backspace (overview)", "back to the window before the bar chosen"},
	{"enter (sessions)", "the session: files, user's events (enter: logs)"},
	{"f (sessions)", "filter panel of sessions list: user, category…"},
	{"c (sessions)", "clear the sessions filter"},
	{"p", "sessions: play the recording in the player (q returns)"},
	{"w (sessions)", "watch an active session live in the player (q returns)"},
	{"x (sessions)", "terminate an active session, after a confirmation"},
	{"r", "run the query again; sessions: read them again"},
	{"mouse", "click selects, a second click opens; wheel scrolls"},
	{"esc", "close what was opened last (help, detail, bar)"},
	{"?", "this help"},
	{"q  ctrl+c", "quit"},
}

// helpPanel is the list of keys, scrolled in a short window.
type helpPanel struct{ top int }

func helpLines() []string {
	lines := []string{"Keys", ""}
	for _, k := range keyTable {
		lines = append(lines, fmt.Sprintf("  %-22s %s", k[0], k[1]))
	}
	return append(lines, "",
		"The table shows the newest events first and reads the result a chunk at a",
		"time as you scroll: the footer says where you are, what the filter is and",
		"the time window (the last 7 days unless the query or --since gives one).",
		"", "↑ ↓ scroll; any other key closes this help")
}

// key scrolls the help; false closes it.
func (h *helpPanel) key(s string, height int) bool {
	n := len(helpLines())
	switch s {
	case "up", "k":
		h.top = max(h.top-1, 0)
	case "down", "j":
		h.top = max(min(h.top+1, n-height), 0)
	default:
		return false
	}
	return true
}
