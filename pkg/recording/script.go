package recording

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/internal/bytesize"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/decompress"
)

// util-linux script(1) recordings: a timing file (--log-timing, or -t's
// standard error) and one or two data files.
//
// Classic format (script -t, or --log-timing with --log-out only): one line
// "DELAY NBYTES" per chunk of output, DELAY the seconds since the previous
// chunk ("%ld.%06ld"), the data in the typescript (--log-out).
//
// Advanced (multi-stream) format (--log-io, --log-in with --log-out, or -m
// advanced), one entry per line:
//
//	O DELAY NBYTES            output chunk, in the --log-out (or --log-io) file
//	I DELAY NBYTES            input chunk, in the --log-in (or --log-io) file
//	S DELAY SIGWINCH ROWS=R COLS=C   terminal resized
//	S DELAY SIGTERM|SIGINT|SIGQUIT   signal received
//	H DELAY NAME VALUE        information: START_TIME, TERM, TTY, COLUMNS,
//	                          LINES, SHELL, COMMAND, TIMING_LOG, OUTPUT_LOG,
//	                          INPUT_LOG first; DURATION, EXIT_CODE last
//
// Every DELAY counts from the previous entry. Each data file starts with a
// line "Script started on DATE [INFO]" and ends with "\nScript done on
// ...", neither counted by the timing; with --log-io the file is shared, so
// input and output chunks follow each other in timing order.

var errNoScriptTiming = errors.New("not a util-linux script timing file")

// timingEntry is one parsed line of a timing file.
type timingEntry struct {
	typ   byte          // 'O', 'I', 'S', 'H'; 'O' for classic lines
	delay time.Duration // since the previous entry
	n     int64         // O, I: bytes of data
	name  string        // S: signal; H: information name
	value string        // S: arguments; H: value
}

// parseTimingLine parses one line of a classic or advanced timing file. It
// returns the field at fault with the error.
func parseTimingLine(line []byte, advanced bool) (timingEntry, string, error) {
	var e timingEntry
	if !advanced {
		sp := bytes.IndexByte(line, ' ')
		if sp < 0 {
			return e, "", errors.New(`want "DELAY NBYTES"`)
		}
		e.typ = 'O'
		d, err := parseDelay(line[:sp])
		if err != nil {
			return e, "delay", err
		}
		e.delay = d
		n, err := parseCount(line[sp+1:])
		if err != nil {
			return e, "nbytes", err
		}
		e.n = n
		return e, "", nil
	}
	if len(line) < 3 || line[1] != ' ' {
		return e, "", errors.New(`want "TYPE DELAY ..." (TYPE one of O, I, S, H)`)
	}
	e.typ = line[0]
	rest := line[2:]
	sp := bytes.IndexByte(rest, ' ')
	delay := rest
	if sp >= 0 {
		delay, rest = rest[:sp], rest[sp+1:]
	} else {
		rest = nil
	}
	d, err := parseDelay(delay)
	if err != nil {
		return e, "delay", err
	}
	e.delay = d
	switch e.typ {
	case 'O', 'I':
		if sp < 0 {
			return e, "nbytes", errors.New("missing byte count")
		}
		n, err := parseCount(rest)
		if err != nil {
			return e, "nbytes", err
		}
		e.n = n
	case 'S', 'H':
		if sp < 0 || len(rest) == 0 {
			return e, "name", errors.New("missing name")
		}
		name, value, _ := bytes.Cut(rest, []byte{' '})
		if !isEntryName(name) {
			return e, "name", fmt.Errorf("invalid name %q", name)
		}
		e.name, e.value = string(name), string(value)
	default:
		// A type this reader does not know: skipped, its delay counted.
		if c := e.typ; c < 'A' || c > 'Z' {
			return e, "", fmt.Errorf("invalid entry type %q", c)
		}
	}
	return e, "", nil
}

func isEntryName(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// parseDelay parses "SECONDS[.FRACTION]" exactly.
func parseDelay(b []byte) (time.Duration, error) {
	if len(b) == 0 || len(b) > 32 {
		return 0, errors.New("missing or invalid delay")
	}
	dot := false
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(b)-1:
			dot = true
		default:
			return 0, fmt.Errorf("invalid delay %q, want seconds like 0.012345", b)
		}
	}
	// parseSeconds rejects leading zeros, which %ld never writes but
	// hand-made files may: strip them.
	for len(b) > 1 && b[0] == '0' && b[1] != '.' {
		b = b[1:]
	}
	d, err := parseSeconds(b)
	if err != nil {
		return 0, fmt.Errorf("invalid delay %q: %v", b, err)
	}
	return d, nil
}

func parseCount(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 18 {
		return 0, fmt.Errorf("invalid byte count %q", b)
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid byte count %q", b)
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// isScriptTiming reports the kind of timing file head (the first bytes of
// the input; all of it when complete) is: FormatScriptClassic,
// FormatScriptAdvanced or "". The lines among the first 32 must match the
// grammar of the first one's format, up to the first that does not if at
// least 3 did (the reader then reports that line); lines after an H entry
// that do not parse are taken as the continuation of its value (a COMMAND
// with a newline).
func isScriptTiming(head []byte, complete bool) string {
	kind := ""
	lines := 0
	afterH := false
	for lines < 32 && len(head) > 0 {
		nl := bytes.IndexByte(head, '\n')
		var line []byte
		if nl < 0 {
			if !complete {
				break // a partial line: judged by the lines before it
			}
			line, head = head, nil
		} else {
			line, head = head[:nl], head[nl+1:]
		}
		if len(line) == 0 {
			if len(head) == 0 {
				break // the final newline
			}
			return ""
		}
		if kind == "" {
			switch {
			case line[0] >= '0' && line[0] <= '9':
				kind = FormatScriptClassic
			case len(line) > 1 && line[1] == ' ' && bytes.IndexByte([]byte("OISH"), line[0]) >= 0:
				kind = FormatScriptAdvanced
			default:
				return ""
			}
		}
		e, _, err := parseTimingLine(line, kind == FormatScriptAdvanced)
		if err == nil && kind == FormatScriptAdvanced && bytes.IndexByte([]byte("OISH"), e.typ) < 0 {
			err = errNoScriptTiming
		}
		if err != nil {
			if afterH {
				continue
			}
			if lines >= 3 {
				break // a bad line after good ones: the reader reports it
			}
			return ""
		}
		afterH = e.typ == 'H' && kind == FormatScriptAdvanced
		lines++
	}
	if lines == 0 {
		return ""
	}
	return kind
}

// scriptStream is one data file.
type scriptStream struct {
	name string
	br   *bufio.Reader
	off  int64 // bytes consumed after the "Script started" line
}

type scriptDecoder struct {
	advanced bool
	out, in  *scriptStream // in == out for --log-io; nil when not given
	data     []byte
	// peeked is the first entry after the leading H lines of an advanced
	// file, read while reading the header.
	peeked     []byte
	peekedLine int
	hasPeeked  bool
	info       map[string]string // H entries read before the first event
	exit       *Event            // an "x" event to return after an H EXIT_CODE
}

// NewScriptReader reads a util-linux script recording from readers: timing
// is the timing file, log the typescript (classic) or the --log-out or
// --log-io file, in the --log-in file or nil. opt.ScriptLog and
// opt.ScriptIn name log and in in errors; when they are equal (or in is nil
// and the timing file says its input log is its output log) the log holds
// both streams (--log-io).
func NewScriptReader(name string, timing, log, in io.Reader, opt Options) (*Reader, error) {
	rd := &Reader{name: name, max: opt.maxEvent()}
	br, c, _, err := decompress.Reader(bufio.NewReaderSize(timing, readerBufferSize), readerBufferSize)
	if err != nil {
		return nil, rd.fatal(0, "", err)
	}
	if c != nil {
		rd.closers = append(rd.closers, c)
	}
	rd.br = br
	if opt.ScriptLog == "" && log != nil {
		opt.ScriptLog = "log"
	}
	if opt.ScriptIn == "" && in != nil {
		opt.ScriptIn = "input log"
	}
	open := func(p string) (io.Reader, error) {
		if p == opt.ScriptLog && log != nil {
			return log, nil
		}
		if p == opt.ScriptIn && in != nil {
			return in, nil
		}
		return nil, fmt.Errorf("no reader for %s", p)
	}
	if err := rd.openScript(opt, open); err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

// openScript reads the header of the timing file in r.br and opens its
// data files.
func (r *Reader) openScript(opt Options, open func(string) (io.Reader, error)) error {
	head, _ := r.br.Peek(sniffLen)
	kind := isScriptTiming(head, len(head) < sniffLen)
	if len(head) == 0 {
		kind = FormatScriptClassic // no output at all
	}
	if kind == "" {
		return r.fatal(1, "", errNoScriptTiming)
	}
	d := &scriptDecoder{advanced: kind == FormatScriptAdvanced, info: map[string]string{}}
	r.dec = d
	r.hdr.Format = kind
	if d.advanced {
		if err := d.readInfo(r); err != nil {
			return err
		}
	}

	// The data files.
	outPath, inPath := opt.ScriptLog, opt.ScriptIn
	ioMode := outPath != "" && (inPath == outPath || inPath == "" && d.info["INPUT_LOG"] != "" && d.info["INPUT_LOG"] == d.info["OUTPUT_LOG"])
	if outPath == "" && inPath == "" {
		return audit.Errorf(audit.EUSAGE, "%s is a util-linux script timing file (%s format): %s", r.name,
			strings.TrimPrefix(kind, "script-"), d.flagHint())
	}
	if outPath == "" && d.info["OUTPUT_LOG"] != "" {
		return audit.Errorf(audit.EUSAGE, "%s records output: pass its output log with --log-out %s", r.name, d.info["OUTPUT_LOG"])
	}
	var header []byte
	if outPath != "" {
		s, h, err := r.openStream(outPath, open)
		if err != nil {
			return err
		}
		d.out, header = s, h
		if ioMode {
			d.in = s
		}
	}
	if inPath != "" && !ioMode {
		s, h, err := r.openStream(inPath, open)
		if err != nil {
			return err
		}
		d.in = s
		if header == nil {
			header = h
		}
	}
	r.scriptHeader(d, header, opt)
	return nil
}

// flagHint says which flags to pass to read this timing file.
func (d *scriptDecoder) flagHint() string {
	if !d.advanced {
		return "pass the typescript it times with --log-out FILE"
	}
	out, in := d.info["OUTPUT_LOG"], d.info["INPUT_LOG"]
	switch {
	case out != "" && out == in:
		return fmt.Sprintf("pass its data file with --log-io %s (the name it records)", out)
	case out != "" && in != "":
		return fmt.Sprintf("pass its data files with --log-out %s --log-in %s (the names it records)", out, in)
	case out != "":
		return fmt.Sprintf("pass its output log with --log-out %s (the name it records)", out)
	case in != "":
		return fmt.Sprintf("pass its input log with --log-in %s (the name it records)", in)
	}
	return "pass its data file with --log-out FILE (or --log-io FILE, and --log-in FILE for a separate input log)"
}

// readInfo reads the leading H entries of an advanced timing file and
// keeps the first other entry for next.
func (d *scriptDecoder) readInfo(r *Reader) error {
	var last string // the H entry a continuation line extends
	for {
		line, err := r.readLine()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			continue
		}
		e, _, perr := parseTimingLine(line, true)
		if perr != nil && last != "" {
			if len(d.info[last])+len(line) > scriptHeaderMaxLength {
				return r.fatal(r.line, "value", fmt.Errorf("information entry %s longer than %d bytes", last, scriptHeaderMaxLength))
			}
			d.info[last] += "\n" + string(line)
			continue
		}
		if perr != nil || e.typ != 'H' {
			// The first event (or a bad line: next reports it).
			d.peeked = append(d.peeked[:0], line...)
			d.peekedLine = r.line
			d.hasPeeked = true
			return nil
		}
		r.clock += e.delay
		if len(e.value) > scriptHeaderMaxLength || len(d.info) > 256 {
			return r.fatal(r.line, "value", errors.New("too much header information (H entries)"))
		}
		if _, dup := d.info[e.name]; !dup {
			d.info[e.name] = e.value
		}
		last = e.name
	}
}

// openStream opens a data file and skips its "Script started on" line,
// which it returns.
func (r *Reader) openStream(path string, open func(string) (io.Reader, error)) (*scriptStream, []byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, nil, err
	}
	br, c, _, err := decompress.Reader(bufio.NewReaderSize(f, readerBufferSize), readerBufferSize)
	if err != nil {
		return nil, nil, &audit.InputError{File: path, Err: err, Fatal: true}
	}
	if c != nil {
		r.closers = append(r.closers, c)
	}
	s := &scriptStream{name: path, br: br}
	const started = "Script started on "
	if p, _ := br.Peek(len(started)); string(p) != started {
		return s, nil, nil
	}
	var header []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(header) < scriptHeaderMaxLength {
			header = append(header, chunk...)
		}
		if err == nil || err == io.EOF {
			break
		}
		if err != bufio.ErrBufferFull {
			return nil, nil, &audit.InputError{File: path, Line: 1, Err: fmt.Errorf("read: %w", err), Fatal: true}
		}
	}
	return s, bytes.TrimRight(header, "\r\n"), nil
}

var (
	typescriptInfo    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(TERM|TTY|COLUMNS|LINES)="([^"]*)"`) })
	typescriptCommand = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\[COMMAND="(.*?)"(?: <not executed on terminal>\]| TERM=| TTY=| COLUMNS=|\]$)`)
	})
	typescriptDate = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^Script started on (.*?)(?: \[|$)`) })
)

// scriptHeader fills the Header from the H entries (advanced) or the data
// file's "Script started on DATE [INFO]" line.
func (r *Reader) scriptHeader(d *scriptDecoder, started []byte, opt Options) {
	h := &r.hdr
	info := map[string]string{}
	if m := typescriptDate().FindSubmatch(started); m != nil {
		info["START_TIME"] = string(m[1])
	}
	for _, m := range typescriptInfo().FindAllSubmatch(started, -1) {
		info[string(m[1])] = string(m[2])
	}
	if m := typescriptCommand().FindSubmatch(started); m != nil {
		info["COMMAND"] = string(m[1])
	}
	for k, v := range d.info { // the timing file's own information wins
		info[k] = v
	}
	h.Width, h.Height = opt.size()
	if c, err := strconv.Atoi(info["COLUMNS"]); err == nil && c > 0 && c <= maxTerminalDimension {
		h.Width = c
	}
	if l, err := strconv.Atoi(info["LINES"]); err == nil && l > 0 && l <= maxTerminalDimension {
		h.Height = l
	}
	h.Timestamp = parseScriptTime(info["START_TIME"])
	h.Command = info["COMMAND"]
	for _, k := range []string{"TERM", "SHELL"} {
		if v := info[k]; v != "" {
			if h.Env == nil {
				h.Env = map[string]string{}
			}
			h.Env[k] = v
		}
	}
	h.synthTerm()
}

// parseScriptTime parses the dates script has written: ISO 8601 since
// util-linux 2.35, ctime-like before. Zero when it cannot.
func parseScriptTime(s string) time.Time {
	for _, layout := range []string{
		"2006-01-02 15:04:05-07:00", "2006-01-02 15:04:05Z07:00", "2006-01-02T15:04:05-07:00",
		"2006-01-02 15:04:05-0700", "2006-01-02T15:04:05-0700", time.RFC3339,
		"Mon 02 Jan 2006 03:04:05 PM MST", "Mon 02 Jan 2006 15:04:05 MST", time.UnixDate, time.ANSIC,
		"Mon Jan _2 15:04:05 MST 2006",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func (d *scriptDecoder) next(r *Reader) (Event, error) {
	if d.exit != nil {
		ev := *d.exit
		d.exit = nil
		return ev, nil
	}
	for {
		var line []byte
		var n int
		if d.hasPeeked {
			line, n = d.peeked, d.peekedLine
			d.hasPeeked = false
		} else {
			l, err := r.readLine()
			if err != nil {
				return Event{}, err
			}
			line, n = l, r.line
		}
		if len(line) == 0 {
			continue
		}
		e, field, err := parseTimingLine(line, d.advanced)
		if err != nil {
			return Event{}, r.fatal(n, field, err)
		}
		if e.delay > maxDuration-r.clock {
			return Event{}, r.fatal(n, "delay", errors.New("time overflows"))
		}
		r.clock += e.delay
		ev := Event{Time: r.clock, Line: n}
		switch e.typ {
		case 'O', 'I':
			s, code, what := d.out, "o", "output"
			if e.typ == 'I' {
				s, code, what = d.in, "i", "input"
			}
			if s == nil {
				flag := "--log-out " + orDefault(d.info["OUTPUT_LOG"], "FILE")
				if e.typ == 'I' {
					flag = "--log-in " + orDefault(d.info["INPUT_LOG"], "FILE") + " (or --log-io FILE for a file holding both streams)"
				}
				return Event{}, r.fatal(n, "", fmt.Errorf("%s entry but no %s log given: pass %s", what, what, flag))
			}
			if e.n > int64(r.limit()) {
				return Event{}, r.fatal(n, "nbytes", fmt.Errorf("chunk of %d bytes at byte offset %d of %s: event larger than the %s limit; --max-event-size raises the limit",
					e.n, s.off, filepath.Base(s.name), bytesize.Format(r.limit())))
			}
			if cap(d.data) < int(e.n) {
				d.data = make([]byte, e.n)
			}
			d.data = d.data[:e.n]
			got, err := io.ReadFull(s.br, d.data)
			s.off += int64(got)
			if err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
					return Event{}, r.fatal(n, "nbytes", fmt.Errorf("%s log %s ends %d bytes early: the timing file wants %d bytes at offset %d",
						what, filepath.Base(s.name), e.n-int64(got), e.n, s.off-int64(got)))
				}
				return Event{}, r.fatal(n, "", fmt.Errorf("read %s: %w", s.name, err))
			}
			ev.Code, ev.Data = code, string(d.data)
			return ev, nil
		case 'S':
			if e.name == "SIGWINCH" {
				size, err := parseWinch(e.value)
				if err != nil {
					return Event{}, r.lineErr(n, "value", "%v", err)
				}
				ev.Code, ev.Data = "r", size
				return ev, nil
			}
			ev.Code, ev.Data = "m", e.name
			return ev, nil
		case 'H':
			if e.name == "EXIT_CODE" {
				ev.Code, ev.Data = "x", e.value
				return ev, nil
			}
			// Other information after the start (DURATION) is dropped.
		}
		// Unknown entry types: skipped, their delay counted.
	}
}

const maxDuration = time.Duration(1<<63 - 1)

// parseWinch turns "ROWS=24 COLS=80" (any order, ' ' or ';' between) into
// "80x24".
func parseWinch(v string) (string, error) {
	rows, cols := 0, 0
	for _, f := range strings.FieldsFunc(v, func(c rune) bool { return c == ' ' || c == ';' }) {
		k, val, _ := strings.Cut(f, "=")
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 || n > maxTerminalDimension {
			return "", fmt.Errorf("invalid SIGWINCH size %q", v)
		}
		switch k {
		case "ROWS":
			rows = n
		case "COLS":
			cols = n
		}
	}
	if rows == 0 || cols == 0 {
		return "", fmt.Errorf("SIGWINCH without ROWS and COLS: %q", v)
	}
	return fmt.Sprintf("%dx%d", cols, rows), nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
