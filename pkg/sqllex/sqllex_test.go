package sqllex

import (
	"reflect"
	"strings"
	"testing"
)

func texts(us []Unit) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Text)
	}
	return out
}

func TestSplit(t *testing.T) {
	tests := []struct {
		d     Dialect
		in    string
		units []string
		rest  string
	}{
		{Generic, "select 1; select 2;", []string{"select 1;", "select 2;"}, ""},
		{Generic, "select 1", nil, "select 1"},
		{Generic, "select ';'; drop", []string{"select ';';"}, " drop"},
		{Generic, "select 'it''s;'; x", []string{"select 'it''s;';"}, " x"},
		{Generic, `select "a'b"; drop table t;`, []string{`select "a'b";`, "drop table t;"}, ""},
		{Generic, "select 1 -- ; no\n;", []string{"select 1 -- ; no\n;"}, ""},
		{Generic, "select /* ; */ 1;", []string{"select /* ; */ 1;"}, ""},
		{Generic, "select /* open", nil, "select /* open"},
		{Postgres, "select $$;$$; select $a$ $$; $a$;", []string{"select $$;$$;", "select $a$ $$; $a$;"}, ""},
		{Postgres, "select a$b; x", []string{"select a$b;"}, " x"},
		{Postgres, "select $1;", []string{"select $1;"}, ""},
		{Postgres, `select E'\';'; drop`, []string{`select E'\';';`}, " drop"},
		{Postgres, `select '\'; drop table t; --';`, []string{`select '\';`, "drop table t;"}, " --';"},
		{Postgres, "select /* /* */ ; */ 1;", []string{"select /* /* */ ; */ 1;"}, ""},
		{Postgres, "select (1; 2);", []string{"select (1; 2);"}, ""},
		{Postgres, "\\dt\nselect 1;", []string{`\dt`, "select 1;"}, ""},
		{Postgres, "select 1 \\g\n", []string{`select 1 \g`}, ""},
		{Postgres, "select 1; \\! ls\n", []string{"select 1;", `\! ls`}, ""},
		{Postgres, "\\dt", nil, `\dt`},
		{Postgres, "\\x \\\\ select 1; \\dt\n", []string{`\x \\ select 1;`, `\dt`}, ""},
		{Postgres, "\\x \\\\ drop\ntable t;", []string{"\\x \\\\ drop\ntable t;"}, ""},
		{Postgres, "\\echo '\\\\' x\nselect 1;", []string{`\echo '\\' x`, "select 1;"}, ""},
		{Postgres, "create function f() returns int begin atomic select 1; end; select 2;", []string{"create function f() returns int begin atomic select 1; end;", "select 2;"}, ""},
		{SQLite, ".tables\nselect 1;", []string{".tables", "select 1;"}, ""},
		{SQLite, "select 1; .tables\n", []string{"select 1;"}, " .tables\n"},
		{SQLite, "select [a;b] from `c;d`;", []string{"select [a;b] from `c;d`;"}, ""},
		{SQLite, "drop table t\ngo\n", []string{"drop table t\ngo"}, ""},
		{SQLite, "create trigger r after insert on t begin delete from u; end; select 1;", []string{"create trigger r after insert on t begin delete from u; end;", "select 1;"}, ""},
		{MySQL, `select 'a\'; drop table t; --'; x`, []string{`select 'a\'; drop table t; --';`}, " x"},
		{MySQL, "select 1 # ;\n;", []string{"select 1 # ;\n;"}, ""},
		{MySQL, "select 1 --;", []string{"select 1 --;"}, ""},
		{MySQL, "select 1\\G select 2;", []string{`select 1\G`, "select 2;"}, ""},
		{MySQL, "source x.sql\n", []string{"source x.sql"}, ""},
	}
	for _, tt := range tests {
		units, rest := Split(tt.d, tt.in)
		if got := texts(units); !reflect.DeepEqual(got, tt.units) || rest != tt.rest {
			t.Errorf("%v Split(%q) = %q, rest %q; want %q, rest %q", tt.d, tt.in, got, rest, tt.units, tt.rest)
		}
	}
}

func TestNormal(t *testing.T) {
	tests := []struct {
		d        Dialect
		in, want string
	}{
		{Generic, "DROP/**/TABLE t;", "drop table t;"},
		{Generic, "DrOp\t\tTaBlE\n t;", "drop table t;"},
		{Generic, "drop -- x\n table t;", "drop table t;"},
		{Generic, "select 'A  B';", "select 'A  B';"},
		{Generic, `drop table "T";`, "drop table t;"},
		{Postgres, "DROP /* a /* b */ c */ TABLE t;", "drop table t;"},
		{Postgres, "select $X$ A  B $X$;", "select $X$ A  B $X$;"},
		{MySQL, "/*!50000 DROP */ TABLE t;", "drop table t;"},
		{SQLite, "drop table [T];", "drop table t;"},
	}
	for _, tt := range tests {
		units, _ := Split(tt.d, tt.in)
		if len(units) != 1 || units[0].Normal != tt.want {
			t.Errorf("%v %q: units %+v, want normal %q", tt.d, tt.in, units, tt.want)
		}
	}
	if got := Normalize(Generic, " DROP \n  TABLE "); got != "drop table" {
		t.Errorf("Normalize = %q", got)
	}
}

func TestInterpolates(t *testing.T) {
	for in, want := range map[string]bool{
		"select :x;": true, "select :'x';": true, `select :"x";`: true,
		"select 1::int;": false, "select ':x';": false, "select a[1 : 2];": false,
	} {
		units, _ := Split(Postgres, in)
		if len(units) != 1 || units[0].Interpolates != want {
			t.Errorf("%q: %+v, want interpolates %v", in, units, want)
		}
	}
}

func TestRisk(t *testing.T) {
	tests := []struct {
		d     Dialect
		line  string
		risky bool
	}{
		{Postgres, `\i x.sql`, true}, {Postgres, `\ir x.sql`, true}, {Postgres, `\e`, true},
		{Postgres, `\ef f`, true}, {Postgres, `\! ls`, true}, {Postgres, `\o |cat`, true},
		{Postgres, `\o out.txt`, false}, {Postgres, `\copy t from program 'ls'`, true},
		{Postgres, `\copy t from 'f.csv'`, false}, {Postgres, `\dt`, false}, {Postgres, `\x \i f`, true},
		{Postgres, "\\set x `id`", true}, {Postgres, `\gexec`, true}, {Postgres, `\q`, false},
		{SQLite, ".read x", true}, {SQLite, ".rea x", true}, {SQLite, ".shell ls", true},
		{SQLite, ".system ls", true}, {SQLite, ".import f t", true}, {SQLite, ".output |cat", true},
		{SQLite, ".once -x", true}, {SQLite, ".trace |sh", true}, {SQLite, ".trace t.log", false}, {SQLite, ".output f.txt", false}, {SQLite, ".tables", false},
		{SQLite, ".schema", false},
		{MySQL, "source x.sql", true}, {MySQL, `\. x.sql`, true}, {MySQL, `\! ls`, true},
		{MySQL, "system ls", true}, {MySQL, "use db", false},
	}
	for _, tt := range tests {
		units, _ := Split(tt.d, tt.line+"\n")
		risky := false
		for _, u := range units {
			for _, c := range u.Commands {
				if Risk(tt.d, c) != "" {
					risky = true
				}
			}
		}
		if len(units) != 1 || risky != tt.risky {
			t.Errorf("%v %q: units %+v, risky %v, want %v", tt.d, tt.line, units, risky, tt.risky)
		}
	}
	if StatementRisk(SQLite, "select edit('x', 'vi');") == "" || StatementRisk(SQLite, "select 1;") != "" {
		t.Error("StatementRisk")
	}
}

func TestDialectFor(t *testing.T) {
	for cmd, want := range map[string]Dialect{"/usr/bin/psql": Postgres, "sqlite3": SQLite, "mysql": MySQL, "mariadb": MySQL, "bash": Generic} {
		if got := DialectFor(cmd); got != want {
			t.Errorf("DialectFor(%q) = %v", cmd, got)
		}
	}
}

// FuzzSplit: input split at any point gives the same units and the same
// held rest as the whole in one Write; units are the input in order.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"select 1; select 2;", "DROP/**/TABLE t;", `SELECT "a'b"; DROP TABLE t;`,
		"select $a$ ; $a$; select E'\\';';", "\\dt\nselect 1 \\g\n", ".read x\nselect [a;b];\ngo\n",
		"select 'a\\'; drop table t; --';", "/*!50000 drop */ table t;", "create trigger r begin x; end;",
		"select (1; 2); -- c\n/* a /* b */ */;", "select :x, 1::int;",
	} {
		for d := Generic; d <= MySQL; d++ {
			f.Add(uint8(d), s, uint16(3))
		}
	}
	f.Fuzz(func(t *testing.T, d uint8, s string, at uint16) {
		dl := Dialect(d % 4)
		whole, rest := Split(dl, s)
		cut := 0
		if len(s) > 0 {
			cut = int(at) % (len(s) + 1)
		}
		l := Lexer{Dialect: dl}
		got := l.Write([]byte(s[:cut]))
		got = append(got, l.Write([]byte(s[cut:]))...)
		if !reflect.DeepEqual(got, whole) || l.Pending() != rest {
			t.Fatalf("split at %d: %+v rest %q; whole: %+v rest %q", cut, got, l.Pending(), whole, rest)
		}
		// Byte by byte, too.
		l = Lexer{Dialect: dl}
		got = nil
		for i := range len(s) {
			got = append(got, l.Write([]byte{s[i]})...)
		}
		if !reflect.DeepEqual(got, whole) || l.Pending() != rest {
			t.Fatalf("byte by byte: %+v rest %q; whole: %+v rest %q", got, l.Pending(), whole, rest)
		}
		// The units and the rest are the input, in order.
		pos := 0
		for _, u := range whole {
			k := strings.Index(s[pos:], u.Text)
			if k < 0 || strings.TrimSpace(s[pos:pos+k]) != "" && u.Kind != Command {
				t.Fatalf("unit %q not next in %q at %d", u.Text, s, pos)
			}
			pos += k + len(u.Text)
		}
		if !strings.HasSuffix(s, rest) {
			t.Fatalf("rest %q is not the end of %q", rest, s)
		}
	})
}

func TestLexerBlank(t *testing.T) {
	for in, want := range map[string]bool{
		"": true, "  \n": true, "-- x\n": true, "/* a */ \n": true, "/* open\n": false, "select\n": false,
		"select 1; -- c\n": true, "select 1; x\n": false, "'\n": false,
	} {
		l := Lexer{Dialect: Postgres}
		l.Write([]byte(in))
		if got := l.Blank(); got != want || got != Blank(Postgres, l.Pending()) {
			t.Errorf("%q: Blank() = %v, want %v (pending %q)", in, got, want, l.Pending())
		}
	}
}

func TestFolded(t *testing.T) {
	if got := Folded("SELECT 'a\\' /* '; DROP\tTABLE t; -- */"); got != "select 'a\\' '; drop table t; " && got != "select 'a\\' '; drop table t;" {
		t.Errorf("Folded = %q", got)
	}
}
