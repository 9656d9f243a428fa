//go:build unix

package recorder

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/uuid"

	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
)

// TestRecordPsql runs psql under the recorder against a real PostgreSQL
// server, typing in a real terminal, and checks the query events.
func TestRecordPsql(t *testing.T) {
	srv := pgtest.Start(t)
	psql, err := srv.Psql()
	if err != nil {
		t.Skipf("psql not found: %v", err)
	}
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	pty.Setsize(slave, &pty.Winsize{Cols: 120, Rows: 40})
	var screen syncBuffer
	go io.Copy(&screen, master)

	rule, err := ParseRule("DROP TABLE")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TERM=xterm", "LANG=C", "PSQL_HISTORY=" + filepath.Join(home, "hist"), "PAGER="}
	dir := filepath.Join(t.TempDir(), "rec")
	store := &fileStore{path: filepath.Join(t.TempDir(), "store.json")}
	id := uuid.NewString()
	done := make(chan error, 1)
	var res *Result
	go func() {
		var err error
		res, err = Record(context.Background(), Options{
			Command: append([]string{psql}, append(srv.PsqlArgs("postgres"), "-P", "pager=off")...),
			Session: session.Session{ID: id, UserName: "dba", Category: session.CategoryDatabase, Protocol: "postgres"},
			Dir:     dir, Store: store, Stdin: slave, Stdout: slave, Env: env, Block: []Rule{rule},
		})
		done <- err
	}()
	prompts := func() int { return strings.Count(screen.String(), "postgres=# ") }
	waitFor(t, "the first prompt", 15*time.Second, func() bool { return prompts() >= 1 })
	type step struct{ keys, wait string }
	steps := []string{
		"CREATE TABLE t (a int);\r",
		"INSERT INTO t VALUES (1);\r",
		"SELEC 1;\r",
		"drop   table t;\r",
		"SELECT a\r",
		"FROM t;\r",
		"DROP\r",
		"TABLE t;\r",
		"SELECT count(*) FROM t;\r",
	}
	for _, s := range steps {
		n := prompts()
		io.WriteString(master, s)
		if strings.HasSuffix(s, ";\r") {
			waitFor(t, "the prompt after "+s, 15*time.Second, func() bool { return prompts() > n })
		}
	}
	io.WriteString(master, `\q`+"\r")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("psql did not exit; screen:\n%s", screen.String())
	}
	t.Logf("screen:\n%s", screen.String())
	if !strings.Contains(screen.String(), `auditctl: statement blocked by rule "DROP TABLE"`) {
		t.Errorf("no block notice on the screen")
	}

	_, evs := readEvents(t, res.Path)
	type want struct {
		query, message string
		rows           int64 // -1: null
	}
	wants := []want{
		{"CREATE TABLE t (a int);", "CREATE TABLE", -1},
		{"INSERT INTO t VALUES (1);", "INSERT 0 1", 1},
		{"SELEC 1;", `ERROR:  syntax error at or near "SELEC"`, -1},
		{"drop   table t;", "blocked by rule DROP TABLE", -1},
		{"SELECT a\nFROM t;", "(1 row)", 1},
		{"DROP\nTABLE t;", "blocked by rule DROP TABLE", -1},
		{"SELECT count(*) FROM t;", "(1 row)", 1},
	}
	var got []recording.Query
	for _, ev := range evs {
		if ev.Code == "q" {
			q, err := recording.DecodeQuery(ev.Data)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, q)
		}
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d queries, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		g := got[i]
		rows := int64(-1)
		if g.Rows != nil {
			rows = *g.Rows
		}
		if g.Query != w.query || g.Message != w.message || rows != w.rows {
			t.Errorf("query %d = %q %q rows %d, want %q %q rows %d", i, g.Query, g.Message, rows, w.query, w.message, w.rows)
		}
		if w.message != "blocked by rule DROP TABLE" && (g.DurationMS <= 0 || g.DurationMS > 10000) {
			t.Errorf("query %d duration = %v ms", i, g.DurationMS)
		}
	}
	if res.Queries != 7 || res.Blocked != 2 {
		t.Errorf("result = %+v", res)
	}
	// The blocked DROP never reached the server.
	out, err := exec.Command(psql, append(srv.PsqlArgs("postgres"), "-Atc", "select count(*) from t")...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Errorf("table t after the session: %v: %s", err, out)
	}
	row, err := store.FindSession(context.Background(), id)
	if err != nil || row.Status != session.StatusCompleted || row.Category != session.CategoryDatabase || row.RecordingSHA256 == "" {
		t.Errorf("row = %+v, %v", row, err)
	}
}
