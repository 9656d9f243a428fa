package sqlite

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"unsafe"

	sqlite3 "modernc.org/sqlite/lib"
)

// TestRawColumnAccessorsAgree reads every storage class, and values the
// library must convert (a zeroblob, text read as a blob, a blob read as
// text, a float read as an integer), through rawStmt's accessors, which
// read the result registers directly when they can, and through the
// library's sqlite3_column_* functions alone: the same values.
func TestRawColumnAccessorsAgree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	w, err := openRawRW(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE t (a, b TEXT, c INTEGER, d REAL, e BLOB)",
		"INSERT INTO t VALUES (NULL, 'x', 1, 1.5, X'00ff')",
		"INSERT INTO t VALUES (42, '', -9223372036854775808, 2, X'')",
		"INSERT INTO t VALUES ('h\u00e9llo', X'6869', 'text', NULL, 'as text')",
		"INSERT INTO t VALUES (2.25, 7, 3.75, 'x', zeroblob(5))",
		"INSERT INTO t VALUES (X'', NULL, 9223372036854775807, -0.0, 12)",
	} {
		if err := w.exec(q); err != nil {
			t.Fatal(err)
		}
	}
	w.close()
	r, err := openRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	const q = "SELECT a, b, c, d, e, zeroblob(3), CAST(c AS TEXT), a || b FROM t ORDER BY rowid"
	const ncol = 8
	// Each accessor on a statement of its own: the library's functions
	// convert a value in place (text read as a blob becomes a blob).
	read := func(acc func(st *rawStmt, i int) string) []string {
		st, err := r.prepare(q)
		if err != nil {
			t.Fatal(err)
		}
		defer st.close()
		var out []string
		for {
			ok, err := st.step()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				return out
			}
			for i := range ncol + 1 { // one past the last column too
				out = append(out, acc(st, i))
			}
		}
	}
	lib := func(st *rawStmt, i int, text bool) []byte {
		var p uintptr
		if text {
			p = sqlite3.Xsqlite3_column_text(st.c.tls, st.st, int32(i))
		} else {
			p = sqlite3.Xsqlite3_column_blob(st.c.tls, st.st, int32(i))
		}
		n := sqlite3.Xsqlite3_column_bytes(st.c.tls, st.st, int32(i))
		if p == 0 || n <= 0 {
			return nil
		}
		return bytes.Clone(unsafe.Slice((*byte)(cptr(p)), n))
	}
	for _, c := range []struct {
		name      string
		raw, viaF func(st *rawStmt, i int) string
	}{
		{"type", func(st *rawStmt, i int) string { return fmt.Sprint(st.typ(i)) },
			func(st *rawStmt, i int) string {
				return fmt.Sprint(sqlite3.Xsqlite3_column_type(st.c.tls, st.st, int32(i)))
			}},
		{"int64", func(st *rawStmt, i int) string { return fmt.Sprint(st.int64(i)) },
			func(st *rawStmt, i int) string {
				return fmt.Sprint(sqlite3.Xsqlite3_column_int64(st.c.tls, st.st, int32(i)))
			}},
		{"text", func(st *rawStmt, i int) string { return fmt.Sprintf("%q", st.bytes(i, true)) },
			func(st *rawStmt, i int) string { return fmt.Sprintf("%q", lib(st, i, true)) }},
		{"blob", func(st *rawStmt, i int) string { return fmt.Sprintf("%q", st.bytes(i, false)) },
			func(st *rawStmt, i int) string { return fmt.Sprintf("%q", lib(st, i, false)) }},
	} {
		got, want := read(c.raw), read(c.viaF)
		if len(got) != 5*(ncol+1) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: accessors\n%q\nlibrary\n%q", c.name, got, want)
		}
	}
}

// openRawRW opens (creating) a database with the library, for tests.
func openRawRW(path string) (*rawConn, error) {
	c, err := openRawFlags(path, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_CREATE)
	return c, err
}
