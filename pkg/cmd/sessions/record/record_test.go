package record

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/session"
)

// memStore is an in-memory session.Store.
type memStore struct {
	mu   sync.Mutex
	rows map[string]session.Session
}

func (m *memStore) CreateSession(ctx context.Context, s *session.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rows == nil {
		m.rows = map[string]session.Session{}
	}
	if _, ok := m.rows[s.ID]; ok {
		return fmt.Errorf("session %s exists", s.ID)
	}
	m.rows[s.ID] = *s
	return nil
}

func (m *memStore) UpdateSession(ctx context.Context, s *session.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rows[s.ID]; !ok {
		return audit.Errorf(audit.ENOTFOUND, "session %s not found", s.ID)
	}
	m.rows[s.ID] = *s
	return nil
}

func (m *memStore) FindSession(ctx context.Context, id string) (*session.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.rows[id]
	if !ok {
		return nil, audit.Errorf(audit.ENOTFOUND, "session %s not found", id)
	}
	return &s, nil
}

func (m *memStore) FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*session.Session
	for _, s := range m.rows {
		for _, st := range f.Status {
			if s.Status == st {
				c := s
				out = append(out, &c)
			}
		}
	}
	return out, len(out), nil
}

func newCmd(t *testing.T, args ...string) (*RecordOptions, error) {
	t.Helper()
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, DBPath: filepath.Join(t.TempDir(), "cache.db")}
	var got *RecordOptions
	cmd := NewCmdRecord(f, func(o *RecordOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return got, err
}

func TestFlags(t *testing.T) {
	o, err := newCmd(t, "--category", "database", "--resource", "orders", "--block", "DROP TABLE", "--block", "/^truncate/",
		"--port", "5432", "-O", "x.rec", "--", "psql", "-h", "db", "--set", "x=1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Command, " ") != "psql -h db --set x=1" || o.Category != "database" || o.Meta.ResourceName != "orders" ||
		len(o.Block) != 2 || o.Meta.Port != 5432 || o.OutFile != "x.rec" || !strings.HasSuffix(o.Dir, "recordings") {
		t.Errorf("options = %+v", o)
	}
	// Any --block makes a database session; --allow-meta is taken.
	o, err = newCmd(t, "--block", "DROP TABLE", "--allow-meta", "--", "sqlite3", "t.db")
	if err != nil || o.Category != "database" || !o.AllowMeta {
		t.Errorf("options = %+v, %v", o, err)
	}
	// Flags after COMMAND belong to COMMAND, even without --.
	o, err = newCmd(t, "--user", "bob", "ls", "-l")
	if err != nil || strings.Join(o.Command, " ") != "ls -l" || o.Meta.UserName != "bob" {
		t.Errorf("options = %+v, %v", o, err)
	}
	if _, err := newCmd(t); audit.ExitCode(err) != 2 {
		t.Errorf("no command: %v", err)
	}
}

func TestRun(t *testing.T) {
	ios, in, out, errOut := cmdutil.Test()
	in.WriteString("hi\n")
	store := &memStore{}
	opts := &RecordOptions{
		IO: ios, Command: []string{"sh", "-c", `read x; echo "got $x"; exit 7`},
		Category: "server", Dir: filepath.Join(t.TempDir(), "recordings"),
		Store: func(context.Context) (session.Store, error) { return store, nil },
		NewID: func() string { return "sess-1" },
		Meta:  session.Session{UserName: "alice", Host: "h1"},
	}
	err := run(context.Background(), opts)
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("err = %v, want exit 7", err)
	}
	if !strings.Contains(out.String(), "got hi") {
		t.Errorf("stdout = %q", out.String())
	}
	if e := errOut.String(); strings.Count(e, "session sess-1 ") != 2 || !strings.Contains(e, "sess-1.rec") || !strings.Contains(e, "exit status 7") {
		t.Errorf("stderr = %q", e)
	}
	row, err := store.FindSession(context.Background(), "sess-1")
	if err != nil || row.Status != session.StatusCompleted || row.UserName != "alice" || row.Host != "h1" ||
		row.Category != session.CategoryServer || row.RecordingSHA256 == "" {
		t.Errorf("row = %+v, %v", row, err)
	}
	for _, bad := range []*RecordOptions{
		{IO: ios, Command: []string{"true"}, Category: "mainframe", Dir: t.TempDir()},
		{IO: ios, Command: []string{"true"}, Block: []string{"/(/"}, Dir: t.TempDir()},
		{IO: ios, Command: []string{"true"}, Block: []string{"DROP TABLE"}, Category: "server", Dir: t.TempDir()},
		{IO: ios, Command: []string{"true"}, AllowMeta: true, Dir: t.TempDir()},
		{IO: ios, Command: []string{"true"}, Meta: session.Session{ConnectedFrom: "moon"}, Dir: t.TempDir()},
	} {
		if err := run(context.Background(), bad); audit.ExitCode(err) != 2 {
			t.Errorf("%+v: err = %v, want a usage error", bad, err)
		}
	}
}
