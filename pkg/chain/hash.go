package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math"
	"slices"
)

// Hash is a SHA-256 digest.
type Hash [32]byte

// String is the hash in hex.
func (h Hash) String() string { return fmt.Sprintf("%x", h[:]) }

// Row kinds: the first byte of a row's canonical encoding, so that an event
// and a session can never hash alike.
const (
	KindEvent   byte = 'e'
	KindSession byte = 's'
)

// Value tags of the canonical encoding.
const (
	tagNull  byte = 0
	tagInt   byte = 1
	tagText  byte = 2
	tagFloat byte = 3
	tagBool  byte = 4
)

// RowHasher computes row hashes. Not safe for concurrent use: one per
// goroutine.
type RowHasher struct {
	h   hash.Hash
	buf []byte
}

// NewRowHasher returns a RowHasher.
func NewRowHasher() *RowHasher { return &RowHasher{h: sha256.New(), buf: make([]byte, 0, 4096)} }

// Sum returns the hash of a row of the given kind whose stored columns hold
// vals, in the table's column order (the key excluded). The encoding is
// canonical: "v1", the kind, the number of values, then each value as a tag
// byte and its bytes (an integer as 8 bytes big-endian, a float as its IEEE
// bits, text and blobs as a uvarint length and the bytes, NULL as the tag
// alone). Values are what the database driver stores and returns: nil,
// int64 (or another integer type), float64, bool, string or []byte.
func (r *RowHasher) Sum(kind byte, vals ...any) Hash {
	b := append(r.buf[:0], 'v', '1', kind)
	b = binary.AppendUvarint(b, uint64(len(vals)))
	for _, v := range vals {
		b = appendValue(b, v)
	}
	r.buf = b[:0]
	r.h.Reset()
	r.h.Write(b)
	var out Hash
	r.h.Sum(out[:0])
	if cap(b) > 1<<20 {
		r.buf = make([]byte, 0, 4096) // do not keep a huge row's buffer
	}
	return out
}

// Begin starts a row of the given kind and number of values without
// boxing them (the import's hot path): call Text, Int or Null once per
// value, in column order, then End. The bytes are those Sum encodes.
func (r *RowHasher) Begin(kind byte, n int) {
	r.h.Reset()
	r.buf = binary.AppendUvarint(append(r.buf[:0], 'v', '1', kind), uint64(n))
}

// directBytes: a value at least this long is hashed where it lies, after
// the bytes gathered before it, instead of being copied behind them (a
// document of a kilobyte or more; the hashed bytes are the same).
const directBytes = 256

// Text adds a text value.
func (r *RowHasher) Text(s string) {
	r.buf = binary.AppendUvarint(append(r.buf, tagText), uint64(len(s)))
	r.buf = append(r.buf, s...)
}

// Bytes adds a text value held in a byte slice.
func (r *RowHasher) Bytes(b []byte) {
	r.buf = binary.AppendUvarint(append(r.buf, tagText), uint64(len(b)))
	if len(b) >= directBytes {
		r.h.Write(r.buf)
		r.h.Write(b)
		r.buf = r.buf[:0]
		return
	}
	r.buf = append(r.buf, b...)
}

// Int adds an integer value.
func (r *RowHasher) Int(i int64) {
	r.buf = binary.BigEndian.AppendUint64(append(r.buf, tagInt), uint64(i))
}

// Float adds a floating-point value.
func (r *RowHasher) Float(f float64) {
	r.buf = binary.BigEndian.AppendUint64(append(r.buf, tagFloat), math.Float64bits(f))
}

// Null adds a NULL.
func (r *RowHasher) Null() { r.buf = append(r.buf, tagNull) }

// End returns the hash of the row begun with Begin.
func (r *RowHasher) End() Hash {
	r.h.Write(r.buf)
	var out Hash
	r.h.Sum(out[:0])
	if cap(r.buf) > 1<<20 {
		r.buf = make([]byte, 0, 4096)
	} else {
		r.buf = r.buf[:0]
	}
	return out
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, tagNull)
	case int64:
		return binary.BigEndian.AppendUint64(append(b, tagInt), uint64(x))
	case int:
		return binary.BigEndian.AppendUint64(append(b, tagInt), uint64(x))
	case int32:
		return binary.BigEndian.AppendUint64(append(b, tagInt), uint64(x))
	case bool:
		// SQLite stores a bool as the integer 0 or 1 and returns it so.
		var i uint64
		if x {
			i = 1
		}
		return binary.BigEndian.AppendUint64(append(b, tagInt), i)
	case float64:
		return binary.BigEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x))
	case string:
		b = binary.AppendUvarint(append(b, tagText), uint64(len(x)))
		return append(b, x...)
	case []byte:
		// Text and blobs encode alike: the bytes are what counts.
		b = binary.AppendUvarint(append(b, tagText), uint64(len(x)))
		return append(b, x...)
	default:
		panic(fmt.Sprintf("chain: cannot encode %T", v))
	}
}

// SegmentRows is how many rows of a batch, in ingest order, form one
// segment.
const SegmentRows = 4096

// Entry is one row of a segment: its key and its row hash. An event's key
// is its integer primary key; a session's key is 0 (sessions are sealed one
// by one, see SessionDigest).
type Entry struct {
	Key  int64
	Hash Hash
}

// Segment is what a batch record says about one of its segments.
type Segment struct {
	Rows   int
	Lo, Hi int64 // the smallest and largest key
	Digest Hash
}

// SegmentHasher computes a segment digest from its entries given in key
// order: SHA-256("seg1", then each key as 8 bytes big-endian followed by its
// row hash).
type SegmentHasher struct {
	h    hash.Hash
	buf  [40]byte
	Rows int
	Lo   int64
	Hi   int64
}

// NewSegmentHasher starts a segment digest.
func NewSegmentHasher() *SegmentHasher {
	s := &SegmentHasher{h: sha256.New()}
	s.h.Write([]byte("seg1"))
	return s
}

// Add adds the next entry (keys must come in increasing order).
func (s *SegmentHasher) Add(key int64, h *Hash) {
	binary.BigEndian.PutUint64(s.buf[:8], uint64(key))
	copy(s.buf[8:], h[:])
	s.h.Write(s.buf[:])
	if s.Rows == 0 {
		s.Lo = key
	}
	s.Hi = key
	s.Rows++
}

// Sum returns the segment.
func (s *SegmentHasher) Sum() Segment {
	seg := Segment{Rows: s.Rows, Lo: s.Lo, Hi: s.Hi}
	s.h.Sum(seg.Digest[:0])
	return seg
}

// SegmentOf computes the segment of entries given in any order (it sorts
// them).
func SegmentOf(entries []Entry) Segment {
	slices.SortFunc(entries, func(a, b Entry) int {
		switch {
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	s := NewSegmentHasher()
	for i := range entries {
		s.Add(entries[i].Key, &entries[i].Hash)
	}
	return s.Sum()
}

// Batch accumulates the rows of one write batch (an import, a sync slice)
// in ingest order, cutting a segment every SegmentRows rows. Memory is
// bounded by one segment.
type Batch struct {
	ID       int64 // written beside each row (chain_rows.batch)
	pending  []Entry
	segments []Segment
	rows     int
	lo, hi   int64
}

// NewBatch starts a batch with this id (unique among the cache's batches).
func NewBatch(id int64) *Batch {
	return &Batch{ID: id, pending: make([]Entry, 0, 256)}
}

// Add adds a row and returns the number of the segment it belongs to
// (written beside the row: chain_rows.seg).
func (b *Batch) Add(key int64, h Hash) int {
	seg := len(b.segments)
	if b.rows == 0 || key < b.lo {
		b.lo = key
	}
	if b.rows == 0 || key > b.hi {
		b.hi = key
	}
	b.pending = append(b.pending, Entry{key, h})
	b.rows++
	if len(b.pending) == SegmentRows {
		b.segments = append(b.segments, SegmentOf(b.pending))
		b.pending = b.pending[:0]
	}
	return seg
}

// Rows is how many rows were added.
func (b *Batch) Rows() int { return b.rows }

// NextSeg is the segment the next row added will belong to.
func (b *Batch) NextSeg() int { return len(b.segments) }

// Bounds are the smallest and largest key added.
func (b *Batch) Bounds() (lo, hi int64) { return b.lo, b.hi }

// Rebuild replaces the batch's segments with segs (recomputed from the
// stored rows: some of its rows were sealed by another batch meanwhile).
func (b *Batch) Rebuild(segs []Segment) {
	b.pending, b.segments, b.rows = b.pending[:0], segs, 0
	for _, s := range segs {
		b.rows += s.Rows
	}
}

// Segments closes the last segment and returns them all.
func (b *Batch) Segments() []Segment {
	if len(b.pending) > 0 {
		b.segments = append(b.segments, SegmentOf(b.pending))
		b.pending = b.pending[:0]
	}
	return b.segments
}

func sumBytes(b []byte) Hash { return sha256.Sum256(b) }
