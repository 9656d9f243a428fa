// Package keystrokes implements `auditctl sessions keystrokes`.
package keystrokes

import (
	"io"
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
			wall-clock time when the recording has a start timestamp.
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
	rd, err := opts.Rec.Open(opts.File)
	if err != nil {
		return err
	}
	defer rd.Close()
	hdr := rd.Header()

	var (
		dec     keys.Decoder
		editor  keys.LineEditor
		grouped []keys.Row
		scratch []keys.Key
		last    time.Duration
	)
	add := func(t time.Duration, line int, ks []keys.Key) {
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
		add(ev.Time, ev.Line, scratch)
		return nil
	})
	if err != nil {
		return err
	}
	add(last, 0, dec.Flush(nil))
	if err := writeRows(opts, format, txt, hdr, last, grouped, &editor); err != nil {
		return err
	}
	return opts.Rec.CheckDamage(opts.IO, opts.File, rd.Damage())
}

func writeRows(opts *Options, format output.Format, txt bool, hdr recording.Header, last time.Duration, grouped []keys.Row, editor *keys.LineEditor) error {
	w := opts.IO.Out
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	if opts.Commands {
		editor.Close(last)
		var cmds []Command
		for _, c := range editor.Commands() {
			cmds = append(cmds, Command{
				Time: shared.Seconds(c.Start), End: shared.Seconds(c.End), At: shared.At(hdr, c.Start),
				Command: c.Line, Ended: c.Ended, Uncertain: c.Uncertain, Notes: c.Notes, start: c.Start,
			})
		}
		if opts.JQ != "" {
			if cmds == nil {
				cmds = []Command{}
			}
			return shared.WriteJQ(opts.IO, opts.JQ, cmds)
		}
		if txt {
			return writeCommandsText(w, cmds)
		}
		return output.WriteRecords(w, format, output.Records{
			Columns: []string{"time", "command", "ended", "uncertain"},
			Table: []output.Column{
				{Kind: output.KindFixed},
				{Kind: output.KindText, Priority: 1},
				{Kind: output.KindFixed, Priority: 2},
				{Kind: output.KindText, Priority: 3},
			},
			Len: len(cmds),
			Row: func(i int) []string {
				c := cmds[i]
				u := ""
				if c.Uncertain {
					u = strings.Join(c.Notes, ", ")
				}
				return []string{shared.FormatOffset(c.start), c.Command, c.Ended, u}
			},
			Item: func(i int) any { return cmds[i] },
		}, oo)
	}
	rows := make([]Keystroke, len(grouped))
	for i, r := range grouped {
		rows[i] = Keystroke{
			Time: shared.Seconds(r.Time), At: shared.At(hdr, r.Time), Kind: r.Key.Kind.String(),
			Keys: r.Key.Name, Events: r.Keys, Line: r.Line, offset: r.Time,
		}
	}
	if opts.JQ != "" {
		return shared.WriteJQ(opts.IO, opts.JQ, rows)
	}
	if txt {
		return writeKeysText(w, rows)
	}
	return output.WriteRecords(w, format, output.Records{
		Columns: []string{"time", "kind", "keys"},
		Table: []output.Column{
			{Kind: output.KindFixed},
			{Kind: output.KindFixed, Priority: 2},
			{Kind: output.KindText, Priority: 1},
		},
		Len: len(rows),
		Row: func(i int) []string {
			r := rows[i]
			return []string{shared.FormatOffset(r.offset), r.Kind, r.Keys}
		},
		Item: func(i int) any { return rows[i] },
	}, oo)
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

func writeKeysText(w io.Writer, rows []Keystroke) error {
	var b []byte
	for _, r := range rows {
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
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}

func writeCommandsText(w io.Writer, cmds []Command) error {
	var b []byte
	for _, c := range cmds {
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
		b = append(b, '\n')
	}
	_, err := w.Write(b)
	return err
}
