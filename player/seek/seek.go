// Package seek reaches any moment of a recording fast, whatever its size.
//
// One streaming pass (Build) replays the recording through the emulator
// and, every Stride units of work, stores a snapshot of the whole emulator
// state together with the reader's position just after the last event
// applied. "Work" counts the bytes of output written to the emulator plus a
// fixed cost per event and per resize, so that a recording of many tiny
// events gets snapshots as often as one of big ones.
//
// To show the screen at time t, Open restores the last snapshot at or
// before t, resumes reading the recording at the stored byte offset, and
// replays at most about one stride of work. Memory stays bounded: the
// snapshots live in the index file, and only the list of points (a few
// dozen bytes each) is held in memory.
//
// The index is a cache: a file per recording under the user's cache
// directory (os.UserCacheDir()/auditctl/seek), named by a SHA-256 of the
// recording's size, modification time and sampled content (head, tail and
// 64 evenly spaced blocks), so that finding it costs a few reads even for a
// multi-GB file. It is rebuilt when the recording changes and removed
// least-recently-used when the directory grows past MaxCacheBytes.
//
// Compressed recordings and formats without byte positions (asciicast v1,
// ttyrec, script) are indexed the same way, but reaching a snapshot means
// re-reading (not re-emulating) the events before it.
package seek

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/player/vt"
)

// Tunables.
const (
	// DefaultStride is the work between two snapshots: replaying one
	// stride at the emulator's speed takes a few tens of milliseconds.
	DefaultStride = 2 << 20
	// eventCost and resizeCost are the work counted per event and per
	// resize, besides the bytes of output.
	eventCost  = 64
	resizeCost = 16 << 10
	// MaxCacheBytes bounds the seek cache directory.
	MaxCacheBytes = 2 << 30
	// formatVersion changes whenever the index file layout changes.
	formatVersion = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	magicHead = []byte("AUDITCTL-SEEK\n\x00\x01")
	magicTail = []byte("AUDITCTL-SEEK-END\n")
)

// Point is one snapshot of the index.
type Point struct {
	Time    time.Duration      `json:"t"` // time of the last event applied
	Pos     recording.Position `json:"pos"`
	SnapOff int64              `json:"off"` // where the snapshot is in the index file
	SnapLen int64              `json:"len"`
	CRC     uint32             `json:"crc"` // CRC-32C of the snapshot
}

// Index is the seek index of one recording.
type Index struct {
	Recording   string        `json:"-"`
	Key         string        `json:"key"`
	Version     int           `json:"version"`
	Format      string        `json:"format"`
	Cols        int           `json:"cols"`
	Rows        int           `json:"rows"`
	Duration    time.Duration `json:"duration"` // time of the last event
	Events      int64         `json:"events"`
	OutputBytes int64         `json:"output_bytes"`
	Seekable    bool          `json:"seekable"`
	// Reading is what the build pass could not read (see Damage).
	Reading recording.Damage `json:"damage"`
	Points  []Point          `json:"points"`

	opt  Options
	file string           // the index file; "" when the index is held in memory only
	hdr  recording.Header // the recording's header, read once (Open resumes with it)
	mu   sync.Mutex       // guards snap: Open may be called from several goroutines
	snap *os.File
	mem  [][]byte // snapshots when not written to a file
}

// Damage says what of the recording could not be read and how much is
// readable: the bad lines skipped (each with its line and the time from
// which it is missing), the Break where reading stopped early (nil when
// the recording reads to its end), the readable span [0, Readable] and the
// whole recording's known Duration. Duration == Readable unless a Break
// cut off a part whose length the header records.
//
// Seeking skips the bad lines as the build did: Open(t) shows the screen
// at t without their events. A t past a Break gives the last readable
// screen, with the Break in Playback.Err.
func (ix *Index) Damage() recording.Damage { return ix.Reading }

// Options configure Build and Load.
type Options struct {
	// Dir is the cache directory; "" means os.UserCacheDir()/auditctl/seek.
	Dir string
	// NoCache keeps the index in memory (snapshots included): for small
	// recordings and tests.
	NoCache bool
	// Stride is the work between snapshots; 0 means DefaultStride.
	Stride int64
	// Rec are the options for reading the recording.
	Rec recording.Options
	// Progress, when set, is called now and then during a build with the
	// bytes of the recording read so far and its size.
	Progress func(done, total int64)
}

func (o Options) stride() int64 {
	if o.Stride > 0 {
		return o.Stride
	}
	return DefaultStride
}

// DefaultDir is the seek cache directory.
func DefaultDir() (string, error) {
	if d := os.Getenv("AUDITCTL_CACHE_DIR"); d != "" {
		return filepath.Join(d, "seek"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("seek cache: %w", err)
	}
	return filepath.Join(base, "auditctl", "seek"), nil
}

func (o Options) dir() (string, error) {
	if o.Dir != "" {
		return o.Dir, nil
	}
	return DefaultDir()
}

// Fingerprint names a recording's index: a SHA-256 over the file's size,
// modification time and sampled content.
func Fingerprint(path string) (string, error) {
	f, err := recording.OpenFile(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "auditctl-seek/%d\x00%d\x00%d\x00", formatVersion, st.Size(), st.ModTime().UnixNano())
	const block = 4 << 10
	const headTail = 64 << 10
	buf := make([]byte, headTail)
	sample := func(off int64, n int) error {
		if off < 0 {
			off = 0
		}
		m, err := f.ReadAt(buf[:n], off)
		if err != nil && err != io.EOF {
			return err
		}
		h.Write(buf[:m])
		return nil
	}
	size := st.Size()
	if err := sample(0, headTail); err != nil {
		return "", err
	}
	if size > 2*headTail {
		for i := int64(1); i <= 64; i++ {
			if err := sample(size*i/65, block); err != nil {
				return "", err
			}
		}
		if err := sample(size-headTail, headTail); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Forget removes the cached index of the recording at path, if there is
// one: for a recording about to be deleted (retention), whose screens the
// index's snapshots hold. A recording already gone has nothing to find.
func Forget(path string, opt Options) error {
	key, err := Fingerprint(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	dir, err := opt.dir()
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, key+".idx")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Load returns the cached index of the recording at path, building (and
// caching) it when there is none or it is stale.
func Load(ctx context.Context, path string, opt Options) (*Index, error) {
	if !opt.NoCache {
		key, err := Fingerprint(path)
		if err != nil {
			return nil, err
		}
		dir, err := opt.dir()
		if err != nil {
			return nil, err
		}
		file := filepath.Join(dir, key+".idx")
		if ix, err := readIndex(file, key); err == nil {
			ix.Recording, ix.opt = path, opt
			rd, err := recording.Open(path, opt.Rec)
			if err != nil {
				ix.Close()
				return nil, err
			}
			ix.hdr = rd.Header()
			rd.Close()
			now := time.Now()
			os.Chtimes(file, now, now) // LRU order; best effort
			return ix, nil
		}
	}
	return Build(ctx, path, opt)
}

// batch is a run of events the reader goroutine hands to the emulator.
type batch struct {
	events []recording.Event
	pos    recording.Position // after the last event of the batch
	read   int64
	err    error
}

// Build replays the recording once and writes its index (to the cache
// unless opt.NoCache). Reading and emulating run on two goroutines.
func Build(ctx context.Context, path string, opt Options) (*Index, error) {
	rd, err := recording.Open(path, opt.Rec)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	hdr := rd.Header()
	ix := &Index{
		Recording: path, Version: formatVersion, Format: hdr.Format,
		Cols: hdr.Width, Rows: hdr.Height, Seekable: rd.Seekable(), opt: opt, hdr: hdr,
	}
	if opt.NoCache {
		if err := ix.build(ctx, rd, nil); err != nil {
			return nil, err
		}
		return ix, nil
	}
	if ix.Key, err = Fingerprint(path); err != nil {
		return nil, err
	}
	dir, err := opt.dir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("seek cache: %w", err)
	}
	ix.file = filepath.Join(dir, ix.Key+".idx")
	err = atomicfile.Write(ix.file, 0o600, func(w io.Writer) error {
		return ix.build(ctx, rd, w)
	})
	if err != nil {
		return nil, err
	}
	evict(dir, ix.file)
	return ix, nil
}

// build runs the pass. With w nil the snapshots stay in memory; else they
// are written to w, followed by the metadata and the trailer.
func (ix *Index) build(ctx context.Context, rd *recording.Reader, w io.Writer) error {
	var size int64
	if st, err := os.Stat(ix.Recording); err == nil {
		size = st.Size()
	}
	var written int64
	if w != nil {
		if _, err := w.Write(magicHead); err != nil {
			return err
		}
		written = int64(len(magicHead))
	}

	start := rd.Position() // before the reader goroutine moves it
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 4)
	go readBatches(ctx, rd, batches, min(maxBatchWork, ix.opt.stride()/2))
	defer func() {
		cancel()
		for range batches { // wait for the reader goroutine to stop
		}
	}()

	term := vt.New(ix.Cols, ix.Rows)
	stride := ix.opt.stride()
	addPoint := func(t time.Duration, pos recording.Position) error {
		s, err := term.Snapshot().MarshalBinary()
		if err != nil {
			return err
		}
		p := Point{Time: t, Pos: pos, SnapLen: int64(len(s)), CRC: crc32.Checksum(s, castagnoli)}
		if w != nil {
			p.SnapOff = written
			if _, err := w.Write(s); err != nil {
				return fmt.Errorf("seek cache: %w", err)
			}
			written += int64(len(s))
		} else {
			p.SnapOff = int64(len(ix.mem))
			ix.mem = append(ix.mem, s)
		}
		ix.Points = append(ix.Points, p)
		return nil
	}
	// The first point is the state before any event.
	if err := addPoint(0, start); err != nil {
		return err
	}
	var work int64
	var last time.Duration
	lastProgress := time.Now()
	for b := range batches {
		for i := range b.events {
			ev := &b.events[i]
			work += eventCost + Apply(term, ev)
			last = ev.Time
			ix.Events++
			if ev.Code == "o" {
				ix.OutputBytes += int64(len(ev.Data))
			}
		}
		if b.err != nil {
			// A recording broken beyond a bad line is indexed up to the
			// break (its reader goroutine stops there); seeking past it
			// replays to it and reports the error there.
			var ie *audit.InputError
			if !errors.As(b.err, &ie) {
				return b.err
			}
			continue
		}
		if work >= stride {
			if err := addPoint(last, b.pos); err != nil {
				return err
			}
			work = 0
		}
		if ix.opt.Progress != nil && time.Since(lastProgress) > 100*time.Millisecond {
			ix.opt.Progress(b.read, size)
			lastProgress = time.Now()
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ix.Reading = rd.Damage() // the reader goroutine has stopped: batches is closed
	ix.Duration = last
	if ix.opt.Progress != nil {
		ix.opt.Progress(size, size)
	}
	if w == nil {
		return nil
	}
	meta, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	var tail [8]byte
	binary.LittleEndian.PutUint64(tail[:], uint64(written))
	for _, b := range [][]byte{meta, tail[:], magicTail} {
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("seek cache: %w", err)
		}
	}
	return nil
}

// maxBatchWork bounds the work in a batch (snapshots are taken between
// batches, so a batch is at most half a stride).
const maxBatchWork = 256 << 10

// Each calls fn for every event of rd, in order, on the caller's
// goroutine, while another goroutine reads and decodes the events ahead:
// reading and emulating then use two cores. Bad lines are skipped and a
// Break ends the events, as recording.Reader.Each does (both are in
// rd.Damage() afterwards); it returns fn's error, or ctx's.
func Each(ctx context.Context, rd *recording.Reader, fn func(ev *recording.Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 4)
	go readBatches(ctx, rd, batches, maxBatchWork)
	defer func() {
		cancel()
		for range batches { // wait for the reader goroutine to stop
		}
	}()
	for b := range batches {
		for i := range b.events {
			if err := fn(&b.events[i]); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// readBatches reads events into batches until the end, a Break (fatal
// reading error) or cancellation, skipping bad lines (rd.Damage lists
// them). Progress is the reader's byte position (0 for formats without
// one).
func readBatches(ctx context.Context, rd *recording.Reader, ch chan<- batch, limit int64) {
	defer close(ch)
	var b batch
	var work int64
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !recording.Fatal(err) {
			continue // a bad line: skipped, listed in rd.Damage()
		}
		if err != nil {
			// The events read before the break go with it: a broken
			// recording is used up to the break.
			b.err = err
			select {
			case ch <- b:
			case <-ctx.Done():
			}
			return
		}
		b.events = append(b.events, ev)
		work += eventCost + int64(len(ev.Data))
		if work >= limit {
			b.pos = rd.Position()
			b.read = b.pos.Offset
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
			b, work = batch{events: make([]recording.Event, 0, len(b.events))}, 0
		}
	}
	if len(b.events) > 0 {
		b.pos = rd.Position()
		b.read = b.pos.Offset
		select {
		case ch <- b:
		case <-ctx.Done():
		}
	}
}

// Apply applies one event to the terminal and returns the work it took:
// output is written, a resize resizes; other events change nothing.
func Apply(t *vt.Terminal, ev *recording.Event) int64 {
	switch ev.Code {
	case "o":
		t.WriteString(ev.Data)
		return int64(len(ev.Data))
	case "r":
		if c, r, ok := ParseSize(ev.Data); ok {
			t.Resize(c, r)
			return resizeCost
		}
	}
	return 0
}

// ParseSize parses the data of a resize event, "COLSxROWS".
func ParseSize(s string) (cols, rows int, ok bool) {
	a, b, found := strings.Cut(s, "x")
	if !found {
		return 0, 0, false
	}
	c, err1 := strconv.Atoi(a)
	r, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || c < 1 || r < 1 || c > 10000 || r > 10000 {
		return 0, 0, false
	}
	return c, r, true
}

func readIndex(file, key string) (*Index, error) {
	f, err := recording.OpenFile(file)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	trailer := int64(8 + len(magicTail))
	if size < int64(len(magicHead))+trailer {
		return nil, errors.New("seek index: truncated")
	}
	head := make([]byte, len(magicHead))
	if _, err := f.ReadAt(head, 0); err != nil || string(head) != string(magicHead) {
		return nil, errors.New("seek index: bad magic")
	}
	tail := make([]byte, trailer)
	if _, err := f.ReadAt(tail, size-trailer); err != nil || string(tail[8:]) != string(magicTail) {
		return nil, errors.New("seek index: bad trailer")
	}
	metaOff := int64(binary.LittleEndian.Uint64(tail[:8]))
	if metaOff < int64(len(magicHead)) || metaOff > size-trailer || size-trailer-metaOff > 64<<20 {
		return nil, errors.New("seek index: bad metadata offset")
	}
	meta := make([]byte, size-trailer-metaOff)
	if _, err := f.ReadAt(meta, metaOff); err != nil {
		return nil, err
	}
	var ix Index
	if err := json.Unmarshal(meta, &ix); err != nil {
		return nil, fmt.Errorf("seek index: %w", err)
	}
	if ix.Key != key || ix.Version != formatVersion || len(ix.Points) == 0 {
		return nil, errors.New("seek index: stale")
	}
	for i, p := range ix.Points {
		if p.SnapOff < int64(len(magicHead)) || p.SnapLen <= 0 || p.SnapOff+p.SnapLen > metaOff ||
			(i > 0 && p.Time < ix.Points[i-1].Time) {
			return nil, errors.New("seek index: bad point")
		}
	}
	ix.file, ix.snap = file, f
	ok = true
	return &ix, nil
}

// Close releases the index file.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.snap != nil {
		err := ix.snap.Close()
		ix.snap = nil
		return err
	}
	return nil
}

// snapshot reads the snapshot of point i.
func (ix *Index) snapshot(i int) (*vt.Snapshot, error) {
	p := ix.Points[i]
	var b []byte
	if ix.mem != nil {
		b = ix.mem[p.SnapOff]
	} else {
		ix.mu.Lock()
		if ix.snap == nil {
			f, err := recording.OpenFile(ix.file)
			if err != nil {
				ix.mu.Unlock()
				return nil, err
			}
			ix.snap = f
		}
		ix.mu.Unlock()
		b = make([]byte, p.SnapLen)
		if _, err := ix.snap.ReadAt(b, p.SnapOff); err != nil {
			return nil, fmt.Errorf("seek index %s: %w", ix.file, err)
		}
	}
	if crc32.Checksum(b, castagnoli) != p.CRC {
		return nil, fmt.Errorf("seek index %s: snapshot %d is corrupt (checksum); delete the file to rebuild it", ix.file, i)
	}
	var s vt.Snapshot
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("seek index %s: %w", ix.file, err)
	}
	return &s, nil
}

// pointBefore returns the last point whose time is at or before t. Points
// at the same time keep the earliest, so that every event at t is replayed
// after it... except those already applied: Position counts them.
func (ix *Index) pointBefore(t time.Duration) int {
	i := sort.Search(len(ix.Points), func(i int) bool { return ix.Points[i].Time > t })
	return max(i-1, 0)
}

// Playback is a terminal and a reader positioned at some moment of a
// recording: Advance moves it forward.
type Playback struct {
	Term *vt.Terminal
	// Time is the time of the last event applied.
	Time time.Duration
	rd   *recording.Reader
	next *recording.Event
	done bool
	err  error // the damage that ended the recording early, if reached
}

// Err returns the reading error that ended a damaged recording, once
// playback has reached it (Term then shows the screen before the damage).
func (pb *Playback) Err() error { return pb.err }

// Open returns a Playback at time t: every event at or before t applied.
// In a damaged recording, a t past the damage gives the screen before it,
// with the damage in pb.Err().
func (ix *Index) Open(t time.Duration) (*Playback, error) {
	i := ix.pointBefore(t)
	p := ix.Points[i]
	snap, err := ix.snapshot(i)
	if err != nil {
		return nil, err
	}
	term := vt.New(ix.Cols, ix.Rows)
	term.Restore(snap)
	var rd *recording.Reader
	if ix.Seekable {
		if rd, err = recording.OpenAt(ix.Recording, ix.hdr, p.Pos); err != nil {
			return nil, err
		}
	} else {
		if rd, err = recording.Open(ix.Recording, ix.opt.Rec); err != nil {
			return nil, err
		}
		for n := int64(0); n < p.Pos.Events; n++ {
			if _, err := rd.Next(); err != nil && !recording.Fatal(err) {
				n-- // a bad line, skipped as the build did
			} else if err != nil {
				rd.Close()
				if err == io.EOF {
					err = errors.New("recording is shorter than its index")
				}
				return nil, fmt.Errorf("seek %s: %w", ix.Recording, err)
			}
		}
	}
	pb := &Playback{Term: term, Time: p.Time, rd: rd}
	if err := pb.Advance(t); err != nil && pb.err == nil {
		pb.Close()
		return nil, err
	}
	return pb, nil
}

// Advance applies every event up to and including time t. Bad lines are
// skipped (Index.Damage lists them); a Break ends the playback, with the
// error returned and kept in Err.
func (pb *Playback) Advance(t time.Duration) error {
	for !pb.done {
		if pb.next == nil {
			ev, err := pb.rd.Next()
			if err == io.EOF {
				pb.done = true
				return nil
			}
			if err != nil && !recording.Fatal(err) {
				continue
			}
			if err != nil {
				var ie *audit.InputError
				if errors.As(err, &ie) {
					pb.err, pb.done = err, true // damaged: the screen stays as it was before
				}
				return err
			}
			pb.next = &ev
		}
		if pb.next.Time > t {
			return nil
		}
		Apply(pb.Term, pb.next)
		pb.Time = pb.next.Time
		pb.next = nil
	}
	return nil
}

// Next returns the time of the next event not applied yet (reading it
// ahead); false at the end or at a damage.
func (pb *Playback) Next() (time.Duration, bool) {
	for pb.next == nil && !pb.done {
		ev, err := pb.rd.Next()
		if err != nil && err != io.EOF && !recording.Fatal(err) {
			continue
		}
		if err != nil {
			var ie *audit.InputError
			if errors.As(err, &ie) {
				pb.err = err
			}
			pb.done = true
			return 0, false
		}
		pb.next = &ev
	}
	if pb.next == nil {
		return 0, false
	}
	return pb.next.Time, true
}

// Done reports whether every event has been applied.
func (pb *Playback) Done() bool { return pb.done }

// Close releases the recording.
func (pb *Playback) Close() error { return pb.rd.Close() }

// evict removes the least recently used index files of dir (never keep)
// while the directory holds more than MaxCacheBytes.
func evict(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type item struct {
		path string
		size int64
		used time.Time
	}
	var items []item
	var total int64
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".idx") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		items = append(items, item{filepath.Join(dir, e.Name()), info.Size(), info.ModTime()})
		total += info.Size()
	}
	sort.Slice(items, func(i, j int) bool { return items[i].used.Before(items[j].used) })
	for _, it := range items {
		if total <= MaxCacheBytes {
			break
		}
		if it.path == keep {
			continue
		}
		if os.Remove(it.path) == nil {
			total -= it.size
		}
	}
}
