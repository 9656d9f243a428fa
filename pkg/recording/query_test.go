package recording

import (
	"errors"
	"strings"
	"testing"
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
