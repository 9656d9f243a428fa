package vt

import (
	"bytes"
	"testing"
)

// FuzzWrite feeds arbitrary bytes in arbitrary pieces, with resizes: the
// terminal never panics and its invariants hold after every step.
//
// The control string drives the run: each byte picks the size of the next
// write (or, for values >= 0xf0, a resize).
func FuzzWrite(f *testing.F) {
	f.Add([]byte("hello\r\n\x1b[31mred\x1b[m"), []byte{3, 5, 0xf3, 200})
	f.Add([]byte("\x1b[?1049h\x1b[2;5r\x1b[5;1H\n\n\n中文\u0301\x1b[?1049l"), []byte{1, 1, 2, 0xf1, 7})
	f.Add([]byte("\x1b(0lqqk\x0ex\x0f\x1b#8\x1b[4h\xe4\xb8\xad\x1b[3@\x1b[2P"), []byte{0xff, 9})
	f.Add([]byte("\x1b]0;title\a\x1bP1$qm\x1b\\\x1b[38:2::1:2:3m\x1b[5b\xf0\x9f\x98"), []byte{2, 0xf7})
	f.Fuzz(func(t *testing.T, data, ctl []byte) {
		if len(data) > 1<<16 {
			return
		}
		term := New(20, 6)
		i := 0
		for k := 0; i < len(data); k++ {
			c := byte(17)
			if len(ctl) > 0 {
				c = ctl[k%len(ctl)]
			}
			if c >= 0xf0 && k < 64 {
				term.Resize(1+int(c&0x0f)*5, 1+int(c&0x07)*3)
			} else {
				n := min(len(data)-i, 1+int(c))
				term.Write(data[i : i+n])
				i += n
			}
			if err := checkInvariants(term); err != nil {
				t.Fatal(err)
			}
		}
		whole := New(20, 6)
		if len(ctl) == 0 {
			whole.Write(data)
			if d := diff(whole, term, true); d != "" {
				t.Fatal(d)
			}
		}
		// Every read-side method works on whatever state we reached.
		_ = term.Text()
		for y := 0; y < 6; y++ {
			term.AppendRowANSI(nil, y)
			term.RowWrapped(y)
			for x := 0; x < 20; x++ {
				term.Cell(x, y)
			}
		}
		b, err := term.Snapshot().MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var s Snapshot
		if err := s.UnmarshalBinary(b); err != nil {
			t.Fatalf("unmarshal of a real snapshot: %v", err)
		}
	})
}

// FuzzSnapshot decodes arbitrary bytes: UnmarshalBinary never panics, and
// whatever it accepts re-encodes stably and can be restored and written to.
func FuzzSnapshot(f *testing.F) {
	for _, in := range []string{
		"",
		"plain text\r\nmore",
		"\x1b[?1049h\x1b[1;31m中文 e\u0301\x1b[2;4r\x1b(0q\x1b[",
		"\x1b]2;partial title",
		"abc\xe4\xb8",
	} {
		term := New(12, 4)
		term.WriteString(in)
		b, _ := term.Snapshot().MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Snapshot
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		m1, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var s2 Snapshot
		if err := s2.UnmarshalBinary(m1); err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		m2, _ := s2.MarshalBinary()
		if !bytes.Equal(m1, m2) {
			t.Fatal("marshal -> unmarshal -> marshal not stable")
		}
		term := New(3, 3)
		term.Restore(&s)
		if err := checkInvariants(term); err != nil {
			t.Fatal(err)
		}
		term.WriteString("x\x1b[31m中\u0301\r\n\x1b[?1049l\x1b[L\x1b[3@\x1bM")
		term.Resize(7, 2)
		if err := checkInvariants(term); err != nil {
			t.Fatal(err)
		}
		_ = term.Text()
		term.AppendRowANSI(nil, 0)
	})
}
