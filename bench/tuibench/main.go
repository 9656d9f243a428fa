// Command tuibench times the console (`auditctl tui`) as a person sees it:
// the binary is started in a pseudo-terminal, its output fed to auditctl's
// terminal emulator (player/vt), and each figure is the wall time from the
// start (or the key) until the screen shows the answer. Each run alternates
// with the command-line equivalent, timed as a whole process, so the two
// are paired.
//
//	go run ./bench/tuibench -bin auditctl -db cache.db [-size 80x24] [-runs 5] [-pages 300]
//
// Measurements (medians of -runs; the key-to-screen ones, of every key):
//
//	first frame      start → the console's frame drawn
//	first counts     start → the overview's event count on screen
//	overview         start → the whole overview (no "counting…" left)
//	logs rows        key 2 → the logs table's first rows
//	query            Enter in the bar → the new query's first rows
//	page             pgdown → the next page on screen (-pages keys)
//
// The process's resident memory (VmRSS) is read before and after the
// pages. Bubbletea draws at most 60 frames a second: a key-to-screen time
// holds up to 16 ms of waiting for the next frame.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"

	"github.com/auditctl/auditctl/player/vt"
)

func main() {
	bin := flag.String("bin", "auditctl", "the auditctl binary")
	db := flag.String("db", "", "the cache")
	size := flag.String("size", "80x24", "the terminal, COLSxROWS")
	runs := flag.Int("runs", 5, "runs of each measurement")
	pages := flag.Int("pages", 300, "pgdown keys in the scrolling run")
	flag.Parse()
	var cols, rows int
	if _, err := fmt.Sscanf(*size, "%dx%d", &cols, &rows); err != nil || *db == "" {
		fmt.Fprintln(os.Stderr, "usage: tuibench -bin auditctl -db CACHE [-size 80x24] [-runs 5] [-pages 300]")
		os.Exit(2)
	}
	b := &bench{bin: *bin, db: *db, cols: cols, rows: rows}
	if err := b.run(*runs, *pages); err != nil {
		fmt.Fprintln(os.Stderr, "tuibench:", err)
		os.Exit(1)
	}
}

type bench struct {
	bin, db    string
	cols, rows int
}

// console is one auditctl tui in a pty, its screen as vt draws it.
type console struct {
	cmd   *exec.Cmd
	tty   *os.File
	start time.Time
	mu    sync.Mutex
	term  *vt.Terminal
	gen   int // bumped by every chunk of output
	done  chan struct{}
}

func (b *bench) startConsole() (*console, error) {
	cmd := exec.Command(b.bin, "--db", b.db, "tui")
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	c := &console{cmd: cmd, term: vt.New(b.cols, b.rows), done: make(chan struct{})}
	c.start = time.Now()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(b.cols), Rows: uint16(b.rows)})
	if err != nil {
		return nil, err
	}
	c.tty = tty
	go func() {
		defer close(c.done)
		buf := make([]byte, 64<<10)
		for {
			n, err := tty.Read(buf)
			if n > 0 {
				c.mu.Lock()
				c.term.Write(buf[:n])
				c.gen++
				c.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

// screen is the screen's text, a line a row.
func (c *console) screen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sb strings.Builder
	for r := 0; ; r++ {
		line, ok := rowText(c.term, r)
		if !ok {
			break
		}
		sb.WriteString(line)
		sb.WriteByte('\n')
	}
	return sb.String()
}

func rowText(t *vt.Terminal, r int) (string, bool) {
	if _, rows := t.Size(); r >= rows {
		return "", false
	}
	return t.RowText(r), true
}

// wait polls the screen until cond holds; it returns when it was first
// seen (at most 1 ms late) or an error after 60 s.
func (c *console) wait(what string, cond func(s string) bool) (time.Time, error) {
	deadline := time.Now().Add(60 * time.Second)
	last := -1
	for time.Now().Before(deadline) {
		c.mu.Lock()
		g := c.gen
		c.mu.Unlock()
		if g != last {
			last = g
			if cond(c.screen()) {
				return time.Now(), nil
			}
		}
		select {
		case <-c.done:
			return time.Time{}, fmt.Errorf("the console ended waiting for %s:\n%s", what, c.screen())
		case <-time.After(time.Millisecond):
		}
	}
	return time.Time{}, fmt.Errorf("timed out waiting for %s:\n%s", what, c.screen())
}

func (c *console) send(s string) time.Time {
	t := time.Now()
	io.WriteString(c.tty, s)
	return t
}

func (c *console) quit() {
	c.send("\x03")
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
	}
	c.cmd.Wait()
	c.tty.Close()
}

func (c *console) rss() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
	}
	return "?"
}

// cli times a command-line equivalent as a whole process.
func (b *bench) cli(args ...string) (time.Duration, error) {
	cmd := exec.Command(b.bin, append([]string{"--db", b.db, "--quiet"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return d, fmt.Errorf("%v: %v\n%s", args, err, out.String())
	}
	return d, nil
}

var (
	counted  = regexp.MustCompile(`events\s+\d`)
	pageLine = regexp.MustCompile(`Page (\d+) of`)
)

type series map[string][]time.Duration

func (s series) add(name string, d time.Duration) { s[name] = append(s[name], d) }

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func pct(ds []time.Duration, p float64) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[min(int(float64(len(ds))*p), len(ds)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// overviewCLI are the commands that print what the overview shows.
var overviewCLI = [][]string{
	{"logs", "count", "--since", "7d", "-o", "json"},
	{"logs", "count", "--since", "7d", "--status", "failure", "-o", "json"},
	{"logs", "count", "--since", "7d", "--by", "actor", "--top", "0", "-o", "json"},
	{"logs", "count", "--since", "7d", "--by", "action", "--top", "5", "-o", "json"},
	{"logs", "count", "--since", "7d", "--interval", "1h", "-o", "json"},
	{"sessions", "list", "--active", "-o", "json"},
}

var queries = []struct{ name, q string }{
	{"field", "action:DeleteUser"},
	{"full-text", "priya"},
}

func (b *bench) run(runs, pages int) error {
	s := series{}
	for r := 0; r < runs; r++ {
		c, err := b.startConsole()
		if err != nil {
			return err
		}
		t, err := c.wait("the first frame", func(s string) bool { return strings.Contains(s, "auditctl ·") })
		if err != nil {
			return err
		}
		s.add("first frame", t.Sub(c.start))
		if t, err = c.wait("the first counts", counted.MatchString); err != nil {
			return err
		}
		s.add("first counts", t.Sub(c.start))
		if t, err = c.wait("the overview", func(s string) bool {
			return strings.Contains(s, "Top actors") && !strings.Contains(s, "counting…")
		}); err != nil {
			return err
		}
		s.add("overview", t.Sub(c.start))
		t0 := c.send("2")
		if t, err = c.wait("the logs' rows", func(s string) bool {
			return strings.Contains(s, "TIME (") && pageLine.MatchString(s) && !strings.Contains(s, "searching…")
		}); err != nil {
			return err
		}
		s.add("logs rows", t.Sub(t0))
		for i, q := range queries {
			// typed at once, then Enter once the bar shows it (before
			// the query would run by itself, 150 ms after the last key)
			c.send("/\x15" + q.q)
			if _, err = c.wait("the typed query", func(s string) bool { return strings.Contains(s, "/ "+q.q) }); err != nil {
				return err
			}
			t0 := c.send("\r")
			if t, err = c.wait("the query's rows", func(s string) bool {
				return strings.Contains(s, "filter: "+q.q) && !strings.Contains(s, "searching…") && pageLine.MatchString(s)
			}); err != nil {
				return err
			}
			s.add("query "+q.name, t.Sub(t0))
			_ = i
		}
		c.quit()
		// the command line, paired
		var sum time.Duration
		for _, args := range overviewCLI {
			d, err := b.cli(args...)
			if err != nil {
				return err
			}
			sum += d
		}
		s.add("cli overview", sum)
		d, err := b.cli("logs", "list", "--since", "7d", "--limit", "50", "-o", "table")
		if err != nil {
			return err
		}
		s.add("cli logs rows", d)
		for _, q := range queries {
			d, err := b.cli("logs", "list", "--since", "7d", "-q", q.q, "--limit", "50", "-o", "table")
			if err != nil {
				return err
			}
			s.add("cli query "+q.name, d)
		}
	}
	// scrolling: one console, pgdown after pgdown
	c, err := b.startConsole()
	if err != nil {
		return err
	}
	if _, err := c.wait("the overview", func(s string) bool { return strings.Contains(s, "Top actors") && !strings.Contains(s, "counting…") }); err != nil {
		return err
	}
	c.send("2")
	if _, err := c.wait("the logs' rows", func(s string) bool { return pageLine.MatchString(s) && !strings.Contains(s, "searching…") }); err != nil {
		return err
	}
	rss0 := c.rss()
	for p := 2; p <= pages+1; p++ {
		want := fmt.Sprintf("Page %d of", p)
		t0 := c.send("\x1b[6~") // pgdown
		t, err := c.wait(want, func(s string) bool { return strings.Contains(s, want) })
		if err != nil {
			return err
		}
		s.add("page", t.Sub(t0))
	}
	rss1 := c.rss()
	c.quit()
	var cliPage []time.Duration
	for r := 0; r < runs; r++ {
		page := pages * (b.rows - 5) / 50 // the same depth in pages of 50
		d, err := b.cli("logs", "list", "--since", "7d", "--limit", "50", "--page", fmt.Sprint(max(page, 1)), "-o", "table")
		if err != nil {
			return err
		}
		cliPage = append(cliPage, d)
	}

	fmt.Printf("| measurement (%dx%d) | console: median (p90) | command line: median | |\n|---|---|---|---|\n", b.cols, b.rows)
	row := func(name, cli, cliName string) {
		v := s[name]
		line := fmt.Sprintf("| %s | %s ms (%s) |", name, ms(median(v)), ms(pct(v, 0.9)))
		if cli != "" {
			line += fmt.Sprintf(" %s ms | %s |", ms(median(s[cli])), cliName)
		} else {
			line += " | |"
		}
		fmt.Println(line)
	}
	row("first frame", "", "")
	row("first counts", "", "")
	row("overview", "cli overview", "the six commands that print the overview's numbers, one after the other")
	row("logs rows", "cli logs rows", "logs list --since 7d --limit 50")
	for _, q := range queries {
		row("query "+q.name, "cli query "+q.name, "logs list --since 7d -q '"+q.q+"' --limit 50")
	}
	v := s["page"]
	fmt.Printf("| page (pgdown, %d keys) | %s ms (p99 %s, max %s) | %s ms | logs list --page N at the same depth (offset) |\n",
		pages, ms(median(v)), ms(pct(v, 0.99)), ms(slices.Max(v)), ms(median(cliPage)))
	fmt.Printf("| resident memory before / after %d pages | %s / %s | | |\n", pages, rss0, rss1)
	return nil
}
