package retention

import (
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
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
