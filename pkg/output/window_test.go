package output

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// A window of rows laid out over every row (LayoutWindow, Render) is
// exactly the lines RenderTable prints for those rows: same columns, same
// widths, same cuts (names kept distinct across all rows, ids to the
// prefix unique over all rows), same colours.
func TestTableWindowIsRenderTable(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 1000 {
		checkWindow(t, r, 1+r.IntN(150), fmt.Sprint(n))
	}
	// the event table, the console's: long ARNs that clash once cut
	evs := arnEvents()
	for _, width := range []int{40, 60, 80, 100, 200} {
		for _, color := range []bool{false, true} {
			opt := Options{Width: width, Color: color, Omit: []string{"id"}}
			compareWindows(t, fmt.Sprintf("events %d %v", width, color), EventTable(evs, opt), opt)
		}
	}
}

func checkWindow(t *testing.T, r *rand.Rand, width int, name string) {
	kinds := []Kind{KindText, KindName, KindID, KindFixed}
	cols := make([]Column, 1+r.IntN(8))
	for i := range cols {
		cols[i] = Column{Name: fmt.Sprint("c", i), Kind: kinds[r.IntN(len(kinds))], Priority: r.IntN(4), Right: r.IntN(2) == 0}
		if r.IntN(3) == 0 {
			cols[i].Style = statusStyle
		}
	}
	rows := make([][]string, r.IntN(12))
	pool := []string{"arn:aws:iam::1/alice/role-one", "arn:aws:iam::1/bob/role-one", "success", "failure", ""}
	for i := range rows {
		rows[i] = make([]string, len(cols))
		for j := range cols {
			if r.IntN(3) == 0 {
				rows[i][j] = pool[r.IntN(len(pool))]
			} else {
				rows[i][j] = randomCell(r)
			}
		}
	}
	tb := Table{Columns: cols, Len: len(rows), Cell: func(i, c int) string { return rows[i][c] }}
	opt := Options{Width: width, Color: r.IntN(2) == 0}
	if r.IntN(4) == 0 {
		opt.Columns = []string{cols[0].Name, cols[len(cols)-1].Name}
	}
	compareWindows(t, name, tb, opt)
}

func compareWindows(t *testing.T, name string, tb Table, opt Options) {
	t.Helper()
	want := render(t, tb, opt)
	var meas []MeasuredRow
	for i := range tb.Len {
		m, err := MeasureRow(tb, i, opt)
		if err != nil {
			t.Fatal(err)
		}
		meas = append(meas, m)
	}
	w, err := LayoutWindow(tb, meas, opt)
	if err != nil {
		t.Fatal(err)
	}
	all := lines(want)
	for from := 0; from <= tb.Len; from++ {
		for to := from; to <= tb.Len; to++ {
			var buf bytes.Buffer
			if err := w.Render(&buf, from, to); err != nil {
				t.Fatal(err)
			}
			exp := ""
			if want != "" {
				exp = strings.Join(append([]string{all[0]}, all[1+from:1+to]...), "\n") + "\n"
			}
			if buf.String() != exp {
				t.Fatalf("%s: rows [%d, %d) at width %d:\n got %q\nwant %q\n(whole table %q)", name, from, to, opt.Width, buf.String(), exp, want)
			}
		}
	}
}
