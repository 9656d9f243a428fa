// Package tmuxtest runs tmux as an oracle for terminal emulator tests: it
// feeds a byte stream, exactly as given, into a tmux pane of a given size,
// applies resizes between chunks, and returns the screen as tmux sees it.
//
// # How the bytes reach the pane unchanged
//
// Each pane runs
//
//	stty raw -echo && { cat DIR/in & exec cat >DIR/out; }
//
// where in and out are FIFOs. With the tty in raw mode (-opost: no "\n" to
// "\r\n" translation; -echo: tmux's replies are not echoed back as output),
// the background cat copies the bytes the test writes to DIR/in to the tty
// unchanged, and the foreground cat copies whatever tmux writes to the pane's
// input (its replies to terminal queries) to DIR/out.
//
// # Synchronisation
//
// Pane.Sync writes DSR 5 ("\x1b[5n", device status) after the data and
// reads DIR/out until tmux's answer "\x1b[0n" arrives. tmux parses pane output
// strictly in order, so when the answer arrives every byte before the query
// has been processed. No sleeps are involved. The answers to "\x1b[5n"
// sequences inside the stream itself are counted as well. The query must come
// when tmux's parser is in its ground state, or it becomes part of the
// unfinished sequence (the answer then never comes and Sync fails after
// Timeout); EndsInGround tells whether a prefix ends there.
//
// # Capture artefacts and their normalisation
//
// Screen rows come from `capture-pane -p -e` and are normalised as follows;
// nothing else is changed:
//
//   - SGR sequences (-e) are removed: only the text is compared. -e is used
//     because it brackets cells drawn with the DEC special graphics set
//     between SO and SI, which plain -p does not show.
//   - Line drawing: tmux keeps the ASCII byte of a cell drawn in the DEC
//     special graphics set (with a charset flag) and prints that byte ("lqqk"
//     for "┌──┐"). NormaliseACS maps 0x5f-0x7e to the characters xterm shows
//     (the VT100 table); other bytes are left as they are, as in xterm.
//   - Trailing spaces are trimmed (capture-pane trims unstyled ones itself;
//     with -e, styled trailing blanks are printed and trimmed here), the same
//     rule as vt.Terminal.RowText.
//   - Wide characters are printed once, without their padding cell, and
//     combining marks follow their base character: as RowText; unchanged.
//   - Cursor: after a character is written in the last column, tmux reports
//     cursor_x equal to the width (the pending-wrap state); xterm reports the
//     last column. Screen.CursorX is clamped to width-1.
//   - Screen.Joined (capture-pane -J, rows joined where they were ended by
//     autowrap) gets the same treatment; -J leaves out the cells of a
//     wrapped row that were never written, so compare it without spaces.
//   - Screen.Title: tmux's pane title starts as the host name; that value
//     is reported as "" (no title set by the stream).
package tmuxtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/termgen"
)

// Timeout bounds each wait for tmux.
var Timeout = 60 * time.Second

// Screen is the state of a pane as tmux shows it.
type Screen struct {
	Cols, Rows int
	Lines      []string // exactly Rows lines of the active screen, normalised
	CursorX    int      // 0-based, clamped to Cols-1
	CursorY    int
	CursorOn   bool   // the cursor is visible (DECTCEM)
	Alt        bool   // the alternate screen is active
	Title      string // set by OSC 0 or 2; "" while the stream has set none
	// Joined is the screen as logical lines: each row that was ended by
	// autowrap joined with the next (capture-pane -J), normalised like
	// Lines, trailing spaces trimmed at the end of each logical line.
	Joined []string
}

// String returns the lines joined with "\n".
func (s Screen) String() string { return strings.Join(s.Lines, "\n") }

// Server is a private tmux server, killed when the test that started it
// ends. Panes may be created from subtests (sequentially).
type Server struct {
	bin  string
	dir  string
	sock string
	n    int
}

// Lookup returns the path of tmux, or skips t when tmux is missing. When the
// environment variable CI is "true", a missing tmux fails t instead.
func Lookup(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("tmux is required in CI: %v", err)
		}
		t.Skipf("tmux not installed (%v): skipping the tmux oracle", err)
	}
	if err := checkPlatform(); err != nil {
		t.Skipf("tmuxtest: %v", err)
	}
	return bin
}

// NewServer starts a tmux server with an empty configuration, on a socket in
// a temporary directory, and registers its shutdown with t.Cleanup.
func NewServer(t testing.TB) *Server {
	t.Helper()
	bin := Lookup(t)
	dir := t.TempDir()
	if len(dir) > 80 {
		// Unix socket paths are limited to about 108 bytes.
		d, err := os.MkdirTemp("", "tmuxtest")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		dir = d
	}
	s := &Server{bin: bin, dir: dir, sock: filepath.Join(dir, "tmux.sock")}
	// A keeper session holds the server up between panes. Options: no
	// status line (the pane is the whole window); panes stay after their
	// command exits; no history (when a pane grows taller, tmux pulls
	// lines back from its history, which an emulator without scrollback
	// does not have). window-size is not set globally: tmux 3.3a crashes
	// creating a detached session with window-size manual; resize-window
	// sets it to manual for its window.
	if _, err := s.run("new-session", "-d", "-s", "keeper", "-x", "10", "-y", "5", "cat",
		";", "set", "-g", "status", "off",
		";", "set", "-g", "remain-on-exit", "on",
		";", "set", "-g", "history-limit", "0"); err != nil {
		t.Fatalf("tmuxtest: starting tmux: %v", err)
	}
	t.Cleanup(func() {
		s.run("kill-server")
	})
	return s
}

// env is the environment of tmux commands: a UTF-8 locale (tmux takes
// character widths from the C library's wcwidth for LC_CTYPE), and no TMUX
// variable from an enclosing tmux.
func env() []string {
	var e []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TMUX=") || strings.HasPrefix(kv, "LC_ALL=") || strings.HasPrefix(kv, "TMUX_PANE=") {
			continue
		}
		e = append(e, kv)
	}
	return append(e, "LC_ALL=C.UTF-8")
}

func (s *Server) run(args ...string) (string, error) {
	cmd := exec.Command(s.bin, append([]string{"-S", s.sock, "-f", "/dev/null"}, args...)...)
	cmd.Env = env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return stdout.String(), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
		}
	case <-time.After(Timeout):
		cmd.Process.Kill()
		<-done
		return "", fmt.Errorf("tmux %s: timed out after %v", strings.Join(args, " "), Timeout)
	}
	return stdout.String(), nil
}

// Pane is one tmux pane (in its own session) fed by the test.
type Pane struct {
	t          testing.TB
	s          *Server
	id         string // %N
	sess       string
	in, out    *os.File
	cols, rows int
	expect     int    // answers to DSR 5 expected so far
	got        int    // answers received
	replies    []byte // unconsumed bytes from out
	written    []byte // the last bytes written, to find "\x1b[5n" split across writes
	closed     bool
	title0     string // tmux's pane title before any output (the host name)
}

// NewPane creates a session whose only pane has cols x rows cells and waits
// until the pane is ready for data. Failures are reported to t (which may be
// a subtest of the server's test). Close the pane, or let t.Cleanup do it.
func (s *Server) NewPane(t testing.TB, cols, rows int) *Pane {
	t.Helper()
	s.n++
	dir := filepath.Join(s.dir, "p"+strconv.Itoa(s.n))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, f := range []string{in, out} {
		if err := mkfifo(f); err != nil {
			t.Fatalf("tmuxtest: %v", err)
		}
	}
	p := &Pane{t: t, s: s, sess: "p" + strconv.Itoa(s.n), cols: cols, rows: rows}
	// O_RDWR: opening does not wait for the other end (Linux semantics), and
	// the pipe never reports EOF while the pane restarts its cat.
	var err error
	if p.in, err = os.OpenFile(in, os.O_RDWR, 0); err != nil {
		t.Fatal(err)
	}
	if p.out, err = os.OpenFile(out, os.O_RDWR, 0); err != nil {
		p.in.Close()
		t.Fatal(err)
	}
	cmd := fmt.Sprintf("stty raw -echo && { cat '%s' & exec cat >'%s'; }", in, out)
	id, err := s.run("new-session", "-d", "-s", p.sess, "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows),
		"-P", "-F", "#{pane_id}", cmd)
	if err != nil {
		p.closeFiles()
		t.Fatalf("tmuxtest: %v", err)
	}
	p.id = strings.TrimSpace(id)
	t.Cleanup(p.Close)
	// The first Sync also proves that stty has run: cat starts after it.
	p.Sync()
	p.title0 = p.title()
	if c, r := p.size(); c != cols || r != rows {
		t.Fatalf("tmuxtest: pane is %dx%d, want %dx%d", c, r, cols, rows)
	}
	return p
}

func (p *Pane) closeFiles() {
	p.in.Close()
	p.out.Close()
}

// Close kills the pane's session. Calling it twice is harmless.
func (p *Pane) Close() {
	if p.closed {
		return
	}
	p.closed = true
	p.s.run("kill-session", "-t", p.sess)
	p.closeFiles()
}

// Write sends data to the pane as output of its program, unchanged. It does
// not wait for tmux to process it; Sync, Resize and Screen do.
func (p *Pane) Write(data []byte) {
	p.t.Helper()
	if len(data) == 0 {
		return
	}
	// Count DSR 5 queries of the stream itself, also across writes.
	const q = "\x1b[5n"
	joined := append(p.written, data...)
	p.expect += bytes.Count(joined, []byte(q)) - bytes.Count(p.written, []byte(q))
	p.written = append(p.written[:0], joined[max(0, len(joined)-(len(q)-1)):]...)
	p.in.SetWriteDeadline(time.Now().Add(Timeout))
	if _, err := p.in.Write(data); err != nil {
		p.t.Fatalf("tmuxtest: writing to pane %s: %v", p.id, err)
	}
}

// Sync waits until tmux has processed every byte written so far.
func (p *Pane) Sync() {
	p.t.Helper()
	p.Write([]byte("\x1b[5n"))
	p.written = p.written[:0] // the query is complete: no partial match to carry
	deadline := time.Now().Add(Timeout)
	p.out.SetReadDeadline(deadline)
	buf := make([]byte, 4096)
	for p.got < p.expect {
		n, err := p.out.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				p.t.Fatalf("tmuxtest: pane %s: no answer to DSR after %v (received %d of %d; "+
					"was the stream left inside an escape sequence?)", p.id, Timeout, p.got, p.expect)
			}
			p.t.Fatalf("tmuxtest: pane %s: reading answers: %v", p.id, err)
		}
		p.replies = append(p.replies, buf[:n]...)
		for {
			i := bytes.Index(p.replies, []byte("\x1b[0n"))
			if i < 0 {
				break
			}
			p.got++
			p.replies = p.replies[i+4:]
		}
		if len(p.replies) > 4 {
			// Keep a possible prefix of a split answer only.
			p.replies = append(p.replies[:0], p.replies[len(p.replies)-3:]...)
		}
	}
}

// Resize waits for the data written so far, then resizes the pane (the
// window) to cols x rows.
func (p *Pane) Resize(cols, rows int) {
	p.t.Helper()
	p.Sync()
	if _, err := p.s.run("resize-window", "-t", p.sess, "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows)); err != nil {
		p.t.Fatalf("tmuxtest: %v", err)
	}
	p.cols, p.rows = cols, rows
	if c, r := p.size(); c != cols || r != rows {
		p.t.Fatalf("tmuxtest: pane is %dx%d after resize, want %dx%d", c, r, cols, rows)
	}
}

func (p *Pane) title() string {
	p.t.Helper()
	out, err := p.s.run("display-message", "-p", "-t", p.id, "#{pane_title}")
	if err != nil {
		p.t.Fatalf("tmuxtest: %v", err)
	}
	return strings.TrimSuffix(out, "\n")
}

func (p *Pane) size() (cols, rows int) {
	p.t.Helper()
	out, err := p.s.run("display-message", "-p", "-t", p.id, "#{pane_width} #{pane_height}")
	if err != nil {
		p.t.Fatalf("tmuxtest: %v", err)
	}
	if _, err := fmt.Sscan(out, &cols, &rows); err != nil {
		p.t.Fatalf("tmuxtest: pane size %q: %v", out, err)
	}
	return cols, rows
}

// Feed writes the chunks (data and resizes) in order.
func (p *Pane) Feed(chunks []termgen.Chunk) {
	p.t.Helper()
	for _, c := range chunks {
		if c.IsResize() {
			p.Resize(c.Cols, c.Rows)
			continue
		}
		p.Write(c.Data)
	}
}

// Screen waits for the data written so far and returns the pane's active
// screen and cursor.
func (p *Pane) Screen() Screen {
	p.t.Helper()
	p.Sync()
	out, err := p.s.run("display-message", "-p", "-t", p.id,
		"#{pane_width} #{pane_height} #{cursor_x} #{cursor_y} #{cursor_flag} #{alternate_on}")
	if err != nil {
		p.t.Fatalf("tmuxtest: %v", err)
	}
	var sc Screen
	var on, alt int
	if _, err := fmt.Sscan(out, &sc.Cols, &sc.Rows, &sc.CursorX, &sc.CursorY, &on, &alt); err != nil {
		p.t.Fatalf("tmuxtest: display-message %q: %v", out, err)
	}
	sc.CursorOn, sc.Alt = on == 1, alt == 1
	sc.CursorX = min(sc.CursorX, sc.Cols-1)
	capt, err := p.s.run("capture-pane", "-p", "-e", "-t", p.id)
	if err != nil {
		p.t.Fatalf("tmuxtest: %v", err)
	}
	sc.Lines = ParseCapture(capt, sc.Rows)
	joined, err := p.s.run("capture-pane", "-p", "-e", "-J", "-t", p.id)
	if err != nil {
		p.t.Fatalf("tmuxtest: %v", err)
	}
	sc.Joined = ParseCapture(joined, strings.Count(joined, "\n"))
	// tmux starts with the host name as the title; a stream that sets that
	// very title is indistinguishable from one that sets none.
	if sc.Title = p.title(); sc.Title == p.title0 {
		sc.Title = ""
	}
	return sc
}

// Run feeds chunks to a new cols x rows pane of a new server and returns the
// final screen. For many streams, reuse one Server and call NewPane.
func Run(t testing.TB, cols, rows int, chunks []termgen.Chunk) Screen {
	t.Helper()
	p := NewServer(t).NewPane(t, cols, rows)
	defer p.Close()
	p.Feed(chunks)
	return p.Screen()
}

// ParseCapture turns the output of `capture-pane -p -e` into exactly rows
// normalised lines (see the package documentation). tmux emits SO and SI
// only where the charset changes from the previous cell, also across line
// ends, so the graphics state carries from one line to the next.
func ParseCapture(out string, rows int) []string {
	raw := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	lines := make([]string, rows)
	acs := false
	for i := range lines {
		if i < len(raw) {
			lines[i], acs = normaliseLine(raw[i], acs)
		}
	}
	return lines
}

// normaliseLine removes escape sequences, maps the cells between SO and SI
// (the DEC special graphics set) with NormaliseACS, and trims trailing
// spaces. acs is the graphics state at the start of the line; the state at
// its end is returned.
func normaliseLine(s string, acs bool) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			// CSI (SGR) or OSC; skip to the final byte or the terminator.
			if i+1 < len(s) && s[i+1] == '[' {
				j := i + 2
				for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
					j++
				}
				i = j
			} else if i+1 < len(s) && s[i+1] == ']' {
				j := strings.Index(s[i:], "\x1b\\")
				if k := strings.IndexByte(s[i:], '\a'); k >= 0 && (j < 0 || k < j) {
					i += k
				} else if j >= 0 {
					i += j + 1
				} else {
					i = len(s)
				}
			} else {
				i++
			}
		case c == 0x0e:
			acs = true
		case c == 0x0f:
			acs = false
		case acs && c < 0x80:
			b.WriteString(NormaliseACS(c))
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimRight(b.String(), " "), acs
}

// decGraphics is the DEC special graphics set (VT100), as xterm shows it.
var decGraphics = map[byte]string{
	'_': " ", '`': "◆", 'a': "▒", 'b': "␉", 'c': "␌", 'd': "␍", 'e': "␊", 'f': "°", 'g': "±",
	'h': "␤", 'i': "␋", 'j': "┘", 'k': "┐", 'l': "┌", 'm': "└", 'n': "┼", 'o': "⎺", 'p': "⎻",
	'q': "─", 'r': "⎼", 's': "⎽", 't': "├", 'u': "┤", 'v': "┴", 'w': "┬", 'x': "│", 'y': "≤",
	'z': "≥", '{': "π", '|': "≠", '}': "£", '~': "·",
}

// NormaliseACS returns what xterm shows for byte c written while the DEC
// special graphics set is selected.
func NormaliseACS(c byte) string {
	if s, ok := decGraphics[c]; ok {
		return s
	}
	return string(rune(c))
}

// EndsInGround reports whether a terminal parser that has consumed p is in
// its ground state: not inside an escape, control or string sequence, nor
// inside a UTF-8 sequence. See Tracker.
func EndsInGround(p []byte) bool {
	var g Tracker
	g.Write(p)
	return g.InGround()
}

// Tracker follows the DEC/ECMA-48 parser state machine closely enough to
// pick safe points for Sync in recorded streams: feed it the stream with
// Write and ask InGround. The zero value is in the ground state.
type Tracker struct {
	st  uint8
	utf uint8 // UTF-8 continuation bytes still expected
}

const (
	stGround = iota
	stEsc
	stEscInter
	stCSI
	stString // OSC, DCS, SOS, PM, APC: until BEL (OSC) or ST
	stStringEsc
)

// InGround reports whether the bytes so far end in the ground state.
func (g *Tracker) InGround() bool { return g.st == stGround && g.utf == 0 }

// Write consumes p; it never fails.
func (g *Tracker) Write(p []byte) (int, error) {
	st, utf := g.st, g.utf
	for _, c := range p {
		if c == 0x18 || c == 0x1a { // CAN, SUB abort everything
			st, utf = stGround, 0
			continue
		}
		switch st {
		case stGround:
			switch {
			case c == 0x1b:
				st, utf = stEsc, 0
			case utf > 0 && c&0xc0 == 0x80:
				utf--
			case c >= 0xc0 && c < 0xf8:
				utf = 1
				if c >= 0xe0 {
					utf = 2
				}
				if c >= 0xf0 {
					utf = 3
				}
			default:
				utf = 0
			}
		case stEsc:
			switch {
			case c == '[':
				st = stCSI
			case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
				st = stString
			case c == 0x1b:
				st = stEsc
			case c >= 0x20 && c < 0x30:
				st = stEscInter
			case c >= 0x30 && c < 0x7f:
				st = stGround
			}
		case stEscInter:
			switch {
			case c == 0x1b:
				st = stEsc
			case c >= 0x30 && c < 0x7f:
				st = stGround
			}
		case stCSI:
			switch {
			case c == 0x1b:
				st = stEsc
			case c >= 0x40 && c < 0x7f:
				st = stGround
			}
		case stString:
			switch c {
			case 0x07:
				st = stGround
			case 0x1b:
				st = stStringEsc
			}
		case stStringEsc:
			if c == '\\' {
				st = stGround
			} else {
				st = stString
			}
		}
	}
	g.st, g.utf = st, utf
	return len(p), nil
}
