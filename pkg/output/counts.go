package output

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
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
//   - table: the value (headed by the field's name), COUNT, % of total
//     and a bar scaled to the largest bucket; values sanitized and cut as
//     the field's column in the event table is (ARNs in the middle, kept
//     distinct), an empty value shown as "(none)";
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
		return RenderTable(w, countTable(buckets, total, field), opt)
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
//   - table: TIME (the bucket's start in opt.Location, a date for whole
//     days, hours and minutes for whole minutes), COUNT and a bar;
//   - json, yaml: {"total": N, "buckets": [{"time", "count"}]} with RFC 3339
//     UTC times;
//   - ndjson: one {"time","count"} object per line;
//   - csv: time,count (RFC 3339 UTC).
//
// A bucket's time is its Time, or its Key when Time is zero.
func WriteHistogram(w io.Writer, f Format, buckets []audit.Bucket, interval time.Duration, opt Options) error {
	doc := histDoc{Buckets: make([]histBucket, len(buckets))}
	for i, b := range buckets {
		doc.Total += b.Count
		doc.Buckets[i] = histBucket{Time: bucketTime(b), Count: b.Count}
	}
	switch f {
	case FormatTable, "":
		return RenderTable(w, Table{
			Columns: []Column{
				{Name: "time", Kind: KindFixed, Zoned: true},
				{Name: "count", Kind: KindFixed, Right: true},
			},
			Len: len(buckets),
			Cell: func(i, col int) string {
				b := buckets[i]
				if col == 1 {
					return strconv.FormatInt(b.Count, 10)
				}
				if b.Time.IsZero() {
					return b.Key
				}
				return BucketLabel(b.Time, interval, opt)
			},
			Bars: counts(buckets),
		}, opt)
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

// BucketLabel is how a table shows the start of a histogram bucket of
// interval, in opt.Location: a date ("2026-11-20") for buckets of whole
// days that start at midnight, hours and minutes ("2026-11-20 14:00") for
// whole minutes, else the full time.
func BucketLabel(t time.Time, interval time.Duration, opt Options) string {
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	switch {
	case interval%(24*time.Hour) == 0 && lt.Hour() == 0 && lt.Minute() == 0 && lt.Second() == 0 && lt.Nanosecond() == 0:
		return lt.Format("2006-01-02")
	case interval%time.Minute == 0 && lt.Second() == 0 && lt.Nanosecond() == 0:
		return lt.Format("2006-01-02 15:04")
	}
	return lt.Format(TableTimeFormat)
}

// countTable is the table of a count by field.
func countTable(buckets []audit.Bucket, total int64, field string) Table {
	value := Column{Name: "value", Kind: KindText}
	if i := slices.IndexFunc(eventColumns, func(c Column) bool { return c.Name == field || slices.Contains(c.Aliases, field) }); i >= 0 {
		value.Kind = eventColumns[i].Kind
		if value.Kind == KindID || value.Kind == KindFixed {
			value.Kind = KindName
		}
		value.Header = strings.ToUpper(field)
	}
	return Table{
		Columns: []Column{
			value,
			{Name: "count", Kind: KindFixed, Right: true},
			{Name: "percent", Header: "%", Kind: KindFixed, Right: true, Priority: 2},
		},
		Len: len(buckets),
		Cell: func(i, col int) string {
			b := buckets[i]
			switch col {
			case 0:
				if b.Key == "" {
					return "(none)"
				}
				return b.Key
			case 1:
				return strconv.FormatInt(b.Count, 10)
			}
			return percent(b.Count, total)
		},
		Bars: counts(buckets),
	}
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

func bucketTime(b audit.Bucket) string {
	if b.Time.IsZero() {
		return b.Key
	}
	return audit.FormatTime(b.Time)
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
func marshalIndent(v any) ([]byte, error) { return marshalIndentPrefix(v, "") }

// marshalIndentPrefix is json.MarshalIndent(v, prefix, "  ") without HTML
// escaping.
func marshalIndentPrefix(v any, prefix string) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
}
