package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"sort"
)

// Problems a Finding reports.
const (
	Changed  = "changed"  // a row's content differs from what was sealed
	Inserted = "inserted" // a row that was never sealed
	Deleted  = "deleted"  // a sealed row is gone, and no checkpoint says why
	Broken   = "broken"   // the chain itself: a record, link, segment or signature that does not hold
)

func detail(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// Finding is one thing verification found wrong.
type Finding struct {
	Table   string `json:"table"`   // events, sessions or chain
	Row     string `json:"row"`     // which row: "source/id (key K)", a session id, "record N", "batch B segment S"
	Problem string `json:"problem"` // Changed, Inserted, Deleted or Broken
	Detail  string `json:"detail"`
}

type segKey struct {
	batch int64
	seg   int
}

type segState struct {
	want Segment
	seq  int64 // the record that set it
	got  *SegmentHasher
}

type sessionState struct {
	hash Hash
	seq  int64
}

// Verifier walks a chain: the store feeds it the records in seq order
// (Record), then every sealed row in key order (Row), then calls Finish.
// It holds one small state per segment and per session, not per row.
type Verifier struct {
	// TrustedKey, when set, is the only key a checkpoint may be signed
	// with; else a checkpoint is checked against the key it carries (which
	// proves only that the checkpoint was not altered afterwards).
	TrustedKey ed25519.PublicKey

	Findings    []Finding
	Records     int64
	Checkpoints int64
	// Unvouched counts the checkpoints checked only against the key they
	// carry (no TrustedKey).
	Unvouched int64
	// HeadSeq and Head are the last record's seq and link.
	HeadSeq int64
	Head    Hash

	segs     map[segKey]*segState
	batches  map[int64]int64 // batch id -> seq of its record
	sessions map[string]sessionState
	prev     Hash
}

// NewVerifier returns a Verifier.
func NewVerifier(trusted ed25519.PublicKey) *Verifier {
	return &Verifier{TrustedKey: trusted, segs: map[segKey]*segState{}, batches: map[int64]int64{}, sessions: map[string]sessionState{}}
}

// Add records a finding.
func (v *Verifier) Add(table, row, problem, format string, args ...any) {
	v.Findings = append(v.Findings, Finding{Table: table, Row: row, Problem: problem, Detail: fmt.Sprintf(format, args...)})
}

// Record checks the next record and takes in what it seals.
func (v *Verifier) Record(r *Record) {
	v.Records++
	row := fmt.Sprintf("record %d", r.Seq)
	if r.Seq != v.HeadSeq+1 {
		v.Add("chain", row, Broken, "records %d to %d are missing", v.HeadSeq+1, r.Seq-1)
	}
	if sha256.Sum256(r.Body) != r.Digest {
		v.Add("chain", row, Broken, "the %s record's body does not match its digest", r.Kind)
	}
	if r.ComputeLink(v.prev) != r.Link {
		v.Add("chain", row, Broken, "the link does not follow from the previous record and this one's fields")
	}
	v.prev, v.HeadSeq, v.Head = r.Link, r.Seq, r.Link
	switch r.Kind {
	case RecordBatch:
		segs, err := DecodeBatchBody(r.Body)
		if err != nil {
			v.Add("chain", row, Broken, "batch %d: %v", r.Batch, err)
			return
		}
		if _, dup := v.batches[r.Batch]; dup {
			v.Add("chain", row, Broken, "batch %d is sealed twice", r.Batch)
		}
		v.batches[r.Batch] = r.Seq
		n := 0
		for i, s := range segs {
			v.segs[segKey{r.Batch, i}] = &segState{want: s, seq: r.Seq}
			n += s.Rows
		}
		if int64(n) != r.Rows {
			v.Add("chain", row, Broken, "batch %d says %d rows, its segments %d", r.Batch, r.Rows, n)
		}
	case RecordSession:
		id, h, err := DecodeSessionBody(r.Body)
		if err != nil {
			v.Add("chain", row, Broken, "session record: %v", err)
			return
		}
		v.sessions[id] = sessionState{hash: h, seq: r.Seq}
	case RecordCheckpoint:
		v.Checkpoints++
		c, err := DecodeCheckpoint(r.Body)
		if err != nil {
			v.Add("chain", row, Broken, "%v", err)
			return
		}
		switch {
		case v.TrustedKey != nil && !c.PublicKey.Equal(v.TrustedKey):
			v.Add("chain", row, Broken, "checkpoint signed by key %s, not by the trusted key %s", Fingerprint(c.PublicKey), Fingerprint(v.TrustedKey))
			return
		case !r.VerifySig(c.PublicKey):
			v.Add("chain", row, Broken, "checkpoint signature does not verify (key %s)", Fingerprint(c.PublicKey))
			return
		}
		if v.TrustedKey == nil {
			v.Unvouched++
		}
		for _, ch := range c.Segments {
			k := segKey{ch.Batch, ch.Seg}
			if _, ok := v.segs[k]; !ok {
				v.Add("chain", row, Broken, "checkpoint changes batch %d segment %d, which no record sealed", ch.Batch, ch.Seg)
				continue
			}
			if ch.Rows == 0 {
				delete(v.segs, k)
			} else {
				v.segs[k] = &segState{want: ch.Segment, seq: r.Seq}
			}
		}
		for _, id := range c.Sessions {
			delete(v.sessions, id)
		}
	default:
		v.Add("chain", row, Broken, "unknown record kind %q", r.Kind)
	}
}

// Sealed reports whether a record sealed this batch.
func (v *Verifier) Sealed(batch int64) bool {
	_, ok := v.batches[batch]
	return ok
}

// Row takes in one sealed row (from the side table of row hashes), in key
// order. name says which row it is, for a finding.
func (v *Verifier) Row(key, batch int64, seg int, h *Hash, name func() string) {
	s, ok := v.segs[segKey{batch, seg}]
	if !ok {
		if _, sealed := v.batches[batch]; sealed {
			// A checkpoint removed the segment: the row should be gone.
			v.Add("events", name(), Inserted, "its segment (batch %d segment %d) was deleted by a checkpoint, yet the row is there", batch, seg)
		} else {
			v.Add("events", name(), Inserted, "its hash names batch %d, which no record sealed", batch)
		}
		return
	}
	if s.got == nil {
		s.got = NewSegmentHasher()
	}
	s.got.Add(key, h)
}

// Finish compares every segment with what its rows give, and returns the
// findings sorted by table and row.
func (v *Verifier) Finish() []Finding {
	keys := make([]segKey, 0, len(v.segs))
	for k := range v.segs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].batch != keys[j].batch {
			return keys[i].batch < keys[j].batch
		}
		return keys[i].seg < keys[j].seg
	})
	for _, k := range keys {
		s := v.segs[k]
		if s.got == nil {
			s.got = NewSegmentHasher()
		}
		got := s.got.Sum()
		row := fmt.Sprintf("batch %d segment %d (record %d)", k.batch, k.seg, s.seq)
		switch {
		case got.Rows < s.want.Rows:
			v.Add("events", row, Deleted, "%d of its %d sealed rows are gone with their hashes (keys %d..%d)", s.want.Rows-got.Rows, s.want.Rows, s.want.Lo, s.want.Hi)
		case got.Rows > s.want.Rows:
			v.Add("events", row, Inserted, "%d rows more than the %d sealed (keys %d..%d)", got.Rows-s.want.Rows, s.want.Rows, s.want.Lo, s.want.Hi)
		case got.Digest != s.want.Digest:
			v.Add("events", row, Changed, "the row hashes of keys %d..%d were altered", s.want.Lo, s.want.Hi)
		}
	}
	return v.Findings
}

// Session compares a session row's hash with the latest sealed for its id.
func (v *Verifier) Session(id string, h Hash) {
	s, ok := v.sessions[id]
	if !ok {
		v.Add("sessions", id, Inserted, "no record sealed this session")
		return
	}
	delete(v.sessions, id)
	if s.hash != h {
		v.Add("sessions", id, Changed, "the row differs from what record %d sealed", s.seq)
	}
}

// FinishSessions reports the sealed sessions that Session never saw.
func (v *Verifier) FinishSessions() {
	ids := make([]string, 0, len(v.sessions))
	for id := range v.sessions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		v.Add("sessions", id, Deleted, "sealed by record %d, the row is gone and no checkpoint says so", v.sessions[id].seq)
	}
}

// Segment returns what the records read so far say segment seg of batch
// holds.
func (v *Verifier) Segment(batch int64, seg int) (Segment, bool) {
	s, ok := v.segs[segKey{batch, seg}]
	if !ok {
		return Segment{}, false
	}
	return s.want, true
}
