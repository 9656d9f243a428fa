// Package importer reads audit log files into audit.Event values, one record
// at a time: NDJSON, JSON arrays, CSV (seed 004's columns and auditctl's own
// export), JumpCloud Directory Insights and AWS CloudTrail. Nothing reads a
// whole file into memory; gzip and zstd input is decompressed on the fly.
//
// The mappings from each source's fields to the event's are documented in
// docs/formats.md; keep the two in step.
package importer

import (
	"bufio"
	"bytes"
	"io"
	"path/filepath"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/decompress"
)

// Format names an input format.
type Format string

// The formats Open understands.
const (
	FormatAuto       Format = "auto"
	FormatNDJSON     Format = "ndjson"
	FormatJSON       Format = "json"
	FormatCSV        Format = "csv"
	FormatJumpCloud  Format = "jumpcloud"
	FormatCloudTrail Format = "cloudtrail"
)

// Formats lists the names ParseFormat accepts, for help texts.
var Formats = []Format{FormatAuto, FormatNDJSON, FormatJSON, FormatCSV, FormatJumpCloud, FormatCloudTrail}

// ParseFormat returns the format named s ("" is auto). An unknown name is a
// usage error.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "ndjson", "jsonl", "json-lines", "jsonlines":
		return FormatNDJSON, nil
	case "json":
		return FormatJSON, nil
	case "csv":
		return FormatCSV, nil
	case "jumpcloud", "directory-insights", "di":
		return FormatJumpCloud, nil
	case "cloudtrail", "aws", "aws-cloudtrail":
		return FormatCloudTrail, nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", audit.Errorf(audit.EUSAGE, "unknown format %q (want one of %s)", s, strings.Join(names, ", "))
}

const (
	bufSize   = 64 << 10 // read buffer
	sniffSize = 16 << 10 // how much Open looks at to tell the format
)

// Open returns a reader of the events in r. name is the file name shown in
// errors ("-" for standard input) and, through its base name, the source of
// events that do not name their own ("file:<base>"). Gzip and zstd input is
// decompressed transparently whatever the name. FormatAuto sniffs the
// content without consuming it; the detected format is returned.
//
// Next returns io.EOF at the end. A bad record gives an *audit.InputError;
// unless its Fatal is set, Next may be called again to go on with the next
// record. A fatal error is returned again by every later call.
func Open(name string, r io.Reader, format Format) (audit.EventReader, Format, error) {
	return OpenWith(name, r, format, Options{})
}

// OpenWith is Open with options: the event size limit.
func OpenWith(name string, r io.Reader, format Format, opt Options) (audit.EventReader, Format, error) {
	if format == "" {
		format = FormatAuto
	}
	if _, err := ParseFormat(string(format)); err != nil {
		return nil, "", err
	}
	file, source := labels(name)
	br, err := unpack(file, r)
	if err != nil {
		return nil, "", err
	}
	// A UTF-8 byte order mark is not content: spreadsheets write it.
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	head, _ := br.Peek(sniffSize)
	first := firstNonSpace(head)

	m := &mapper{file: file, source: source}
	max := opt.maxEvent()
	switch format {
	case FormatCSV:
		return newCSVReader(file, source, br, max), FormatCSV, nil
	case FormatNDJSON:
		return newLineReader(m, br, max), FormatNDJSON, nil
	case FormatJumpCloud:
		m.force = shapeJumpCloud
	case FormatCloudTrail:
		m.force = shapeCloudTrail
	}
	switch {
	case first == '[':
		if format == FormatAuto {
			format = refine(FormatJSON, firstArrayElement(head))
		}
		return newArrayReader(m, br, false, max), format, nil
	case first == '{' && recordsFirst(head):
		if format == FormatAuto {
			format = FormatCloudTrail
		}
		return newArrayReader(m, br, true, max), format, nil
	case first == '{' || (first < 0 && len(bytes.TrimSpace(head)) == 0):
		// NDJSON, or an empty input, which holds no events whatever its format.
		if format == FormatAuto {
			format = refine(FormatNDJSON, firstLine(head))
		}
		return newLineReader(m, br, max), format, nil
	case format == FormatAuto && looksLikeCSVHeader(head):
		return newCSVReader(file, source, br, max), FormatCSV, nil
	case format == FormatAuto:
		return nil, "", audit.Errorf(audit.EINVALID, "%s: cannot tell the format; pass --format", file)
	}
	// A JSON format was asked for but the content does not start like JSON:
	// let the line reader say what is wrong with the first line.
	return newLineReader(m, br, max), format, nil
}

// labels returns the file name for errors and the source for events.
func labels(name string) (file, source string) {
	if name == "" || name == "-" {
		return "stdin", "file:stdin"
	}
	base := filepath.Base(name)
	// A compressed copy is the same data: seed004.csv.gz has the source of
	// seed004.csv, so importing both adds nothing.
	for _, ext := range []string{".gz", ".zst", ".zstd"} {
		if trimmed := strings.TrimSuffix(base, ext); trimmed != base && trimmed != "" {
			base = trimmed
			break
		}
	}
	return name, "file:" + base
}

// unpack wraps r in a buffered reader, through a gzip or zstd decoder
// (bounded: package decompress) when the stream starts with one's magic
// bytes.
func unpack(file string, r io.Reader) (*bufio.Reader, error) {
	br, _, _, err := decompress.Reader(bufio.NewReaderSize(r, bufSize), bufSize)
	if err != nil {
		return nil, audit.Errorf(audit.EINVALID, "%s: %v", file, err)
	}
	return br, nil
}

// firstNonSpace returns the first byte of b that is not JSON white space, or
// -1 when there is none.
func firstNonSpace(b []byte) int {
	for _, c := range b {
		if !isSpace(c) {
			return int(c)
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// recordsFirst reports whether head starts an object whose first key is
// "Records": a CloudTrail log file.
func recordsFirst(head []byte) bool {
	i := skipWS(head, 0)
	if i >= len(head) || head[i] != '{' {
		return false
	}
	i = skipWS(head, i+1)
	if !bytes.HasPrefix(head[i:], []byte(`"Records"`)) {
		return false
	}
	i = skipWS(head, i+len(`"Records"`))
	return i < len(head) && head[i] == ':'
}

// firstLine returns the first non-blank line of head if it is complete.
func firstLine(head []byte) []byte {
	for len(head) > 0 {
		nl := bytes.IndexByte(head, '\n')
		if nl < 0 {
			return nil
		}
		if line := bytes.TrimSpace(head[:nl]); len(line) > 0 {
			return line
		}
		head = head[nl+1:]
	}
	return nil
}

// firstArrayElement returns the first element of the JSON array that head
// starts, if head holds all of it.
func firstArrayElement(head []byte) []byte {
	i := skipWS(head, 0)
	if i >= len(head) || head[i] != '[' {
		return nil
	}
	i = skipWS(head, i+1)
	end, err := skipValue(head, i, 1)
	if err != nil {
		return nil
	}
	return head[i:end]
}

// refine names the format of a JSON container by the shape of its first
// record, for the caller's report; the readers still look at every record.
func refine(f Format, first []byte) Format {
	if first == nil {
		return f
	}
	var rec record
	if rec.scan(first) != nil {
		return f
	}
	switch rec.shape() {
	case shapeJumpCloud:
		return FormatJumpCloud
	case shapeCloudTrail:
		return FormatCloudTrail
	}
	return f
}

// looksLikeCSVHeader reports whether the first line of head is a CSV header
// naming at least one column auditctl knows.
func looksLikeCSVHeader(head []byte) bool {
	line := head
	if nl := bytes.IndexByte(head, '\n'); nl >= 0 {
		line = head[:nl]
	} else if len(head) == sniffSize {
		return false // a first line this long is no header
	}
	line = bytes.TrimRight(line, "\r")
	if bytes.IndexByte(line, ',') < 0 {
		return false
	}
	known := 0
	for _, f := range strings.Split(string(line), ",") {
		f = strings.Trim(strings.TrimSpace(f), `"`)
		if f == "" {
			return false
		}
		if _, ok := csvColumns[normHeader(f)]; ok {
			known++
		}
	}
	return known > 0
}
