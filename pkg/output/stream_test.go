package output

import (
	"bytes"
	"fmt"
	"testing"
)

// A RecordStream writes exactly what WriteRecords writes for the same rows,
// in every format, for none, one and many rows (hostile text included).
func TestRecordStreamSameAsWriteRecords(t *testing.T) {
	type item struct {
		N    int    `json:"n"`
		Text string `json:"text"`
	}
	for _, n := range []int{0, 1, 5} {
		var rows [][]string
		var items []any
		for i := range n {
			text := fmt.Sprintf("row %d =cmd \x1b]0;x\x07 \u202e <b>", i)
			rows = append(rows, []string{fmt.Sprint(i), text})
			items = append(items, item{i, text})
		}
		r := Records{Columns: []string{"n", "text"}, Len: n,
			Row: func(i int) []string { return rows[i] }, Item: func(i int) any { return items[i] }}
		for _, f := range []Format{FormatTable, FormatCSV, FormatNDJSON, FormatJSON, FormatYAML} {
			var want, got bytes.Buffer
			if err := WriteRecords(&want, f, r, Options{Width: 80}); err != nil {
				t.Fatal(err)
			}
			s, err := NewRecordStream(&got, f, Records{Columns: r.Columns}, Options{Width: 80})
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if err := s.Write(rows[i], nil, items[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s, %d rows:\n got %q\nwant %q", f, n, got.String(), want.String())
			}
		}
	}
}

// The table holds at most MaxHeldBytes of rows; past that it says so.
func TestRecordStreamHeldBound(t *testing.T) {
	var out bytes.Buffer
	s, _ := NewRecordStream(&out, FormatYAML, Records{Columns: []string{"a"}}, Options{})
	big := string(bytes.Repeat([]byte("x"), 1<<20))
	for range 100 {
		s.Write([]string{big}, nil, big)
	}
	if !s.Truncated() || s.held > MaxHeldBytes {
		t.Fatalf("truncated %v, held %d", s.Truncated(), s.held)
	}
	// CSV holds nothing: everything is written as it comes.
	out.Reset()
	s, _ = NewRecordStream(&out, FormatCSV, Records{Columns: []string{"a"}}, Options{})
	for range 100 {
		s.Write([]string{big}, nil, big)
	}
	if s.Truncated() || out.Len() < 99<<20 {
		t.Fatalf("csv: truncated %v, %d bytes written before Close", s.Truncated(), out.Len())
	}
}
