// Package info implements `auditctl sessions info`.
package info

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
)

// Options are the flags and dependencies of `sessions info`.
type Options struct {
	IO     *cmdutil.IOStreams
	File   string
	Output string
	JQ     string
	Rec    shared.RecordingFlags
}

// NewCmdInfo builds the command.
func NewCmdInfo(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "info FILE",
		Short: "Describe a recording: header, duration, size, events, markers",
		Long: heredoc.Doc(`
			Read a recording once and describe it: its format, terminal size,
			start time, title, command and environment, auditctl's session
			metadata (the "audit" header key), its duration (the time of the
			last event), its size on disk and the bytes of output and input it
			holds, how many events of each code it has (o output, i input,
			r resize, m marker, x exit, q query, and any unknown code), its
			markers, resizes and exit status.

			The session the recording belongs to is shown as it is now: its
			row in the cache (when FILE is a session ID, or the header names a
			session the cache holds; a session whose recorder died is closed
			first, as 'sessions show' does), else the header's metadata, which
			the recorder writes when the session starts, brought up to date
			with the recording (duration, end, has_recording, completed when
			it holds an exit event). JSON keeps the header as written under
			"audit" and gives the up-to-date view under "session" with its
			"session_source" (cache or recording).

			Every line is checked on the way. A damaged recording is described
			as far as it is readable (bad lines skipped, a file cut short up to
			the cut), with a Damage section listing each bad line (file:line)
			and, for a cut, where the readable part ends; the exit code is 3
			unless --skip-invalid.
		`),
		Example: heredoc.Doc(`
			auditctl sessions info session.rec
			auditctl sessions info session.cast.gz -o json
			auditctl sessions info session.rec --jq .duration
			auditctl sessions info timing.log --log-out typescript
		`),
		Args: cmdutil.ExactArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.Output = f.Output
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	opts.Rec.Add(cmd.Flags())
	opts.Rec.Bind(f)
	shared.AddJQ(cmd.Flags(), &opts.JQ)
	return cmd
}

// Marker is a marker event.
type Marker struct {
	Time  float64 `json:"time"`
	Label string  `json:"label"`
	at    time.Duration
}

// Resize is a resize event.
type Resize struct {
	Time float64 `json:"time"`
	Size string  `json:"size"`
	at   time.Duration
}

// Info describes one recording.
type Info struct {
	File          string            `json:"file"`
	Format        string            `json:"format"`
	SizeBytes     int64             `json:"size_bytes"`
	Cols          int               `json:"cols"`
	Rows          int               `json:"rows"`
	Timestamp     *time.Time        `json:"timestamp,omitempty"`
	Duration      float64           `json:"duration"` // seconds, time of the last event
	Title         string            `json:"title,omitempty"`
	Command       string            `json:"command,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	IdleTimeLimit float64           `json:"idle_time_limit,omitempty"`
	Audit         json.RawMessage   `json:"audit,omitempty"`
	Events        map[string]int64  `json:"events"`
	OutputBytes   int64             `json:"output_bytes"`
	InputBytes    int64             `json:"input_bytes"`
	Markers       []Marker          `json:"markers"`
	Resizes       []Resize          `json:"resizes"`
	ExitStatus    *string           `json:"exit_status"`
	// Damage is set when part of the recording could not be read.
	Damage *Damage `json:"damage,omitempty"`
	// Session is the session the recording belongs to: its row in the
	// cache when there is one (SessionSource "cache"), else the header's
	// "audit" metadata, written when recording started, brought up to
	// date with what the recording holds (SessionSource "recording":
	// duration, end, has_recording, completed when it has an exit
	// event). Audit keeps the header as written.
	Session       *session.Session `json:"session,omitempty"`
	SessionSource string           `json:"session_source,omitempty"`

	duration time.Duration
}

// maxListed bounds the markers and resizes kept (a hostile file could hold
// millions); the counts stay exact.
const maxListed = 10000

func run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	arg := opts.File
	// Resolve once: a session ID names its recording, whose path is what
	// the size and the file name are of.
	if opts.File, err = opts.Rec.Resolve(ctx, opts.File); err != nil {
		return err
	}
	rd, err := opts.Rec.Open(opts.File)
	if err != nil {
		return err
	}
	defer rd.Close()
	hdr := rd.Header()
	inf := Info{
		File: opts.File, Format: hdr.Format, Cols: hdr.Width, Rows: hdr.Height,
		Title: hdr.Title, Command: hdr.Command, Env: hdr.Env, IdleTimeLimit: hdr.Idle,
		Audit: hdr.Audit, Events: map[string]int64{}, Markers: []Marker{}, Resizes: []Resize{},
	}
	if !hdr.Timestamp.IsZero() {
		t := hdr.Timestamp.UTC()
		inf.Timestamp = &t
	}
	if st, err := os.Stat(opts.File); err == nil {
		inf.SizeBytes = st.Size()
	}
	err = rd.Each(func(ev recording.Event) error {
		inf.duration = max(inf.duration, ev.Time)
		inf.Events[ev.Code]++
		switch ev.Code {
		case "o":
			inf.OutputBytes += int64(len(ev.Data))
		case "i":
			inf.InputBytes += int64(len(ev.Data))
		case "m":
			if len(inf.Markers) < maxListed {
				inf.Markers = append(inf.Markers, Marker{Time: shared.Seconds(ev.Time), Label: ev.Data, at: ev.Time})
			}
		case "r":
			if len(inf.Resizes) < maxListed {
				inf.Resizes = append(inf.Resizes, Resize{Time: shared.Seconds(ev.Time), Size: ev.Data, at: ev.Time})
			}
		case "x":
			s := ev.Data
			inf.ExitStatus = &s
		}
		return nil
	})
	if err != nil {
		return err
	}
	inf.Duration = shared.Seconds(inf.duration)
	d := rd.Damage()
	if d.Damaged() {
		inf.Damage = newDamage(d)
	}
	inf.Session, inf.SessionSource = sessionOf(ctx, opts, arg, hdr, &inf, d)
	if err := write(opts, format, &inf); err != nil {
		return err
	}
	return opts.Rec.CheckDamage(opts.IO, opts.File, d)
}

// sessionOf returns the session of the recording: the cache's row when
// the argument is a session ID or the header names a session the cache
// holds, else the header's metadata completed by the recording.
func sessionOf(ctx context.Context, opts *Options, arg string, hdr recording.Header, inf *Info, d recording.Damage) (*session.Session, string) {
	var hs session.Session
	fromHeader := len(hdr.Audit) > 0 && json.Unmarshal(hdr.Audit, &hs) == nil
	if fromHeader && hs.ID != "" {
		if s := opts.Rec.Session(ctx, hs.ID); s != nil {
			return s, "cache"
		}
	}
	if arg != opts.File { // the argument was a session ID
		if s := opts.Rec.Session(ctx, arg); s != nil {
			return s, "cache"
		}
	}
	if !fromHeader {
		return nil, ""
	}
	hs.HasRecording, hs.RecordingPath = true, opts.File
	hs.Duration = d.Readable
	if !hs.Start.IsZero() {
		hs.End = hs.Start.Add(hs.Duration)
	}
	if inf.ExitStatus != nil && (hs.Status == "" || hs.Status == session.StatusActive) {
		hs.Status = session.StatusCompleted
	}
	hs.RecorderPID = 0
	return &hs, "recording"
}

// Damage is what of the recording could not be read (see
// recording.Damage), in seconds.
type Damage struct {
	Summary string `json:"summary"`
	// BadLines counts the lines skipped; Flaws lists them (at most 1000),
	// then the break.
	BadLines int64 `json:"bad_lines"`
	// Readable is the end of the readable span, Duration the whole
	// recording's known duration (longer only when the header says so).
	Readable float64 `json:"readable"`
	Duration float64 `json:"duration"`
	Broken   bool    `json:"broken"` // reading stopped before the end
	Flaws    []Flaw  `json:"flaws"`
}

// Flaw is one bad line, or the break.
type Flaw struct {
	Line  int     `json:"line,omitempty"`
	Time  float64 `json:"time"` // the lost event belongs at or after this time
	Error string  `json:"error"`
	Break bool    `json:"break,omitempty"`
	at    time.Duration
}

func newDamage(d recording.Damage) *Damage {
	out := &Damage{Summary: d.Summary(), BadLines: d.Skipped, Readable: shared.Seconds(d.Readable),
		Duration: shared.Seconds(d.Duration), Broken: d.Break != nil, Flaws: []Flaw{}}
	for _, f := range d.All() {
		out.Flaws = append(out.Flaws, Flaw{Line: f.Line, Time: shared.Seconds(f.At), Error: f.Err, at: f.At,
			Break: d.Break != nil && f == *d.Break})
	}
	return out
}

func write(opts *Options, format output.Format, inf *Info) error {
	if opts.JQ != "" {
		return shared.WriteJQ(opts.IO, opts.JQ, inf)
	}
	switch format {
	case output.FormatTable:
		return writePanel(opts.IO.Out, inf)
	case output.FormatJSON:
		return output.WriteJSON(opts.IO.Out, inf)
	}
	return output.WriteRecords(opts.IO.Out, format, output.Records{
		Columns: []string{"file", "format", "cols", "rows", "duration", "size_bytes", "events"},
		Len:     1,
		Row: func(int) []string {
			return []string{inf.File, inf.Format, fmt.Sprint(inf.Cols), fmt.Sprint(inf.Rows),
				fmt.Sprint(inf.Duration), fmt.Sprint(inf.SizeBytes), countsText(inf.Events)}
		},
		Item: func(int) any { return &inf },
	}, output.Options{})
}

func countsText(m map[string]int64) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s=%d", c, m[c])
	}
	return strings.Join(parts, " ")
}

var codeNames = map[string]string{
	"o": "output", "i": "input", "r": "resize", "m": "marker", "x": "exit", "q": "query",
}

func writePanel(w io.Writer, inf *Info) error {
	var sb strings.Builder
	field := func(label, value string) {
		if value == "" {
			return
		}
		fmt.Fprintf(&sb, "%-13s %s\n", label+":", sanitize.String(value))
	}
	field("File", inf.File)
	field("Format", inf.Format)
	field("Terminal", fmt.Sprintf("%dx%d", inf.Cols, inf.Rows))
	if inf.Timestamp != nil {
		field("Started", audit.FormatTime(*inf.Timestamp))
		field("Ended", audit.FormatTime(inf.Timestamp.Add(inf.duration)))
	}
	field("Duration", shared.FormatOffset(inf.duration))
	field("Size", fmt.Sprintf("%d bytes on disk, %d bytes of output, %d of input", inf.SizeBytes, inf.OutputBytes, inf.InputBytes))
	field("Title", inf.Title)
	field("Command", inf.Command)
	if inf.IdleTimeLimit > 0 {
		field("Idle limit", fmt.Sprintf("%gs", inf.IdleTimeLimit))
	}
	if len(inf.Env) > 0 {
		keys := make([]string, 0, len(inf.Env))
		for k := range inf.Env {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+"="+inf.Env[k])
		}
		field("Environment", strings.Join(parts, " "))
	}
	if inf.ExitStatus != nil {
		field("Exit status", *inf.ExitStatus)
	}
	if inf.Session != nil {
		if b, err := json.MarshalIndent(inf.Session, "  ", "  "); err == nil {
			src := "from the cache"
			if inf.SessionSource == "recording" {
				src = "from the recording's header, brought up to date with its events"
			}
			sb.WriteString("Session (" + src + "):\n  ")
			sb.WriteString(sanitize.Multiline(string(b)))
			sb.WriteString("\n")
		}
	}
	sb.WriteString("Events:\n")
	codes := make([]string, 0, len(inf.Events))
	for c := range inf.Events {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b string) int {
		if d := inf.Events[b] - inf.Events[a]; d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, c := range codes {
		name := codeNames[c]
		if name == "" {
			name = "unknown code"
		}
		fmt.Fprintf(&sb, "  %-8s %-13s %d\n", sanitize.String(c), name, inf.Events[c])
	}
	if len(inf.Markers) > 0 {
		sb.WriteString("Markers:\n")
		for _, m := range inf.Markers {
			fmt.Fprintf(&sb, "  %s  %s\n", shared.FormatOffset(m.at), sanitize.String(m.Label))
		}
	}
	if inf.Damage != nil {
		fmt.Fprintf(&sb, "Damage:       %s\n", sanitize.String(inf.Damage.Summary))
		for i, f := range inf.Damage.Flaws {
			if i == 20 {
				fmt.Fprintf(&sb, "  ... %d more\n", len(inf.Damage.Flaws)-i)
				break
			}
			what := "skipped"
			if f.Break {
				what = "reading stops"
			}
			fmt.Fprintf(&sb, "  %s  %s: %s\n", shared.FormatOffset(f.at), what, sanitize.String(f.Error))
		}
	}
	if len(inf.Resizes) > 0 {
		sb.WriteString("Resizes:\n")
		for _, r := range inf.Resizes {
			fmt.Fprintf(&sb, "  %s  %s\n", shared.FormatOffset(r.at), sanitize.String(r.Size))
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
