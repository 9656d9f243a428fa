package recording

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// FuzzReader checks that the reader never panics, always terminates, only
// returns *audit.InputError, and decodes event strings as encoding/json does.
// Seeds are in testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	maxLineLen = 1 << 20
	zstdMaxWindow = 1 << 20
	f.Add([]byte("{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n[0.5,\"o\",\"hi\\r\\n\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader("fuzz", bytes.NewReader(data))
		if err != nil {
			checkErr(t, err)
			return
		}
		defer r.Close()
		last := r.Header().Version
		for i := 0; ; i++ {
			if i > len(data)+1 && last != 1 && r.closer == nil {
				t.Fatalf("more events (%d) than input bytes", i)
			}
			ev, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				checkErr(t, err)
				var ie *audit.InputError
				if errors.As(err, &ie) && ie.Fatal {
					if _, err2 := r.Next(); err2 == nil || err2 == io.EOF {
						t.Fatalf("fatal error not sticky: %v", err2)
					}
					return
				}
				continue
			}
			if ev.Time < 0 {
				t.Fatalf("negative time %v", ev.Time)
			}
		}
	})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	var ie *audit.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %T %v is not an *audit.InputError", err, err)
	}
	if audit.ExitCode(err) != 3 {
		t.Fatalf("exit code %d for %v", audit.ExitCode(err), err)
	}
}

// FuzzDecodeString checks the hand-written string decoder against
// encoding/json.
func FuzzDecodeString(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9\ud83d\ude00"`, `"\ud800x"`, `"\r\n\t\"\\\/"`, "\"\xff\"", `"\ud83d\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		if len(bytes.TrimSpace(tok)) != len(tok) {
			return // tokens never carry surrounding whitespace
		}
		got, ok := decodeString(tok)
		var want string
		err := json.Unmarshal(tok, &want)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("decodeString(%q) = %q, %v; json: %q, %v", tok, got, ok, want, err)
		}
	})
}
