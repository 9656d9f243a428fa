package audit

import (
	"math"
	"strings"
	"time"
)

// timeExamples ends every time parsing error so the reader sees what works.
const timeExamples = `want RFC 3339 (2026-11-01T10:00:00Z), a date (2026-11-01), ` +
	`a date and time in UTC (2026-11-01T10:00), a time back from now (90m, 24h, 7d, 4w, 1y) or "now"`

// absLayouts are the absolute forms ParseTimeArg accepts, tried in order.
// time.Parse accepts a fraction after the seconds even when the layout has
// none; a layout without a zone parses as UTC.
var absLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTimeArg reads a --since/--until value: RFC 3339 (with or without a
// fraction and a zone; no zone means UTC), a date "2026-11-01" (midnight
// UTC), "2026-11-01T10:00", "now", or a time back from now: "30s", "90m",
// "24h", "7d", "4w", "1y" (a year is 365 days), also compound ("1d12h").
// The result is in UTC without a monotonic clock reading.
func ParseTimeArg(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, Errorf(EUSAGE, "empty time: %s", timeExamples)
	}
	if strings.EqualFold(s, "now") {
		return now.UTC(), nil
	}
	if isDigit(s[0]) && !strings.Contains(s, "-") {
		// A relative time: absolute forms all start with a dated year.
		d, err := parseDuration(s, true)
		if err != nil {
			return time.Time{}, Errorf(EUSAGE, "invalid time %q: %s", s, timeExamples)
		}
		return now.Add(-d).UTC(), nil
	}
	layouts := absLayouts
	if len(s) == len(time.DateOnly) {
		layouts = []string{time.DateOnly} // spare the errors of the others
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, Errorf(EUSAGE, "invalid time %q: %s", s, timeExamples)
}

// ParseDurationArg reads a duration flag value ("15m", "1h", "1d", "1w",
// "1h30m", "500ms"): time.ParseDuration's syntax without a sign, plus the
// units d (24h) and w (7d).
func ParseDurationArg(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := parseDuration(s, false)
	if err != nil {
		return 0, Errorf(EUSAGE, "invalid duration %q: want a number and a unit, e.g. 500ms, 30s, 15m, 1h, 1d, 1w", s)
	}
	return d, nil
}

// ParsePeriod reads a period such as a retention ("90d", "1y", "12w",
// "36h", "1y6w"): ParseDurationArg's syntax plus the unit y (365 days). It
// refuses zero: a period of nothing is never what a retention means.
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := parseDuration(s, true)
	if err != nil || d <= 0 {
		return 0, Errorf(EUSAGE, "invalid period %q: want a number and a unit, e.g. 90d, 12w, 1y, 36h", s)
	}
	return d, nil
}

// longUnits are the units time.ParseDuration does not know, in hours.
var longUnits = map[string]int64{"d": 24, "w": 7 * 24, "y": 365 * 24}

// parseDuration reads a sequence of number+unit components. years allows
// the unit y. It fails on signs, overflow and unknown units.
func parseDuration(s string, years bool) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, errBadDuration
	}
	var total time.Duration
	for s != "" {
		// number: digits with at most one '.'
		i := 0
		for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
			i++
		}
		num := s[:i]
		if num == "" || num == "." || strings.Count(num, ".") > 1 {
			return 0, errBadDuration
		}
		j := i
		for j < len(s) && !isDigit(s[j]) && s[j] != '.' {
			j++
		}
		unit := s[i:j]
		s = s[j:]
		var d time.Duration
		if hours, ok := longUnits[unit]; ok {
			if unit == "y" && !years {
				return 0, errBadDuration
			}
			h, err := time.ParseDuration(num + "h")
			if err != nil || int64(h) > math.MaxInt64/hours {
				return 0, errBadDuration
			}
			d = h * time.Duration(hours)
		} else {
			if unit == "" {
				return 0, errBadDuration
			}
			var err error
			if d, err = time.ParseDuration(num + unit); err != nil {
				return 0, errBadDuration
			}
		}
		if total > math.MaxInt64-d {
			return 0, errBadDuration
		}
		total += d
	}
	return total, nil
}

var errBadDuration = Errorf(EUSAGE, "invalid duration")

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
