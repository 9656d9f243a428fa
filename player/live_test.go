package player

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/recording"
)

func TestLive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "live.rec")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := recording.NewWriter(f, recording.Header{Width: 80, Height: 24,
		Audit: []byte(`{"user_name":"carol","resource_name":"db-2","category":"server"}`)}, recording.WriterOptions{FlushEvery: true})
	if err != nil {
		t.Fatal(err)
	}
	write := func(at float64, code, data string) {
		t.Helper()
		if err := w.WriteEvent(recording.Event{Time: sec(at), Code: code, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	write(0, "o", "carol@db-2:~$ ")
	var ended atomic.Bool
	h := newHarness(t, p, Options{Live: true, LiveDone: ended.Load})
	h.settle("the live screen", func() bool { return strings.Contains(h.screen(), "carol@db-2:~$") })
	if !strings.Contains(h.view(), "● LIVE") || !strings.Contains(h.view(), "user carol") {
		t.Fatalf("live view:\n%s", h.view())
	}
	// New events show up on the live screen, keys in the panel.
	write(1, "i", "w")
	write(1, "o", "w")
	write(1.5, "i", "\r")
	write(1.5, "o", "\r\n 10:00:00 up 1 day\r\ncarol@db-2:~$ ")
	h.settle("new output", func() bool { return strings.Contains(h.screen(), "up 1 day") })
	h.settle("keys", func() bool { return strings.Contains(h.view(), "00:01.5 <Enter>") })
	if h.m.clock != sec(1.5) {
		t.Fatalf("live clock %v", h.m.clock)
	}
	// Seek back: the past screen; play catches up with the live edge.
	h.key("g")
	h.seeked()
	if strings.Contains(h.screen(), "up 1 day") || strings.Contains(h.view(), "● LIVE") {
		t.Fatalf("at 0:\n%s", h.view())
	}
	h.key("space")
	h.tick(0)
	h.tick(time.Second)
	if h.m.atEdge || !strings.Contains(h.screen(), "carol@db-2:~$ w") {
		t.Fatalf("at 1 s:\n%s", h.view())
	}
	h.tick(time.Second)
	if !h.m.atEdge || !strings.Contains(h.view(), "● LIVE") {
		t.Fatalf("playback did not return to the live edge:\n%s", h.view())
	}
	// Space at the live edge holds the screen; new output does not show
	// until playback catches up.
	h.key("space")
	h.seeked()
	if h.m.atEdge || h.m.playing || !strings.Contains(h.view(), "live view paused") {
		t.Fatalf("space at the live edge:\n%s", h.view())
	}
	write(2, "o", "held back\r\n")
	h.settle("the event to be read", func() bool { return h.m.liveAt == sec(2) })
	if strings.Contains(h.screen(), "held back") {
		t.Fatalf("the paused screen changed:\n%s", h.view())
	}
	h.key("space")
	h.tick(0)
	h.tick(time.Second)
	if !h.m.atEdge || !strings.Contains(h.screen(), "held back") {
		t.Fatalf("playback did not catch up:\n%s", h.view())
	}
	// G from the past goes live at once.
	h.key("1")
	h.seeked()
	h.key("G")
	if !h.m.atEdge {
		t.Fatal("G did not go live")
	}
	// A bad line in the growing file: skipped, and said.
	if _, err := f.WriteString("[2.5, \"o\", broken\n"); err != nil {
		t.Fatal(err)
	}
	write(2.8, "o", "after the bad line\r\n")
	h.settle("the bad line", func() bool { return strings.Contains(h.view(), "damaged: 1 bad line skipped: line ") })
	h.settle("the event after it", func() bool { return strings.Contains(h.screen(), "after the bad line") })
	// The session ends.
	write(3, "o", "logout\r\n")
	write(3, "x", "0")
	ended.Store(true)
	h.settle("the end", func() bool { return h.m.liveEnded })
	if !strings.Contains(h.screen(), "logout") || !strings.Contains(h.view(), "the session has ended") {
		t.Fatalf("after the end:\n%s", h.view())
	}
}
