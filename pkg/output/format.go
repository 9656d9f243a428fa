// Package output writes events, counts and histograms in every format
// auditctl offers (table, json, ndjson, csv, yaml), the event detail panel,
// before/after diffs and --jq results.
//
// Machine formats keep values exact; text formats (table, detail panel,
// count tables) pass every untrusted string through package sanitize. JSON
// and YAML output escape C1 controls, DEL, bidi and other format characters
// as \u escapes: the decoded values are unchanged, yet the bytes are safe
// to print on a terminal.
package output

import (
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Format is an output format (-o/--output).
type Format string

// The output formats.
const (
	FormatTable  Format = "table"
	FormatJSON   Format = "json"
	FormatNDJSON Format = "ndjson"
	FormatCSV    Format = "csv"
	FormatYAML   Format = "yaml"
)

// Formats lists the formats in the order help text shows them.
var Formats = []Format{FormatTable, FormatJSON, FormatNDJSON, FormatCSV, FormatYAML}

// ParseFormat reads a --output value, case-insensitively. "" gives "" (the
// caller picks DefaultFormat); "jsonl" is accepted for ndjson and "yml" for
// yaml.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "table":
		return FormatTable, nil
	case "json":
		return FormatJSON, nil
	case "ndjson", "jsonl":
		return FormatNDJSON, nil
	case "csv":
		return FormatCSV, nil
	case "yaml", "yml":
		return FormatYAML, nil
	}
	return "", audit.Errorf(audit.EUSAGE, "unknown output format %q (want table, json, ndjson, csv or yaml)", s)
}

// ResolveFormat reads a --output value; "" gives DefaultFormat(isTTY).
func ResolveFormat(s string, isTTY bool) (Format, error) {
	f, err := ParseFormat(s)
	if err != nil || f != "" {
		return f, err
	}
	return DefaultFormat(isTTY), nil
}

// DefaultFormat is table when stdout is a terminal, else json.
func DefaultFormat(isTTY bool) Format {
	if isTTY {
		return FormatTable
	}
	return FormatJSON
}

// Options tune the writers.
type Options struct {
	// CSVRaw turns off formula-injection neutralization in CSV output.
	CSVRaw bool
	// Columns gives exactly the columns a table shows, in order (--columns):
	// names of the table's columns (for events, audit.Columns and the
	// aliases duration, browser, user). Empty means the table's default
	// columns, chosen by priority for Width.
	Columns []string
	// Wide shows every column of a table and ignores Width (--wide).
	Wide bool
	// Omit leaves these columns out of the default ones (without
	// Columns).
	Omit []string
	// Location is the time zone of times in tables (--tz, TZ); nil means
	// UTC. Zone, when set, is its name in headers ("TIME (Europe/Berlin)").
	// Machine formats always write RFC 3339 UTC.
	Location *time.Location
	Zone     string
	// Color enables colour and bold in text output.
	Color bool
	// Width is the terminal width text output fits into; 0 means no limit.
	Width int
}
