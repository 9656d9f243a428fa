package audit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTimeArg(t *testing.T) {
	now := time.Date(2026, 11, 8, 12, 30, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-01T10:00:00Z", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00:00.123456789Z", time.Date(2026, 11, 1, 10, 0, 0, 123456789, time.UTC)},
		{"2026-11-01T10:00:00+02:00", time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00:00.5-05:30", time.Date(2026, 11, 1, 15, 30, 0, 5e8, time.UTC)},
		{"2026-11-01T10:00:00", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00:00.25", time.Date(2026, 11, 1, 10, 0, 0, 25e7, time.UTC)},
		{"2026-11-01T10:00", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-11-01T10:00Z", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-11-01 10:00:05", time.Date(2026, 11, 1, 10, 0, 5, 0, time.UTC)},
		{"2026-11-01 10:00", time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{" 2026-11-01 ", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{"now", now},
		{"NOW", now},
		{"30s", now.Add(-30 * time.Second)},
		{"90m", now.Add(-90 * time.Minute)},
		{"24h", now.Add(-day)},
		{"7d", now.Add(-7 * day)},
		{"1.5d", now.Add(-36 * time.Hour)},
		{"4w", now.Add(-28 * day)},
		{"1y", now.Add(-365 * day)},
		{"1d12h", now.Add(-36 * time.Hour)},
		{"0", now},
	}
	for _, tt := range tests {
		got, err := ParseTimeArg(tt.in, now)
		if err != nil {
			t.Errorf("ParseTimeArg(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTimeArg(%q) = %v, want %v (UTC)", tt.in, got, tt.want)
		}
	}
}

func TestParseTimeArgLocalNow(t *testing.T) {
	// A local now with a monotonic reading still gives a plain UTC time.
	now := time.Now().In(time.FixedZone("X", 3600))
	got, err := ParseTimeArg("1h", now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Location() != time.UTC || got != got.Round(0) {
		t.Errorf("got %#v, want UTC without monotonic reading", got)
	}
}

func TestParseTimeArgErrors(t *testing.T) {
	now := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
	for _, in := range []string{
		"", " ", "yesterday", "7", "7x", "-7d", "+7d", "d", "7dd", "1..5d", ".5d",
		"2026-13-01", "2026-11-01T25:00", "2026/11/01", "11/01/2026", "2026-11-01T",
		"1000y", "9999999999999999d", "2026",
	} {
		_, err := ParseTimeArg(in, now)
		if err == nil {
			t.Errorf("ParseTimeArg(%q): want error", in)
			continue
		}
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != EUSAGE {
			t.Errorf("ParseTimeArg(%q): error %v is not an EUSAGE *Error", in, err)
		}
		if !strings.Contains(err.Error(), "2026-11-01") || !strings.Contains(err.Error(), "7d") {
			t.Errorf("ParseTimeArg(%q): error %q gives no examples", in, err)
		}
	}
}

func TestParseDurationArg(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"500ms", 500 * time.Millisecond},
		{"1.5s", 1500 * time.Millisecond},
		{"15m", 15 * time.Minute},
		{"1h", time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1d", 24 * time.Hour},
		{"2d6h", 54 * time.Hour},
		{"1w", 7 * 24 * time.Hour},
		{"0.5w", 84 * time.Hour},
		{"10us", 10 * time.Microsecond},
		{"10µs", 10 * time.Microsecond},
		{"7ns", 7},
		{" 1h ", time.Hour},
	}
	for _, tt := range tests {
		got, err := ParseDurationArg(tt.in)
		if err != nil {
			t.Errorf("ParseDurationArg(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDurationArg(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDurationArgErrors(t *testing.T) {
	for _, in := range []string{
		"", "1", "h", "-1h", "+1h", "1y", "1x", "1 h", "1h 30m", "1..5h", ".", "1d.",
		"300000w", "9223372036854775807ns1ns", "2562048h1h",
	} {
		_, err := ParseDurationArg(in)
		if err == nil {
			t.Errorf("ParseDurationArg(%q): want error", in)
			continue
		}
		if ErrorCode(err) != EUSAGE || !strings.Contains(err.Error(), "15m") {
			t.Errorf("ParseDurationArg(%q): error %q is not a usage error with examples", in, err)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90d": 90 * 24 * time.Hour, "1y": 365 * 24 * time.Hour, "12w": 84 * 24 * time.Hour,
		"36h": 36 * time.Hour, "1y6w": (365 + 42) * 24 * time.Hour, " 30d ": 30 * 24 * time.Hour,
	} {
		got, err := ParsePeriod(in)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0d", "90", "d", "-1y", "1x", "1 y", "90 days", "30000000y"} {
		if _, err := ParsePeriod(in); err == nil || ErrorCode(err) != EUSAGE || !strings.Contains(err.Error(), "90d") {
			t.Errorf("ParsePeriod(%q): want a usage error with examples, got %v", in, err)
		}
	}
}
