package output

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// countBucket is a bucket of a count in the machine formats.
type countBucket struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// countDoc is a count in json and yaml.
type countDoc struct {
	Field   string        `json:"field,omitempty"`
	Total   int64         `json:"total"`
	Buckets []countBucket `json:"buckets"`
}

// histBucket is a bucket of a histogram in the machine formats.
type histBucket struct {
	Time  string `json:"time"`
	Count int64  `json:"count"`
}

type histDoc struct {
	Total   int64        `json:"total"`
	Buckets []histBucket `json:"buckets"`
}

// WriteCounts writes the result of a count by field (`logs count --by`):
//
//   - table: VALUE, COUNT, % of total and a bar scaled to the largest
//     bucket; values sanitized, an empty value shown as "(none)";
//   - json, yaml: {"field": field, "total": N, "buckets": [{"key", "count"}]}
//     (field omitted when "");
//   - ndjson: one {"key","count"} object per line;
//   - csv: a key,count header, then one row per bucket (keys neutralized
//     against formula injection unless opt.CSVRaw).
func WriteCounts(w io.Writer, f Format, buckets []audit.Bucket, total int64, opt Options, field string) error {
	doc := countDoc{Field: field, Total: total, Buckets: make([]countBucket, len(buckets))}
	for i, b := range buckets {
		doc.Buckets[i] = countBucket{Key: b.Key, Count: b.Count}
	}
	switch f {
	case FormatTable, "":
		rows := make([][]string, len(buckets))
		for i, b := range buckets {
			key := sanitize.String(b.Key)
			if b.Key == "" {
				key = "(none)"
			}
			rows[i] = []string{key, strconv.FormatInt(b.Count, 10), percent(b.Count, total)}
		}
		return writeBarTable(w, []string{"VALUE", "COUNT", "%"}, rows, counts(buckets), opt)
	case FormatJSON:
		return writeJSONValue(w, doc, true)
	case FormatNDJSON:
		return writeNDJSON(w, len(doc.Buckets), func(i int) any { return doc.Buckets[i] })
	case FormatCSV:
		return writeCountsCSV(w, "key", len(doc.Buckets), func(i int) (string, int64) {
			return doc.Buckets[i].Key, doc.Buckets[i].Count
		}, opt)
	case FormatYAML:
		return writeYAMLValue(w, doc)
	}
	return audit.Errorf(audit.EUSAGE, "unknown output format %q", f)
}

// WriteHistogram writes events per time interval (`logs count --interval`),
// oldest first:
//
//   - table: TIME (the bucket's start, UTC), COUNT and a bar;
//   - json, yaml: {"total": N, "buckets": [{"time", "count"}]} with RFC 3339
//     times;
//   - ndjson: one {"time","count"} object per line;
//   - csv: time,count.
//
// A bucket's time is its Time, or its Key when Time is zero.
func WriteHistogram(w io.Writer, f Format, buckets []audit.Bucket, opt Options) error {
	doc := histDoc{Buckets: make([]histBucket, len(buckets))}
	for i, b := range buckets {
		doc.Total += b.Count
		doc.Buckets[i] = histBucket{Time: bucketTime(b, ""), Count: b.Count}
	}
	switch f {
	case FormatTable, "":
		rows := make([][]string, len(buckets))
		for i, b := range buckets {
			rows[i] = []string{sanitize.String(bucketTime(b, TableTimeFormat)), strconv.FormatInt(b.Count, 10)}
		}
		return writeBarTable(w, []string{"TIME", "COUNT"}, rows, counts(buckets), opt)
	case FormatJSON:
		return writeJSONValue(w, doc, true)
	case FormatNDJSON:
		return writeNDJSON(w, len(doc.Buckets), func(i int) any { return doc.Buckets[i] })
	case FormatCSV:
		return writeCountsCSV(w, "time", len(doc.Buckets), func(i int) (string, int64) {
			return doc.Buckets[i].Time, doc.Buckets[i].Count
		}, opt)
	case FormatYAML:
		return writeYAMLValue(w, doc)
	}
	return audit.Errorf(audit.EUSAGE, "unknown output format %q", f)
}

// writeCountsCSV writes a "<first>,count" CSV of n rows; row returns each
// row's first cell and count.
func writeCountsCSV(w io.Writer, first string, n int, row func(i int) (string, int64), opt Options) error {
	out := newFlusher(w)
	out.buf = append(out.buf, first+",count\n"...)
	for i := 0; i < n; i++ {
		key, count := row(i)
		out.buf = appendCSVField(out.buf, key, !opt.CSVRaw && needsNeutralizing(key))
		out.buf = append(out.buf, ',')
		out.buf = strconv.AppendInt(out.buf, count, 10)
		out.buf = append(out.buf, '\n')
		if err := out.maybeFlush(); err != nil {
			return err
		}
	}
	return out.flush()
}

func bucketTime(b audit.Bucket, layout string) string {
	if b.Time.IsZero() {
		return b.Key
	}
	if layout == "" {
		return audit.FormatTime(b.Time)
	}
	return b.Time.UTC().Format(layout)
}

func counts(buckets []audit.Bucket) []int64 {
	c := make([]int64, len(buckets))
	for i, b := range buckets {
		c[i] = b.Count
	}
	return c
}

func percent(n, total int64) string {
	if total <= 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(n)/float64(total), 'f', 1, 64)
}

// maxBar is the widest a bar may be.
const maxBar = 40

// writeBarTable writes a table whose rows get a last column: a bar of
// unicode blocks, the largest count filling the bar's width.
func writeBarTable(w io.Writer, headers []string, rows [][]string, counts []int64, opt Options) error {
	cols := make([]string, len(headers))
	for i, h := range headers {
		cols[i] = strings.ToLower(h)
	}
	widths := fitWidths(cols, headers, rows, 0)
	used := colSep * len(headers)
	for _, n := range widths {
		used += n
	}
	barWidth := maxBar
	if opt.Width > 0 {
		barWidth = min(maxBar, opt.Width-used)
		if barWidth < 5 {
			// Too narrow: shrink the first column (the value) instead.
			widths = fitWidths(cols, headers, rows, opt.Width-colSep-5)
			barWidth = 5
		}
	}
	var top int64
	for _, c := range counts {
		top = max(top, c)
	}
	align := make([]tw.Align, len(headers)+1)
	for i := range align {
		align[i] = tw.AlignRight
	}
	align[0], align[len(headers)] = tw.AlignLeft, tw.AlignLeft
	out := make([][]string, len(rows))
	for i, r := range rows {
		row := make([]string, 0, len(r)+1)
		for j, c := range r {
			row = append(row, truncate(c, widths[j]))
		}
		out[i] = append(row, bar(counts[i], top, barWidth))
	}
	return renderTable(w, append(append([]string{}, headers...), ""), out, align)
}

// bar draws n/top of width cells with eighth blocks.
func bar(n, top int64, width int) string {
	if top <= 0 || n <= 0 || width <= 0 {
		return ""
	}
	eighths := int(math.Round(float64(n) / float64(top) * float64(width*8)))
	eighths = max(eighths, 1) // a non-zero count is never invisible
	const partial = " ▏▎▍▌▋▊▉"
	s := strings.Repeat("█", eighths/8)
	if r := eighths % 8; r > 0 {
		s += string([]rune(partial)[r])
	}
	return s
}

// writeJSONValue writes v as JSON, indented or compact, terminal-safe.
func writeJSONValue(w io.Writer, v any, indent bool) error {
	var b []byte
	var err error
	if indent {
		b, err = marshalIndent(v)
	} else {
		b, err = marshalCompact(v)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(append(appendSafeJSON(nil, b), '\n'))
	return err
}

// writeNDJSON writes n values, one compact JSON object per line.
func writeNDJSON(w io.Writer, n int, item func(i int) any) error {
	out := newFlusher(w)
	for i := range n {
		b, err := marshalCompact(item(i))
		if err != nil {
			return err
		}
		out.buf = append(appendSafeJSON(out.buf, b), '\n')
		if err := out.maybeFlush(); err != nil {
			return err
		}
	}
	return out.flush()
}

// marshalCompact is json.Marshal without HTML escaping.
func marshalCompact(v any) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
}

// marshalIndent is json.MarshalIndent(v, "", "  ") without HTML escaping.
func marshalIndent(v any) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
}
