package player

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/internal/termgen"
	"github.com/auditctl/auditctl/pkg/recording"
)

// BenchmarkRenderFrame200x60 renders a whole frame (the 200x60 screen from
// the emulator's cells, the panels, the timeline) of a busy, colourful
// screen in a window big enough to show all of it. Target: 2 ms.
func BenchmarkRenderFrame200x60(b *testing.B) {
	g := termgen.Gen{Cols: 200, Rows: 60}
	e := []ev{{0, "o", string(g.ColoredLS(64<<10, 1))}, {0.5, "o", string(g.TopRedraws(64<<10, 2))}}
	for i := range 500 {
		e = append(e, ev{1 + float64(i)*0.01, "i", string(rune('a' + i%26))})
	}
	p := writeRec(b, b.TempDir(), "frame.rec", `{"category":"database"}`, 200, 60, e)
	h := newHarness(b, p, Options{NoIndex: true})
	h.send(tea.WindowSizeMsg{Width: 250, Height: 66})
	h.settle("scan", func() bool { return h.m.scanDone })
	h.key("G")
	h.seeked()
	if h.m.frame.clipX || h.m.frame.clipY {
		b.Fatal("the screen does not fit")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.m.dirty = true
		h.m.refresh()
		_ = h.m.View()
	}
}

// BenchmarkSeekInTUI measures a seek inside the player (a key press to the
// new screen rendered) on a big recording once it is indexed. It uses the
// recording named by AUDITCTL_BENCH_REC (bench/genrec -size 1G -o FILE),
// else generates 64 MB. Target: 100 ms on 1 GB.
func BenchmarkSeekInTUI(b *testing.B) {
	p := os.Getenv("AUDITCTL_BENCH_REC")
	if p == "" {
		p = filepath.Join(b.TempDir(), "big.rec")
		genBig(b, p, 64<<20)
	}
	cache := filepath.Join(os.TempDir(), "auditctl-player-bench-seek")
	start := time.Now()
	h := newHarness(b, p, Options{SeekDir: cache})
	h.wait = 20 * time.Minute
	h.settle("index", func() bool { return !h.m.indexing })
	if h.m.ix == nil {
		b.Fatal(h.m.ixErr)
	}
	st, _ := os.Stat(p)
	b.Logf("%s: %d MB, index ready after %v (%d points)", p, st.Size()>>20, time.Since(start).Round(time.Millisecond), len(h.m.ix.Points))
	h.settle("scan", func() bool { return h.m.scanDone })
	keys := []string{"3", "7", "1", "9", "5", "2", "8", "4", "6", "0"}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		h.key(keys[i%len(keys)])
		h.seeked()
		i++
	}
}

// genBig writes a recording of about size bytes of mixed terminal output in
// events of up to 4 KiB, with keystrokes.
func genBig(b *testing.B, p string, size int) {
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w, err := recording.NewWriter(bw, recording.Header{Width: 120, Height: 40}, recording.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var t time.Duration
	for seed := uint64(1); seed < 1<<20 && t >= 0; seed++ {
		chunk := termgen.Gen{Cols: 120, Rows: 40}.Mixed(4<<20, seed)
		for len(chunk) > 0 {
			n := min(len(chunk), 1+int(seed*7919+uint64(t))%4096)
			for n < len(chunk) && chunk[n]&0xC0 == 0x80 { // keep UTF-8 whole
				n++
			}
			t += time.Millisecond
			if err := w.WriteEvent(recording.Event{Time: t, Code: "o", Data: string(chunk[:n])}); err != nil {
				b.Fatal(err)
			}
			if t%(50*time.Millisecond) == 0 {
				w.WriteEvent(recording.Event{Time: t, Code: "i", Data: "x"})
			}
			chunk = chunk[n:]
		}
		if st, _ := f.Stat(); st != nil && st.Size()+int64(bw.Buffered()) >= int64(size) {
			break
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(fmt.Errorf("write %s: %w", p, err))
	}
}
