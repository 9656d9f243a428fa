// Package recorder records a terminal session: it runs a command in a
// pseudo-terminal, passes the user's terminal through, and writes what
// happens (output, keystrokes, resizes, the exit status, and for database
// sessions the queries) to an asciicast v3 .rec file as it happens, flushed
// after every event, while the session is registered in a session.Store as
// active, then completed or terminated.
//
// Liveness and termination go through two files beside the recording:
// "<rec>.lock", which the running recorder holds locked (flock) and which
// names its PID and session, and "<rec>.terminate", which Terminate writes
// (who terminates, when) before it signals the recorder. A lock that nobody
// holds means the recorder is gone: MarkStale marks such sessions stale.
//
// See docs/recorder.md.
package recorder
