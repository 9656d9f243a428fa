package recorder

import (
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

func TestRules(t *testing.T) {
	tests := []struct {
		rule, stmt string
		want       bool
	}{
		{"DROP TABLE", "drop table t;", true},
		{"DROP TABLE", "DROP\n   TABLE t;", true},
		{"drop  table", "Drop Table t;", true},
		{"DROP TABLE", "DROP INDEX i;", false},
		{"/^\\s*truncate\\b/", "  TRUNCATE orders;", true},
		{"/^\\s*truncate\\b/", "select 'truncate';", false},
		{"/delete from \\w+;$/", "DELETE FROM users;", true},
		{"/delete from \\w+;$/", "DELETE FROM users WHERE id = 1;", false},
		{"DROP TABLE", "DROP/**/TABLE t;", true},
		{"DROP TABLE", "DrOp\t\tTaBlE t;", true},
		{"DROP TABLE", "drop -- x\n table t;", true},
		{"drop table t", `DROP TABLE "t";`, true},
		{"/^drop table/", "/* hi */ DROP TABLE t;", true},
	}
	for _, tt := range tests {
		r, err := ParseRule(tt.rule)
		if err != nil {
			t.Fatal(err)
		}
		units, _ := sqllex.Split(sqllex.Postgres, tt.stmt+"\n")
		if len(units) != 1 {
			t.Fatalf("%q: %d units", tt.stmt, len(units))
		}
		if got := r.Match(units[0].Normal); got != tt.want {
			t.Errorf("%q.Match(%q) = %v", tt.rule, tt.stmt, got)
		}
		// A "q" event's statement as written: the same decision.
		if got := r.MatchStatement(sqllex.Postgres, tt.stmt); got != tt.want {
			t.Errorf("%q.MatchStatement(%q) = %v", tt.rule, tt.stmt, got)
		}
	}
	for _, bad := range []string{"", "  ", "/(/", "/* x */"} {
		if _, err := ParseRule(bad); err == nil {
			t.Errorf("ParseRule(%q): no error", bad)
		}
	}
}

func TestComplete(t *testing.T) {
	for stmt, want := range map[string]bool{
		"select 1;":               true,
		"select 1;  ":             true,
		"select 1":                false,
		"select ';":               false,
		"select 'it''s';":         true,
		`select 1 \g`:             true,
		`select 1 \gx`:            true,
		`select 1\G`:              true,
		"insert into t values (1": false,
		`select "a'b";`:           true,
		"select 1; -- x":          true,
		"select /* ; */ 1":        false,
		"select $$;$$":            false,
	} {
		if got := complete(sqllex.Postgres, stmt); got != want {
			t.Errorf("complete(%q) = %v", stmt, got)
		}
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		lines []string
		msg   string
		rows  int64 // -1 null
	}{
		{[]string{"", "INSERT 0 3"}, "INSERT 0 3", 3},
		{[]string{"UPDATE 2"}, "UPDATE 2", 2},
		{[]string{"DELETE 0"}, "DELETE 0", 0},
		{[]string{"SELECT 5"}, "SELECT 5", 5},
		{[]string{" a ", "---", " 1", " 2", " 3", "(3 rows)", ""}, "(3 rows)", 3},
		{[]string{" a ", "---", "(0 rows)"}, "(0 rows)", 0},
		{[]string{"CREATE TABLE"}, "CREATE TABLE", -1},
		{[]string{"NOTICE:  table \"x\" does not exist, skipping", "DROP TABLE"}, "DROP TABLE", -1},
		{[]string{`ERROR:  relation "x" does not exist`, "LINE 1: select * from x;"}, `ERROR:  relation "x" does not exist`, -1},
		{[]string{"Query OK, 1 row affected (0.01 sec)"}, "Query OK, 1 row affected (0.01 sec)", 1},
		{[]string{"select 1;", "something"}, "something", -1}, // the echo is skipped
		{nil, "", -1},
	}
	for _, tt := range tests {
		msg, rows := summarize(tt.lines, []string{"select 1;"})
		n := int64(-1)
		if rows != nil {
			n = *rows
		}
		if msg != tt.msg || n != tt.rows {
			t.Errorf("summarize(%q) = %q, %d; want %q, %d", tt.lines, msg, n, tt.msg, tt.rows)
		}
	}
}

func TestStripper(t *testing.T) {
	var s stripper
	s.Write([]byte("\x1b[?2004hdb=# sel\x1b[1mect\x1b[0m 1;\r\n\x1b]0;title\x07 ok\tx\r\nab\bc\rzz"))
	if got := strings.Join(s.lines, "|"); got != "db=# select 1;| ok x" {
		t.Errorf("lines = %q", got)
	}
	if s.partial() != "zz" {
		t.Errorf("partial = %q", s.partial())
	}
}

func FuzzQueryTracker(f *testing.F) {
	f.Add([]byte("select 1;\r"), []byte("db=# \r\nSELECT 1\r\ndb=# "))
	f.Add([]byte("DROP\rTABLE x;\r\x1b[A\x03"), []byte("\x1b[?2004h\x1b]0;x\x07db-# "))
	f.Fuzz(func(t *testing.T, in, out []byte) {
		q := newQueryTracker(sqllex.Postgres)
		for i := 0; i < len(in) || i < len(out); i += 7 {
			if i < len(out) {
				q.Output(time.Duration(i), out[i:min(i+7, len(out))])
			}
			if i < len(in) {
				q.Input(time.Duration(i), in[i:min(i+7, len(in))])
			}
		}
		for _, ev := range q.Close(time.Second) {
			if _, err := recording.DecodeQuery(ev.Data); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestTrackerPager: keys typed while a query is pending (in a pager) are not
// part of the next statement, and the duration stops at the output the user
// was reading when they typed.
func TestTrackerPager(t *testing.T) {
	q := newQueryTracker(sqllex.Postgres)
	q.Output(0, []byte("db=# "))
	q.Input(time.Millisecond, []byte("select * from big;\r"))
	var b strings.Builder
	b.WriteString("\r\n n \r\n---\r\n")
	for i := range 200 {
		b.WriteString(" " + strings.Repeat("x", i%7) + "\r\n")
	}
	b.WriteString("(200 rows)\r\n:")
	if evs := q.Output(11*time.Millisecond, []byte(b.String())); len(evs) != 0 {
		t.Fatalf("finished early: %+v", evs)
	}
	q.Input(2*time.Second, []byte(" q"))
	evs := q.Output(2*time.Second+time.Millisecond, []byte("\r\x1b[K\r\ndb=# "))
	if len(evs) != 1 {
		t.Fatalf("events = %+v", evs)
	}
	qq, _ := recording.DecodeQuery(evs[0].Data)
	if qq.Message != "(200 rows)" || *qq.Rows != 200 || qq.DurationMS != 10 {
		t.Errorf("query = %+v", qq)
	}
	q.Input(3*time.Second, []byte("select 1;\r"))
	evs = q.Close(4 * time.Second)
	if len(evs) != 1 {
		t.Fatalf("events = %+v", evs)
	}
	qq, _ = recording.DecodeQuery(evs[0].Data)
	if qq.Query != "select 1;" || qq.DurationMS != 0 {
		t.Errorf("query = %+v", qq)
	}
}
