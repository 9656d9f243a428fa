package recorder

import (
	"io"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/shellword"
)

// Options configure Record.
type Options struct {
	// Command is COMMAND and its arguments.
	Command []string
	// Session is the session's metadata; its ID is required. Record fills
	// in Start, Status, HasRecording, RecordingPath, RecorderPID and
	// Command, and at the end End, Duration, RecordingSHA256 and
	// TerminatedBy.
	Session session.Session
	// Dir is where the recording goes, as Dir/<ID>.rec (created 0700).
	Dir string
	// Output, when set, is the recording's path instead (it must not exist).
	Output string
	// Store registers the session; nil registers nothing.
	Store session.Store
	// Stdin is the user's input. A terminal (*os.File) is put in raw mode
	// and its size followed (SIGWINCH); anything else is copied to the
	// pseudo-terminal, and its end sends an end-of-file (C-d).
	Stdin io.Reader
	// Stdout gets COMMAND's output, and the notices of blocked statements.
	Stdout io.Writer
	// Cols and Rows are the pseudo-terminal's size when Stdin is not a
	// terminal (default 80x24).
	Cols, Rows int
	// Env is COMMAND's environment; nil means os.Environ(). Record adds
	// AUDITCTL_SESSION_ID, and TERM=xterm-256color when TERM is unset.
	Env []string
	// Block are the deny rules of a database session. With any, the
	// recorder owns the input line (see docs/recorder.md, "Deny rules").
	Block []Rule
	// AllowMeta lets client commands that read files, open an editor or
	// run a shell (psql \i, sqlite3 .read, mysql source...) through when
	// Block is set; they are refused otherwise.
	AllowMeta bool
	// CaptureQueries records "q" events; it is implied by Block and by
	// Session.Category == database.
	CaptureQueries bool
	// Grace is how long COMMAND has between SIGHUP and SIGKILL when the
	// session is terminated (default 2s).
	Grace time.Duration
	// Started, when set, is called once the recording and the session row
	// exist, with the recording's path (before COMMAND starts).
	Started func(path string)
}

// Result is what Record did.
type Result struct {
	Session    session.Session // the final session row
	Path       string          // the recording
	ExitCode   int             // COMMAND's exit status (128+N when killed by signal N)
	Terminated bool            // the session was terminated (signal or context)
	Queries    int             // "q" events written
	Blocked    int             // statements refused by a deny rule
}

// Environment variable COMMAND finds its session ID in.
const EnvSessionID = "AUDITCTL_SESSION_ID"

// shellJoin quotes args the way a POSIX shell reads them back.
func shellJoin(args []string) string { return shellword.Join(args) }

// lookupEnv is the value of key in env (the last one wins, as in exec).
func lookupEnv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
