package recorder

import (
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

func testGate(t *testing.T, d sqllex.Dialect, rules ...string) *gate {
	t.Helper()
	var rs []Rule
	for _, s := range rules {
		r, err := ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	g := newGate(rs, false, d, newQueryTracker(d), false, 80)
	g.Output(0, []byte("db=# "))
	return g
}

func sent(act gateAction) string {
	var b strings.Builder
	for _, s := range act.send {
		b.Write(s)
	}
	return b.String()
}

func messages(t *testing.T, evs []recording.Event) []string {
	t.Helper()
	var out []string
	for _, ev := range evs {
		q, err := recording.DecodeQuery(ev.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, q.Query+" => "+q.Message)
	}
	return out
}

// TestGateRefusesTheRestOfTheRead: a refused statement takes the rest of
// its read with it, each recorded as not sent.
func TestGateRefusesTheRestOfTheRead(t *testing.T) {
	g := testGate(t, sqllex.Postgres, "DROP TABLE")
	act := g.Input(time.Millisecond, []byte("DROP TABLE t; SELECT 42;\rSELECT 43;\rSELECT"))
	if s := sent(act); s != "" {
		t.Errorf("sent %q", s)
	}
	got := strings.Join(messages(t, act.events), "\n")
	want := "DROP TABLE t; => blocked by rule DROP TABLE\n" +
		"SELECT 42; => blocked by rule DROP TABLE (not sent: it came after a blocked statement in the same input)\n" +
		"SELECT 43; => blocked by rule DROP TABLE (not sent: it came after a blocked statement in the same input)"
	if got != want {
		t.Errorf("events:\n%s\nwant:\n%s", got, want)
	}
	// Nothing of the refused read is held: the next read starts afresh.
	act = g.Input(2*time.Millisecond, []byte(" 1;\r"))
	if s := sent(act); s != "1;\r" {
		t.Errorf("sent %q", s)
	}
}

// TestGateOneAtATime: allowed statements go one by one, each when the
// client is back at its prompt, and each gets its own reply.
func TestGateOneAtATime(t *testing.T) {
	g := testGate(t, sqllex.Postgres, "DROP TABLE")
	act := g.Input(time.Millisecond, []byte("select 1; select\r"))
	if s := sent(act); s != "select 1;\r" {
		t.Fatalf("sent %q", s)
	}
	act = g.Input(2*time.Millisecond, []byte(" 2;\r"))
	if s := sent(act); s != "" {
		t.Fatalf("sent %q while the client is busy", s)
	}
	_, act = g.Output(5*time.Millisecond, []byte("select 1;\r\n ?column? \r\n----------\r\n 1\r\n(1 row)\r\n\r\ndb=# "))
	if s := sent(act); s != "select\n 2;\r" {
		t.Fatalf("sent %q after the prompt", s)
	}
	if got := messages(t, act.events); len(got) != 1 || got[0] != "select 1; => (1 row)" {
		t.Errorf("events %q", got)
	}
	_, act = g.Output(9*time.Millisecond, []byte("select\r\ndb-#  2;\r\n ?column? \r\n----------\r\n 2\r\n(1 row)\r\n\r\ndb=# "))
	if got := messages(t, act.events); len(got) != 1 || got[0] != "select\n 2; => (1 row)" {
		t.Errorf("events %q", got)
	}
}

// TestGateHoldsAndInterrupts: incomplete input is held, never sent; C-c
// clears it, and the queue, whose statements are recorded as not sent.
func TestGateHoldsAndInterrupts(t *testing.T) {
	g := testGate(t, sqllex.Postgres, "DROP TABLE")
	for _, in := range []string{"select 'x\r", "drop table t;\r", "/* ; */ select $$\r", ";\r"} {
		if act := g.Input(time.Millisecond, []byte(in)); len(act.send) > 0 || len(act.events) > 0 {
			t.Fatalf("%q: %+v", in, act)
		}
	}
	g.Input(time.Millisecond, []byte("\x03"))
	act := g.Input(time.Millisecond, []byte("select 1; select 2; select 3;\r"))
	if s := sent(act); s != "select 1;\r" {
		t.Fatalf("sent %q", s)
	}
	act = g.Input(time.Millisecond, []byte("\x03"))
	if s := sent(act); s != "\x03" {
		t.Errorf("sent %q: the running query is not interrupted", s)
	}
	want := []string{"select 2; => blocked by rule C-c (not sent: interrupted)", "select 3; => blocked by rule C-c (not sent: interrupted)"}
	if got := messages(t, act.events); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events %q", got)
	}
}

// TestGateCommands: client commands that escape the rules are refused;
// others pass; --allow-meta lets them all through.
func TestGateCommands(t *testing.T) {
	g := testGate(t, sqllex.SQLite, "DROP TABLE")
	act := g.Input(time.Millisecond, []byte(".read x.sql\r"))
	if got := messages(t, act.events); len(got) != 1 || got[0] != ".read x.sql => blocked by rule client-command: .read reads a file" || len(act.send) > 0 {
		t.Errorf("%q %q", got, sent(act))
	}
	act = g.Input(time.Millisecond, []byte(".tables\r"))
	if s := sent(act); s != ".tables\r" || len(act.events) > 0 {
		t.Errorf("sent %q", s)
	}
	g = testGate(t, sqllex.SQLite, "DROP TABLE")
	g.allowMeta = true
	if s := sent(g.Input(time.Millisecond, []byte(".read x.sql\r"))); s != ".read x.sql\r" {
		t.Errorf("--allow-meta: sent %q", s)
	}
}

// TestGateHistoryAndEditing: the statement decided on is the line as
// edited, history included.
func TestGateHistoryAndEditing(t *testing.T) {
	g := testGate(t, sqllex.Postgres, "DROP TABLE")
	g.Input(time.Millisecond, []byte("select 1;\r"))
	g.Output(2*time.Millisecond, []byte("select 1;\r\n(1 row)\r\ndb=# "))
	act := g.Input(3*time.Millisecond, []byte("x\x7f\x1b[A\x1b[D\x1b[D2\r"))
	if s := sent(act); s != "select 21;\r" {
		t.Errorf("sent %q", s)
	}
}

// TestGateDraws: on a terminal, the editor draws what is typed after the
// prompt and erases it before the client echoes what it is sent.
func TestGateDraws(t *testing.T) {
	g := newGate(nil, false, sqllex.Postgres, newQueryTracker(sqllex.Postgres), true, 80)
	g.Output(0, []byte("db=# "))
	act := g.Input(time.Millisecond, []byte("sel"))
	if string(act.show) != "sel" {
		t.Errorf("show %q", act.show)
	}
	act = g.Input(time.Millisecond, []byte("ect 1;\r"))
	if !strings.HasSuffix(string(act.show), "\r\x1b[5C\x1b[J") || sent(act) != "select 1;\r" {
		t.Errorf("show %q, sent %q", act.show, sent(act))
	}
}

// FuzzGate: whatever is typed and printed, what the client receives is
// complete units that no rule refuses (or C-c, C-d), and every event is a
// valid query event.
func FuzzGate(f *testing.F) {
	f.Add([]byte("DROP TABLE t; SELECT 42;\r"), []byte("db=# "), uint8(1))
	f.Add([]byte("select 1;\rdr\x1b[200~op ta\x1b[201~ble t;\r\x03\x1b[A\r"), []byte("x\r\ndb=# "), uint8(2))
	f.Add([]byte("\\i x\r.read y\rsource z\rselect $$;$$; drop/**/table t;\r"), []byte("(1 row)\r\ndb=# "), uint8(0))
	r, _ := ParseRule("drop table")
	f.Fuzz(func(t *testing.T, in, out []byte, d uint8) {
		dl := sqllex.Dialect(d % 4)
		g := newGate([]Rule{r}, false, dl, newQueryTracker(dl), true, 40)
		check := func(act gateAction) {
			for _, s := range act.send {
				str := string(s)
				if str == "\x03" || str == "\x04" {
					continue
				}
				if !strings.HasSuffix(str, "\r") {
					t.Fatalf("sent %q: not a line", str)
				}
				units, rest := sqllex.Split(dl, strings.TrimSuffix(str, "\r")+"\n")
				if len(units) == 0 || !sqllex.Blank(dl, rest) {
					t.Fatalf("sent %q: not complete units (%d, rest %q)", str, len(units), rest)
				}
				for _, u := range units {
					if r.Match(u.Normal) {
						t.Fatalf("sent %q: the rule matches %q", str, u.Normal)
					}
				}
			}
			for _, ev := range act.events {
				if _, err := recording.DecodeQuery(ev.Data); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i := 0; i < len(in) || i < len(out); i += 5 {
			if i < len(out) {
				_, act := g.Output(time.Duration(i), out[i:min(i+5, len(out))])
				check(act)
			}
			if i < len(in) {
				check(g.Input(time.Duration(i), in[i:min(i+5, len(in))]))
			}
		}
		check(g.EndOfInput(time.Second))
		check(gateAction{events: g.Close(time.Second)})
	})
}

// TestGateHiddenLine: while the client reads a line without echo (a
// password), one line goes as typed, the rest of its read is dropped, and
// the next line waits until the client has answered: nothing typed there
// can wait in the terminal to be read later as a statement.
func TestGateHiddenLine(t *testing.T) {
	g := testGate(t, sqllex.Postgres, "DROP TABLE")
	hidden := true
	g.term = func() (bool, bool) { return hidden, !hidden }
	act := g.Input(time.Millisecond, []byte("secret\rDROP TABLE t;\r"))
	if s := sent(act); s != "secret\r" || len(act.events) > 0 {
		t.Fatalf("sent %q", s)
	}
	act = g.Input(2*time.Millisecond, []byte("again\r"))
	if s := sent(act); s != "" {
		t.Fatalf("sent %q before the client answered", s)
	}
	_, act = g.Output(3*time.Millisecond, []byte("\r\nEnter it again: "))
	if s := sent(act); s != "again\r" {
		t.Fatalf("sent %q after the client answered", s)
	}
	// A line left waiting when the client reads statements again is dropped.
	g.Input(4*time.Millisecond, []byte("late\r"))
	hidden = false
	_, act = g.Output(5*time.Millisecond, []byte("\r\ndb=# "))
	if s := sent(act); s != "" {
		t.Fatalf("sent %q", s)
	}
	if act := g.Input(6*time.Millisecond, []byte("select 1;\r")); sent(act) != "select 1;\r" {
		t.Errorf("sent %q", sent(act))
	}
}

// TestGateNoEditorKeys: what is sent holds nothing the client's line
// editor would act on: a tab (completion) is a space; outside a UTF-8
// locale, a byte above 0x7f (a Meta key to readline) refuses the statement.
func TestGateNoEditorKeys(t *testing.T) {
	g := testGate(t, sqllex.Postgres, "DROP TABLE")
	if s := sent(g.Input(time.Millisecond, []byte("DR\tTABLE x;\r"))); s != "DR TABLE x;\r" {
		t.Errorf("sent %q", s)
	}
	g = testGate(t, sqllex.Postgres, "DROP TABLE")
	g.asciiOnly = true
	act := g.Input(time.Millisecond, []byte("select 'é';\r"))
	if got := messages(t, act.events); len(got) != 1 || !strings.Contains(got[0], "not ASCII") || len(act.send) > 0 {
		t.Errorf("%q, sent %q", got, sent(act))
	}
	if utf8Locale([]string{"LANG=C"}) || !utf8Locale([]string{"LANG=C", "LC_ALL=en_US.UTF-8"}) || utf8Locale(nil) {
		t.Error("utf8Locale")
	}
}
