//go:build unix

package recorder

import (
	"context"
	"errors"
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

// attempt is one way a user at the terminal might try to get a refused
// statement to the database. Each chunk is one write to the terminal (one
// read for the recorder), with a pause between chunks.
type attempt struct {
	name   string
	chunks []string
}

// sentAttempts are not refused: what is typed reaches the client, which
// must not turn it into what a rule refuses (its line editor completing a
// tab, expanding a macro): only the table is checked.
var sentAttempts = map[string]bool{"tab completion": true, "inputrc macro": true}

// commonAttempts hold for every client: rule 'DROP TABLE', table t.
var commonAttempts = []attempt{
	{"plain", []string{"DROP TABLE t;\r"}},
	{"then a statement in the same read", []string{"DROP TABLE t; SELECT 42;\r"}},
	{"two lines in the same read", []string{"DROP TABLE t;\rSELECT 42;\r"}},
	{"empty comment inside", []string{"DROP/**/TABLE t;\r"}},
	{"comment with a semicolon inside", []string{"DROP /* ; */ TABLE t;\r"}},
	{"line comment between keywords", []string{"DROP -- x\rTABLE t;\r"}},
	{"leading comment", []string{"/* hello */ DROP TABLE t;\r"}},
	{"odd quote in an identifier first", []string{`SELECT "a'b";` + "\r" + "DROP TABLE t;\r"}},
	{"odd quote in an identifier, same line", []string{`SELECT "a'b"; DROP TABLE t;` + "\r"}},
	{"semicolon in a string first", []string{"SELECT ';'; DROP TABLE t;\r"}},
	{"doubled quote first", []string{"SELECT 'it''s'; DROP TABLE t;\r"}},
	{"split across reads", []string{"DROP\r", "TABLE t;\r"}},
	{"split inside a keyword", []string{"DR", "OP TABLE t;\r"}},
	{"split inside the statement and its end", []string{"SELECT 1", "; DROP TABLE t;\r"}},
	{"tabs", []string{"DrOp\tTaBlE\tt;\r"}},
	{"spaces and case", []string{"drop     table    t;\r"}},
	{"quoted identifier", []string{`DROP TABLE "t";` + "\r"}},
	{"if exists", []string{"DROP TABLE IF EXISTS t;\r"}},
	{"bracketed paste", []string{"\x1b[200~DROP TABLE t;\x1b[201~\r"}},
	{"bracketed paste of a script", []string{"\x1b[200~SELECT 1;\nDROP TABLE t;\nSELECT 2;\n\x1b[201~\r"}},
	{"bracketed paste split across reads", []string{"\x1b[200~DROP TA", "BLE t;\n\x1b[201~\r"}},
	{"multi-statement line", []string{"SELECT 1; SELECT 2; DROP TABLE t;\r"}},
	{"double semicolon", []string{"DROP TABLE t;;\r"}},
	{"open quote closed later", []string{"SELECT 'x\r", "DROP TABLE t;\r", "';\r"}},
	{"held, interrupted, typed again", []string{"DROP TABLE t\r", "\x03", "DROP TABLE t;\r"}},
	{"history recall", []string{"DROP TABLE t;\r", "\x1b[A\r"}},
	{"edited with backspace", []string{"DROP TABLE x\x7ft;\r"}},
	{"edited at the start of the line", []string{"ROP TABLE t;\x01D\r"}},
	{"CRLF line ends", []string{"DROP TABLE t;\r\nSELECT 1;\r\n"}},
	{"tab completion", []string{"DR\tTABLE t;\r"}},
	{"inputrc macro", []string{"~ t;\r"}},
	{"8-bit bytes as Meta keys outside a UTF-8 locale", []string{"SELECT 'tä';\r"}},
}

var sqliteAttempts = []attempt{
	{"bracketed identifier", []string{"DROP TABLE [t];\r"}},
	{"backquoted identifier", []string{"DROP TABLE `t`;\r"}},
	{"go terminator", []string{"DROP TABLE t\rgo\r"}},
	{".read", []string{".read EVIL\r"}},
	{".read abbreviated", []string{".rea EVIL\r"}},
	{".shell", []string{".shell sqlite3 DB 'DROP TABLE t'\r"}},
	{".system", []string{".system sqlite3 DB 'DROP TABLE t'\r"}},
	{".import", []string{".import EVIL t\r"}},
	{".output to a pipe", []string{".output |sh\r"}},
	{"edit()", []string{"SELECT edit('x', 'sh');\r"}},
}

var psqlAttempts = []attempt{
	{`\g terminator`, []string{"DROP TABLE t \\g\r"}},
	{`\; glued`, []string{"SELECT 1 \\; DROP TABLE t;\r"}},
	{"dollar quote first", []string{"SELECT $$;'$$; DROP TABLE t;\r"}},
	{"tagged dollar quote first", []string{"SELECT $a$ $$ ; $a$; DROP TABLE t;\r"}},
	{"E string first", []string{"SELECT E'\\';'; DROP TABLE t;\r"}},
	{"backslash in a standard string first", []string{"SELECT '\\'; DROP TABLE t; --';\r"}},
	{"nested comments", []string{"/* /* */ ; */ DROP TABLE t;\r"}},
	{"code the server would read where the lexer sees a comment", []string{"SET standard_conforming_strings = off;\r", "SELECT 'a\\' /* '; DROP TABLE t; -- */\r", ";\r"}},
	{"in parentheses", []string{"SELECT (1; DROP TABLE t);\r"}},
	{"DO block", []string{"DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$;\r"}},
	{`\i`, []string{"\\i EVIL\r"}},
	{`\ir`, []string{"\\ir EVIL\r"}},
	{`\include`, []string{"\\include EVIL\r"}},
	{`\!`, []string{"\\! PSQL -c 'DROP TABLE t'\r"}},
	{`\o pipe`, []string{"\\o |sh\r"}},
	{`\g pipe`, []string{"SELECT 'x' \\g |sh\r"}},
	{`\copy program`, []string{"\\copy t to program 'sh'\r"}},
	{`\gexec`, []string{"SELECT 'DR' || 'OP TABLE t' \\gexec\r"}},
	{"variable", []string{"\\set x 'DR' 'OP TABLE t'\r", ":x;\r"}},
	{"backquote", []string{"\\set x `sh -c true`\r"}},
	{"meta after a statement", []string{"SELECT 1; \\i EVIL\r"}},
	{`SQL after \\ on a command's line`, []string{"\\x \\\\ DROP\r", "TABLE t;\r"}},
	{"typed ahead into a password prompt", []string{"\\password\r", "a\rDROP TABLE t;\r", "b\rDROP TABLE t;\r", "DROP TABLE t;\r"}},
}

// TestBypassSQLite runs each attempt against a real sqlite3 under the
// recorder with --block 'DROP TABLE'.
func TestBypassSQLite(t *testing.T) {
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sqlite3 not found (CI=true: it must be installed)")
		}
		t.Skip("sqlite3 not found")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	if out, err := exec.Command(sqlite, db, "CREATE TABLE t (a int); INSERT INTO t VALUES (1);").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	evil := filepath.Join(dir, "evil.sql")
	if err := os.WriteFile(evil, []byte("DROP TABLE t;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tableExists := func() error {
		out, err := exec.Command(sqlite, db, "SELECT count(*) FROM t;").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "1" {
			return errors.New(strings.TrimSpace(string(out)))
		}
		return nil
	}
	subst := strings.NewReplacer("EVIL", evil, "DB", db)
	runBypass(t, []string{sqlite, "-interactive", db}, "sqlite> ", append(commonAttempts, sqliteAttempts...), subst, tableExists)
}

// TestBypassPsql runs each attempt against psql and a real PostgreSQL
// server under the recorder with --block 'DROP TABLE'.
func TestBypassPsql(t *testing.T) {
	srv := pgtest.Start(t)
	psql, err := srv.Psql()
	if err != nil {
		t.Skipf("psql not found: %v", err)
	}
	dir := t.TempDir()
	evil := filepath.Join(dir, "evil.sql")
	if err := os.WriteFile(evil, []byte("DROP TABLE t;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sql := func(q string) (string, error) {
		out, err := exec.Command(psql, append(srv.PsqlArgs("postgres"), "-Atc", q)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := sql("CREATE TABLE t (a int); INSERT INTO t VALUES (1);"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	tableExists := func() error {
		out, err := sql("SELECT count(*) FROM t")
		if err != nil || out != "1" {
			return errors.New(out)
		}
		return nil
	}
	subst := strings.NewReplacer("EVIL", evil, "PSQL", psql+" "+strings.Join(srv.PsqlArgs("postgres"), " "))
	runBypass(t, append([]string{psql}, srv.PsqlArgs("postgres")...), "postgres=# ", append(commonAttempts, psqlAttempts...), subst, tableExists)
}

// runBypass records one session of command under --block 'DROP TABLE',
// types each attempt, and checks after each that the table still exists
// and that the query log has a new blocked query. At the end, the counts
// equal the events in the file, and every query the log says was sent
// and not blocked is one the client echoed.
func runBypass(t *testing.T, command []string, prompt string, attempts []attempt, subst *strings.Replacer, tableExists func() error) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	pty.Setsize(slave, &pty.Winsize{Cols: 200, Rows: 50})
	var screen syncBuffer
	go io.Copy(&screen, master)

	rule, err := ParseRule("DROP TABLE")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	// The user's own line-editor startup file: a macro that types what a
	// rule refuses (the recorder runs the client without it).
	if err := os.WriteFile(filepath.Join(home, ".inputrc"), []byte("\"~\": \"DROP TABLE \"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TERM=xterm", "LANG=C", "PSQL_HISTORY=" + filepath.Join(home, "hist"), "PAGER=less"}
	path := filepath.Join(t.TempDir(), "s.rec")
	done := recordAsync(Options{
		Command: command, Output: path,
		Session: session.Session{ID: uuid.NewString(), UserName: "dba", Category: session.CategoryDatabase},
		Stdin:   slave, Stdout: slave, Env: env, Block: []Rule{rule},
	})
	waitFor(t, "the first prompt", 15*time.Second, func() bool { return strings.Contains(screen.String(), prompt) })
	settle := func() {
		// Until the screen has not changed for 300 ms and ends with the prompt.
		last, since := -1, time.Now()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			s := screen.String()
			if len(s) != last {
				last, since = len(s), time.Now()
				continue
			}
			if time.Since(since) > 300*time.Millisecond && strings.HasSuffix(strings.TrimRight(s, "\x1b[]?0123456789;hlKJ"), strings.TrimSpace(prompt)+" ") {
				return
			}
			if time.Since(since) > 2*time.Second {
				return
			}
		}
	}
	blocked := func() int {
		n := 0
		for _, q := range queriesSoFar(t, path) {
			if isBlocked(q.Message) {
				n++
			}
		}
		return n
	}
	for _, a := range attempts {
		before := blocked()
		for i, c := range a.chunks {
			if i > 0 {
				time.Sleep(100 * time.Millisecond)
			}
			io.WriteString(master, subst.Replace(c))
		}
		settle()
		if err := tableExists(); err != nil {
			t.Fatalf("attempt %q: table t is gone: %v\nscreen:\n%s", a.name, err, screen.String())
		}
		if !sentAttempts[a.name] && blocked() <= before {
			t.Errorf("attempt %q: no blocked query in the log; queries: %+v", a.name, queriesSoFar(t, path))
		}
	}
	io.WriteString(master, "\x04")
	r := waitRecord(t, done, 20*time.Second, "the client did not exit; screen:\n"+screen.String())
	qs := queriesSoFar(t, path)
	nb := 0
	for _, q := range qs {
		if isBlocked(q.Message) {
			nb++
			if !strings.HasPrefix(q.Message, "blocked by rule ") {
				t.Errorf("blocked query without its rule: %+v", q)
			}
		}
	}
	if r.res.Queries != len(qs) || r.res.Blocked != nb {
		t.Errorf("result counts %d queries, %d blocked; the file has %d, %d", r.res.Queries, r.res.Blocked, len(qs), nb)
	}
	want := 0
	for _, a := range attempts {
		if !sentAttempts[a.name] {
			want++
		}
	}
	if nb < want {
		t.Errorf("%d blocked queries for %d attempts to refuse", nb, want)
	}
	if err := tableExists(); err != nil {
		t.Fatalf("table t is gone: %v", err)
	}
	t.Logf("%d queries, %d blocked", len(qs), nb)
	if os.Getenv("BYPASS_DEBUG") != "" {
		for _, q := range qs {
			t.Logf("%q -> %q", q.Query, q.Message)
		}
		t.Logf("screen:\n%s", screen.String())
	}
}

// queriesSoFar reads the query events of a recording being written.
func queriesSoFar(t *testing.T, path string) []recording.Query {
	t.Helper()
	rd, err := recording.Open(path, recording.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer rd.Close()
	var qs []recording.Query
	for {
		ev, err := rd.Next()
		if err != nil {
			return qs // the end, or a line being written
		}
		if ev.Code == "q" {
			q, err := recording.DecodeQuery(ev.Data)
			if err != nil {
				t.Fatal(err)
			}
			qs = append(qs, q)
		}
	}
}

var _ = context.Background

// TestBypassPipe: the reproductions, with the input piped (one
// read holds it all), as `echo ... | auditctl sessions record --block
// 'DROP TABLE' -- sqlite3 t.db` does.
func TestBypassPipe(t *testing.T) {
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("sqlite3 not found")
	}
	rule, _ := ParseRule("DROP TABLE")
	for _, tt := range []struct {
		in                 string
		queries, nblocked  int
		firstBlocked, sent string
	}{
		{"DROP TABLE t;\nSELECT 42;\n", 2, 2, "DROP TABLE t;", ""},
		{"DROP/**/TABLE t;\n", 1, 1, "DROP/**/TABLE t;", ""},
		{"SELECT \"a'b\";\nDROP TABLE t;\n", 2, 1, "DROP TABLE t;", "SELECT \"a'b\";"},
		{"SELECT 1;\nDROP TABLE t", 1, 0, "", "SELECT 1;"}, // held at the end: never sent
	} {
		db := filepath.Join(t.TempDir(), "t.db")
		if out, err := exec.Command(sqlite, db, "CREATE TABLE t (a int);").CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		path := filepath.Join(t.TempDir(), "s.rec")
		var out syncBuffer
		done := recordAsync(Options{
			Command: []string{sqlite, db}, Output: path,
			Session: session.Session{ID: uuid.NewString(), Category: session.CategoryDatabase},
			Stdin:   strings.NewReader(tt.in), Stdout: &out, Env: testEnv(), Block: []Rule{rule},
		})
		var r recordResult
		select {
		case r = <-done:
			if r.err != nil {
				t.Fatal(r.err)
			}
		case <-time.After(20 * time.Second):
			rec, _ := os.ReadFile(path)
			t.Fatalf("%q: sqlite3 did not exit; output %q; recording:\n%s", tt.in, out.String(), rec)
		}
		if o, err := exec.Command(sqlite, db, "SELECT count(*) FROM t;").CombinedOutput(); err != nil {
			t.Errorf("%q: table t is gone: %s", tt.in, o)
		}
		qs := queriesSoFar(t, path)
		var blocked, sent []string
		for _, q := range qs {
			if isBlocked(q.Message) {
				blocked = append(blocked, q.Query)
			} else {
				sent = append(sent, q.Query)
			}
		}
		if len(qs) != tt.queries || len(blocked) != tt.nblocked || r.res.Queries != len(qs) || r.res.Blocked != len(blocked) ||
			(tt.firstBlocked != "" && blocked[0] != tt.firstBlocked) || strings.Join(sent, "|") != tt.sent {
			t.Errorf("%q: result %d/%d, queries %+v", tt.in, r.res.Queries, r.res.Blocked, qs)
		}
		if shown := strings.Contains(out.String(), `auditctl: statement blocked by rule "DROP TABLE"`); shown != (tt.nblocked > 0) {
			t.Errorf("%q: notice shown %v; output %q", tt.in, shown, out.String())
		}
	}
}
