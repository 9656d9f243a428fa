// Package failpoint stops a process at a named point of a retention run,
// for the kill tests: the environment variable Env, "POINT=FILE", makes
// the process create FILE when it reaches POINT and sleep there until it
// is killed. Unset in any real use. The points: pkg/retention's (archived,
// in-transaction, deleted), the SQLite store's "hidden" (DeleteEventsWith:
// after the commit that hides the events, before their deletion in slices)
// and the PostgreSQL store's pg-NAME.
package failpoint

import (
	"os"
	"strings"
	"time"
)

// Env names the point and the file.
const Env = "AUDITCTL_TEST_RETENTION_STOP"

// Stop stops the process at point name when Env names it.
func Stop(name string) {
	point, file, ok := strings.Cut(os.Getenv(Env), "=")
	if !ok || point != name {
		return
	}
	_ = os.WriteFile(file, nil, 0o600)
	for {
		time.Sleep(time.Hour)
	}
}
