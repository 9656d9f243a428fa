package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/itchyny/gojq"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// JQInput turns v (events, a count document…) into the plain JSON value a
// jq expression runs over: its encoding/json encoding decoded again, with
// numbers kept exact as json.Number.
func JQInput(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("--jq: encode input: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("--jq: decode input: %w", err)
	}
	return out, nil
}

// WriteJQ runs the jq expression expr over v (a plain JSON value, see
// JQInput) and writes each result on its own line the way `gh --jq` does:
// a string result is written raw (as `jq -r`), any other value as compact
// JSON. Unlike gh, null is written as "null" rather than an empty line and
// non-integral numbers keep every digit (gh rounds them to two decimals);
// that is `jq -r -c`.
//
// A raw string can hold anything, so when the output is a terminal (isTTY)
// it goes through sanitize.Multiline; JSON results are always escaped
// terminal-safe. An expression that does not parse or compile is a usage
// error (EUSAGE); one that fails while running is EINVALID.
func WriteJQ(w io.Writer, expr string, v any, isTTY bool) error {
	q, err := gojq.Parse(expr)
	if err != nil {
		return audit.Errorf(audit.EUSAGE, "--jq: %v", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return audit.Errorf(audit.EUSAGE, "--jq: %v", err)
	}
	out := newFlusher(w)
	iter := code.Run(v)
	for {
		r, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := r.(error); ok {
			if h, ok := err.(*gojq.HaltError); ok && h.Value() == nil {
				break // `halt`: stop without an error
			}
			if ferr := out.flush(); ferr != nil {
				return ferr
			}
			return audit.Errorf(audit.EINVALID, "--jq: %v", err)
		}
		if s, ok := r.(string); ok {
			if isTTY {
				s = sanitize.Multiline(s)
			}
			out.buf = append(append(out.buf, s...), '\n')
		} else {
			b, err := gojq.Marshal(r)
			if err != nil {
				return audit.Errorf(audit.EINVALID, "--jq: %v", err)
			}
			out.buf = append(appendSafeJSON(out.buf, b), '\n')
		}
		if err := out.maybeFlush(); err != nil {
			return err
		}
	}
	return out.flush()
}
