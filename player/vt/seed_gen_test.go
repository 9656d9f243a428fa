package vt

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/auditctl/auditctl/internal/termgen"
)

func TestWriteSeeds(t *testing.T) {
	if os.Getenv("VT_WRITE_SEEDS") == "" {
		t.Skip()
	}
	write := func(fuzz, name string, args ...[]byte) {
		s := "go test fuzz v1\n"
		for _, a := range args {
			s += fmt.Sprintf("[]byte(%q)\n", a)
		}
		os.WriteFile("testdata/fuzz/"+fuzz+"/"+name, []byte(s), 0o644)
	}
	r := rand.New(rand.NewPCG(11, 12))
	for i := 0; i < 6; i++ {
		write("FuzzWrite", fmt.Sprintf("random-%d", i), randomStream(r, 600), []byte{byte(r.IntN(256)), byte(r.IntN(256)), 0xf5, byte(r.IntN(40))})
	}
	for _, g := range termgen.All {
		p := g.Gen(termgen.Gen{Cols: 20, Rows: 6}, 1500, 3)
		write("FuzzWrite", "termgen-"+g.Name, p[:min(len(p), 2000)], []byte{50, 7, 0xf9, 200})
	}
	for i, in := range []string{
		"\x1b[?1049h\x1b[1;31m中文 e\u0301\x1b[2;4r\x1b(0q\x1b[",
		"\x1b]2;partial",
		"abc\xe4\xb8",
		"\x1b[4h\x1b[?6h\x1b[2;3r\x1b7\x1b[?1049h\x1b8",
	} {
		term := New(12, 4)
		term.WriteString(in)
		b, _ := term.Snapshot().MarshalBinary()
		write("FuzzSnapshot", fmt.Sprintf("snapshot-%d", i), b)
	}
	term := New(30, 8)
	term.Write(termgen.Mixed(20000, 5))
	b, _ := term.Snapshot().MarshalBinary()
	write("FuzzSnapshot", "snapshot-mixed", b)
}
