package output

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestPipeWritesEverythingInOrder(t *testing.T) {
	var direct, piped bytes.Buffer
	dw, _ := NewEventWriter(&direct, FormatNDJSON, Options{})
	pw0, _ := NewEventWriter(&piped, FormatNDJSON, Options{})
	pw := Pipe(pw0)
	for i := 0; i < 1000; i++ {
		e := &audit.Event{ID: fmt.Sprint(i), Source: "s", Time: time.Unix(int64(i), 0).UTC()}
		if err := dw.Write(e); err != nil {
			t.Fatal(err)
		}
		if err := pw.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if direct.String() != piped.String() || direct.Len() == 0 {
		t.Fatal("piped output differs from direct output")
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(e *audit.Event) error {
	f.n++
	if f.n == 300 {
		return errors.New("disk full")
	}
	return nil
}
func (f *failingWriter) Close() error { return nil }

func TestPipeReportsTheWritersError(t *testing.T) {
	p := Pipe(&failingWriter{})
	var err error
	for i := 0; i < 5000 && err == nil; i++ {
		err = p.Write(&audit.Event{ID: fmt.Sprint(i)})
	}
	if cerr := p.Close(); cerr == nil || cerr.Error() != "disk full" {
		t.Fatalf("Close = %v (Write returned %v)", cerr, err)
	}
}
