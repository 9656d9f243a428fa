package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Record kinds.
const (
	// RecordBatch seals the event rows of one write batch: its body lists
	// the batch's segments.
	RecordBatch = "batch"
	// RecordSession seals one write of one session row: its body holds the
	// session id and the row hash. A later write of the same session
	// supersedes it.
	RecordSession = "session"
	// RecordCheckpoint follows a legitimate deletion: its body says which
	// segments changed and which sessions went, and it is signed.
	RecordCheckpoint = "checkpoint"
)

// Record is one entry of the chain.
type Record struct {
	Seq    int64
	Kind   string
	Batch  int64 // the batch id (RecordBatch), else 0
	Rows   int64 // rows sealed (RecordBatch, RecordSession) or deleted (RecordCheckpoint)
	TimeNS int64 // when it was appended
	Body   []byte
	Digest Hash // SHA-256 of Body
	Link   Hash
	Sig    []byte // RecordCheckpoint: ed25519 signature of Link
}

// ComputeLink returns the link of r after prev: SHA-256 over "link1", prev,
// and r's seq, kind, batch, rows, time and digest.
func (r *Record) ComputeLink(prev Hash) Hash {
	b := make([]byte, 0, 128)
	b = append(b, "link1"...)
	b = append(b, prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = binary.AppendUvarint(b, uint64(len(r.Kind)))
	b = append(b, r.Kind...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Batch))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Rows))
	b = binary.BigEndian.AppendUint64(b, uint64(r.TimeNS))
	b = append(b, r.Digest[:]...)
	return sha256.Sum256(b)
}

// Next makes r the record after the one of seq and link prev: its seq,
// the time now, its digest and link, and a checkpoint's signature with key
// (what each store does to append a record).
func (r *Record) Next(seq int64, prev Hash, key ed25519.PrivateKey) {
	r.Seq = seq + 1
	r.TimeNS = time.Now().UnixNano()
	r.Seal(prev, key)
}

// InsertSQL appends a record to a store's chain table (? placeholders);
// InsertArgs are its arguments.
const InsertSQL = `INSERT INTO chain (seq, kind, batch, rows, time_ns, body, digest, link, sig) VALUES (?,?,?,?,?,?,?,?,?)`

// InsertArgs are InsertSQL's arguments for r (a NULL signature unless a
// checkpoint's).
func (r *Record) InsertArgs() []any {
	var sig any
	if r.Sig != nil {
		sig = r.Sig
	}
	return []any{r.Seq, r.Kind, r.Batch, r.Rows, r.TimeNS, r.Body, r.Digest[:], r.Link[:], sig}
}

// Seal sets r's digest and link after prev, and signs a checkpoint with
// key.
func (r *Record) Seal(prev Hash, key ed25519.PrivateKey) {
	r.Digest = sha256.Sum256(r.Body)
	r.Link = r.ComputeLink(prev)
	if r.Kind == RecordCheckpoint && key != nil {
		r.Sig = ed25519.Sign(key, checkpointMessage(r.Link))
	}
}

func checkpointMessage(link Hash) []byte {
	return append([]byte("auditctl-checkpoint-v1\n"), link[:]...)
}

// VerifySig reports whether r's signature is pub's signature of its link.
func (r *Record) VerifySig(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, checkpointMessage(r.Link), r.Sig)
}

// errBody is the error of a body that does not decode.
var errBody = errors.New("malformed record body")

// BatchBody encodes a batch's segments: "b1", their number, then each
// segment's rows, smallest and largest key, and digest.
func BatchBody(segs []Segment) []byte {
	b := make([]byte, 0, 2+10+len(segs)*(10+16+32))
	b = append(b, 'b', '1')
	b = binary.AppendUvarint(b, uint64(len(segs)))
	for _, s := range segs {
		b = appendSegment(b, s)
	}
	return b
}

func appendSegment(b []byte, s Segment) []byte {
	b = binary.AppendUvarint(b, uint64(s.Rows))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Lo))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Hi))
	return append(b, s.Digest[:]...)
}

// reader decodes bodies.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	// Only the shortest encoding: a body has exactly one form.
	if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
		r.err = errBody
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = errBody
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u64() int64 {
	v := r.bytes(8)
	if v == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func (r *reader) hash() Hash {
	var h Hash
	copy(h[:], r.bytes(32))
	return h
}

// count reads a count of items each at least min bytes long, refusing one
// that the rest of the body cannot hold (so a damaged count allocates
// nothing).
func (r *reader) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.err = errBody
		return 0
	}
	return int(n)
}

func (r *reader) segment() Segment {
	var s Segment
	rows := r.uvarint()
	if rows > 1<<40 {
		r.err = errBody
	}
	s.Rows = int(rows)
	s.Lo, s.Hi = r.u64(), r.u64()
	s.Digest = r.hash()
	return s
}

func (r *reader) magic(m string) {
	if string(r.bytes(len(m))) != m && r.err == nil {
		r.err = errBody
	}
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errBody
	}
	return r.err
}

// DecodeBatchBody decodes BatchBody.
func DecodeBatchBody(body []byte) ([]Segment, error) {
	r := &reader{b: body}
	r.magic("b1")
	n := r.count(49)
	segs := make([]Segment, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		segs = append(segs, r.segment())
	}
	return segs, r.done()
}

// SessionBody encodes one session write: "s1", the id, the row hash.
func SessionBody(id string, h Hash) []byte {
	b := make([]byte, 0, 2+10+len(id)+32)
	b = append(b, 's', '1')
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	return append(b, h[:]...)
}

// DecodeSessionBody decodes SessionBody.
func DecodeSessionBody(body []byte) (id string, h Hash, err error) {
	r := &reader{b: body}
	r.magic("s1")
	id = string(r.bytes(r.count(1)))
	h = r.hash()
	return id, h, r.done()
}

// SegmentChange is what a checkpoint says of one segment: from now on it
// holds Segment (Rows 0: it is gone).
type SegmentChange struct {
	Batch int64
	Seg   int
	Segment
}

// Checkpoint is the body of a checkpoint record.
type Checkpoint struct {
	PublicKey ed25519.PublicKey // the signer's
	Reason    string            // what deleted ("retention: events before 2026-09-07")
	Segments  []SegmentChange
	Sessions  []string // the session ids deleted
}

// Body encodes c: "c1", the public key, the reason, the segment changes
// (batch, segment number, then the segment), the deleted session ids.
func (c *Checkpoint) Body() []byte {
	b := []byte("c1")
	b = binary.AppendUvarint(b, uint64(len(c.PublicKey)))
	b = append(b, c.PublicKey...)
	b = binary.AppendUvarint(b, uint64(len(c.Reason)))
	b = append(b, c.Reason...)
	b = binary.AppendUvarint(b, uint64(len(c.Segments)))
	for _, s := range c.Segments {
		b = binary.BigEndian.AppendUint64(b, uint64(s.Batch))
		b = binary.AppendUvarint(b, uint64(s.Seg))
		b = appendSegment(b, s.Segment)
	}
	b = binary.AppendUvarint(b, uint64(len(c.Sessions)))
	for _, id := range c.Sessions {
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
	}
	return b
}

// DecodeCheckpoint decodes Checkpoint.Body.
func DecodeCheckpoint(body []byte) (*Checkpoint, error) {
	r := &reader{b: body}
	r.magic("c1")
	c := &Checkpoint{}
	c.PublicKey = ed25519.PublicKey(r.bytes(r.count(1)))
	c.Reason = string(r.bytes(r.count(1)))
	n := r.count(58)
	for i := 0; i < n && r.err == nil; i++ {
		var s SegmentChange
		s.Batch = r.u64()
		seg := r.uvarint()
		if seg > 1<<40 {
			r.err = errBody
		}
		s.Seg = int(seg)
		s.Segment = r.segment()
		c.Segments = append(c.Segments, s)
	}
	n = r.count(1)
	for i := 0; i < n && r.err == nil; i++ {
		c.Sessions = append(c.Sessions, string(r.bytes(r.count(1))))
	}
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return c, nil
}
