package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRowHashIsCanonical(t *testing.T) {
	rh := NewRowHasher()
	base := rh.Sum(KindEvent, "a", "bc", nil, int64(1))
	for name, other := range map[string]Hash{
		"moved boundary":  rh.Sum(KindEvent, "ab", "c", nil, int64(1)),
		"null vs empty":   rh.Sum(KindEvent, "a", "bc", "", int64(1)),
		"int vs text":     rh.Sum(KindEvent, "a", "bc", nil, "1"),
		"other kind":      rh.Sum(KindSession, "a", "bc", nil, int64(1)),
		"one value more":  rh.Sum(KindEvent, "a", "bc", nil, int64(1), nil),
		"float vs int":    rh.Sum(KindEvent, "a", "bc", nil, float64(1)),
		"other int":       rh.Sum(KindEvent, "a", "bc", nil, int64(2)),
		"trailing nul":    rh.Sum(KindEvent, "a", "bc\x00", nil, int64(1)),
		"changed byte":    rh.Sum(KindEvent, "a", "bd", nil, int64(1)),
		"values swapped":  rh.Sum(KindEvent, "bc", "a", nil, int64(1)),
		"null moved":      rh.Sum(KindEvent, "a", nil, "bc", int64(1)),
		"negative number": rh.Sum(KindEvent, "a", "bc", nil, int64(-1)),
	} {
		if other == base {
			t.Errorf("%s: same hash", name)
		}
	}
	// The same values as the driver returns them hash alike.
	if rh.Sum(KindEvent, "a", []byte("bc"), nil, 1) != base || rh.Sum(KindEvent, "a", "bc", nil, true) != base {
		t.Error("string/[]byte or int/int64/bool encode differently")
	}
}

func TestSegmentOrderFree(t *testing.T) {
	var es []Entry
	for i := range 100 {
		es = append(es, Entry{Key: int64((i * 37) % 100), Hash: sumBytes([]byte{byte(i)})})
	}
	a := SegmentOf(append([]Entry(nil), es...))
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	if b := SegmentOf(es); a != b || a.Rows != 100 || a.Lo != 0 || a.Hi != 99 {
		t.Fatalf("segments differ or wrong: %+v %+v", a, b)
	}
	es[5].Hash[0] ^= 1
	if SegmentOf(es) == a {
		t.Fatal("a changed hash left the segment digest alone")
	}
}

func TestBatchCutsSegments(t *testing.T) {
	b := NewBatch(7)
	for i := range SegmentRows*2 + 10 {
		if seg := b.Add(int64(1000000-i), Hash{byte(i)}); seg != i/SegmentRows {
			t.Fatalf("row %d in segment %d", i, seg)
		}
	}
	segs := b.Segments()
	if len(segs) != 3 || segs[0].Rows != SegmentRows || segs[2].Rows != 10 || b.Rows() != SegmentRows*2+10 {
		t.Fatalf("%d segments %+v", len(segs), segs)
	}
	got, err := DecodeBatchBody(BatchBody(segs))
	if err != nil || len(got) != 3 || got[2] != segs[2] {
		t.Fatalf("round trip: %v %+v", err, got)
	}
}

func TestVerifierChain(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pub := key.Public().(ed25519.PublicKey)
	b := NewBatch(1)
	h := Hash{1}
	b.Add(10, h)
	b.Add(20, h)
	segs := b.Segments()
	recs := []*Record{
		{Seq: 1, Kind: RecordBatch, Batch: 1, Rows: 2, Body: BatchBody(segs)},
		{Seq: 2, Kind: RecordSession, Rows: 1, Body: SessionBody("s1", Hash{2})},
	}
	kept := SegmentOf([]Entry{{20, h}})
	cp := &Checkpoint{PublicKey: pub, Reason: "test", Segments: []SegmentChange{{Batch: 1, Seg: 0, Segment: kept}}, Sessions: []string{"s1"}}
	recs = append(recs, &Record{Seq: 3, Kind: RecordCheckpoint, Rows: 2, Body: cp.Body()})
	var prev Hash
	for _, r := range recs {
		r.Seal(prev, key)
		prev = r.Link
	}
	walk := func(trusted ed25519.PublicKey, rows ...Entry) []Finding {
		v := NewVerifier(trusted)
		for _, r := range recs {
			v.Record(r)
		}
		for _, e := range rows {
			v.Row(e.Key, 1, 0, &e.Hash, func() string { return "row" })
		}
		v.FinishSessions()
		return v.Finish()
	}
	if f := walk(pub, Entry{20, h}); len(f) != 0 {
		t.Fatalf("clean chain: %+v", f)
	}
	if f := walk(pub, Entry{10, h}, Entry{20, h}); len(f) != 1 || f[0].Problem != Inserted {
		t.Fatalf("a deleted row back: %+v", f)
	}
	if f := walk(pub); len(f) != 1 || f[0].Problem != Deleted {
		t.Fatalf("the kept row gone: %+v", f)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if f := walk(other, Entry{20, h}); len(f) == 0 || !strings.Contains(f[0].Detail, "not by the trusted key") {
		t.Fatalf("another trusted key: %+v", f)
	}
	recs[1].Body = SessionBody("s2", Hash{2})
	if f := walk(pub, Entry{20, h}); len(f) == 0 || !strings.Contains(f[0].Detail, "does not match its digest") {
		t.Fatalf("an edited body: %+v", f)
	}
}

func TestKeyCreatedPrivateAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cfg", "auditctl")
	path := filepath.Join(dir, KeyFile)
	k1, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v (%v)", p, fi.Mode().Perm(), want, err)
		}
	}
	k2, created, err := LoadOrCreateKey(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("reuse: %v %v", created, err)
	}
	pub, err := LoadPublicKey(filepath.Join(dir, PublicKeyFile))
	if err != nil || !pub.Equal(k1.Public()) {
		t.Fatalf("public key: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadKey(path); err == nil || !strings.Contains(err.Error(), "lets others read") {
		t.Fatalf("a key others can read: %v", err)
	}
	os.Chmod(path, 0o600)
	link := filepath.Join(dir, "link.key")
	os.Symlink(path, link)
	if _, err := LoadKey(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("a key through a link: %v", err)
	}
}

func TestManifestSignature(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.ndjson"), []byte("{}\n"), 0o600)
	sum, n, _ := FileHash(filepath.Join(dir, "x.ndjson"))
	m := &Manifest{Version: 1, File: "x.ndjson", SHA256: sum, Bytes: n, Events: 1, Filter: ManifestFilter{Args: []string{}}}
	if err := m.Sign(key); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	WriteManifest(&buf, m)
	mp := filepath.Join(dir, "x.ndjson"+ManifestSuffix)
	os.WriteFile(mp, buf.Bytes(), 0o600)
	back, err := ReadManifest(mp)
	if err != nil {
		t.Fatal(err)
	}
	if p := CheckManifest(mp, back, key.Public().(ed25519.PublicKey)); len(p) != 0 {
		t.Fatalf("clean manifest: %v", p)
	}
	back.Events = 2
	if p := CheckManifest(mp, back, nil); len(p) != 1 || !strings.Contains(p[0], "signature") {
		t.Fatalf("edited manifest: %v", p)
	}
	for _, bad := range []string{`{"version":1,"file":"../etc/passwd"}`, `{"version":2,"file":"x"}`, `{"version":1,"file":"x","extra":1}`, `[]`} {
		if _, err := ParseManifest("m", []byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestBeginEndEqualsSum(t *testing.T) {
	rh := NewRowHasher()
	want := rh.Sum(KindEvent, "src", "id", int64(-5), nil, "", []byte("x"))
	rh.Begin(KindEvent, 6)
	rh.Text("src")
	rh.Text("id")
	rh.Int(-5)
	rh.Null()
	rh.Text("")
	rh.Text("x")
	if got := rh.End(); got != want {
		t.Fatal("Begin…End and Sum encode differently")
	}
}

// TestBeginEndLongValues: values long enough to be hashed where they lie
// (directBytes), first, between short ones, last and one after another,
// give the hash Sum gives.
func TestBeginEndLongValues(t *testing.T) {
	rh := NewRowHasher()
	for _, n := range []int{directBytes - 1, directBytes, directBytes + 1, 1000, 64*50 + 13} {
		long := make([]byte, n)
		for i := range long {
			long[i] = byte(i*7 + n)
		}
		for _, vals := range [][]any{
			{long},
			{long, "a", int64(1)},
			{"a", long, nil, long, "b"},
			{int64(3), nil, long},
			{long, long},
		} {
			want := rh.Sum(KindEvent, vals...)
			rh.Begin(KindEvent, len(vals))
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					rh.Bytes(x)
				case string:
					rh.Text(x)
				case int64:
					rh.Int(x)
				case nil:
					rh.Null()
				}
			}
			if got := rh.End(); got != want {
				t.Fatalf("%d-byte values %d: Begin…End and Sum differ", n, len(vals))
			}
		}
	}
}
