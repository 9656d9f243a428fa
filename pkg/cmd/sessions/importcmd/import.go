// Package importcmd implements `auditctl sessions import`.
package importcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// Options are the flags and dependencies of `sessions import`.
type Options struct {
	IO    *cmdutil.IOStreams
	Store func(ctx context.Context) (session.Store, error)
	Files []string
	Rec   shared.RecordingFlags
	Meta  session.Session // flag values; empty fields are taken from the recording
	Start string
	Cat   string
	// Output is -o: json or ndjson print one Result per FILE.
	Output string
	Quiet  bool
}

// Result is what happened to one FILE.
type Result struct {
	File      string `json:"file"`
	Status    string `json:"status"` // registered, exists, failed
	SessionID string `json:"session_id,omitempty"`
	Error     string `json:"error,omitempty"`
	// Damage summarizes what could not be read (with --skip-invalid).
	Damage string `json:"damage,omitempty"`
	err    error
}

// NewCmdImport builds the command.
func NewCmdImport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Store: func(ctx context.Context) (session.Store, error) { return f.StoreCreate(ctx) }}
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Register existing recordings as sessions in the cache",
		Long: heredoc.Doc(`
			Register recordings made elsewhere (any format auditctl reads) as
			completed sessions, so that 'sessions list' finds them and every
			sessions command takes their ID.

			Metadata comes from the recording: a .rec header's "audit" key holds
			the whole session row; other formats give at least the start time
			(asciicast timestamp, ttyrec first frame, script header) and the
			duration (the last event). Flags fill in or override the rest.

			A recording that does not record when it started (asciicast v2
			without "timestamp", a v3 header without it) needs --start TIME,
			which applies to every FILE; --start mtime takes each file's
			modification time minus its duration instead (a recorder's file
			is last written when the session ends; a copied file's time is
			the copy's, so this is an estimate, and a notice says so).

			The session ID is the one in the .rec metadata, else derived from
			the file's SHA-256, so importing the same file again adds nothing.
			An ID that is not printable text (a control, C1 or bidi character,
			a newline), longer than 128 bytes, or with a slash is refused with
			exit 3 naming the file and the field "id".
			The file stays where it is; the cache stores its absolute path and
			SHA-256.

			Each FILE is its own unit: one that cannot be registered (not a
			recording, no start time, damaged) is named on stderr with the
			reason (file:line for a bad line) and the others are registered
			all the same. stdout lists the IDs of the sessions registered
			(-o json or ndjson: one object per FILE with its status, session
			ID or error); stderr says what happened to each FILE, then the
			totals. The exit code is 3 when any FILE failed.

			A damaged recording (bad lines, a file cut short) fails unless
			--skip-invalid, which registers it with what is readable (its
			duration is the readable part) and names the damage on stderr;
			--skip-invalid also skips the FILEs that cannot be registered at
			all, and then the exit code is 3 only when none could be.
		`),
		Example: heredoc.Doc(`
			auditctl sessions import ./recordings/*.rec
			auditctl sessions import db.cast --category database --resource payroll-db --user alice@example.com
			auditctl sessions import old.ttyrec --start 2026-10-01T09:00:00Z --resource bastion-1
			auditctl sessions import ./casts/*.cast --start mtime --skip-invalid
		`),
		Args: cmdutil.MinimumArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			opts.Output = f.Output
			opts.Quiet = f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	m := &opts.Meta
	shared.AddMetadataFlags(fl, m)
	fl.StringVar(&opts.Cat, "category", "", "server, database or website")
	fl.StringVar(&opts.Start, "start", "", `start time, for recordings that do not record it; "mtime": each file's modification time minus its duration`)
	opts.Rec.Add(fl)
	_ = fl.MarkHidden("allow-modified") // import reads files, not sessions
	opts.Rec.Bind(f)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	c, err := session.ParseCategory(opts.Cat)
	if err != nil {
		return err
	}
	opts.Meta.Category = c
	var start time.Time
	fromMtime := strings.EqualFold(opts.Start, "mtime")
	if opts.Start != "" && !fromMtime {
		t, err := audit.ParseTimeArg(opts.Start, time.Now())
		if err != nil {
			return err
		}
		start = t
	}
	format := output.Format("")
	if opts.Output != "" {
		if format, err = output.ResolveFormat(opts.Output, false); err != nil {
			return err
		}
		if format != output.FormatJSON && format != output.FormatNDJSON {
			return audit.Errorf(audit.EUSAGE, "sessions import prints session IDs, or -o json / -o ndjson (got -o %s)", opts.Output)
		}
	}
	if _, err := opts.Rec.Options(); err != nil {
		return err
	}
	store, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	// Each FILE is its own unit: read it, register it, go on.
	var results []Result
	var added, exists, failed int
	for _, f := range opts.Files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res := Result{File: f}
		s, d, err := describe(opts, f, start, fromMtime)
		if err == nil {
			if d.Damaged() {
				res.Damage = d.Summary()
			}
			switch got, ferr := store.FindSession(ctx, s.ID); {
			case ferr == nil && got.ID == s.ID:
				res.Status, res.SessionID = "exists", s.ID // registered before (perhaps with --skip-invalid)
			case d.Damaged() && !opts.Rec.SkipInvalid:
				err = shared.DamageError(f, d)
			default:
				if err = store.CreateSession(ctx, s); err == nil {
					res.Status, res.SessionID = "registered", s.ID
				}
			}
		}
		if err != nil {
			if ae := audit.ErrorCode(err); ae == audit.ELOCAL || ae == audit.EREMOTE || ae == audit.EINTERNAL && !isInput(err) {
				return err // the store, not the file: stop
			}
			res.Status, res.Error, res.err = "failed", err.Error(), err
		}
		switch res.Status {
		case "registered":
			added++
			if res.Damage != "" {
				opts.Rec.ReportDamage(opts.IO, d.All(), d.Unlisted())
				opts.notice("%s: registered as session %s with what is readable (%s)", f, s.ID, res.Damage)
			} else {
				opts.notice("%s: registered as session %s", f, s.ID)
			}
			if format == "" {
				fmt.Fprintln(opts.IO.Out, s.ID)
			}
		case "exists":
			exists++
			opts.notice("%s: already registered as session %s", f, s.ID)
		default:
			failed++
			if len(opts.Files) > 1 { // one FILE: its error is the command's
				fmt.Fprintf(opts.IO.ErrOut, "%s: not registered: %s\n", sanitize.String(f), sanitize.String(res.Error))
			}
		}
		results = append(results, res)
	}
	if format != "" {
		if err := output.WriteRecords(opts.IO.Out, format, output.Records{
			Columns: []string{"file", "status", "session_id", "error"},
			Len:     len(results),
			Row: func(i int) []string {
				r := results[i]
				return []string{r.File, r.Status, r.SessionID, r.Error}
			},
			Item: func(i int) any { return results[i] },
		}, output.Options{}); err != nil {
			return err
		}
	}
	msg := fmt.Sprintf("registered %d of %d recordings", added, len(opts.Files))
	if exists > 0 {
		msg += fmt.Sprintf(", %d already registered", exists)
	}
	if failed > 0 {
		msg += fmt.Sprintf(", %d failed", failed)
	}
	opts.notice("%s", msg)
	switch {
	case failed == 0:
		return nil
	case opts.Rec.SkipInvalid && added+exists > 0:
		return nil
	case len(opts.Files) == 1:
		return results[0].err // its own exit code
	}
	return audit.Errorf(audit.EINVALID, "%d of %d recordings could not be registered (listed above)", failed, len(opts.Files))
}

func (opts *Options) notice(format string, args ...any) {
	if opts.Quiet {
		return
	}
	fmt.Fprintln(opts.IO.ErrOut, sanitize.String(fmt.Sprintf(format, args...)))
}

// isInput reports whether err is about a file's content (as opposed to the
// cache).
func isInput(err error) bool {
	var ie *audit.InputError
	return errors.As(err, &ie)
}

// describe reads one recording and builds its session row; the damage says
// what could not be read.
func describe(opts *Options, path string, start time.Time, fromMtime bool) (*session.Session, recording.Damage, error) {
	var d recording.Damage
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, d, err
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, d, audit.Errorf(audit.EUSAGE, "%s is a directory: name its recordings (auditctl sessions import %s)", path, filepath.Join(path, "*.cast"))
	}
	rd, err := opts.Rec.Open(abs)
	if err != nil {
		return nil, d, err
	}
	defer rd.Close()
	hdr := rd.Header()
	var s session.Session
	if len(hdr.Audit) > 0 {
		if err := json.Unmarshal(hdr.Audit, &s); err != nil {
			return nil, d, &audit.InputError{File: path, Line: 1, Field: "audit", Err: fmt.Errorf("session metadata: %w", err), Fatal: true}
		}
	}
	if err := rd.Each(func(recording.Event) error { return nil }); err != nil {
		return nil, d, err
	}
	d = rd.Damage()
	last := d.Readable
	sum, err := recording.FileSHA256(abs)
	if err != nil {
		return nil, d, err
	}
	overlay(&s, &opts.Meta)
	if s.ID == "" {
		s.ID = "rec-" + sum[:16]
	}
	if err := session.CheckID(s.ID); err != nil {
		return nil, d, &audit.InputError{File: path, Line: 1, Field: "id", Err: err, Fatal: true}
	}
	switch {
	case !start.IsZero():
		s.Start = start
	case s.Start.IsZero() && !hdr.Timestamp.IsZero():
		s.Start = hdr.Timestamp
	case s.Start.IsZero() && fromMtime:
		st, err := os.Stat(abs)
		if err != nil {
			return nil, d, err
		}
		s.Start = st.ModTime().Add(-last)
		opts.notice("%s: no start time recorded: using its modification time minus its duration, %s (an estimate)", path, audit.FormatTime(s.Start.UTC()))
	case s.Start.IsZero():
		return nil, d, audit.Errorf(audit.EINVALID, "%s does not record when it started: pass --start TIME (or --start mtime for the file's modification time minus its duration)", path)
	}
	s.Start = s.Start.UTC()
	s.Duration = last
	s.End = s.Start.Add(last)
	if s.Category == "" {
		s.Category = session.CategoryServer
	}
	if s.Status == "" || s.Status == session.StatusActive {
		s.Status = session.StatusCompleted
	}
	s.RecorderPID = 0
	s.HasRecording, s.RecordingPath, s.RecordingSHA256 = true, abs, sum
	if s.Command == "" {
		s.Command = hdr.Command
	}
	return &s, d, nil
}

// overlay copies the non-empty fields of m over s.
func overlay(s, m *session.Session) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&s.UserName, m.UserName)
	set(&s.UserEmail, m.UserEmail)
	set(&s.Role, m.Role)
	set(&s.Account, m.Account)
	set(&s.ResourceName, m.ResourceName)
	set(&s.ResourceID, m.ResourceID)
	set(&s.Connector, m.Connector)
	set(&s.ServerName, m.ServerName)
	set(&s.ServerOS, m.ServerOS)
	set(&s.Host, m.Host)
	set(&s.Protocol, m.Protocol)
	set(&s.ClientIP, m.ClientIP)
	set(&s.ClientName, m.ClientName)
	set(&s.ConnectedFrom, m.ConnectedFrom)
	if m.Category != "" {
		s.Category = m.Category
	}
	if m.Port != 0 {
		s.Port = m.Port
	}
}
