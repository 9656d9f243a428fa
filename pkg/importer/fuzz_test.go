package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// fuzzRead reads data as format and checks what every reader promises: it
// ends; it gives events or *audit.InputErrors, nothing else; every error
// consumes input (no endless non-fatal errors); a fatal error is sticky;
// events are well formed. It returns the events and the non-fatal errors.
func fuzzRead(t *testing.T, data []byte, format Format) (events, errs int, fatal bool) {
	// A tiny event size limit too: the refusal paths keep the promises.
	fuzzReadWith(t, data, format, Options{MaxEventSize: 48})
	// Input that arrives a byte at a time gives the same results: the
	// streaming readers do not depend on where their buffer ends.
	if a, b := results(t, bytes.NewReader(data), format), results(t, iotest.OneByteReader(bytes.NewReader(data)), format); a != b {
		t.Fatalf("read whole:\n%s\nread a byte at a time:\n%s", a, b)
	}
	return fuzzReadWith(t, data, format, Options{})
}

// results lists what a reader returns: event ids and error texts.
func results(t *testing.T, r io.Reader, format Format) string {
	rd, _, err := OpenWith("fuzz", r, format, Options{MaxEventSize: 64})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for i := 0; i < 10000; i++ {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.WriteString("error " + err.Error() + "\n")
			var ie *audit.InputError
			if errors.As(err, &ie) && ie.Fatal {
				break
			}
			continue
		}
		b.WriteString("event " + ev.ID + "\n")
	}
	return b.String()
}

func fuzzReadWith(t *testing.T, data []byte, format Format, opt Options) (events, errs int, fatal bool) {
	rd, _, err := OpenWith("fuzz", bytes.NewReader(data), format, opt)
	if err != nil {
		if audit.ErrorCode(err) != audit.EINVALID {
			t.Fatalf("Open: %v", err)
		}
		return 0, 0, false
	}
	// Every result consumes at least a byte of input, so there are no more
	// results than bytes (compressed input aside).
	limit := len(data) + 2
	if len(data) >= 2 && (data[0] == 0x1f || data[0] == 0x28) {
		limit = 1 << 20
	}
	for i := 0; ; i++ {
		if i > limit {
			t.Fatalf("%d results from %d bytes: the reader does not end", i, len(data))
		}
		ev, err := rd.Next()
		if err == io.EOF {
			if _, err := rd.Next(); err != io.EOF {
				t.Fatalf("Next after EOF: %v", err)
			}
			return events, errs, false
		}
		if err != nil {
			var ie *audit.InputError
			if !errors.As(err, &ie) || ev != nil {
				t.Fatalf("Next = %v, %T %v; want an *audit.InputError", ev, err, err)
			}
			if ie.Err == nil || ie.File != "fuzz" {
				t.Fatalf("malformed InputError %+v", ie)
			}
			_ = ie.Error()
			if ie.Fatal {
				if _, err2 := rd.Next(); err2 != err {
					t.Fatalf("fatal error not sticky: %v then %v", err, err2)
				}
				return events, errs, true
			}
			errs++
			continue
		}
		events++
		checkEvent(t, ev)
	}
}

func checkEvent(t *testing.T, e *audit.Event) {
	t.Helper()
	if e == nil {
		t.Fatal("nil event without an error")
	}
	if e.ID == "" || e.Source == "" || e.Time.Location() != time.UTC {
		t.Fatalf("bad event: id %q source %q time %v", e.ID, e.Source, e.Time)
	}
	for name, doc := range map[string]json.RawMessage{"raw": e.Raw, "geo": e.Geo, "params": e.Params, "custom": e.Custom, "before": e.Before, "after": e.After} {
		if doc != nil && !json.Valid(doc) {
			t.Fatalf("%s is not JSON: %q", name, doc)
		}
	}
	if e.Raw == nil {
		t.Fatal("no raw")
	}
	switch e.Status {
	case "", audit.StatusSuccess, audit.StatusFailure, audit.StatusWarning, audit.StatusInProgress:
	default:
		t.Fatalf("status %q", e.Status)
	}
}

func addFiles(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzNDJSON(f *testing.F) {
	addFiles(f, "own.ndjson", "jumpcloud.ndjson")
	for _, s := range []string{
		`{"time":"2026-01-01T00:00:00Z"}`,
		`{"time":1e3,"duration_ms":1.5e2,"status":"ok","geo":"{\"a\":1}"}`,
		`{"id":"x","time":"2026-01-01 00:00:00","raw":{"a":[1,2,{"b":null}]}}` + "\n\n{\n",
		`{"\u0074ime":"2026-01-01T00:00:00Z","ACTION":"x"}`,
		`{"EventType":"a","Timestamp":"2026-01-01T00:00:00Z","CustomValues":"[1"}`,
		"{\"eventName\":\"a\",\"eventSource\":\"b\",\"eventTime\":\"2026-01-01T00:00:00Z\",\"userIdentity\":{\"type\":1}}",
		`{"a":"\ud800"}`, `{"a":-0.0e+1}`, `{"a":01}`, "{\"a\":\"\x01\"}", `[[[[`, "\x1f\x8b",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, FormatNDJSON)
		// The scanner agrees with encoding/json on what is valid.
		var r record
		got := r.scan(data) == nil
		want := json.Valid(data) && firstNonSpace(data) == '{'
		if got != want {
			t.Fatalf("scan(%q) valid = %v, json.Valid says %v", data, got, want)
		}
		if got := validJSON(data) == nil; got != json.Valid(data) {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", data, got, !got)
		}
	})
}

func FuzzJSONArray(f *testing.F) {
	addFiles(f, "jumpcloud.json")
	for _, s := range []string{
		`[]`, `[{"time":"2026-01-01T00:00:00Z"},1,"x",null,{}]`, `[{"time":"x"}`, `[1 2]`, `[] []`, `[{"a":}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, errs, fatal := fuzzRead(t, data, FormatJSON)
		// Every element of a valid array is an event or an error.
		var elems []json.RawMessage
		if firstNonSpace(data) == '[' && json.Unmarshal(data, &elems) == nil {
			if fatal || events+errs != len(elems) {
				t.Fatalf("%d events + %d errors (fatal %v) from an array of %d", events, errs, fatal, len(elems))
			}
		}
	})
}

func FuzzCSV(f *testing.F) {
	addFiles(f, "seed004.csv", "own.csv")
	for _, s := range []string{
		"time\n2026-01-01T00:00:00Z\n", "Id,Timestamp\n1,2\n\"3\n", "time,raw\n1,{}\n1,\n1,[\n", "a,b\n\"x\"y,\n",
		"time,duration_ms,status\n1,'-1,'=x\n", "\ufefftime\n1\n", "time\n\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, FormatCSV)
	})
}

func FuzzJumpCloud(f *testing.F) {
	addFiles(f, "jumpcloud.json", "jumpcloud.ndjson")
	for _, s := range []string{
		`[{"event_type":"x","timestamp":"2026-01-01T00:00:00Z","changes":[{"field":"a","from":1}],"useragent":"curl"}]`,
		`{"timestamp":1,"success":"false","initiated_by":{"id":5},"resource":{"id":[]}}`,
		`{"timestamp":1,"changes":{},"geoip":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, FormatJumpCloud)
	})
}

func FuzzCloudTrail(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"eventTime":"2023-07-10T11:42:36Z","eventName":"A","eventSource":"s3.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"x"},"resources":[{"ARN":"arn"}],"errorCode":"E"}]}`,
		`{"Records":null,"x":{}}{"Records":[]}`, `{"Records":[1,{}]}`, `[{"eventTime":1,"requestParameters":{"bucketName":"b"}}]`,
		`{"eventTime":1,"resources":{}}`,
	} {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob(filepath.Join(dataDir, "cloudtrail/invictus-aws/*.json")); len(files) > 0 {
		if b, err := os.ReadFile(files[0]); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, FormatCloudTrail)
	})
}
