package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/auditctl/auditctl/pkg/decompress"
)

// Format names, as Header.Format reports them.
const (
	FormatAsciicastV1     = "asciicast-v1"
	FormatAsciicastV2     = "asciicast-v2"
	FormatAsciicastV3     = "asciicast-v3"
	FormatTtyrec          = "ttyrec"
	FormatScriptClassic   = "script-classic"
	FormatScriptAdvanced  = "script-advanced"
	defaultWidth          = 80
	defaultHeight         = 24
	maxTerminalDimension  = 1 << 16
	sniffLen              = 64 << 10
	readerBufferSize      = 64 << 10
	scriptHeaderMaxLength = 64 << 10
)

// Header is the metadata of a recording, whatever its format.
type Header struct {
	// Format is the format read: one of the Format* constants
	// ("asciicast-v1", "asciicast-v2", "asciicast-v3", "ttyrec",
	// "script-classic", "script-advanced").
	Format string
	// Version is the asciicast version (1, 2 or 3); 0 for the other formats.
	Version       int
	Width, Height int
	Timestamp     time.Time // zero when the recording has none
	Duration      float64   // seconds, from the header (v1, v2); 0 when absent
	Title         string
	Command       string
	Env           map[string]string
	// Term is the v3 "term" object as decoded JSON. For the other formats
	// it is synthesized: {"cols": Width, "rows": Height} plus "theme" (v2)
	// and "type" (env TERM of v1 and v2, script's TERM) when known.
	Term  map[string]any
	Idle  float64         // idle_time_limit in seconds; 0 when absent
	Audit json.RawMessage // auditctl's header key "audit"; nil when absent
	// Raw is the header as read (v2, v3: the header line; v1: the document
	// without its "stdout" frames); nil for ttyrec and script.
	Raw json.RawMessage
}

// Event is one timed event of a recording.
type Event struct {
	Time time.Duration // absolute, from the start of the recording
	Code string        // "o", "i", "r", "m", "x", "q", or an unknown code as given
	Data string
	// Line is the 1-based line of the event in the (decompressed) input:
	// the JSON line for asciicast v2/v3, the timing-file line for script;
	// 0 for v1 and ttyrec.
	Line int
}

// Options tell Open what the recording itself may not say.
type Options struct {
	// Width and Height are the terminal size of recordings that do not
	// record it (ttyrec; script without COLUMNS/LINES). Default 80x24.
	// Recordings that record their size keep it.
	Width, Height int
	// ScriptLog is the data file of a util-linux script timing file: the
	// typescript (classic format), or the --log-out file (advanced
	// format), or the --log-io file (then leave ScriptIn empty or set it
	// to the same path).
	ScriptLog string
	// ScriptIn is the --log-in file of an advanced script timing file.
	ScriptIn string
	// MaxEventSize is the largest event accepted, in bytes: an asciicast
	// line as written, a ttyrec frame, a script chunk or timing line. 0
	// means DefaultMaxEventSize. A larger one is a fatal error naming the
	// line or byte offset, found without reading more than the limit.
	MaxEventSize int
}

// DefaultMaxEventSize is the event size limit unless Options say otherwise
// (--max-event-size): 1 MiB. auditctl's recorder writes events of 32 KiB at
// most (192 KiB JSON-escaped).
const DefaultMaxEventSize = 1 << 20

func (opt Options) maxEvent() int {
	if opt.MaxEventSize <= 0 {
		return DefaultMaxEventSize
	}
	return opt.MaxEventSize
}

// Position is a place in an uncompressed asciicast v2 or v3 file where
// reading can resume (see Reader.Position and Resume).
type Position struct {
	Offset int64         // byte offset in the file of the next line to read
	Line   int           // lines read so far (the next line is Line+1)
	Clock  time.Duration // time of the last event returned (v3: the running sum of intervals)
	Events int64         // events returned so far
	// MaxEventSize is the event size limit of the Reader it came from (0:
	// the default), so that a resumed Reader refuses what it refused.
	MaxEventSize int
}

// maxV1Len is the largest asciicast v1 document accepted (v1 holds every
// frame in one JSON document, read whole); a variable so that tests and
// fuzzing can lower it. Events, lines and chunks are bounded by
// Options.MaxEventSize.
var maxV1Len = 64 << 20

// decoder reads the events of a non-asciicast format.
type decoder interface {
	next(r *Reader) (Event, error)
}

// Reader reads the events of one recording in order. It is not safe for
// concurrent use.
type Reader struct {
	name    string
	hdr     Header
	br      *bufio.Reader
	closers []io.Closer // closed by Close, in order
	line    int         // number of lines read so far
	off     int64       // bytes of the (decompressed) input consumed
	buf     []byte      // holds lines longer than the bufio buffer
	max     int         // the event size limit
	clock   time.Duration
	events  int64
	err     error // sticky fatal error
	packed  bool  // the input was compressed
	cut     bool  // the input ended without a newline after the last line
	dmg     Damage

	v1      []json.RawMessage // v1 frames not yet returned
	v1index int

	dec decoder // ttyrec and script; nil for asciicast

	follow *tail // set by Follow: the input is a file still being written
}

// NewReader sniffs the format of r (decompressing gzip or zstd first), reads
// the header and returns a Reader positioned at the first event. name is used
// in errors only. It reads asciicast v1/v2/v3 and ttyrec (80x24); a script
// timing file needs its data file: use Open or NewScriptReader.
func NewReader(name string, r io.Reader) (*Reader, error) {
	return newReader(name, r, Options{}, nil)
}

// Open opens the recording at path, sniffs its format by content and
// returns a Reader positioned at the first event. Close closes every file
// Open opened. A util-linux script timing file needs opt.ScriptLog (and
// opt.ScriptIn for a separate input log); without them the error names the
// flag to pass.
func Open(path string, opt Options) (*Reader, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	files := []io.Closer{f}
	closeAll := func() {
		for _, c := range files {
			c.Close()
		}
	}
	opener := func(p string) (io.Reader, error) {
		g, err := OpenFile(p)
		if err != nil {
			return nil, err
		}
		files = append(files, g)
		return g, nil
	}
	r, err := newReader(path, f, opt, opener)
	if err != nil {
		closeAll()
		return nil, err
	}
	r.closers = append(r.closers, files...)
	return r, nil
}

// OpenAt opens the uncompressed asciicast v2 or v3 file at path and resumes
// reading at pos, a Position taken from a Reader of the same file whose
// Header is hdr.
func OpenAt(path string, hdr Header, pos Position) (*Reader, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(pos.Offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	r, err := Resume(path, f, hdr, pos)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closers = append(r.closers, f)
	return r, nil
}

// Resume returns a Reader that goes on reading events from r, which must be
// positioned at pos.Offset of an uncompressed asciicast v2 or v3 file whose
// header is hdr. Times continue from pos.Clock and lines are numbered from
// pos.Line+1, so events and errors are exactly those a Reader from the
// start would return after pos.
func Resume(name string, r io.Reader, hdr Header, pos Position) (*Reader, error) {
	if hdr.Format != FormatAsciicastV2 && hdr.Format != FormatAsciicastV3 {
		return nil, fmt.Errorf("resume %s: format %q is not seekable", name, hdr.Format)
	}
	if pos.Offset < 0 || pos.Line < 1 || pos.Clock < 0 || pos.Events < 0 {
		return nil, fmt.Errorf("resume %s: invalid position %+v", name, pos)
	}
	return &Reader{
		name:   name,
		hdr:    hdr,
		br:     bufio.NewReaderSize(r, readerBufferSize),
		line:   pos.Line,
		off:    pos.Offset,
		clock:  pos.Clock,
		events: pos.Events,
		max:    pos.MaxEventSize,
	}, nil
}

// Position returns the position just after the last line Next consumed
// (the last event returned, or a bad line reported). It is meaningful for
// resuming only when Seekable reports true.
func (r *Reader) Position() Position {
	return Position{Offset: r.off, Line: r.line, Clock: r.clock, Events: r.events, MaxEventSize: r.max}
}

// Seekable reports whether Position and Resume work for this recording:
// true for uncompressed asciicast v2 and v3 only.
func (r *Reader) Seekable() bool {
	return !r.packed && r.dec == nil && (r.hdr.Version == 2 || r.hdr.Version == 3)
}

// newReader sniffs r. open opens the data files of a script timing file;
// nil when there is no file system (NewReader).
func newReader(name string, r io.Reader, opt Options, open func(string) (io.Reader, error)) (*Reader, error) {
	rd := &Reader{name: name, max: opt.maxEvent()}
	br, c, _, err := decompress.Reader(bufio.NewReaderSize(r, readerBufferSize), readerBufferSize)
	if err != nil {
		return nil, rd.fatal(0, "", err)
	}
	if c != nil {
		rd.packed = true
		rd.closers = append(rd.closers, c)
	}
	rd.br = br
	head, perr := br.Peek(sniffLen)
	complete := perr != nil // the whole input is in head
	if rd.packed && errors.Is(perr, io.ErrUnexpectedEOF) {
		// A compressed file cut short within its first block: sniff what
		// there is; reading reports the truncation where it is met.
		perr = io.EOF
	}
	if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull {
		rd.Close()
		return nil, rd.fatal(0, "", fmt.Errorf("read: %w", perr))
	}
	switch trimmed := bytes.TrimLeft(head, " \t\r\n"); {
	case len(trimmed) > 0 && trimmed[0] == '{', len(head) == 0 && opt.ScriptLog == "":
		err = rd.readHeader()
	case len(head) == 0 || isScriptTiming(head, complete) != "":
		if open == nil {
			err = rd.fatal(1, "", errors.New("a util-linux script timing file is read with its data file (recording.Open or NewScriptReader)"))
			break
		}
		err = rd.openScript(opt, open)
	case isTtyrec(head, complete):
		rd.initTtyrec(opt)
	case bytes.HasPrefix(head, []byte("Script started on ")):
		err = rd.fatal(1, "", errors.New("this is a util-linux script typescript, not a timing file: open the timing file (script --log-timing FILE) and pass this file with --log-out"))
	default:
		err = rd.fatal(1, "", errors.New("not a recording: the first line is not an asciicast header (a JSON object), nor is the file ttyrec or a util-linux script timing file"))
	}
	if err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

// Close releases the decompressors and closes the files Open opened. It
// does not close an io.Reader given to NewReader, NewScriptReader or
// Resume.
func (r *Reader) Close() error {
	var first error
	for _, c := range r.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	return first
}

// Header returns the recording's header.
func (r *Reader) Header() Header { return r.hdr }

// Next returns the next event, or io.EOF after the last one.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	var ev Event
	var err error
	switch {
	case r.dec != nil:
		ev, err = r.dec.next(r)
	case r.hdr.Version == 1:
		ev, err = r.nextV1()
	default:
		ev, err = r.nextLine()
	}
	if err != nil && err != io.EOF {
		r.note(err)
	}
	if err == nil {
		r.events++
		r.dmg.Readable = max(r.dmg.Readable, ev.Time)
		if r.follow != nil && ev.Code == "x" {
			r.follow.exited = true // the recorder writes nothing after the exit event
		}
	}
	return ev, err
}

// synthTerm fills Header.Term from the size (and the terminal type).
func (h *Header) synthTerm() {
	h.Term = map[string]any{"cols": float64(h.Width), "rows": float64(h.Height)}
	if h.Env["TERM"] != "" {
		h.Term["type"] = h.Env["TERM"]
	}
}

// size returns opt's terminal size, 80x24 by default.
func (opt Options) size() (int, int) {
	w, h := opt.Width, opt.Height
	if w <= 0 || w > maxTerminalDimension {
		w = defaultWidth
	}
	if h <= 0 || h > maxTerminalDimension {
		h = defaultHeight
	}
	return w, h
}
