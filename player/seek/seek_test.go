package seek

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/termgen"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/player/vt"
)

// writeRec writes a v3 recording of the generated stream, split into
// events of random sizes (cutting escapes and UTF-8), with resizes.
func writeRec(t testing.TB, path string, seed uint64, size int, version int) {
	t.Helper()
	var buf bytes.Buffer
	w, err := recording.NewWriter(&buf, recording.Header{Width: 80, Height: 24}, recording.WriterOptions{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 1))
	var data []byte
	for i := uint64(0); len(data) < size; i++ { // a new seed per MiB
		data = append(data, termgen.Mixed(min(1<<20, size-len(data)), seed+i)...)
	}
	var at time.Duration
	for len(data) > 0 {
		n := min(len(data), 1+r.IntN(600))
		at += time.Duration(r.IntN(50_000)) * time.Microsecond
		chunk := data[:n]
		data = data[n:]
		if err := w.WriteEvent(recording.Event{Time: at, Code: "o", Data: string(chunk)}); err != nil {
			t.Fatal(err)
		}
		switch r.IntN(200) {
		case 0:
			w.WriteEvent(recording.Event{Time: at, Code: "r", Data: fmt.Sprintf("%dx%d", 40+r.IntN(100), 10+r.IntN(40))})
		case 1:
			w.WriteEvent(recording.Event{Time: at, Code: "m", Data: "mark"})
		case 2:
			w.WriteEvent(recording.Event{Time: at, Code: "i", Data: "ls\r"})
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// replay returns the terminal after every event at or before t, from the
// start.
func replay(t testing.TB, path string, at time.Duration) *vt.Terminal {
	t.Helper()
	rd, err := recording.Open(path, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	term := vt.New(rd.Header().Width, rd.Header().Height)
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !recording.Fatal(err) {
			continue // a bad line: skipped, as the index does
		}
		if err != nil {
			break // a break: the screen stays the last readable one
		}
		if ev.Time > at {
			break
		}
		Apply(term, &ev)
	}
	return term
}

func state(t testing.TB, term *vt.Terminal) []byte {
	t.Helper()
	b, err := term.Snapshot().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkSeeks(t *testing.T, ix *Index, path string, n int, seed uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 2))
	times := []time.Duration{0, ix.Duration, ix.Duration + time.Second}
	for range n {
		times = append(times, time.Duration(r.Int64N(int64(ix.Duration)+1)))
	}
	for range min(n, len(ix.Points)) { // exactly at and next to snapshot times
		p := ix.Points[r.IntN(len(ix.Points))]
		times = append(times, p.Time, p.Time+time.Microsecond)
	}
	for _, at := range times {
		pb, err := ix.Open(at)
		if err != nil {
			t.Fatalf("Open(%v): %v", at, err)
		}
		want := replay(t, path, at)
		if got, exp := pb.Term.Text(), want.Text(); got != exp {
			pb.Close()
			t.Fatalf("%s at %v: screen\n%s\nwant\n%s", path, at, got, exp)
		}
		if !bytes.Equal(state(t, pb.Term), state(t, want)) {
			pb.Close()
			t.Fatalf("%s at %v: same text, different state", path, at)
		}
		pb.Close()
	}
}

func TestSeekGenerated(t *testing.T) {
	dir := t.TempDir()
	for _, version := range []int{2, 3} {
		path := filepath.Join(dir, fmt.Sprintf("gen-v%d.cast", version))
		writeRec(t, path, uint64(version), 300_000, version)
		opt := Options{Dir: filepath.Join(dir, "cache"), Stride: 10_000}
		ix, err := Load(context.Background(), path, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(ix.Points) < 10 || !ix.Seekable {
			t.Fatalf("v%d: %d points, seekable %v", version, len(ix.Points), ix.Seekable)
		}
		checkSeeks(t, ix, path, 20, uint64(version))
		ix.Close()

		// The second Load reads the cached file and seeks the same way.
		ix2, err := Load(context.Background(), path, opt)
		if err != nil {
			t.Fatal(err)
		}
		if ix2.file == "" || ix2.snap == nil {
			t.Fatal("second Load did not use the cache")
		}
		if len(ix2.Points) != len(ix.Points) || ix2.Duration != ix.Duration || ix2.Events != ix.Events {
			t.Fatalf("cached index differs: %d/%d points", len(ix2.Points), len(ix.Points))
		}
		checkSeeks(t, ix2, path, 20, uint64(version)+10)
		ix2.Close()
	}
}

// A compressed recording is not byte-seekable: the index re-reads events
// up to a snapshot, and the result is the same.
func TestSeekCompressed(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "gen.cast")
	writeRec(t, plain, 7, 200_000, 3)
	raw, _ := os.ReadFile(plain)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	path := filepath.Join(dir, "gen.cast.gz")
	os.WriteFile(path, gz.Bytes(), 0o600)
	ix, err := Load(context.Background(), path, Options{NoCache: true, Stride: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if ix.Seekable {
		t.Fatal("a gzip recording cannot be byte-seekable")
	}
	checkSeeks(t, ix, path, 20, 3)
}

// Every shared recording: index with a small stride, seek anywhere.
func TestSeekSharedRecordings(t *testing.T) {
	root := filepath.Join("..", "..", "..", "shared", "data", "recordings")
	if _, err := os.Stat(root); err != nil {
		t.Skip("../shared/data/recordings not present")
	}
	var files []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".cast") {
			files = append(files, p)
		}
		return nil
	})
	dir := t.TempDir()
	n := 0
	for _, path := range files {
		rd, err := recording.Open(path, recording.Options{})
		if err != nil {
			continue // a deliberately broken file
		}
		broken := false
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				broken = true
				break
			}
		}
		rd.Close()
		if broken {
			ix, err := Build(context.Background(), path, Options{Dir: dir})
			if err != nil {
				t.Errorf("%s: a damaged recording is indexed up to the damage: %v", path, err)
				continue
			}
			d := ix.Damage()
			if !d.Damaged() {
				t.Errorf("%s: broken recording indexed without noting the damage", path)
			}
			if d.Readable != ix.Duration {
				t.Errorf("%s: readable span %v, index duration %v", path, d.Readable, ix.Duration)
			}
			pb, err := ix.Open(ix.Duration + time.Hour)
			if err != nil {
				t.Errorf("%s: seeking past the damage: %v", path, err)
			} else {
				// Past a break the playback reports it; bad lines that
				// were skipped are only in the index's Damage.
				if (pb.Err() != nil) != (d.Break != nil) {
					t.Errorf("%s: seeking past the damage: err %v, break %+v", path, pb.Err(), d.Break)
				}
				pb.Close()
			}
			ix.Close()
			continue
		}
		n++
		st, _ := os.Stat(path)
		ix, err := Build(context.Background(), path, Options{Dir: dir, Stride: max(4096, st.Size()/40)})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		checkSeeks(t, ix, path, 10, 5)
		ix.Close()
	}
	if n < 20 {
		t.Fatalf("only %d shared recordings indexed", n)
	}
}

// A corrupt or stale cache file is rebuilt, never trusted.
func TestCorruptCache(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gen.cast")
	writeRec(t, path, 9, 100_000, 3)
	opt := Options{Dir: filepath.Join(dir, "cache"), Stride: 10_000}
	ix, err := Load(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	file := ix.file
	good, _ := os.ReadFile(file)
	for _, cut := range []int{0, 10, len(good) / 2, len(good) - 5} {
		bad := append([]byte(nil), good[:cut]...)
		os.WriteFile(file, bad, 0o600)
		ix2, err := Load(context.Background(), path, opt)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		checkSeeks(t, ix2, path, 5, uint64(cut))
		ix2.Close()
	}
	// Flip bytes inside a snapshot: the index loads (its metadata is
	// intact) but the snapshot fails to decode with an error, not a panic.
	os.WriteFile(file, good, 0o600)
	ix3, err := Load(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer ix3.Close()
	p := ix3.Points[len(ix3.Points)-1]
	bad := append([]byte(nil), good...)
	for i := p.SnapOff; i < p.SnapOff+min(p.SnapLen, 16); i++ {
		bad[i] ^= 0xff
	}
	os.WriteFile(file, bad, 0o600)
	ix4, err := Load(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer ix4.Close()
	if _, err := ix4.Open(ix4.Duration); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt snapshot: err = %v", err)
	}

	// A changed recording gets a new key: the old index is not used.
	writeRec(t, path, 10, 100_000, 3)
	ix5, err := Load(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer ix5.Close()
	checkSeeks(t, ix5, path, 5, 11)
}

func TestParseSize(t *testing.T) {
	for _, tt := range []struct {
		in         string
		cols, rows int
		ok         bool
	}{
		{"80x24", 80, 24, true}, {"1x1", 1, 1, true}, {"0x24", 0, 0, false},
		{"80", 0, 0, false}, {"x", 0, 0, false}, {"80x-1", 0, 0, false}, {"99999x1", 0, 0, false},
	} {
		c, r, ok := ParseSize(tt.in)
		if c != tt.cols || r != tt.rows || ok != tt.ok {
			t.Errorf("ParseSize(%q) = %d, %d, %v", tt.in, c, r, ok)
		}
	}
}

// BenchmarkBuild indexes a generated 16 MB recording (snapshots written to
// a cache file); MB/s is of the recording file.
func BenchmarkBuild(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.rec")
	writeRec(b, path, 1, 12<<20, 3)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix, err := Build(context.Background(), path, Options{Dir: filepath.Join(dir, "cache")})
		if err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
}

// BenchmarkSeek measures Open at random moments of an indexed recording.
func BenchmarkSeek(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bench.rec")
	writeRec(b, path, 1, 12<<20, 3)
	ix, err := Build(context.Background(), path, Options{Dir: filepath.Join(dir, "cache")})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	r := rand.New(rand.NewPCG(1, 1))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pb, err := ix.Open(time.Duration(r.Int64N(int64(ix.Duration))))
		if err != nil {
			b.Fatal(err)
		}
		pb.Close()
	}
}

// Next peeks at the next event without applying it; Advance to that time
// applies it.
func TestPlaybackNext(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "n.cast")
	writeRec(t, path, 4, 50_000, 3)
	ix, err := Build(context.Background(), path, Options{NoCache: true, Stride: 5000})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := ix.Open(ix.Duration / 2)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	steps := 0
	for {
		next, ok := pb.Next()
		if !ok {
			break
		}
		if next < pb.Time {
			t.Fatalf("next event at %v before the current time %v", next, pb.Time)
		}
		before := state(t, pb.Term)
		if again, _ := pb.Next(); again != next {
			t.Fatal("Next is not idempotent")
		}
		if !bytes.Equal(before, state(t, pb.Term)) {
			t.Fatal("Next changed the screen")
		}
		if err := pb.Advance(next); err != nil {
			t.Fatal(err)
		}
		steps++
	}
	if !pb.Done() || steps == 0 || pb.Time != ix.Duration {
		t.Fatalf("after %d steps: done %v, time %v of %v", steps, pb.Done(), pb.Time, ix.Duration)
	}
	want := replay(t, path, ix.Duration)
	if !bytes.Equal(state(t, pb.Term), state(t, want)) {
		t.Fatal("stepping to the end differs from replaying")
	}
}

// A recording with bad lines near the start and in the middle (plain and
// gzip) is indexed whole: every seek, including far past the bad lines,
// shows what replaying with the bad lines skipped shows, and Damage lists
// them. A gzip cut short is indexed up to the break.
func TestSeekDamaged(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "gen.cast")
	writeRec(t, plain, 11, 300_000, 3)
	raw, _ := os.ReadFile(plain)
	lines := strings.SplitAfter(string(raw), "\n")
	lines[2] = "[0.1, \"o\", \"broken\n"
	lines[len(lines)/2] = "[0.1, \"o\", 42]\n"
	bad := []byte(strings.Join(lines, ""))
	os.WriteFile(plain, bad, 0o600)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bad)
	zw.Close()
	packed := filepath.Join(dir, "gen.cast.gz")
	os.WriteFile(packed, gz.Bytes(), 0o600)
	for _, path := range []string{plain, packed} {
		ix, err := Build(context.Background(), path, Options{NoCache: true, Stride: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		d := ix.Damage()
		if d.Skipped != 2 || d.Break != nil || d.Flaws[0].Line != 3 || d.Flaws[1].Line != len(lines)/2+1 {
			t.Fatalf("%s: damage %+v", path, d)
		}
		if d.Readable != ix.Duration || ix.Duration < 10*time.Second {
			t.Fatalf("%s: readable %v, duration %v: the part after the bad lines is missing", path, d.Readable, ix.Duration)
		}
		checkSeeks(t, ix, path, 20, 5)
		ix.Close()
	}

	cut := filepath.Join(dir, "cut.cast.gz")
	os.WriteFile(cut, gz.Bytes()[:gz.Len()*2/3], 0o600)
	ix, err := Build(context.Background(), cut, Options{NoCache: true, Stride: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	d := ix.Damage()
	if d.Break == nil || !strings.Contains(d.Break.Err, "truncated") || d.Readable != ix.Duration || d.Readable == 0 {
		t.Fatalf("cut gzip: damage %+v, duration %v", d, ix.Duration)
	}
	if !d.Beyond(d.Readable+time.Millisecond) || d.Beyond(d.Readable) {
		t.Fatalf("cut gzip: Beyond wrong at %v", d.Readable)
	}
	checkSeeks(t, ix, cut, 10, 6)
	pb, err := ix.Open(d.Readable + time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	if pb.Err() == nil || pb.Time != d.Readable {
		t.Fatalf("past the break: err %v at %v", pb.Err(), pb.Time)
	}
}
