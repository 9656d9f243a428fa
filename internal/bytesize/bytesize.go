// Package bytesize reads and writes byte counts as flags take them: 1MiB,
// 512KiB, 4m, 2048.
package bytesize

import (
	"fmt"
	"strconv"
	"strings"
)

// Format writes n with the largest unit that divides it: 1MiB, 512KiB,
// 1500B.
func Format(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// Parse reads a number of bytes with an optional unit B, K/KB/KiB,
// M/MB/MiB, G/GB/GiB (all powers of 1024), between lo and hi.
func Parse(s string, lo, hi int) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n != n || n < 0 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes, or one with a unit (512KiB, 4MiB)", s)
	}
	v := n * float64(mult)
	if v < float64(lo) || v > float64(hi) {
		return 0, fmt.Errorf("size %q out of range: want %s to %s", s, Format(lo), Format(hi))
	}
	return int(v), nil
}
