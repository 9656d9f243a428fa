package cmdutil

import (
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestResolveZone(t *testing.T) {
	for _, tt := range []struct{ flag, env, zone string }{
		{"", "", "UTC"},
		{"", "Europe/Berlin", "Europe/Berlin"},
		{"", ":America/New_York", "America/New_York"},
		{"", "Not/AZone", "UTC"}, // as Go does with a TZ it cannot load
		{"Asia/Tokyo", "Europe/Berlin", "Asia/Tokyo"},
		{"utc", "Europe/Berlin", "UTC"},
	} {
		loc, zone, err := ResolveZone(tt.flag, tt.env)
		if err != nil || zone != tt.zone || loc == nil {
			t.Errorf("ResolveZone(%q, %q) = %v, %q, %v; want %q", tt.flag, tt.env, loc, zone, err, tt.zone)
		}
	}
	loc, _, _ := ResolveZone("Europe/Berlin", "")
	if got := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC).In(loc).Hour(); got != 14 {
		t.Errorf("Berlin summer time: %d", got)
	}
	if _, _, err := ResolveZone("Mars/Olympus", ""); audit.ErrorCode(err) != audit.EUSAGE {
		t.Errorf("unknown --tz: %v", err)
	}
}
