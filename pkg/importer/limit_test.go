package importer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// repeat is n bytes of c, made as they are read.
type repeat struct {
	c byte
	n int64
}

func (r *repeat) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.c
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// counting counts the bytes read through it.
type counting struct {
	r io.Reader
	n int64
}

func (c *counting) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// hostileInput is prefix, then n bytes of 'a', then suffix.
func hostileInput(prefix string, n int64, suffix string) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), &repeat{'a', n}, strings.NewReader(suffix))
}

const good = `{"id":"g1","time":"2026-01-01T00:00:00Z"}`

// hostileCases are records with one huge value, in every reader.
var hostileCases = []struct {
	name, prefix, suffix string
	format               Format
	line, record         int
	field                string
}{
	{"ndjson", good + "\n" + `{"id":"x","time":"2026-01-01T00:00:00Z","actor":"`, `"}` + "\n", FormatAuto, 2, 0, "actor"},
	{"json object", "{\n" + `  "actor": "`, "\"\n}\n", FormatAuto, 2, 0, "actor"},
	{"json array", "[" + good + `,{"id":"x","initiated_by":{"id":"1","email":"`, `"}}]`, FormatAuto, 0, 2, "initiated_by.email"},
	{"array of arrays", `[{"tags":["a","`, `"]}]`, FormatJSON, 0, 1, "tags[1]"},
	{"jumpcloud", `[{"event_type":"x","service":"sso","changes":[{"field":"a"},{"to":"`, `"}]}]`, FormatJumpCloud, 0, 1, "changes[1].to"},
	{"cloudtrail", `{"Records":[` + good + `,{"eventName":"x","eventSource":"s","requestParameters":{"policy":"`, `"}}]}`, FormatAuto, 0, 2, "requestParameters.policy"},
	{"cloudtrail key", `{"Records":[],"digest":"`, `"}`, FormatAuto, 0, 0, "digest"},
	{"cloudtrail key name", `{"Records":[],"`, `":1}`, FormatAuto, 0, 0, ""},
	{"csv quoted", "time,actor,action\n2026-01-01T00:00:00Z,bob,x\n2026-01-01T00:00:00Z,\"", "\",x\n", FormatAuto, 3, 0, "actor"},
	{"csv bare", "time,action,actor\n2026-01-01T00:00:00Z,x,", "\n", FormatCSV, 2, 0, "actor"},
	{"csv header", "time,", "\n", FormatCSV, 1, 0, "column 2"},
	{"csv lines", "time,actor\n2026-01-01T00:00:00Z,\"" + strings.Repeat("\n", 3), "\"\n", FormatCSV, 2, 0, "actor"},
}

// TestHostileRecordTooLarge feeds every reader a record of 200 MB, made as
// it is read: each refuses it as soon as the limit is reached (having read
// little more than the limit), with a fatal error naming the file, line or
// record, field and byte offset.
func TestHostileRecordTooLarge(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			src := &counting{r: hostileInput(tc.prefix, 200<<20, tc.suffix)}
			rd, _, err := OpenWith("h.in", src, tc.format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var fatal *audit.InputError
			events := 0
			for {
				_, err := rd.Next()
				if err == io.EOF {
					break
				}
				var ie *audit.InputError
				if !errors.As(err, &ie) {
					if err == nil {
						events++
						continue
					}
					t.Fatalf("%T %v", err, err)
				}
				if ie.Fatal {
					fatal = ie
					break
				}
			}
			if fatal == nil {
				t.Fatalf("no fatal error (%d events)", events)
			}
			if fatal.File != "h.in" || fatal.Line != tc.line || fatal.Record != tc.record || fatal.Field != tc.field ||
				!strings.Contains(fatal.Error(), "larger than the 1MiB limit") || !strings.Contains(fatal.Error(), "byte offset") ||
				!strings.Contains(fatal.Error(), "--max-event-size") {
				t.Errorf("error %q (line %d record %d field %q); want line %d record %d field %q", fatal, fatal.Line, fatal.Record, fatal.Field, tc.line, tc.record, tc.field)
			}
			if audit.ExitCode(fatal) != 3 {
				t.Errorf("exit code %d", audit.ExitCode(fatal))
			}
			if _, err := rd.Next(); err != fatal {
				t.Errorf("not sticky: %v", err)
			}
			if src.n > DefaultMaxEventSize+256<<10 {
				t.Errorf("read %d bytes to find a record over %d", src.n, DefaultMaxEventSize)
			}
		})
	}
}

// TestMaxEventSize: the limit is the option's, exactly at the record's
// size, and a record at the limit reads.
func TestMaxEventSize(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		record func(n int) string
	}{
		{"ndjson", FormatNDJSON, func(n int) string {
			return `{"time":"2026-01-01T00:00:00Z","actor":"` + strings.Repeat("a", n-len(`{"time":"2026-01-01T00:00:00Z","actor":""}`)) + `"}` + "\n"
		}},
		{"json", FormatJSON, func(n int) string {
			return `[{"time":"2026-01-01T00:00:00Z","actor":"` + strings.Repeat("a", n-len(`{"time":"2026-01-01T00:00:00Z","actor":""}`)) + `"}]`
		}},
		{"csv", FormatCSV, func(n int) string {
			return "time,actor\n2026-01-01T00:00:00Z," + strings.Repeat("a", n-len("2026-01-01T00:00:00Z,")) + "\n"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const limit = 8 << 10
			for _, size := range []int{limit - 1, limit, limit + 1, limit + 5000} {
				rd, _, err := OpenWith("m", strings.NewReader(tc.record(size)), tc.format, Options{MaxEventSize: limit})
				if err != nil {
					t.Fatal(err)
				}
				_, err = rd.Next()
				if tooBig := size > limit; tooBig != (err != nil) {
					t.Errorf("record of %d bytes, limit %d: %v", size, limit, err)
				}
			}
		})
	}
}

// TestCompressedHostile: gzip and zstd of a 200 MB record are refused after
// decompressing little more than the limit; a zstd frame asking for a
// window over the maximum is refused before any allocation.
func TestCompressedHostile(t *testing.T) {
	var gz, zs bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw, _ := zstd.NewWriter(&zs, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	for _, w := range []io.Writer{gw, zw} {
		io.Copy(w, hostileInput(`{"time":"2026-01-01T00:00:00Z","actor":"`, 16<<20, `"}`))
	}
	gw.Close()
	zw.Close()
	for name, data := range map[string][]byte{"h.json.gz": gz.Bytes(), "h.json.zst": zs.Bytes()} {
		rd, _, err := OpenWith(name, bytes.NewReader(data), FormatAuto, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = rd.Next()
		var ie *audit.InputError
		if !errors.As(err, &ie) || !ie.Fatal || ie.Field != "actor" || ie.Line != 1 || ie.File != name {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A window of 1 GiB (the frame header says so; nothing is allocated).
	var big bytes.Buffer
	zw, _ = zstd.NewWriter(&big, zstd.WithWindowSize(1<<29), zstd.WithEncoderConcurrency(1), zstd.WithSingleSegment(false))
	io.Copy(zw, hostileInput(`{"time":"2026-01-01T00:00:00Z","actor":"`, 1<<20, `"}`))
	zw.Close()
	rd, _, err := OpenWith("w.zst", bytes.NewReader(big.Bytes()), FormatAuto, Options{})
	if err == nil {
		_, err = rd.Next()
	}
	if err == nil || !strings.Contains(err.Error(), "window") {
		t.Errorf("1 GiB window: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"1MiB": 1 << 20, "4m": 4 << 20, "512KiB": 512 << 10, "2048": 2048, "1.5MB": 3 << 19, "64MiB": 64 << 20} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "1TiB", "65MiB", "100", "NaN", "1e400"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestOpenField(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"xx`:                   "a",
		`{"a":1,"b":{"c":[1,{"d":"`:  "b.c[1].d",
		`{"a":1,"b":{"c":1},"e":"xx`: "e",
		`{"a":1,`:                    "",
		`{"a\"b":"`:                  `a\"b`,
		`{"a":"x\"y`:                 "a",
		`{"`:                         "",
	} {
		if got := openField([]byte(in)); got != want {
			t.Errorf("openField(%s) = %q, want %q", in, got, want)
		}
	}
}
