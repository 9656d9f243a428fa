package vt

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/auditctl/auditctl/internal/termgen"
)

type stream struct {
	name       string
	cols, rows int
	ops        []op
}

func generatedStreams() []stream {
	var out []stream
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		out = append(out, stream{name: "random", cols: 1 + r.IntN(90), rows: 1 + r.IntN(30), ops: randomOps(r, 20000)})
	}
	for _, g := range termgen.All {
		p := g.Gen(termgen.Gen{Cols: 80, Rows: 24}, 64<<10, 7)
		out = append(out, stream{name: g.Name, cols: 80, rows: 24, ops: []op{{data: p}}})
	}
	for seed := uint64(1); seed <= 5; seed++ {
		s := termgen.Resizes(seed)
		st := stream{name: "Resizes", cols: s.Cols, rows: s.Rows}
		for _, c := range s.Chunks {
			st.ops = append(st.ops, op{data: c.Data, cols: c.Cols, rows: c.Rows})
		}
		out = append(out, st)
	}
	return out
}

func allStreams(t *testing.T) []stream {
	out := generatedStreams()
	for _, rec := range loadRecordingsOrNil(t) {
		out = append(out, stream{name: rec.name, cols: rec.cols, rows: rec.rows, ops: rec.ops})
	}
	return out
}

func loadRecordingsOrNil(t *testing.T) []recOps {
	var recs []recOps
	t.Run("load", func(t *testing.T) { recs = loadRecordings(t) })
	return recs
}

// cut splits ops at op i, byte k.
func cut(ops []op, i, k int) (before, after []op) {
	before = append(before, ops[:i]...)
	if i < len(ops) {
		o := ops[i]
		if o.cols > 0 {
			before = append(before, o)
		} else {
			before = append(before, op{data: o.data[:k]})
			after = append(after, op{data: o.data[k:]})
		}
		after = append(after, ops[i+1:]...)
	}
	return before, after
}

func TestSnapshotReplay(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range allStreams(t) {
		full := New(s.cols, s.rows)
		apply(full, s.ops)
		if err := checkInvariants(full); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if len(s.ops) == 0 {
			continue
		}
		// Short streams: a cut after every op and inside each one; long
		// ones: 8 random cuts.
		type cutAt struct{ i, k int }
		var cuts []cutAt
		if len(s.ops) <= 200 && !testing.Short() {
			for i, o := range s.ops {
				cuts = append(cuts, cutAt{i, 0})
				if len(o.data) > 1 {
					cuts = append(cuts, cutAt{i, 1 + r.IntN(len(o.data)-1)})
				}
			}
		} else {
			for c := 0; c < 8; c++ {
				i := r.IntN(len(s.ops))
				k := 0
				if n := len(s.ops[i].data); n > 0 {
					k = r.IntN(n + 1)
				}
				cuts = append(cuts, cutAt{i, k})
			}
		}
		for _, ct := range cuts {
			i, k := ct.i, ct.k
			before, after := cut(s.ops, i, k)
			a := New(s.cols, s.rows)
			apply(a, before)
			snap := a.Snapshot()
			bin, err := snap.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}

			// The original keeps going: the snapshot must not share state.
			apply(a, after)
			if d := diff(a, full, true); d != "" {
				t.Fatalf("%s cut %d/%d: continuing after Snapshot: %s", s.name, i, k, d)
			}

			b := New(3, 3)
			for round := 0; round < 2; round++ { // a snapshot can be restored twice
				b.Restore(snap)
				apply(b, after)
				if d := diff(b, full, true); d != "" {
					t.Fatalf("%s cut %d/%d round %d: restore+replay differs: %s", s.name, i, k, round, d)
				}
			}

			var dec Snapshot
			if err := dec.UnmarshalBinary(bin); err != nil {
				t.Fatalf("%s cut %d/%d: unmarshal: %v", s.name, i, k, err)
			}
			bin2, _ := dec.MarshalBinary()
			if !bytes.Equal(bin, bin2) {
				t.Fatalf("%s cut %d/%d: marshal not stable", s.name, i, k)
			}
			d := New(s.cols+5, 2)
			d.Restore(&dec)
			apply(d, after)
			if df := diff(d, full, false); df != "" {
				t.Fatalf("%s cut %d/%d: unmarshal+restore+replay differs: %s", s.name, i, k, df)
			}
		}
	}
}

func TestSplitWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range allStreams(t) {
		full := New(s.cols, s.rows)
		apply(full, s.ops)
		for round := 0; round < 3; round++ {
			split := New(s.cols, s.rows)
			for _, o := range s.ops {
				if o.cols > 0 {
					split.Resize(o.cols, o.rows)
					continue
				}
				p := o.data
				for len(p) > 0 {
					n := min(len(p), 1+r.IntN(1<<(1+2*round)))
					split.Write(p[:n])
					p = p[n:]
				}
			}
			if d := diff(split, full, true); d != "" {
				t.Fatalf("%s round %d: split writes differ: %s", s.name, round, d)
			}
		}
		// Byte at a time.
		one := New(s.cols, s.rows)
		for _, o := range s.ops {
			if o.cols > 0 {
				one.Resize(o.cols, o.rows)
				continue
			}
			for i := range o.data {
				one.Write(o.data[i : i+1])
			}
		}
		if d := diff(one, full, true); d != "" {
			t.Fatalf("%s: byte-at-a-time writes differ: %s", s.name, d)
		}
	}
}

func TestInvariantsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 200; i++ {
		term := New(1+r.IntN(40), 1+r.IntN(15))
		for _, o := range randomOps(r, 3000) {
			if o.cols > 0 {
				term.Resize(o.cols, o.rows)
			} else {
				term.Write(o.data)
			}
			if err := checkInvariants(term); err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
		}
	}
}
