package vt

import (
	"strings"
	"testing"
)

func run(cols, rows int, in string) *Terminal {
	t := New(cols, rows)
	t.WriteString(in)
	return t
}

// screenText is Text with trailing empty rows dropped.
func screenText(t *Terminal) string {
	return strings.TrimRight(t.Text(), "\n")
}

func TestScreen(t *testing.T) {
	tests := []struct {
		name       string
		cols, rows int
		in         string
		want       string // screen text, trailing empty rows dropped
		col, row   int    // cursor
	}{
		{"plain", 10, 3, "hello", "hello", 5, 0},
		{"crlf", 10, 3, "ab\r\ncd", "ab\ncd", 2, 1},
		{"lf keeps column", 10, 3, "ab\ncd", "ab\n  cd", 4, 1},
		{"autowrap", 5, 3, "abcdefg", "abcde\nfg", 2, 1},
		{"pending wrap", 5, 3, "abcde", "abcde", 4, 0},
		{"pending wrap then cr", 5, 3, "abcde\rX", "Xbcde", 1, 0},
		{"pending wrap then lf keeps it", 5, 4, "abcde\nX", "abcde\n\nX", 1, 2},
		{"pending wrap then bs", 5, 3, "abcde\bX", "abcdX", 4, 0},
		{"pending wrap then EL does nothing", 5, 3, "abcde\x1b[KX", "abcde\nX", 1, 1},
		{"pending wrap then CUB", 5, 3, "abcde\x1b[DX", "abcdX", 4, 0},
		{"pending wrap then CUU", 5, 3, "\nabcde\x1b[AX", "    X\nabcde", 4, 0},
		{"nowrap", 5, 3, "\x1b[?7labcdefg", "abcdg", 4, 0},
		{"nowrap after pending wrap drops", 5, 3, "abcde\x1b[?7lXY", "abcde", 4, 0},
		{"nowrap after pending wrap, ED erases nothing", 5, 3, "abcde\x1b[?7l\x1b[J", "abcde", 4, 0},
		{"nowrap after pending wrap, CR", 5, 3, "abcde\x1b[?7l\rX", "Xbcde", 1, 0},
		{"nowrap wide at end dropped", 5, 3, "\x1b[?7labcd中", "abcd", 4, 0},
		{"scroll", 5, 3, "1\r\n2\r\n3\r\n4", "2\n3\n4", 1, 2},
		{"bs reverse wrap", 5, 3, "abcdefg\b\b\bX", "abcdX\nfg", 4, 0},
		{"bs at col 0", 5, 3, "\bX", "X", 1, 0},
		{"tab", 20, 2, "a\tb\tc", "a       b       c", 17, 0},
		{"tab at end", 10, 2, "a\t\t\tb", "a        b", 9, 0},
		{"HTS TBC", 20, 2, "\x1b[3g\x1b[5G\x1bH\r\tx\tY", "    x              Y", 20 - 1, 0},
		{"TBC 0", 20, 2, "\x1b[9G\x1b[g\r\tx", "                x", 17, 0},
		{"CHT CBT", 30, 2, "\x1b[2Ix\x1b[2Zy", "        y       x", 9, 0},
		{"CUP", 10, 5, "\x1b[3;4Hx", "\n\n   x", 4, 2},
		{"CUP clamp", 10, 5, "\x1b[99;99Hx", "\n\n\n\n         x", 9, 4},
		{"HVP default", 10, 5, "\x1b[3;4H\x1b[fx", "x", 1, 0},
		{"CUU CUD CUF CUB", 10, 5, "\x1b[3;3H\x1b[2A\x1b[3C\x1b[1B\x1b[2Dx", "\n   x", 4, 1},
		{"CNL CPL", 10, 5, "ab\x1b[2Ec\x1b[Fd", "ab\nd\nc", 1, 1},
		{"CHA HPA HPR", 10, 2, "\x1b[5Ga\x1b[2`b\x1b[2ac", " b  c", 5, 0},
		{"VPA VPR", 10, 5, "\x1b[3dA\x1b[eB", "\n\nA\n B", 2, 3},
		{"ICH", 10, 2, "abcdef\x1b[3G\x1b[2@", "ab  cdef", 2, 0},
		{"ICH pushes off", 5, 2, "abcde\x1b[2G\x1b[2@", "a  bc", 1, 0},
		{"DCH", 10, 2, "abcdef\x1b[2G\x1b[2P", "adef", 1, 0},
		{"ECH", 10, 2, "abcdef\x1b[2G\x1b[2X", "a  def", 1, 0},
		{"EL0", 10, 2, "abcdef\x1b[3G\x1b[K", "ab", 2, 0},
		{"EL1", 10, 2, "abcdef\x1b[3G\x1b[1K", "   def", 2, 0},
		{"EL2", 10, 2, "abcdef\x1b[3G\x1b[2K", "", 2, 0},
		{"ED0", 5, 3, "aaaaabbbbbccc\x1b[2;3H\x1b[J", "aaaaa\nbb", 2, 1},
		{"ED1", 5, 3, "aaaaabbbbbccc\x1b[2;3H\x1b[1J", "\n   bb\nccc", 2, 1},
		{"ED2", 5, 3, "aaaaabbbbbccc\x1b[2;3H\x1b[2J", "", 2, 1},
		{"ED3 keeps screen", 5, 3, "abc\x1b[3J", "abc", 3, 0},
		{"IL", 5, 4, "1\r\n2\r\n3\r\n4\x1b[2;1H\x1b[L", "1\n\n2\n3", 0, 1},
		{"DL", 5, 4, "1\r\n2\r\n3\r\n4\x1b[2;1H\x1b[2M", "1\n4", 0, 1},
		{"IL keeps column", 10, 3, "abcdef\x1b[1;3H\x1b[Lx", "  x\nabcdef", 3, 0},
		{"IL in region", 5, 5, "1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[3;1H\x1b[L", "1\n2\n\n3\n5", 0, 2},
		{"IL outside region like tmux", 10, 5, "ab\x1b[2;3rxx\x1b[1LZ", "  Z\nxx", 3, 0},
		{"SU", 5, 4, "1\r\n2\r\n3\r\n4\x1b[2S", "3\n4", 1, 3},
		{"SD", 5, 4, "1\r\n2\r\n3\r\n4\x1b[2T", "\n\n1\n2", 1, 3},
		{"SU in region", 5, 5, "1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[S", "1\n3\n4\n\n5", 0, 0},
		{"SD in region", 5, 5, "1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[T", "1\n\n2\n3\n5", 0, 0},
		{"region scroll", 5, 5, "1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[4;1H\nX\nY", "1\n4\nX\n Y\n5", 2, 3},
		{"RI at top", 5, 3, "1\r\n2\r\n3\x1b[H\x1bMx", "x\n1\n2", 1, 0},
		{"RI in region", 5, 5, "1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[2;1H\x1bM", "1\n\n2\n3\n5", 0, 1},
		{"IND NEL", 5, 4, "ab\x1bDc\x1bEd", "ab\n  c\nd", 1, 2},
		{"region below cursor", 5, 5, "\x1b[1;2r\x1b[5;1H\nX", "\n\n\n\nX", 1, 4},
		{"origin mode", 10, 5, "\x1b[2;4r\x1b[?6h\x1b[1;1Hx\x1b[9;1Hy", "\nx\n\ny", 1, 3},
		{"origin mode off homes", 10, 5, "\x1b[2;4r\x1b[?6h\x1b[?6lx", "x", 1, 0},
		{"DECSTBM homes", 10, 5, "abc\x1b[2;4rx", "xbc", 1, 0},
		{"DECSTBM invalid ignored", 10, 5, "abc\x1b[4;2rx", "abcx", 4, 0},
		{"DECSC DECRC", 10, 5, "\x1b[2;3H\x1b7\x1b[5;5H\x1b8x", "\n  x", 3, 1},
		{"SCOSC SCORC", 10, 5, "\x1b[2;3H\x1b[s\x1b[5;5H\x1b[ux", "\n  x", 3, 1},
		{"DECRC restores pending as last col", 5, 3, "abcde\x1b7\x1b[2;1H\x1b8X", "abcdX", 4, 0},
		{"REP", 10, 2, "ab\x1b[3bc", "abbbbc", 6, 0},
		{"REP after control ignored", 10, 2, "ab\r\x1b[3b", "ab", 0, 0},
		{"REP wraps", 4, 3, "a\x1b[5b", "aaaa\naa", 2, 1},
		{"DECALN", 3, 2, "\x1b#8", "EEE\nEEE", 0, 0},
		{"line drawing G0", 10, 2, "\x1b(0lqk\x1b(Bq", "┌─┐q", 4, 0},
		{"line drawing G1 SO SI", 10, 2, "\x1b)0x\x0ex\x0fx", "x│x", 3, 0},
		{"line drawing all", 40, 2, "\x1b(0`abcdefghijklmnopqrstuvwxyz{|}~", "◆▒␉␌␍␊°±␤␋┘┐┌└┼⎺⎻─⎼⎽├┤┴┬│≤≥π≠£·", 31, 0},
		{"UK charset", 10, 2, "\x1b(A#", "£", 1, 0},
		{"DECSC saves charset", 10, 2, "\x1b(0\x1b7\x1b(B\x1b8q", "─", 1, 0},
		{"wide", 10, 2, "a中b", "a中b", 4, 0},
		{"wide wraps at last column", 5, 2, "abcd中", "abcd\n中", 2, 1},
		{"wide fits exactly", 5, 2, "abc中", "abc中", 4, 0},
		{"overwrite left half", 10, 2, "中b\rX", "X b", 1, 0},
		{"overwrite right half", 10, 2, "中b\r\x1b[CX", " Xb", 2, 0},
		{"wide over wide", 10, 2, "a中\x1b[3G中", "a 中", 4, 0},
		{"combining", 10, 2, "e\u0301x", "e\u0301x", 2, 0},
		{"combining on wide", 10, 2, "中\u0301x", "中\u0301x", 3, 0},
		{"combining at col 0 dropped", 10, 2, "\u0301x", "x", 1, 0},
		{"combining at pending wrap", 3, 2, "abc\u0301", "abc\u0301", 2, 0},
		{"emoji", 10, 2, "😀x", "😀x", 3, 0},
		{"ICH splits wide", 10, 2, "a中b\x1b[3G\x1b[@", "a   b", 2, 0},
		{"DCH splits wide", 10, 2, "a中b\x1b[2G\x1b[P", "a b", 1, 0},
		{"ECH splits wide", 10, 2, "a中b\x1b[3G\x1b[X", "a  b", 2, 0},
		{"insert mode", 10, 2, "abc\r\x1b[4hX\x1b[4lY", "XYbc", 2, 0},
		{"insert mode wide", 10, 2, "abc\r\x1b[4h中", "中abc", 2, 0},
		{"alt screen 1049", 10, 3, "main\x1b[?1049halt\x1b[?1049l", "main", 4, 0},
		{"alt screen shows alt", 10, 3, "main\x1b[?1049hx", "    x", 5, 0},
		{"alt 1049 restores cursor", 10, 3, "ab\x1b[?1049h\x1b[3;3Hzz\x1b[?1049lc", "abc", 3, 0},
		{"alt 47 keeps cursor", 10, 3, "ab\x1b[?47h\x1b[2;3Hzz\x1b[?47lc", "ab\n    c", 5, 1},
		{"alt 1047", 10, 3, "ab\x1b[?1047hzz\x1b[?1047l", "ab", 4, 0},
		{"alt cleared on entry", 10, 3, "\x1b[?1049hxx\x1b[?1049l\x1b[?1049h", "", 0, 0},
		{"RIS", 10, 3, "abc\x1b[2;3r\x1b[?6h\x1b[31m\x1bcx", "x", 1, 0},
		{"RIS leaves alt", 10, 3, "abc\x1b[?1049hdef\x1bc", "", 0, 0},
		{"DECSTR", 10, 3, "\x1b[2;3r\x1b[?6h\x1b[4h\x1b[!pab\rX", "\nXb", 1, 1},
		{"CAN aborts", 10, 2, "\x1b[3\x18A", "A", 1, 0},
		{"ESC restarts", 10, 2, "\x1b[3\x1b[2GA", " A", 2, 0},
		{"control inside CSI", 10, 2, "ab\x1b[\r2GA", "aA", 2, 0},
		{"unknown CSI ignored", 10, 2, "a\x1b[?1;2$yb\x1b[>0cc\x1b[6nd\x1b[5ne", "abcde", 5, 0},
		{"DCS ignored", 10, 2, "a\x1bP1$qm\x1b\\b", "ab", 2, 0},
		{"APC PM SOS ignored", 10, 2, "a\x1b_x\x1b\\b\x1b^y\x1b\\c\x1bXz\x1b\\d", "abcd", 4, 0},
		{"OSC ignored", 10, 2, "a\x1b]11;?\x07b\x1b]10;?\x1b\\c", "abc", 3, 0},
		{"DEL ignored", 10, 2, "a\x7fb", "ab", 2, 0},
		{"invalid utf8", 10, 2, "a\xffb\xe4\xb8c", "a\ufffdb\ufffdc", 5, 0},
		{"utf8 cut by escape", 10, 2, "a\xe4\x1b[Cb", "a\ufffd b", 4, 0},
		{"overlong", 10, 2, "\xc0\xaf", "\ufffd\ufffd", 2, 0},
		{"surrogate", 10, 2, "\xed\xa0\x80", "\ufffd\ufffd\ufffd", 3, 0},
		{"C1 via utf8 dropped", 10, 2, "a\u0085b", "ab", 2, 0},
		{"cursor hidden", 10, 2, "\x1b[?25l", "", 0, 0},
		{"DECSCUSR ignored", 10, 2, "a\x1b[2 qb", "ab", 2, 0},
		{"SD with 5 params ignored", 10, 3, "a\x1b[1;2;3;4;5Tb", "ab", 2, 0},
		{"LNM", 10, 3, "\x1b[20hab\ncd", "ab\ncd", 2, 1},
		{"SU large", 5, 3, "1\r\n2\r\n3\x1b[99S", "", 1, 2},
		{"IL large", 5, 3, "1\r\n2\r\n3\x1b[2;1H\x1b[99L", "1", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			term := run(tc.cols, tc.rows, tc.in)
			if got := screenText(term); got != tc.want {
				t.Errorf("screen:\n%q\nwant:\n%q", got, tc.want)
			}
			c := term.Cursor()
			if c.Col != tc.col || c.Row != tc.row {
				t.Errorf("cursor %d,%d, want %d,%d", c.Col, c.Row, tc.col, tc.row)
			}
		})
	}
}

func TestRISDefaultBackground(t *testing.T) {
	term := run(5, 2, "ab\x1b[41m\x1bc")
	for x := 0; x < 5; x++ {
		if c := term.Cell(x, 0); c != (Cell{" ", 1, Style{}}) {
			t.Fatalf("cell %d after RIS: %+v", x, c)
		}
	}
}

func TestRestoreZeroSnapshot(t *testing.T) {
	term := run(5, 2, "ab")
	term.Restore(&Snapshot{})
	term.Restore(nil)
	if screenText(term) != "ab" {
		t.Fatal("restore of an empty snapshot changed the terminal")
	}
}

func TestTitleLimits(t *testing.T) {
	term := run(5, 2, "\x1b]2;a\x7fb\x07")
	if term.Title() != "ab" {
		t.Errorf("title %q", term.Title())
	}
	term.WriteString("\x1b]2;" + strings.Repeat("\xff", 3000) + "\x07")
	if n := len(term.Title()); n > oscMax || n < oscMax-3 {
		t.Errorf("title of %d bytes", n)
	}
	b, _ := term.Snapshot().MarshalBinary()
	var s Snapshot
	if err := s.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
}

// TestWrappedFlag: which operations end a row's continuation onto the next
// (checked against tmux 3.3a with history-limit 0: BS at column 0 goes back
// to the previous row only while it is marked wrapped).
func TestWrappedFlag(t *testing.T) {
	tests := []struct {
		op   string
		kept bool
	}{
		{"\x1b[1;5H\x1b[K", true},
		{"\x1b[1;5H\x1b[J", false},
		{"\x1b[1;5H\x1b[1K", true},
		{"\x1b[2;1H\x1b[L", false},
		{"\x1b[2;1H\x1b[M", false},
		{"\x1b[3;1H\x1b[L", true},
		{"\x1b[3;1H\x1b[M", true},
		{"\x1b[2;3r\x1b[S\x1b[r", false},
		{"\x1b[2;3r\x1b[T\x1b[r", false},
		{"\x1b[1;5H\x1b[X", true},
		{"\x1b[1;5H\x1b[P", true},
		{"\x1b[1;5H\x1b[@", true},
		{"\x1b[2;1H\x1b[J", false},
		{"\x1b[2;1H\x1b[2K", false},
		{"\x1b[2;1H\x1b[K", false},
		{"\x1b[1;1H\x1b[2K", false},
		{"\x1b[1;10H\x1b[X", true},
		{"\x1b[1;10H\x1b[K", true},
		{"\x1b[1;5Hz", true},
		{"\x1b[2;3H\x1b[1K", true},
		{"\x1b[2;10H\x1b[1K", false},
		{"\x1b[2;1H\x1b[2X", true},
		{"\x1b[2;1H\x1b[19X", false},
		{"\x1b[1;1H\n", true},
	}
	for _, tc := range tests {
		term := run(10, 4, "0123456789ab"+tc.op)
		if got := term.RowWrapped(0); got != tc.kept {
			t.Errorf("%q: row 0 wrapped %v, want %v", tc.op, got, tc.kept)
		}
		term.WriteString("\x1b[2;1H\bQ")
		if c := term.Cursor(); (c.Row == 0) != tc.kept {
			t.Errorf("%q: BS at the start of row 1 went to %+v", tc.op, c)
		}
	}
}

// TestWrappedFlagMoves: rows moved by IL, DL and region scrolls (checked
// against tmux 3.3a, history-limit 0).
func TestWrappedFlagMoves(t *testing.T) {
	tests := []struct {
		name, in string
		row      int // row probed: BS at the start of the next row
		kept     bool
	}{
		{"DL moves the last row of the region", "\x1b[4;1H0123456789ab\x1b[2;4r\x1b[3;1H\x1b[M\x1b[r", 2, false},
		{"SU keeps it", "\x1b[4;1H0123456789ab\x1b[2;4r\x1b[S\x1b[r", 2, true},
		{"IL keeps the moved row", "\x1b[3;1H0123456789ab\x1b[2;4r\x1b[2;1H\x1b[L\x1b[r", 3, true},
		{"DL keeps rows moved with their continuation", "\x1b[3;1H0123456789ab\x1b[2;5r\x1b[2;1H\x1b[M\x1b[r", 1, true},
		{"IL 2 ends the row pushed just below", "\x1b[2;1H0123456789ab\x1b[1;1H\x1b[2L", 3, false},
		{"IL 1 keeps it", "\x1b[2;1H0123456789ab\x1b[1;1H\x1b[L", 2, true},
		{"RI at the top ends the top row", "\x1b[1;1H0123456789ab\x1b[1;1H\x1bM", 1, false},
		{"SD 2 keeps the others", "\x1b[2;1H0123456789ab\x1b[2T", 3, true},
	}
	for _, tc := range tests {
		term := run(10, 6, tc.in)
		if got := term.RowWrapped(tc.row); got != tc.kept {
			t.Errorf("%s: row %d wrapped %v, want %v", tc.name, tc.row, got, tc.kept)
		}
	}
	// On a two-row screen, a scroll ends the row moved to the top.
	if run(10, 2, "x\r\n0123456789ab").RowWrapped(0) {
		t.Error("two-row screen: moved row still wrapped")
	}
}
