package recording

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

const t0 = 1763797136 * time.Second // a Unix time

func handTtyrec() []byte {
	var b []byte
	b = appendTtyrecFrame(b, t0+123456*time.Microsecond, []byte("$ ls\r\n"))
	b = appendTtyrecFrame(b, t0+623456*time.Microsecond, []byte("a  b\r\n\xe2\x94"))
	b = appendTtyrecFrame(b, t0+2*time.Second, []byte("\x80\x1b[1mbold\x1b[m"))
	b = appendTtyrecFrame(b, t0+time.Second, []byte("back in time")) // clock went back
	return b
}

func TestTtyrecHandMade(t *testing.T) {
	data := handTtyrec()
	if !isTtyrec(data, true) {
		t.Fatal("not detected")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "rec") // no extension: detection by content
	os.WriteFile(path, data, 0o600)
	r, err := Open(path, Options{Width: 132, Height: 43})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h := r.Header()
	if h.Format != FormatTtyrec || h.Version != 0 || h.Width != 132 || h.Height != 43 || h.Term["cols"] != float64(132) ||
		!h.Timestamp.Equal(time.Unix(1763797136, 123456000)) {
		t.Errorf("header %+v", h)
	}
	evs, err := readReader(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Time: 0, Code: "o", Data: "$ ls\r\n"},
		{Time: 500 * time.Millisecond, Code: "o", Data: "a  b\r\n\xe2\x94"},
		{Time: 1876544 * time.Microsecond, Code: "o", Data: "\x80\x1b[1mbold\x1b[m"},
		{Time: 1876544 * time.Microsecond, Code: "o", Data: "back in time"},
	}
	if len(evs) != len(want) {
		t.Fatalf("events %+v", evs)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, evs[i], want[i])
		}
	}
	if r.Seekable() {
		t.Error("ttyrec seekable")
	}
	// Default size.
	r2, err := NewReader("rec", bytes.NewReader(data))
	if err != nil || r2.Header().Width != 80 || r2.Header().Height != 24 {
		t.Errorf("default size: %v %+v", err, r2.Header())
	}
}

func TestTtyrecReal(t *testing.T) {
	r, err := Open(filepath.Join("testdata", "ttyrec", "real.ttyrec"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	evs, err := readReader(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(evs); got != "o:hello\r\r\n|o:\x1b[1;31mréd\x1b[m\r\r\n|o:done" {
		t.Errorf("events %q", got)
	}
	if evs[0].Time != 0 || evs[1].Time < 150*time.Millisecond || evs[2].Time < evs[1].Time || r.Header().Timestamp.Year() < 2020 {
		t.Errorf("times %+v, header %+v", evs, r.Header())
	}
}

func TestTtyrecErrors(t *testing.T) {
	good := handTtyrec()
	var huge []byte
	for range 9 {
		huge = appendTtyrecFrame(huge, t0, []byte("a"))
	}
	badUsec := appendTtyrecFrame(huge, t0, []byte("x"))
	binary.LittleEndian.PutUint32(badUsec[len(badUsec)-9:], 1e6) // frame 10's usec
	huge = appendTtyrecFrame(huge, t0, nil)
	huge[len(huge)-1] = 0x7f // frame 10 (after the frames detection checks) claims 2 GB
	for name, c := range map[string]struct {
		data   []byte
		record int
		field  string
	}{
		"truncated data":   {good[:len(good)-3], 4, "data"},
		"truncated header": {good[:len(good)-len("back in time")-5], 4, ""},
		"bad usec":         {badUsec, 10, "usec"},
		"huge frame":       {huge, 10, "len"},
	} {
		r, err := NewReader(name, bytes.NewReader(c.data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = readReader(r)
		var ie *audit.InputError
		if !errors.As(err, &ie) || ie.Record != c.record || ie.Field != c.field || !ie.Fatal {
			t.Errorf("%s: got %v, want frame %d field %q", name, err, c.record, c.field)
		}
	}
	// Not ttyrec: text, a first frame longer than the file, usec too big.
	for _, b := range [][]byte{[]byte("hello world, this is text\n"), good[:20], {0, 0, 0, 0, 0x40, 0x42, 0x0f, 0, 1, 0, 0, 0, 'x'}} {
		if isTtyrec(b, true) {
			t.Errorf("%q taken for ttyrec", b)
		}
	}
}
