// Package pgtest starts a throwaway PostgreSQL server for tests: a cluster
// made by initdb in the test's temporary directory, listening on a free
// loopback port, stopped when the test ends.
//
// PostgreSQL refuses to run as root: when the test runs as root, the
// cluster belongs to the "postgres" user (else "nobody") and initdb and
// pg_ctl run under that user's credentials.
//
// Without PostgreSQL installed (initdb and pg_ctl found in PATH or in
// /usr/lib/postgresql/*/bin) the test is skipped, unless CI=true: then it
// fails, as CI must run it.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server.
type Server struct {
	Host    string // 127.0.0.1
	Port    int
	User    string // the superuser, "postgres"
	DataDir string
	BinDir  string // where initdb, pg_ctl (and perhaps psql) are
}

// DSN is a libpq connection string to database db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", s.Host, s.Port, s.User, db)
}

// PsqlArgs are psql's arguments to connect to database db without reading
// the user's psqlrc.
func (s *Server) PsqlArgs(db string) []string {
	return []string{"-X", "-h", s.Host, "-p", strconv.Itoa(s.Port), "-U", s.User, "-d", db}
}

// URL is the postgres:// URL of database db, as user.
func (s *Server) URL(user, db string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", user, s.Host, s.Port, db)
}

// CreateDB creates database db on the server (as the superuser) and
// returns its URL for the superuser.
func (s *Server) CreateDB(t testing.TB, db string) string {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", db, err)
	}
	return s.URL(s.User, db)
}

// Psql returns the psql to use: beside initdb, else in PATH.
func (s *Server) Psql() (string, error) {
	if p := filepath.Join(s.BinDir, "psql"); isExec(p) {
		return p, nil
	}
	return exec.LookPath("psql")
}

// Start starts a server for t, stopped in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("pgtest: not on windows")
	}
	bin, err := findBin()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pgtest: %v (CI=true: PostgreSQL must be installed: apt-get install postgresql)", err)
		}
		t.Skipf("pgtest: %v; install PostgreSQL (apt-get install postgresql) to run this test", err)
	}
	base := t.TempDir()
	dir := filepath.Join(base, "pgdata")
	cred, owner, err := credential()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if cred != nil {
		// The server's user must reach its directory through the test's.
		for d := base; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatalf("pgtest: %v", err)
			}
		}
		if err := os.Chown(dir, cred.uid, cred.gid); err != nil {
			t.Fatalf("pgtest: chown %s to %s: %v", dir, owner, err)
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
		if cred != nil {
			cred.apply(cmd)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %v: %w\n%s", name, args, err, out.String())
		}
		return nil
	}
	if err := run("initdb", "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off", port, dir)
	logFile := filepath.Join(dir, "server.log")
	if err := run("pg_ctl", "start", "-w", "-t", "30", "-D", dir, "-l", logFile, "-o", opts); err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("pgtest: %v\n%s", err, log)
	}
	t.Cleanup(func() {
		if err := run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", dir); err != nil {
			t.Logf("pgtest: %v", err)
		}
	})
	return &Server{Host: "127.0.0.1", Port: port, User: "postgres", DataDir: dir, BinDir: bin}
}

// findBin finds the directory holding initdb and pg_ctl.
func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// The newest version first ("9.6" < "10" numerically).
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(a)), 64)
		vb, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(b)), 64)
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	for _, d := range append(dirs, "/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin") {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL not found (initdb and pg_ctl in PATH or /usr/lib/postgresql/*/bin)")
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// account is a user other than the test's that runs the server.
type account struct{ uid, gid int }

// credential is who runs the server: nil (the test's user) unless the
// test runs as root.
func credential() (*account, string, error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return &account{uid: uid, gid: gid}, name, nil
	}
	return nil, "", fmt.Errorf("running as root and no postgres or nobody user to run PostgreSQL as")
}

// freePort returns a loopback TCP port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
