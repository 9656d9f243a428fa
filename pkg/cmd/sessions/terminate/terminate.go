// Package terminate implements `auditctl sessions terminate`.
package terminate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/recorder"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// Options are the flags and dependencies of `sessions terminate`.
type Options struct {
	IO     *cmdutil.IOStreams
	DB     func(ctx context.Context) (*sqlite.DB, error)
	Now    func() time.Time
	ID     string
	By     string
	Reason string
}

// NewCmdTerminate builds the command.
func NewCmdTerminate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, DB: f.LocalDB("sessions terminate", "it signals the recorder, a process on the machine whose cache the recorder writes"), Now: f.Now}
	cmd := &cobra.Command{
		Use:   "terminate ID",
		Short: "End an active session now",
		Long: heredoc.Doc(`
			End an active session recorded by 'auditctl sessions record': its
			recorder is signalled, kills the command (SIGHUP, then SIGKILL after
			a grace period), writes the exit event and marks the session
			terminated, naming who terminated it. The termination is also
			written to the cache's audit log as a TerminateSession event
			(source auditctl), so 'logs list --action TerminateSession' shows who
			ended which session, when and why.

			A session whose recorder died is marked terminated directly.
		`),
		Example: heredoc.Doc(`
			auditctl sessions list --active
			auditctl sessions terminate 3f2a9c1e --reason "unexpected DROP attempts"
		`),
		Args: cmdutil.ExactArgs(1, "a session ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.By, "by", "", "who terminates (default: the current user)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, for the audit log")
	return cmd
}

// CurrentUser is who terminates when --by is not given: user@host.
func CurrentUser() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if host, err := os.Hostname(); err == nil && name != "" {
		return name + "@" + host
	}
	return name
}

func run(ctx context.Context, opts *Options) error {
	by := opts.By
	if by == "" {
		by = CurrentUser()
	}
	db, err := opts.DB(ctx)
	if err != nil {
		return err
	}
	s, err := db.FindSession(ctx, opts.ID)
	if err != nil {
		return err
	}
	if err := Terminate(ctx, db, s, by, opts.Reason, opts.Now()); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "terminated session %s (%s on %s)\n", s.ID,
		sanitize.String(firstNonEmpty(s.UserEmail, s.UserName)), sanitize.String(s.ResourceName))
	return nil
}

// Terminate ends session s as `sessions terminate ID` does: its recorder
// kills the command and marks it terminated by by (a session whose
// recorder died is marked directly), then a TerminateSession event naming
// by and reason goes into the cache's audit log. The console's x runs it.
func Terminate(ctx context.Context, db *sqlite.DB, s *session.Session, by, reason string, now time.Time) error {
	if err := recorder.Terminate(ctx, db, s.ID, by); err != nil {
		return err
	}
	params, _ := json.Marshal(map[string]string{"reason": reason, "resource": s.ResourceName, "recording": s.RecordingPath})
	ev := &audit.Event{
		ID: uuid.NewString(), Source: "auditctl", Time: now.UTC(), Service: "sessions",
		Action: "TerminateSession", Actor: by, Target: firstNonEmpty(s.UserEmail, s.UserName),
		TargetID: s.ID, TargetType: "session", Status: audit.StatusSuccess,
		Description: fmt.Sprintf("terminated session %s of %s on %s", s.ID, firstNonEmpty(s.UserEmail, s.UserName), s.ResourceName),
		Params:      params,
	}
	if err := db.AddEvents(ctx, ev); err != nil {
		return fmt.Errorf("session %s was terminated, but the audit event could not be written: %w", s.ID, err)
	}
	return nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
