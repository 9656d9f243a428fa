package logs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// TestExportDamagedDocument: a stored JSON document that is not JSON (a
// damaged cache) makes export fail with exit 5 naming the event, not an
// internal MarshalJSON error; an -O file is not left behind.
func TestExportDamagedDocument(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	db, err := sqlite.OpenExisting(context.Background(), env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`UPDATE event_docs SET params = '{"half":' WHERE id =
		(SELECT id FROM events WHERE ext_id = 'ev-07')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, format := range []string{"json", "ndjson"} {
		out := filepath.Join(t.TempDir(), "out."+format)
		for _, args := range [][]string{
			{"logs", "export", "--all", "--format", format},
			{"logs", "export", "--all", "--format", format, "-O", out},
		} {
			code := env.ExitCode(args...)
			msg := env.ErrOut.String()
			if err := env.Run(args...); err != nil {
				msg += err.Error()
			}
			if code != 5 || !strings.Contains(msg, "ev-07") || !strings.Contains(msg, "damaged") || strings.Contains(msg, "MarshalJSON") {
				t.Errorf("%v: exit %d, %q; want exit 5 naming ev-07 and the damage", args, code, msg)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("-O %s left behind: %v", out, err)
		}
	}
}
