package keys

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func names(ks []Key) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.Kind.String()+":"+k.Name)
	}
	return out
}

func TestDecodeString(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"ls -la\r", []string{"text:ls -la", "key:Enter"}},
		{"echo\r\n", []string{"text:echo", "key:Enter"}},
		{"a\n\n", []string{"text:a", "key:Enter", "key:Enter"}},
		{"\x03", []string{"key:C-c"}},
		{"\x7f\x08\t", []string{"key:Backspace", "key:Backspace", "key:Tab"}},
		{"\x1b[A\x1b[B\x1b[C\x1b[D", []string{"key:Up", "key:Down", "key:Right", "key:Left"}},
		{"\x1bOA\x1bOP", []string{"key:Up", "key:F1"}},
		{"\x1b[1;5C\x1b[1;2A\x1b[1;3D\x1b[3;5~", []string{"key:C-Right", "key:S-Up", "key:M-Left", "key:C-Delete"}},
		{"\x1b[5~\x1b[6~\x1b[15~\x1b[24~", []string{"key:PgUp", "key:PgDn", "key:F5", "key:F12"}},
		{"\x1b[Z", []string{"key:S-Tab"}},
		{"\x1bb\x1b\x7f", []string{"key:M-b", "key:M-Backspace"}},
		{"\x1b", []string{"key:Esc"}},
		{"\x1b\x1b[A", []string{"key:Esc", "key:Up"}},
		{"\x1b[200~rm -rf /\r\x1b[201~\r", []string{"paste:rm -rf /\r", "key:Enter"}},
		{"\x1b[<0;10;5M\x1b[M !!", []string{"mouse:Mouse", "mouse:Mouse"}},
		{"\x1b[99z", []string{"unknown:Esc [ 9 9 z"}},
		{"héllo 世界", []string{"text:héllo 世界"}},
		{"\xff", []string{"unknown:0xff"}},
		{"\xc2\x9b", []string{"unknown:0xc2 0x9b"}},
		{"\x00\x1c", []string{"key:C-Space", `key:C-\`}},
		// Terminal replies and reports are not keys.
		{"\x1b[2;2R", []string{"reply:cursor position 2;2"}},
		{"\x1b[24;80R\x1b[?1;2;1R", []string{"reply:cursor position 24;80", "reply:cursor position 1;2;1"}},
		{"\x1b[1;2R", []string{"key:S-F3"}}, // no query in the output: the key (see TestCursorReportContext)
		{"\x1b[1;1R\x1b[1;40R", []string{"reply:cursor position 1;1", "reply:cursor position 1;40"}},
		{"\x1b[>0;95;0c\x1b[?1;2c\x1b[?62;22c", []string{"reply:device attributes >0;95;0", "reply:device attributes ?1;2", "reply:device attributes ?62;22"}},
		{"\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\", []string{"reply:background colour rgb:1e1e/1e1e/1e1e"}},
		{"\x1b]10;rgb:ffff/ffff/ffff\x07ls", []string{"reply:foreground colour rgb:ffff/ffff/ffff", "text:ls"}},
		{"\x1b]4;1;rgb:cd/00/00\x1b\\", []string{"reply:palette colour 1;rgb:cd/00/00"}},
		{"\x1b]52;c;cm0gLXJmIC8=\x07", []string{"reply:clipboard contents (12 bytes)"}},
		{"\x1b[?2026;2$y\x1b[12;1$y", []string{"reply:mode ?2026 reset", "reply:mode 12 set"}},
		{"\x1b[I\x1b[O", []string{"reply:focus in", "reply:focus out"}},
		{"\x1b[201~", []string{"reply:paste end marker"}},
		{"\x1b[0n\x1b[8;24;80t\x1b[?1u", []string{"reply:status 0", "reply:window report 8;24;80", "reply:keyboard flags 1"}},
		{"\x1bP>|xterm(388)\x1b\\\x1bP1$r0m\x1b\\", []string{"reply:terminal version xterm(388)", "reply:setting 1$r0m"}},
		{"\x1b]11;rgb:0/0/0\rls", []string{"reply:background colour rgb:0/0/0 (cut)", "key:Enter", "text:ls"}},
		{"\x1b]", []string{"key:M-]"}},
		{"\x1bPx", []string{"key:M-P", "text:x"}},
	}
	for _, tt := range tests {
		got := names(DecodeString(tt.in))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DecodeString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Splitting the input anywhere gives the same keys (text runs may be split
// in two, so compare with runs joined).
func TestDecodeSplit(t *testing.T) {
	in := "ls\x1b[1;5C\r\nhé世\x1b[200~paste\x1b[201~\x1bOB\x1b[15~\x03"
	whole := DecodeString(in)
	for i := 0; i <= len(in); i++ {
		if i > 0 && in[i-1] == 0x1b {
			continue // a lone ESC at the end of a write is the Esc key
		}
		var d Decoder
		ks := d.Decode(nil, []byte(in[:i]))
		ks = d.Decode(ks, []byte(in[i:]))
		ks = d.Flush(ks)
		if !reflect.DeepEqual(ks, whole) {
			t.Fatalf("split at %d: %q, want %q", i, names(ks), names(whole))
		}
	}
}

func TestCommands(t *testing.T) {
	type in struct {
		at   int // seconds
		data string
	}
	inputs := []in{
		{1, "ls -l"}, {2, "a"}, {3, "\r"},
		{4, "rm -rf /tmp/x"}, {5, "\x15"}, {6, "echo hi\r"}, // C-u clears the line
		{7, "cat /etc/passwdd\x7f"}, {8, "\r"},
		{9, "git comit"}, {10, "\x1b[D\x1b[D"}, {11, "m"}, {12, "\x1b[F -m x\r"},
		{13, "\x1b[A\r"},
		{14, "sleep 10\x03"},
		{15, "cd /va\t\r"},
		{16, "echo one two\x17three\r"},
		{17, "unfinished"},
	}
	var d Decoder
	var e LineEditor
	for _, x := range inputs {
		for _, k := range d.Decode(nil, []byte(x.data)) {
			e.Key(time.Duration(x.at)*time.Second, k)
		}
	}
	e.Close(20 * time.Second)
	got := e.Commands()
	want := []struct {
		line, ended string
		uncertain   bool
		start, end  int
	}{
		{"ls -la", "enter", false, 1, 3},
		{"echo hi", "enter", false, 4, 6},
		{"cat /etc/passwd", "enter", false, 7, 8},
		{"git commit -m x", "enter", false, 9, 12},
		{"", "enter", true, 13, 13},
		{"sleep 10", "cancel", false, 14, 14},
		{"cd /va", "enter", true, 15, 15},
		{"echo one three", "enter", false, 16, 16},
		{"unfinished", "end", false, 17, 20},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d commands %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.Ended != w.ended || g.Uncertain != w.uncertain ||
			g.Start != time.Duration(w.start)*time.Second || g.End != time.Duration(w.end)*time.Second {
			t.Errorf("command %d = %+v, want %+v", i, g, w)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("ls -la\r\x1b[A\x1b[1;5C\x1b[200~x\x1b[201~"), 3)
	f.Add([]byte("\x1b[<0;1;1M\x1b[M !!\xff\xc2"), 1)
	f.Add([]byte("\x1b[2;2R\x1b[>0;95;0c\x1b]11;rgb:0/0/0\x1b\\\x1bP>|x\x1b\\\x1b[?1;2$y\x1b[I"), 9)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		whole := DecodeString(string(b))
		if split < 0 {
			split = -split
		}
		if len(b) > 0 {
			split %= len(b) + 1
		} else {
			split = 0
		}
		var d Decoder
		ks := d.Decode(nil, b[:split])
		ks = d.Decode(ks, b[split:])
		ks = d.Flush(ks)
		join := func(ks []Key) string {
			var sb strings.Builder
			for _, k := range ks {
				sb.WriteString(k.Kind.String() + ":" + k.Name + "\x00")
			}
			return sb.String()
		}
		// A split right after ESC, ESC ] or ESC P may change the keys: a
		// write that ends there is the key Esc, M-] or M-P (see Decoder).
		escEnd := split > 0 && b[split-1] == 0x1b ||
			split > 1 && b[split-2] == 0x1b && (b[split-1] == ']' || b[split-1] == 'P')
		if len(b) <= maxPending && !escEnd && join(ks) != join(whole) {
			t.Fatalf("split %d: %q != %q", split, names(ks), names(whole))
		}
		for _, k := range whole {
			if k.Kind != Text && k.Kind != Paste && !utf8.ValidString(k.Name) {
				t.Fatalf("name %q not valid UTF-8", k.Name)
			}
			if k.Kind == Unknown || k.Kind == Special || k.Kind == Reply {
				for _, r := range k.Name {
					if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
						t.Fatalf("control character in key name %q", k.Name)
					}
				}
			}
		}
		// Grouping keeps every key, in order, and merges only text (up to
		// MaxRun bytes a row).
		var rows []Row
		for _, k := range whole {
			rows = AppendRow(rows, 0, 0, k)
		}
		n := 0
		for i, r := range rows {
			n += r.Keys
			if r.Keys > 1 && r.Key.Kind != Text || i > 0 && r.Key.Kind == Text && rows[i-1].Key.Kind == Text &&
				len(rows[i-1].Key.Name)+len(r.Key.Name) <= MaxRun {
				t.Fatalf("row %d %+v after %+v", i, r, rows[max(i-1, 0)])
			}
		}
		if n != len(whole) {
			t.Fatalf("%d keys grouped into rows of %d", len(whole), n)
		}
		// Terminal replies never reach a command: the commands are those
		// of the same keys without the replies.
		var e, noReplies LineEditor
		for _, k := range whole {
			e.Key(0, k)
			if k.Kind != Reply {
				noReplies.Key(0, k)
			}
		}
		e.Close(0)
		noReplies.Close(0)
		got, want := e.Commands(), noReplies.Commands()
		if len(got) != len(want) {
			t.Fatalf("replies changed the commands: %d, without them %d", len(got), len(want))
		}
		for i := range got {
			if got[i].Line != want[i].Line {
				t.Fatalf("reply text in a command: %q, without the replies %q", got[i].Line, want[i].Line)
			}
		}
	})
}

// "ESC [ 1 ; m R" is a cursor position report when the program asked for
// one (and the question is still open), else F3 with modifier m.
func TestCursorReportContext(t *testing.T) {
	var d Decoder
	got := names(d.Decode(nil, []byte("\x1b[1;2R")))
	d.Output([]byte("prompt\x1b[")) // a query split across two writes
	d.Output([]byte("6n"))
	got = append(got, names(d.Decode(nil, []byte("\x1b[1;2R")))...)
	got = append(got, names(d.Decode(nil, []byte("\x1b[1;2R")))...) // answered already: the key
	d.Output([]byte("\x1b[?6n\x1b[6n"))
	got = append(got, names(d.Decode(nil, []byte("\x1b[5;5R\x1b[1;5R\x1b[1;5R")))...)
	want := []string{"key:S-F3", "reply:cursor position 1;2", "key:S-F3", "reply:cursor position 5;5", "reply:cursor position 1;5", "key:C-F3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// Replies never reach a reconstructed command, and splitting them across
// writes changes nothing.
func TestRepliesOutOfCommands(t *testing.T) {
	in := "ls\x1b[2;2R -la\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\\x1b[>0;95;0c\x1b[I\r"
	for i := 0; i <= len(in); i++ {
		var d Decoder
		var e LineEditor
		for _, part := range []string{in[:i], in[i:]} {
			for _, k := range d.Decode(nil, []byte(part)) {
				e.Key(0, k)
			}
		}
		for _, k := range d.Flush(nil) {
			e.Key(0, k)
		}
		e.Close(0)
		cmds := e.Commands()
		if i > 0 && in[i-1] == 0x1b || i > 1 && in[i-2] == 0x1b && (in[i-1] == ']' || in[i-1] == 'P') {
			continue // a write ending in ESC is the Esc key
		}
		if len(cmds) != 1 || cmds[0].Line != "ls -la" || cmds[0].Uncertain {
			t.Fatalf("split %d: %+v", i, cmds)
		}
	}
}

// TestReplyDoesNotStartLine: a reply before the first key does not start
// the command line: the line starts when it is typed.
func TestReplyDoesNotStartLine(t *testing.T) {
	var e LineEditor
	e.Key(time.Second, Key{Kind: Reply, Name: "cursor position 2;2"})
	e.Key(time.Second, Key{Kind: Mouse, Name: "click"})
	e.Key(5*time.Second, Key{Kind: Text, Name: "id"})
	e.Key(6*time.Second, Key{Kind: Special, Name: "Enter"})
	if cmds := e.Commands(); len(cmds) != 1 || cmds[0].Start != 5*time.Second || cmds[0].Line != "id" {
		t.Fatalf("commands %+v", cmds)
	}
	e.Key(7*time.Second, Key{Kind: Reply, Name: "focus in"})
	e.Close(8 * time.Second)
	if cmds := e.Commands(); len(cmds) != 0 {
		t.Fatalf("a reply alone made a command: %+v", cmds)
	}
}

func TestLabel(t *testing.T) {
	var got []string
	for _, k := range DecodeString("ab\x03\x1b[200~p\x1b[201~\x1b[2;2R") {
		got = append(got, k.Label())
	}
	want := []string{"ab", "<C-c>", "[paste] p", "‹reply: cursor position 2;2›"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q", got)
	}
}

func TestAppendRow(t *testing.T) {
	var d Decoder
	var rows []Row
	for i, in := range []string{"c", "at", " x", "\r", "y", "\x1b[A", "\x1b[200~p\x1b[201~", "z"} {
		for _, k := range d.Decode(nil, []byte(in)) {
			rows = AppendRow(rows, time.Duration(i)*time.Second, i+1, k)
		}
	}
	got := []string{}
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%v %s %q %d line %d", r.Time, r.Key.Kind, r.Key.Name, r.Keys, r.Line))
	}
	want := []string{
		`0s text "cat x" 3 line 1`, `3s key "Enter" 1 line 4`, `4s text "y" 1 line 5`,
		`5s key "Up" 1 line 6`, `6s paste "p" 1 line 7`, `7s text "z" 1 line 8`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A long run is cut at MaxRun bytes: grouping stays linear.
	rows = nil
	for range 3 * MaxRun {
		rows = AppendRow(rows, 0, 0, Key{Kind: Text, Name: "a"})
	}
	if len(rows) != 3 || len(rows[0].Key.Name) != MaxRun || rows[2].Keys != MaxRun {
		t.Fatalf("%d rows of a %d-key run", len(rows), 3*MaxRun)
	}
}
