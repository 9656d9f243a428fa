// Package show implements `auditctl sessions show`.
package show

import (
	"context"
	"fmt"
	"io"
	"os"
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
	"github.com/auditctl/auditctl/pkg/store"
)

// Options are the flags and dependencies of `sessions show`.
type Options struct {
	IO     *cmdutil.IOStreams
	Store  func(ctx context.Context) (store.Store, error)
	Now    func() time.Time
	ID     string
	Output string
	Table  cmdutil.TableFlags
	Events int
	JQ     string
	// Command is how hints run auditctl again (cmdutil.Invocation).
	Command string
}

// NewCmdShow builds the command.
func NewCmdShow(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Store: f.Store, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a session: who, what, when, its files and the user's audit events",
		Long: heredoc.Doc(`
			Show one session of the cache: user, resource, connection details,
			start, end, duration, status and the exit status of the recorded
			command (the recording's exit event); its files (the recording with
			its SHA-256, and what it holds: a keystroke log, a query history,
			any damage); and
			the audit events of the same user (by email or name) during the
			session's time window, from the cache's audit log.

			ID is the session id, or its first characters when no other
			session's id starts with them (several: exit 2, "ambiguous: N
			sessions start with …", listing a few).
		`),
		Example: heredoc.Doc(`
			auditctl sessions show 3f2a9c1e
			auditctl sessions show 3f2a9c1e -o json
			auditctl sessions show 3f2a9c1e --jq .files.exit_status
		`),
		Args: cmdutil.ExactArgs(1, "a session ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			opts.Output = f.Output
			opts.Command = cmdutil.Invocation(os.Args[0], f.DBPath)
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Events, "events", 20, "how many of the user's audit events to show")
	shared.AddJQ(cmd.Flags(), &opts.JQ)
	cmdutil.AddTableFlags(cmd, &opts.Table, output.EventColumnNames())
	return cmd
}

// Files describes what the session's recording holds.
type Files struct {
	Recording    string `json:"recording,omitempty"`
	SHA256       string `json:"sha256,omitempty"`
	Present      bool   `json:"present"`
	Format       string `json:"format,omitempty"`
	KeystrokeLog bool   `json:"keystroke_log"`
	Keystrokes   int64  `json:"keystrokes"`
	QueryHistory bool   `json:"query_history"`
	Queries      int64  `json:"queries"`
	Markers      int64  `json:"markers"`
	// ExitStatus is the recording's exit event ("x"): the status the
	// recorded command exited with; nil when it has none.
	ExitStatus *string `json:"exit_status"`
	// Duration is the time of the recording's last event, in seconds.
	Duration float64 `json:"duration"`
	// Damage says what of the recording could not be read ("" when
	// nothing): bad lines skipped, where it breaks off.
	Damage         string `json:"damage,omitempty"`
	RecordingError string `json:"recording_error,omitempty"`
}

// Detail is the JSON form of `sessions show`.
type Detail struct {
	Session *session.Session `json:"session"`
	Files   Files            `json:"files"`
	Events  []*audit.Event   `json:"events"`
	// EventsTotal counts all the user's events in the window.
	EventsTotal int `json:"events_total"`
}

func run(ctx context.Context, opts *Options) error {
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	db, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	if err := shared.MarkStale(ctx, db); err != nil { // a recorder that died since
		return err
	}
	s, err := db.FindSession(ctx, opts.ID)
	if err != nil {
		return err
	}
	d, err := Load(ctx, db, s, opts.Now(), opts.Events)
	if err != nil {
		return err
	}
	if opts.JQ != "" {
		return shared.WriteJQ(opts.IO, opts.JQ, d)
	}
	switch format {
	case output.FormatTable:
		oo, err := opts.Table.Options(opts.IO)
		if err != nil {
			return err
		}
		return WritePanel(opts.IO.Out, d, oo, moreHint(d, opts.Command))
	case output.FormatYAML:
		return output.WriteRecords(opts.IO.Out, format, output.Records{Len: 1, Item: func(int) any { return d }}, output.Options{})
	}
	return output.WriteJSON(opts.IO.Out, d)
}

// Load reads what `sessions show` tells of s: its files (the recording
// read once) and the first n audit events of its user (by email or name)
// during its time window (until now while it runs), with their total.
// The console's session panel shows the same.
func Load(ctx context.Context, events audit.EventService, s *session.Session, now time.Time, n int) (*Detail, error) {
	d := &Detail{Session: s, Files: files(s), Events: []*audit.Event{}}
	if f, ok := UserEvents(s, now); ok && n > 0 {
		evs, total, err := events.FindEvents(ctx, f, audit.Page{Limit: n, Sort: []audit.SortKey{{Field: audit.FieldTime}}})
		if err != nil {
			return nil, err
		}
		d.Events, d.EventsTotal = evs, total
		if d.Events == nil {
			d.Events = []*audit.Event{}
		}
	}
	return d, nil
}

// UserEvents is the filter of the audit events of s's user (by email or
// name) during s (until now while it runs, a second more for the events
// logged as it closed); false when s names no user.
func UserEvents(s *session.Session, now time.Time) (audit.Filter, bool) {
	var users []string
	for _, u := range []string{s.UserEmail, s.UserName} {
		if u != "" {
			users = append(users, u)
		}
	}
	f := audit.Filter{Since: s.Start, Until: s.End}
	if len(users) == 0 {
		return f, false
	}
	if s.End.IsZero() {
		f.Until = now
	}
	f.Until = f.Until.Add(time.Second) // events logged as the session closed
	f.Add(audit.FieldActor, users...)
	return f, true
}

// moreHint is the command that lists all the user's events of the
// session, for the line under the first ones.
func moreHint(d *Detail, command string) string {
	s := d.Session
	if command == "" {
		command = "auditctl"
	}
	// Every value is one shell word: the hint can be pasted as it is.
	return command + " logs list --actor " + cmdutil.ShellQuote(firstNonEmpty(s.UserEmail, s.UserName)) +
		" --since " + cmdutil.ShellQuote(audit.FormatTime(s.Start)) +
		" --until " + cmdutil.ShellQuote(audit.FormatTime(firstNonZero(s.End, s.Start)))
}

// files reads the recording once to tell what it holds.
func files(s *session.Session) Files {
	f := Files{Recording: s.RecordingPath, SHA256: s.RecordingSHA256}
	if s.RecordingPath == "" {
		return f
	}
	if _, err := os.Stat(s.RecordingPath); err != nil {
		f.RecordingError = "missing: " + err.Error()
		return f
	}
	f.Present = true
	rd, err := recording.Open(s.RecordingPath, recording.Options{})
	if err != nil {
		f.RecordingError = err.Error()
		return f
	}
	defer rd.Close()
	f.Format = rd.Header().Format
	rd.Each(func(ev recording.Event) error {
		switch ev.Code {
		case "i":
			f.Keystrokes++
		case "q":
			f.Queries++
		case "m":
			f.Markers++
		case "x":
			x := ev.Data
			f.ExitStatus = &x
		}
		return nil
	})
	d := rd.Damage()
	f.Duration = float64(d.Readable.Microseconds()) / 1e6
	if d.Damaged() {
		f.Damage = d.Summary()
		f.RecordingError = d.All()[0].Err
	}
	f.KeystrokeLog, f.QueryHistory = f.Keystrokes > 0, f.Queries > 0
	return f
}

// WritePanel writes the panel of `sessions show` (the session, its files,
// the first of its user's events as a table fitted to oo.Width); when the
// user has more events than d holds, a last line says how many and more
// (how to see them all).
func WritePanel(w io.Writer, d *Detail, oo output.Options, more string) error {
	s := d.Session
	var sb strings.Builder
	section := func(title string) { fmt.Fprintf(&sb, "\n%s\n", title) }
	field := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&sb, "  %-15s %s\n", label+":", sanitize.String(value))
		}
	}
	fmt.Fprintf(&sb, "Session %s\n", sanitize.String(s.ID))
	section("User")
	field("Name", s.UserName)
	field("Email", s.UserEmail)
	field("Role", s.Role)
	field("Account", s.Account)
	field("Client IP", s.ClientIP)
	field("Client name", s.ClientName)
	field("Connected from", s.ConnectedFrom)
	section("Resource")
	field("Name", s.ResourceName)
	field("ID", s.ResourceID)
	field("Category", string(s.Category))
	field("Connector", s.Connector)
	field("Server name", s.ServerName)
	field("Server OS", s.ServerOS)
	field("Host", s.Host)
	if s.Port > 0 {
		field("Port", fmt.Sprint(s.Port))
	}
	field("Protocol", s.Protocol)
	section("Session")
	field("Start", audit.FormatTime(s.Start))
	if !s.End.IsZero() {
		field("End", audit.FormatTime(s.End))
		field("Duration", output.FormatDuration(s.Duration))
	}
	field("Status", string(s.Status))
	field("Terminated by", s.TerminatedBy)
	field("Command", s.Command)
	if d.Files.ExitStatus != nil {
		field("Exit status", *d.Files.ExitStatus)
	} else if d.Files.Present && s.Status != session.StatusActive {
		field("Exit status", "not recorded (the recording has no exit event)")
	}
	if s.RecorderPID > 0 && s.Status == session.StatusActive {
		field("Recorder PID", fmt.Sprint(s.RecorderPID))
	}
	section("Files")
	f := d.Files
	if f.Recording == "" {
		sb.WriteString("  no recording\n")
	} else {
		field("Recording", f.Recording)
		field("SHA-256", f.SHA256)
		field("Format", f.Format)
		if f.Present && f.RecordingError == "" {
			field("Keystroke log", fmt.Sprintf("%d input events", f.Keystrokes))
			if f.Queries > 0 {
				field("Query history", fmt.Sprintf("%d queries", f.Queries))
			}
			if f.Markers > 0 {
				field("Markers", fmt.Sprint(f.Markers))
			}
		}
		if f.Damage != "" {
			field("Damage", f.Damage+" (first: "+f.RecordingError+")")
		} else {
			field("Problem", f.RecordingError)
		}
	}
	section(fmt.Sprintf("Audit events of this user during the session (%d)", d.EventsTotal))
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return err
	}
	if len(d.Events) == 0 {
		_, err := io.WriteString(w, "  none\n")
		return err
	}
	err := output.WriteEvents(w, output.FormatTable, d.Events, oo)
	if err == nil && d.EventsTotal > len(d.Events) {
		_, err = fmt.Fprintf(w, "(%d more: %s)\n", d.EventsTotal-len(d.Events), sanitize.String(more))
	}
	return err
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstNonZero(a, b time.Time) time.Time {
	if !a.IsZero() {
		return a
	}
	return b
}
