package retention

import (
	"context"
	"crypto/ed25519"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

func TestNewPolicy(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 30, 45, 678, time.UTC)
	p, err := NewPolicy(" 30d", "1y6w", "--logs", "--sessions")
	if err != nil {
		t.Fatal(err)
	}
	logs, sessions := p.Cutoffs(now)
	if !logs.Equal(time.Date(2026, 10, 23, 12, 30, 45, 0, time.UTC)) || now.Sub(sessions).Truncate(time.Hour) != (365+42)*24*time.Hour {
		t.Fatalf("cutoffs %v %v", logs, sessions)
	}
	for _, c := range []struct{ logs, sessions, want string }{
		{"0d", "", "--logs: invalid period"},
		{"", "-1y", "config retention.sessions: invalid period"},
		{"90", "", "--logs: invalid period"},
	} {
		_, err := NewPolicy(c.logs, c.sessions, "--logs", "config retention.sessions")
		if err == nil || !strings.Contains(err.Error(), c.want) || audit.ExitCode(err) != 2 {
			t.Errorf("NewPolicy(%q, %q): %v (exit %d), want %q", c.logs, c.sessions, err, audit.ExitCode(err), c.want)
		}
	}
}

func TestCompressor(t *testing.T) {
	for name, ext := range map[string]string{"": ".gz", "gzip": ".gz", "zstd": ".zst"} {
		if _, got, err := compressor(name); err != nil || got != ext {
			t.Errorf("%q: %q %v", name, got, err)
		}
	}
	if _, _, err := compressor("xz"); audit.ExitCode(err) != 2 {
		t.Errorf("xz: %v", err)
	}
}

// Events past the period imported between the archive and the deletion
// would be deleted without being archived: the run rolls back, exit 5,
// nothing deleted.
func TestImportDuringRunRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keyPath := filepath.Join(t.TempDir(), chain.KeyFile) // signs the deletion's checkpoint
	db.SetSigner(func() (ed25519.PrivateKey, error) {
		k, _, err := chain.LoadOrCreateKey(keyPath)
		return k, err
	})
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	old := func(id string) *audit.Event {
		return &audit.Event{ID: id, Source: "t", Time: now.Add(-100 * 24 * time.Hour), Action: "X"}
	}
	imp := func(evs ...*audit.Event) {
		if _, err := db.Import(ctx, &events{evs: evs}, sqlite.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	imp(old("a"), old("b"))
	if err := db.CreateSession(ctx, &session.Session{ID: "s", Start: now.Add(-400 * 24 * time.Hour), End: now.Add(-400*24*time.Hour + time.Minute), Status: session.StatusCompleted}); err != nil {
		t.Fatal(err)
	}
	afterArchive = func() { imp(old("late")) }
	defer func() { afterArchive = nil }()
	pol, _ := NewPolicy("", "", "--logs", "--sessions")
	_, err = Apply(ctx, db, Options{Policy: pol, Now: now, ArchiveDir: filepath.Join(t.TempDir(), "arch")})
	if audit.ExitCode(err) != 5 || !strings.Contains(err.Error(), "nothing was deleted") {
		t.Fatalf("err %v (exit %d)", err, audit.ExitCode(err))
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 3 {
		t.Fatalf("%d events left, want 3", n)
	}
	if _, err := db.FindSession(ctx, "s"); err != nil {
		t.Fatalf("session deleted: %v", err)
	}
	// Without the late import, the run goes through.
	afterArchive = nil
	if _, err := Apply(ctx, db, Options{Policy: pol, Now: now, ArchiveDir: filepath.Join(t.TempDir(), "arch")}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountEvents(ctx, audit.Filter{}); n != 0 {
		t.Fatalf("%d events left", n)
	}
}

type events struct{ evs []*audit.Event }

func (r *events) Next() (*audit.Event, error) {
	if len(r.evs) == 0 {
		return nil, io.EOF
	}
	e := r.evs[0]
	r.evs = r.evs[1:]
	return e, nil
}
