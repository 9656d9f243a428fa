package chain

import (
	"bytes"
	"testing"
)

// FuzzDecodeBody: record bodies come from the cache, which anyone who can
// write the file controls. No body may panic or allocate beyond its size,
// and what decodes re-encodes to the same bytes.
func FuzzDecodeBody(f *testing.F) {
	f.Add(BatchBody([]Segment{{Rows: 3, Lo: 1, Hi: 9, Digest: Hash{1}}}))
	f.Add(SessionBody("s1", Hash{2}))
	f.Add((&Checkpoint{PublicKey: make([]byte, 32), Reason: "r", Segments: []SegmentChange{{Batch: 1, Seg: 2}}, Sessions: []string{"a"}}).Body())
	f.Add([]byte("b1\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if segs, err := DecodeBatchBody(b); err == nil && !bytes.Equal(BatchBody(segs), b) {
			t.Errorf("batch body does not round-trip")
		}
		if id, h, err := DecodeSessionBody(b); err == nil && !bytes.Equal(SessionBody(id, h), b) {
			t.Errorf("session body does not round-trip")
		}
		if c, err := DecodeCheckpoint(b); err == nil && !bytes.Equal(c.Body(), b) {
			t.Errorf("checkpoint body does not round-trip")
		}
	})
}

// FuzzParseManifest: a manifest is a file an auditor is handed.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"version":1,"file":"a.ndjson","sha256":"00","signature":"x"}`))
	f.Add([]byte(`{"version":1,"file":".."}`))
	f.Add([]byte("{\n\"version\": 1,\n\"file\": 7}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest("m", b)
		if err != nil {
			return
		}
		if m.Version != 1 || m.File == "" || bytes.ContainsAny([]byte(m.File), `/\`) {
			t.Errorf("accepted %+v", m)
		}
		_ = m.VerifySignature()
	})
}
