package importer

import (
	"fmt"

	"github.com/auditctl/auditctl/internal/bytesize"

	"github.com/auditctl/auditctl/pkg/audit"
	"strconv"
	"strings"
)

// Memory bounds. Every reader holds at most one record (and its read-ahead
// buffer) at a time, and a record may not be larger than the event size
// limit: a hostile file (a 200 MB string that gzips to 200 KB) is refused
// as soon as the limit is reached, having read no more than that.
const (
	// DefaultMaxEventSize is the largest record accepted unless
	// Options.MaxEventSize (--max-event-size) says otherwise: its bytes in
	// the (decompressed) input, JSON text or CSV record as written.
	DefaultMaxEventSize = 1 << 20
	// MaxMaxEventSize is the largest --max-event-size accepted: with it, an
	// import still stays well under 512 MB of memory.
	MaxMaxEventSize = 64 << 20
	// MinMaxEventSize is the smallest --max-event-size accepted.
	MinMaxEventSize = 1 << 10
)

// Options tune Open.
type Options struct {
	// MaxEventSize is the largest record accepted, in bytes; 0 means
	// DefaultMaxEventSize. A larger record is a fatal *audit.InputError
	// (nothing after it is read) naming the field being read when the limit
	// was reached.
	MaxEventSize int
}

// ParseOptions reads --max-event-size ("" for the default); a bad value is
// a usage error.
func ParseOptions(maxEventSize string) (Options, error) {
	if strings.TrimSpace(maxEventSize) == "" {
		return Options{}, nil
	}
	n, err := ParseSize(maxEventSize)
	if err != nil {
		return Options{}, audit.Errorf(audit.EUSAGE, "--max-event-size: %v", err)
	}
	return Options{MaxEventSize: n}, nil
}

func (o Options) maxEvent() int {
	if o.MaxEventSize <= 0 {
		return DefaultMaxEventSize
	}
	return o.MaxEventSize
}

// tooLarge is the error of a record over the limit.
func tooLarge(limit int, where string) error {
	return fmt.Errorf("event larger than the %s limit (it starts at %s); --max-event-size raises the limit", bytesize.Format(limit), where)
}

// ParseSize reads a --max-event-size value: a number of bytes with an
// optional unit (512KiB, 4MiB), between MinMaxEventSize and MaxMaxEventSize.
func ParseSize(s string) (int, error) {
	return bytesize.Parse(s, MinMaxEventSize, MaxMaxEventSize)
}

// openField names the field being read at the end of partial, the start of
// a JSON record cut at the size limit: "actor", "initiated_by.email",
// "resources[2].ARN". It is "" when partial is not inside an object member.
// The walk is lax: partial is cut anywhere, and may be invalid JSON.
func openField(partial []byte) string {
	var stack []pathFrame
	if i := skipWS(partial, 0); i < len(partial) && partial[i] == '"' {
		// a line of a pretty-printed object: a member, or the start of one
		stack = append(stack, pathFrame{obj: true, wantKey: true})
	}
	for i := 0; i < len(partial); i++ {
		switch c := partial[i]; c {
		case '"':
			j := i + 1
			for j < len(partial) && partial[j] != '"' {
				if partial[j] == '\\' {
					j++
				}
				j++
			}
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				k := partial[i+1 : min(j, len(partial))]
				if len(k) > 64 {
					k = k[:64]
				}
				stack[n-1].key = string(k)
				stack[n-1].wantKey = false
			}
			i = j
		case '{', '[':
			if len(stack) >= 64 {
				return fieldPath(stack)
			}
			stack = append(stack, pathFrame{obj: c == '{', wantKey: c == '{'})
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 {
				if stack[n-1].obj {
					stack[n-1].wantKey, stack[n-1].key = true, ""
				} else {
					stack[n-1].idx++
				}
			}
		}
	}
	return fieldPath(stack)
}

// pathFrame is an open container of openField's walk.
type pathFrame struct {
	obj     bool
	wantKey bool // an object waiting for its next key
	key     string
	idx     int // an array's element index
}

// fieldPath joins the open containers below the record: keys by dots,
// array indexes in brackets. It stops at an object between members.
func fieldPath(stack []pathFrame) string {
	var b strings.Builder
	for i, f := range stack {
		switch {
		case !f.obj:
			if i > 0 || len(stack) > 1 {
				b.WriteString("[" + strconv.Itoa(f.idx) + "]")
			}
		case f.key == "":
			return strings.TrimPrefix(b.String(), ".")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}
