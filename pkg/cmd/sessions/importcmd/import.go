// Package importcmd implements `auditctl sessions import`.
package importcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
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
}

// NewCmdImport builds the command.
func NewCmdImport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Store: func(ctx context.Context) (session.Store, error) { return f.DB(ctx) }}
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
			A recording without a start time needs --start.

			The session ID is the one in the .rec metadata, else derived from
			the file's SHA-256, so importing the same file again adds nothing.
			The file stays where it is; the cache stores its absolute path and
			SHA-256.
		`),
		Example: heredoc.Doc(`
			auditctl sessions import ./recordings/*.rec
			auditctl sessions import db.cast --category database --resource payroll-db --user alice@example.com
			auditctl sessions import old.ttyrec --start 2026-10-01T09:00:00Z --resource bastion-1
		`),
		Args: cmdutil.MinimumArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
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
	fl.StringVar(&opts.Start, "start", "", "start time, for recordings that do not record it")
	opts.Rec.Add(fl)
	return cmd
}

func run(ctx context.Context, opts *Options) error {
	c, err := session.ParseCategory(opts.Cat)
	if err != nil {
		return err
	}
	opts.Meta.Category = c
	var start time.Time
	if opts.Start != "" {
		t, err := audit.ParseTimeArg(opts.Start, time.Now())
		if err != nil {
			return err
		}
		start = t
	}
	// Read every file first: a bad one stops the import before anything
	// is written.
	var rows []*session.Session
	for _, f := range opts.Files {
		s, err := describe(opts, f, start)
		if err != nil {
			return err
		}
		rows = append(rows, s)
	}
	store, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	added := 0
	for _, s := range rows {
		if got, err := store.FindSession(ctx, s.ID); err == nil && got.ID == s.ID {
			fmt.Fprintf(opts.IO.ErrOut, "%s: already registered as session %s\n", sanitize.String(s.RecordingPath), s.ID)
			continue
		}
		if err := store.CreateSession(ctx, s); err != nil {
			return err
		}
		added++
		fmt.Fprintln(opts.IO.Out, s.ID)
	}
	fmt.Fprintf(opts.IO.ErrOut, "registered %d of %d recordings\n", added, len(rows))
	return nil
}

// describe reads one recording and builds its session row.
func describe(opts *Options, path string, start time.Time) (*session.Session, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	rd, err := opts.Rec.Open(abs)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	hdr := rd.Header()
	var s session.Session
	if len(hdr.Audit) > 0 {
		if err := json.Unmarshal(hdr.Audit, &s); err != nil {
			return nil, &audit.InputError{File: path, Line: 1, Field: "audit", Err: fmt.Errorf("session metadata: %w", err), Fatal: true}
		}
	}
	var last time.Duration
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		last = max(last, ev.Time)
	}
	sum, err := recording.FileSHA256(abs)
	if err != nil {
		return nil, err
	}
	overlay(&s, &opts.Meta)
	if s.ID == "" {
		s.ID = "rec-" + sum[:16]
	}
	switch {
	case !start.IsZero():
		s.Start = start
	case s.Start.IsZero() && !hdr.Timestamp.IsZero():
		s.Start = hdr.Timestamp
	case s.Start.IsZero():
		return nil, audit.Errorf(audit.EUSAGE, "%s does not record when it started: pass --start", path)
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
	return &s, nil
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
