package recording

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// longCast is an asciicast v3 recording of n output events one second
// apart (the text of event k is "line k"); its v2 twin has absolute times
// and a header duration.
func longCast(n int, version int, pad bool) []byte {
	var b bytes.Buffer
	if version == 2 {
		fmt.Fprintf(&b, `{"version":2,"width":80,"height":24,"duration":%d}`+"\n", n)
	} else {
		b.WriteString(`{"version":3,"term":{"cols":80,"rows":24}}` + "\n")
	}
	for k := 1; k <= n; k++ {
		t := 1
		if version == 2 {
			t = k
		}
		text := fmt.Sprintf("line %d", k)
		if pad { // incompressible: a compressed file has many blocks
			text += fmt.Sprintf(" %x", sha256.Sum256([]byte(text)))
		}
		fmt.Fprintf(&b, "[%d, \"o\", \"%s\\r\\n\"]\n", t, text)
	}
	return b.Bytes()
}

// replaceLine replaces the 1-based line n of data.
func replaceLine(data []byte, n int, with string) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	lines[n-1] = with + "\n"
	return []byte(strings.Join(lines, ""))
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func gz(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func zst(data []byte) []byte {
	var b bytes.Buffer
	w, _ := zstd.NewWriter(&b, zstd.WithWindowSize(32<<10)) // blocks of 32 KiB: a cut copy starts readable
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// readDamage reads path to the end with Each and returns the events' texts
// and the damage.
func readDamage(t *testing.T, path string) ([]string, Damage) {
	t.Helper()
	rd, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var got []string
	if err := rd.Each(func(ev Event) error { got = append(got, ev.Data); return nil }); err != nil {
		t.Fatal(err)
	}
	return got, rd.Damage()
}

// A bad line near the start is skipped and listed; everything after it is
// read, so the readable span is the whole recording.
func TestDamageSkippableLine(t *testing.T) {
	for _, version := range []int{2, 3} {
		data := replaceLine(longCast(2400, version, false), 3, `[1, "o", "broken`)
		data = replaceLine(data, 1000, `[1, "o", 42]`)
		p := writeFile(t, "bad.cast", data)
		got, d := readDamage(t, p)
		if len(got) != 2398 || got[len(got)-1] != "line 2400\r\n" {
			t.Fatalf("v%d: %d events, last %q", version, len(got), got[len(got)-1])
		}
		if d.Break != nil || d.Skipped != 2 || len(d.Flaws) != 2 {
			t.Fatalf("v%d: damage %+v", version, d)
		}
		if f := d.Flaws[0]; f.Line != 3 || f.At != time.Second || !strings.Contains(f.Err, "bad.cast:3") {
			t.Errorf("v%d: first flaw %+v", version, f)
		}
		if f := d.Flaws[1]; f.Line != 1000 || !strings.Contains(f.Err, "bad.cast:1000") {
			t.Errorf("v%d: second flaw %+v", version, f)
		}
		want := 2400 * time.Second
		if version == 3 {
			want = 2398 * time.Second // v3 times are relative: the lost lines' intervals are lost too
		}
		if d.Readable != want || d.Duration != want {
			t.Errorf("v%d: readable %v, duration %v, want %v", version, d.Readable, d.Duration, want)
		}
		if d.Beyond(d.Readable) || len(d.Before(500*time.Millisecond)) != 0 || len(d.Before(time.Second)) != 1 || len(d.Before(d.Readable)) != 2 {
			t.Errorf("v%d: Beyond/Before wrong: %+v", version, d)
		}
		if s := d.Summary(); s != "2 bad lines skipped" {
			t.Errorf("v%d: summary %q", version, s)
		}
	}
}

// Truncation (cut mid-line; a gzip or zstd stream cut short) is a Break:
// the readable span ends there, and the header's duration (v2) says how
// long the whole recording was.
func TestDamageTruncated(t *testing.T) {
	for _, version := range []int{2, 3} {
		full := longCast(3000, version, true)
		cut := len(full) / 2
		for len(full) > cut && full[cut-1] == '\n' {
			cut++ // cut mid-line
		}
		cases := []struct {
			name string
			data []byte
			msg  string
		}{
			{"cut.cast", full[:cut], "ends mid-line"},
			{"cut.cast.gz", gz(full)[:len(gz(full))/2], "compressed stream ends early"},
			{"cut.cast.zst", zst(full)[:len(zst(full))/2], "compressed stream ends early"},
		}
		for _, c := range cases {
			p := writeFile(t, c.name, c.data)
			got, d := readDamage(t, p)
			if d.Break == nil || d.Skipped != 0 {
				t.Fatalf("v%d %s: damage %+v", version, c.name, d)
			}
			if !strings.Contains(d.Break.Err, c.name+":") || !strings.Contains(d.Break.Err, c.msg) {
				t.Errorf("v%d %s: break %q, want file:line and %q", version, c.name, d.Break.Err, c.msg)
			}
			if d.Break.Line < len(got)+2 { // the header, the events read, then the cut line
				t.Errorf("v%d %s: break at line %d after %d events", version, c.name, d.Break.Line, len(got))
			}
			if len(got) == 0 || len(got) >= 3000 || d.Readable != time.Duration(len(got))*time.Second || d.Break.At != d.Readable {
				t.Errorf("v%d %s: %d events, readable %v, break at %v", version, c.name, len(got), d.Readable, d.Break.At)
			}
			wantDur := d.Readable
			if version == 2 {
				wantDur = 3000 * time.Second
			}
			if d.Duration != wantDur || !d.Beyond(d.Readable+1) || d.Beyond(d.Readable) {
				t.Errorf("v%d %s: duration %v (want %v), readable %v", version, c.name, d.Duration, wantDur, d.Readable)
			}
			if s := d.Summary(); !strings.HasPrefix(s, "unreadable after ") {
				t.Errorf("v%d %s: summary %q", version, c.name, s)
			}
		}
	}
}

// A file that ends without a newline but whose last line is whole is not
// damaged.
func TestDamageNoFinalNewline(t *testing.T) {
	full := longCast(10, 3, false)
	p := writeFile(t, "ok.cast", full[:len(full)-1])
	got, d := readDamage(t, p)
	if len(got) != 10 || d.Damaged() {
		t.Fatalf("%d events, damage %+v", len(got), d)
	}
}

// A compressed file cut before its first block ends has nothing readable:
// Open fails on line 1, saying why.
func TestDamageCutBeforeFirstBlock(t *testing.T) {
	full := longCast(20, 3, false)
	for name, data := range map[string][]byte{"a.cast.gz": gz(full), "a.cast.zst": zst(full)} {
		p := writeFile(t, name, data[:len(data)/2])
		rd, err := Open(p, Options{})
		if err == nil {
			_, d := readDamage(t, p)
			rd.Close()
			if d.Break == nil || !strings.Contains(d.Break.Err, "compressed stream ends early") {
				t.Errorf("%s: damage %+v", name, d)
			}
			continue
		}
		if !strings.Contains(err.Error(), name+":1:") || !strings.Contains(err.Error(), "compressed stream ends early") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
