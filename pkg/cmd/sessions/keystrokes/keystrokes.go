// Package keystrokes implements `auditctl sessions keystrokes`.
package keystrokes

import (
	"bufio"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/keys"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// Options are the flags and dependencies of `sessions keystrokes`.
type Options struct {
	IO        *cmdutil.IOStreams
	File      string
	Output    string
	Commands  bool
	Ungrouped bool
	JQ        string
	Table     cmdutil.TableFlags
	Rec       shared.RecordingFlags
}

// NewCmdKeystrokes builds the command.
func NewCmdKeystrokes(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "keystrokes FILE",
		Short: "List the keys typed in a recorded session",
		Long: heredoc.Doc(`
			List every input event of a recording with its time from the start
			of the session. Keys are named readably: Enter, Tab, Backspace, Esc,
			C-c (Ctrl+C), M-b (Alt+B), Up, PgDn, F5, C-Right, S-Tab; a bracketed
			paste is shown as one paste; printable text typed in a row is grouped
			into one line (--ungrouped: one line per input event).

			Terminals also answer a program's queries on the input stream:
			cursor position reports (ESC[2;2R), device attributes
			(ESC[>0;95;0c), colours (OSC 10/11), mode reports (DECRQM), focus
			in/out. These are not keys: they are listed with kind "reply"
			(‹reply: cursor position 2;2› in -o txt) and never enter the
			command lines of --commands. ESC[1;2R is both a cursor position
			report and Shift+F3: it is a reply when the program asked for the
			cursor position (ESC[6n in the output) and had no answer yet, else
			the key.

			--commands reconstructs the command lines typed, applying Backspace,
			Delete, C-u, C-k, C-w and cursor movement, split at Enter. A line
			that used history (Up, C-r) or completion (Tab) cannot be known from
			keystrokes alone: it is marked uncertain, with the keys that made it
			so.

			Recordings hold input only when the recorder captured it (asciinema
			rec --stdin, script --log-in, auditctl sessions record).

			A damaged recording is listed as far as it is readable (bad lines
			skipped, a file cut short read up to the cut); stderr names every
			bad line (file:line) and the exit code is 3 unless --skip-invalid.

			Output formats: table (default on a terminal), txt, json, ndjson,
			csv, yaml. Times are offsets from the start; JSON also gives the
			wall-clock time when the recording has a start timestamp. txt, json,
			ndjson and csv are written row by row as the recording is read, so a
			recording of any length lists in constant memory; the table, yaml
			and --jq hold at most 64 MiB of rows (a note on stderr says when
			rows were left out).
		`),
		Example: heredoc.Doc(`
			auditctl sessions keystrokes session.rec
			auditctl sessions keystrokes session.rec --commands -o txt
			auditctl sessions keystrokes session.cast -o csv > keys.csv
			auditctl sessions keystrokes session.rec --commands --jq '.[].command'
			auditctl sessions keystrokes timing.log --log-io io.log --commands
		`),
		Args: cmdutil.ExactArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.Output = f.Output
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Commands, "commands", false, "reconstruct the command lines typed")
	cmd.Flags().BoolVar(&opts.Ungrouped, "ungrouped", false, "one row per input event, text not grouped")
	cmdutil.AddTableFlags(cmd, &opts.Table, []string{"time", "kind", "keys", "command", "ended", "uncertain"})
	opts.Rec.Add(cmd.Flags())
	opts.Rec.Bind(f)
	shared.AddJQ(cmd.Flags(), &opts.JQ)
	return cmd
}

// Keystroke is one row of the keystrokes listing.
type Keystroke struct {
	Time   float64    `json:"time"` // seconds from the start
	At     *time.Time `json:"at,omitempty"`
	Kind   string     `json:"kind"` // text, key, paste, mouse, unknown
	Keys   string     `json:"keys"`
	Events int        `json:"events"` // input events merged into this row
	Line   int        `json:"line,omitempty"`
	offset time.Duration
}

// Command is one reconstructed command line.
type Command struct {
	Time      float64    `json:"time"`
	End       float64    `json:"end"`
	At        *time.Time `json:"at,omitempty"`
	Command   string     `json:"command"`
	Ended     string     `json:"ended"`
	Uncertain bool       `json:"uncertain"`
	Notes     []string   `json:"notes,omitempty"`
	start     time.Duration
}

func run(opts *Options) error {
	txt := false
	out := opts.Output
	if strings.EqualFold(out, "txt") || strings.EqualFold(out, "text") {
		txt, out = true, "table"
	}
	format, err := output.ResolveFormat(out, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	rd, err := opts.Rec.Open(opts.File)
	if err != nil {
		return err
	}
	defer rd.Close()
	hdr := rd.Header()

	// Rows are written as they are decoded (see shared.Listing): a text
	// run is complete when the next row starts, a command at its Enter.
	w, err := newWriter(opts, format, txt, oo, hdr)
	if err != nil {
		return err
	}
	var (
		dec     keys.Decoder
		editor  keys.LineEditor
		grouped []keys.Row
		scratch []keys.Key
		last    time.Duration
	)
	flush := func(all bool) error {
		if opts.Commands {
			for _, c := range editor.Commands() {
				if err := w.command(c); err != nil {
					return err
				}
			}
			return nil
		}
		n := len(grouped)
		if !all && n > 0 {
			n-- // the last run of text may go on
		}
		for _, r := range grouped[:n] {
			if err := w.key(r); err != nil {
				return err
			}
		}
		grouped = append(grouped[:0], grouped[n:]...)
		return nil
	}
	add := func(t time.Duration, line int, ks []keys.Key) error {
		for _, k := range ks {
			switch {
			case opts.Commands:
				editor.Key(t, k)
			case opts.Ungrouped:
				grouped = append(grouped, keys.Row{Time: t, Key: k, Keys: 1, Line: line})
			default:
				grouped = keys.AppendRow(grouped, t, line, k)
			}
		}
		return flush(opts.Ungrouped)
	}
	err = rd.Each(func(ev recording.Event) error {
		last = ev.Time
		if ev.Code == "o" {
			dec.Output([]byte(ev.Data)) // a cursor position query makes "ESC [1;2R" a reply
		}
		if ev.Code != "i" {
			return nil
		}
		scratch = dec.Decode(scratch[:0], []byte(ev.Data))
		if opts.Ungrouped && !opts.Commands && len(scratch) > 1 {
			// One row per event: join its keys.
			scratch = []keys.Key{joinKeys(scratch)}
		}
		return add(ev.Time, ev.Line, scratch)
	})
	if err == nil {
		err = add(last, 0, dec.Flush(nil))
	}
	if err == nil && opts.Commands {
		editor.Close(last)
	}
	if err == nil {
		err = flush(true)
	}
	// What was read is listed (a JSON array is closed) whatever stopped it.
	if cerr := w.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return opts.Rec.CheckDamage(opts.IO, opts.File, rd.Damage())
}

// writer writes keystroke rows or commands as text or through a listing.
type writer struct {
	hdr  recording.Header
	text *bufio.Writer // txt
	list *shared.Listing
}

func newWriter(opts *Options, format output.Format, txt bool, oo output.Options, hdr recording.Header) (*writer, error) {
	w := &writer{hdr: hdr}
	if txt && opts.JQ == "" {
		w.text = bufio.NewWriterSize(opts.IO.Out, 64<<10)
		return w, nil
	}
	r := keyRecords
	if opts.Commands {
		r = commandRecords
	}
	var err error
	w.list, err = opts.Rec.NewListing(opts.IO, format, opts.JQ, r, oo)
	return w, err
}

var keyRecords = output.Records{
	Columns: []string{"time", "kind", "keys"},
	Table: []output.Column{
		{Kind: output.KindFixed},
		{Kind: output.KindFixed, Priority: 2},
		{Kind: output.KindText, Priority: 1},
	},
}

var commandRecords = output.Records{
	Columns: []string{"time", "command", "ended", "uncertain"},
	Table: []output.Column{
		{Kind: output.KindFixed},
		{Kind: output.KindText, Priority: 1},
		{Kind: output.KindFixed, Priority: 2},
		{Kind: output.KindText, Priority: 3},
	},
}

func (w *writer) key(r keys.Row) error {
	k := Keystroke{
		Time: shared.Seconds(r.Time), At: shared.At(w.hdr, r.Time), Kind: r.Key.Kind.String(),
		Keys: r.Key.Name, Events: r.Keys, Line: r.Line, offset: r.Time,
	}
	if w.text != nil {
		_, err := w.text.Write(appendKeyText(nil, k))
		return err
	}
	return w.list.Write([]string{shared.FormatOffset(k.offset), k.Kind, k.Keys}, nil, k)
}

func (w *writer) command(c keys.Command) error {
	cmd := Command{
		Time: shared.Seconds(c.Start), End: shared.Seconds(c.End), At: shared.At(w.hdr, c.Start),
		Command: c.Line, Ended: c.Ended, Uncertain: c.Uncertain, Notes: c.Notes, start: c.Start,
	}
	if w.text != nil {
		_, err := w.text.Write(appendCommandText(nil, cmd))
		return err
	}
	u := ""
	if cmd.Uncertain {
		u = strings.Join(cmd.Notes, ", ")
	}
	return w.list.Write([]string{shared.FormatOffset(cmd.start), cmd.Command, cmd.Ended, u}, nil, cmd)
}

func (w *writer) close() error {
	if w.text != nil {
		return w.text.Flush()
	}
	return w.list.Close()
}

// joinKeys makes one row of the keys of one event: text as typed, named
// keys in angle brackets.
func joinKeys(ks []keys.Key) keys.Key {
	var sb strings.Builder
	kind := ks[0].Kind
	for _, k := range ks {
		if k.Kind != kind {
			kind = keys.Special
		}
		if k.Kind == keys.Text {
			sb.WriteString(k.Name)
		} else {
			sb.WriteString("<" + k.Name + ">")
		}
	}
	if kind == keys.Text {
		return keys.Key{Kind: keys.Text, Name: sb.String()}
	}
	return keys.Key{Kind: keys.Special, Name: sb.String()}
}

// appendKeyText appends the text line of a keystroke row.
func appendKeyText(b []byte, r Keystroke) []byte {
	b = append(b, shared.FormatOffset(r.offset)...)
	b = append(b, "  "...)
	switch r.Kind {
	case "text":
		b = append(b, sanitize.String(r.Keys)...)
	case "paste":
		b = append(b, "[paste] "...)
		b = append(b, sanitize.String(r.Keys)...)
	case "reply":
		b = append(b, sanitize.String(keys.Key{Kind: keys.Reply, Name: r.Keys}.Label())...)
	default:
		b = append(b, '<')
		b = append(b, sanitize.String(r.Keys)...)
		b = append(b, '>')
	}
	return append(b, '\n')
}

// appendCommandText appends the text line of a command.
func appendCommandText(b []byte, c Command) []byte {
	b = append(b, shared.FormatOffset(c.start)...)
	b = append(b, "  "...)
	b = append(b, sanitize.String(c.Command)...)
	if c.Ended != "enter" {
		b = append(b, "  ["+c.Ended+"]"...)
	}
	if c.Uncertain {
		b = append(b, "  [uncertain: "...)
		b = append(b, sanitize.String(strings.Join(c.Notes, ", "))...)
		b = append(b, ']')
	}
	return append(b, '\n')
}
