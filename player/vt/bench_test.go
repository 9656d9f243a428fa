package vt

import (
	"io"
	"strings"
	"sync"
	"testing"

	xvt "github.com/charmbracelet/x/vt"

	"github.com/auditctl/auditctl/internal/termgen"
)

var (
	benchOnce              sync.Once
	benchMixed, benchPlain []byte
)

func benchData() {
	benchOnce.Do(func() {
		benchMixed = termgen.Mixed(4<<20, 1)
		benchPlain = termgen.PlainScroll(4<<20, 1)
	})
}

var benchSizes = []struct {
	name       string
	cols, rows int
}{{"80x24", 80, 24}, {"200x60", 200, 60}}

func benchWrite(b *testing.B, p []byte, cols, rows int) {
	t := New(cols, rows)
	t.Write(p) // warm up: the combined-text table and the like
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t.Write(p)
	}
}

// BenchmarkWriteMixed: the termgen mixed stream (about one escape sequence
// per 25 bytes: colors, alternate screen, scroll regions, CJK, line drawing).
func BenchmarkWriteMixed(b *testing.B) {
	benchData()
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) { benchWrite(b, benchMixed, sz.cols, sz.rows) })
	}
}

// BenchmarkWritePlainScroll: lines of plain text ending in \r\n.
func BenchmarkWritePlainScroll(b *testing.B) {
	benchData()
	benchWrite(b, benchPlain, 80, 24)
}

// BenchmarkXVTWriteMixed runs the same mixed stream through
// charmbracelet/x/vt, for the ratio.
func BenchmarkXVTWriteMixed(b *testing.B) {
	benchData()
	p := benchMixed[:1<<20]
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				emu := xvt.NewEmulator(sz.cols, sz.rows)
				done := make(chan struct{})
				go func() { io.Copy(io.Discard, emu); close(done) }()
				b.StartTimer()
				emu.Write(p)
				b.StopTimer()
				emu.Close()
				<-done
				b.StartTimer()
			}
		})
	}
}

// BenchmarkXVTWritePlainScroll is BenchmarkWritePlainScroll for x/vt.
func BenchmarkXVTWritePlainScroll(b *testing.B) {
	benchData()
	p := benchPlain[:1<<20]
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		emu := xvt.NewEmulator(80, 24)
		done := make(chan struct{})
		go func() { io.Copy(io.Discard, emu); close(done) }()
		b.StartTimer()
		emu.Write(p)
		b.StopTimer()
		emu.Close()
		<-done
		b.StartTimer()
	}
}

func benchTerm(cols, rows int) *Terminal {
	benchData()
	t := New(cols, rows)
	t.Write(benchMixed[:1<<20])
	return t
}

func BenchmarkSnapshot(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			t := benchTerm(sz.cols, sz.rows)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t.Snapshot()
			}
		})
	}
}

func BenchmarkRestore(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			t := benchTerm(sz.cols, sz.rows)
			s := t.Snapshot()
			u := New(sz.cols, sz.rows)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				u.Restore(s)
			}
		})
	}
}

func BenchmarkMarshalBinary(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			s := benchTerm(sz.cols, sz.rows).Snapshot()
			b.ReportAllocs()
			b.ResetTimer()
			var n int
			for i := 0; i < b.N; i++ {
				p, _ := s.MarshalBinary()
				n = len(p)
			}
			b.ReportMetric(float64(n), "bytes/snapshot")
		})
	}
}

func BenchmarkUnmarshalBinary(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			p, _ := benchTerm(sz.cols, sz.rows).Snapshot().MarshalBinary()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var s Snapshot
				if err := s.UnmarshalBinary(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteStrings: long OSC, DCS and APC strings (images, clipboard).
func BenchmarkWriteStrings(b *testing.B) {
	payload := strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", 1000)
	var p []byte
	for len(p) < 1<<20 {
		p = append(p, "\x1b]52;c;"+payload+"\x07"...)
		p = append(p, "\x1bPq#0;2;0;0;0"+payload+"\x1b\\"...)
		p = append(p, "\x1b_Gf=100;"+payload+"\x1b\\"...)
		p = append(p, "text\r\n"...)
	}
	benchWrite(b, p, 80, 24)
}
