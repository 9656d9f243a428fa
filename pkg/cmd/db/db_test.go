package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/jackc/pgx/v5"
)

func TestDBInitAndRoles(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	srv.CreateDB(t, "team")
	url := func(user string) string { return srv.URL(user, "team") }
	c, err := pgx.Connect(ctx, srv.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	env := cmdtest.New(t)
	if code := env.ExitCode("db", "init"); code != 2 || !strings.Contains(env.ErrOut.String()+fmt.Sprint(env.Run("db", "init")), "postgres://") {
		t.Fatalf("db init over a cache file: exit %d, %s", code, env.ErrOut)
	}
	out := env.MustRun("db", "init", url("postgres"))
	for _, want := range []string{"schema version", "auditctl_ingest", "created", "auditctl_reader", "auditctl_admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("db init output lacks %q:\n%s", want, out)
		}
	}
	env.DBPath = url("postgres") // --db URL: init takes it from there
	var res struct {
		Created []string `json:"created_roles"`
		Schema  int      `json:"schema_version"`
	}
	if err := json.Unmarshal([]byte(env.MustRun("db", "init", "-o", "json")), &res); err != nil || len(res.Created) != 0 || res.Schema < 2 {
		t.Fatalf("db init again: %+v %v", res, err)
	}
	for _, s := range []string{"CREATE ROLE importer LOGIN IN ROLE auditctl_ingest", "CREATE ROLE alice LOGIN IN ROLE auditctl_reader"} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "e.ndjson")
	if err := os.WriteFile(file, []byte(`{"id":"a1","source":"t","time":"2026-11-22T10:00:00Z","action":"DeleteUser","actor":"bob"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The reader may read, and the server refuses its import: exit 4.
	env.DBPath = url("alice")
	if err := env.Run("import", file); cmdutil.ExitCode(err) != 4 || !strings.Contains(env.ErrOut.String()+fmt.Sprint(err), "refused") {
		t.Fatalf("import as a reader: exit %d %v\n%s", cmdutil.ExitCode(err), err, env.ErrOut)
	}
	env.DBPath = url("importer")
	env.MustRun("import", file)
	env.DBPath = url("alice")
	if out := env.MustRun("logs", "count", "--all"); !strings.Contains(out, `"total":1`) {
		t.Fatalf("reader count: %s", out)
	}
	// Commands not on the team store yet say so, without running
	// anything, writing beside the "path" or printing the URL.
	dir := t.TempDir()
	t.Chdir(dir)
	env.DBPath = "postgres://alice:s3cret@" + fmt.Sprintf("%s:%d/team?sslmode=disable", srv.Host, srv.Port)
	for _, args := range [][]string{
		{"sessions", "record", "--", "true"}, {"sessions", "terminate", "some-id"},
		{"demo"},
	} {
		err := env.Run(args...)
		msg := env.ErrOut.String() + fmt.Sprint(err)
		if code := cmdutil.ExitCode(err); code != 2 || !strings.Contains(msg, "PostgreSQL") || strings.Contains(msg, "s3cret") {
			t.Errorf("%v on postgres: exit %d %s", args, code, msg)
		}
	}
	// Session History is there: a reader lists it (empty), and an id
	// that no session has is not found.
	if out := env.MustRun("sessions", "list", "-o", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("sessions list as a reader: %q", out)
	}
	if err := env.Run("sessions", "play", "some-id", "--no-tui"); cmdutil.ExitCode(err) != 3 {
		t.Errorf("sessions play of no session: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("the commands wrote %v in the working directory", entries[0].Name())
	}
}
