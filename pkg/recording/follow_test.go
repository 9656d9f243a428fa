package recording

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A follower sees each event while the recording is still being written:
// the writer waits for the follower to acknowledge an event before it
// writes the next, so the test deadlocks (and times out) unless events are
// delivered live. Half-written lines are waited for, not reported.
func TestFollowLive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.rec")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ack := make(chan string)
	werr := make(chan error, 1)
	go func() {
		w, err := NewWriter(f, Header{Width: 80, Height: 24}, WriterOptions{FlushEvery: true})
		if err != nil {
			werr <- err
			return
		}
		if err := w.Flush(); err != nil {
			werr <- err
			return
		}
		for i, data := range []string{"one", "two", "three"} {
			if err := w.WriteEvent(Event{Time: time.Duration(i) * time.Second, Code: "o", Data: data}); err != nil {
				werr <- err
				return
			}
			if got := <-ack; got != data {
				werr <- io.ErrUnexpectedEOF
				return
			}
		}
		// A line written in two halves.
		line := `[1.0, "o", "split line"]` + "\n"
		f.WriteString(line[:9])
		time.Sleep(3 * FollowPoll)
		f.WriteString(line[9:])
		<-ack
		werr <- w.WriteEvent(Event{Time: 5 * time.Second, Code: "x", Data: "0"})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := Follow(ctx, path, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []string
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Code+":"+ev.Data)
		if ev.Code == "o" {
			ack <- ev.Data
		}
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	want := "[o:one o:two o:three o:split line x:0]"
	if g := fmtSlice(got); g != want || ctx.Err() != nil {
		t.Fatalf("followed %s, want %s (ctx %v)", g, want, ctx.Err())
	}
}

// Without an exit event the follower ends when done reports true (the
// recorder died), after reading what was written; a torn last line is
// then reported as an error naming its line.
func TestFollowDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead.rec")
	os.WriteFile(path, []byte(`{"version": 3, "term": {"cols": 80, "rows": 24}}`+"\n"+`[0.5, "o", "hello"]`+"\n"+`[0.1, "o", "tor`), 0o600)
	var dead atomic.Bool
	go func() { time.Sleep(4 * FollowPoll); dead.Store(true) }()
	r, err := Follow(context.Background(), path, Options{}, dead.Load)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ev, err := r.Next()
	if err != nil || ev.Data != "hello" {
		t.Fatalf("first event %+v, %v", ev, err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Fatalf("torn last line: %v", err)
	}
}

func fmtSlice(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}
