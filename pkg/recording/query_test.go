package recording

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeQuery(t *testing.T) {
	rows := int64(3)
	q, err := DecodeQuery(`{"query":"select * from t","message":"SELECT 3","duration_ms":1.25,"rows":3}`)
	if err != nil || q.Query != "select * from t" || q.Message != "SELECT 3" || q.DurationMS != 1.25 || q.Rows == nil || *q.Rows != rows {
		t.Fatalf("got %+v %v", q, err)
	}
	q, err = DecodeQuery(` {"query": "x", "rows": null, "message": null, "duration_ms": null, "extra": [1]} `)
	if err != nil || q.Query != "x" || q.Rows != nil {
		t.Fatalf("nulls: %+v %v", q, err)
	}
	for in, field := range map[string]string{
		``:                                  "",
		`"x"`:                               "",
		`[1]`:                               "",
		`{"query":"x"`:                      "",
		`{"query":"x"} {}`:                  "",
		`{}`:                                "query",
		`{"query":null}`:                    "query",
		`{"query":1}`:                       "query",
		`{"query":"x","message":2}`:         "message",
		`{"query":"x","duration_ms":"1"}`:   "duration_ms",
		`{"query":"x","duration_ms":-1}`:    "duration_ms",
		`{"query":"x","duration_ms":1e999}`: "duration_ms",
		`{"query":"x","rows":1.5}`:          "rows",
		`{"query":"x","rows":-2}`:           "rows",
		`{"query":"x","rows":"2"}`:          "rows",
		`{"query":"x","rows":99999999999999999999}`: "rows",
		`{"query":"x","query":"y"}`:                 "query",
	} {
		_, err := DecodeQuery(in)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.Field != field {
			t.Errorf("%s: got %v, want a QueryError on %q", in, err, field)
		} else if !strings.HasPrefix(err.Error(), "query event: ") {
			t.Errorf("%s: message %q", in, err)
		}
	}
}

func TestEncodeQuery(t *testing.T) {
	rows := int64(42)
	for _, q := range []Query{
		{Query: "select 1"},
		{Query: "update t set a='\x1b[31m' -- \"quoted\"\n", Message: "UPDATE 42", DurationMS: 0.125, Rows: &rows},
		{Query: "é\u2028", DurationMS: 1e-7},
	} {
		s, err := EncodeQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeQuery(s)
		if err != nil || got.Query != q.Query || got.Message != q.Message || got.DurationMS != q.DurationMS ||
			(got.Rows == nil) != (q.Rows == nil) || (q.Rows != nil && *got.Rows != *q.Rows) {
			t.Errorf("%s: round trip %+v %v, want %+v", s, got, err, q)
		}
	}
	if s, _ := EncodeQuery(Query{Query: "q"}); s != `{"query":"q","message":"","duration_ms":0,"rows":null}` {
		t.Errorf("encoding %s", s)
	}
	if _, err := EncodeQuery(Query{DurationMS: -1}); err == nil {
		t.Error("negative duration: want error")
	}
}

// TestEachQuery: the query events decoded with their status, time and
// line; a malformed one is damage (file:line, field) and reading goes on.
func TestEachQuery(t *testing.T) {
	rec := `{"version": 3, "term": {"cols": 80, "rows": 24}}
[0.5, "o", "db=> "]
[0.5, "q", "{\"query\": \"SELECT 1;\", \"message\": \"SELECT 1\", \"duration_ms\": 1.5, \"rows\": 1}"]
[1.0, "q", "{\"query\": 42}"]
[1.0, "q", "{\"query\": \"DROP TABLE t;\", \"message\": \"blocked by rule DROP TABLE\"}"]
[1.0, "q", "{\"query\": \"SELEC 1;\", \"message\": \"ERROR:  syntax error\"}"]
`
	r, err := NewReader("db.rec", strings.NewReader(rec))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = r.EachQuery(func(q QueryEvent) error {
		got = append(got, fmt.Sprintf("%s@%s:%d %s", q.Status, q.Time, q.Line, q.Query.Query))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "ok@1s:3 SELECT 1; blocked@3s:5 DROP TABLE t; error@4s:6 SELEC 1;"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
	d := r.Damage()
	if d.Skipped != 1 || len(d.Flaws) != 1 || d.Flaws[0].Line != 4 || d.Flaws[0].At != 2*time.Second ||
		!strings.HasPrefix(d.Flaws[0].Err, `db.rec:4: field "data.query"`) || d.Break != nil {
		t.Errorf("damage %+v", d)
	}
}
