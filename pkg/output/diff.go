package output

import (
	"bytes"
	"encoding/json"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/auditctl/auditctl/pkg/audit"
)

// The operations of a Change.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
)

// Change is one difference between a before and an after state.
type Change struct {
	// Path locates the value: object keys joined by dots
	// ("address.city"), a key that is not a plain identifier written as
	// ["key"] (`labels["app.kubernetes.io/name"]`), "" for the whole
	// document.
	Path string `json:"path"`
	Op   string `json:"op"` // OpAdded, OpRemoved or OpChanged
	// Old and New are the values as compact JSON; Old is nil when added,
	// New when removed.
	Old json.RawMessage `json:"old,omitempty"`
	New json.RawMessage `json:"new,omitempty"`
}

// Diff compares two JSON states field by field. Objects are walked
// recursively, so a change deep inside is reported at its own path; arrays
// and scalars are compared as whole values (numbers by value: 1 equals
// 1.0). An absent state (empty or JSON null at the top) counts as
// nothing, so a creation lists every field as added. When either state is
// not an object the comparison is of the whole values, at path "". The
// changes are sorted by path. Invalid JSON is an EINVALID error.
func Diff(before, after json.RawMessage) ([]Change, error) {
	b, err := parseState("before", before)
	if err != nil {
		return nil, err
	}
	a, err := parseState("after", after)
	if err != nil {
		return nil, err
	}
	var changes []Change
	diffValues(&changes, "", b, a)
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, nil
}

// parseState returns nil for an absent state.
func parseState(name string, raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, audit.Errorf(audit.EINVALID, "%s state is not valid JSON", name)
	}
	return raw, nil
}

func diffValues(out *[]Change, path string, b, a json.RawMessage) {
	bo, bIsObj := asObject(b)
	ao, aIsObj := asObject(a)
	switch {
	case b == nil && a == nil:
	case b == nil && aIsObj && len(ao) > 0:
		for k, v := range ao {
			diffValues(out, joinPath(path, k), nil, v)
		}
	case a == nil && bIsObj && len(bo) > 0:
		for k, v := range bo {
			diffValues(out, joinPath(path, k), v, nil)
		}
	case b == nil:
		*out = append(*out, Change{Path: path, Op: OpAdded, New: compact(a)})
	case a == nil:
		*out = append(*out, Change{Path: path, Op: OpRemoved, Old: compact(b)})
	case bIsObj && aIsObj:
		for k, bv := range bo {
			diffValues(out, joinPath(path, k), bv, ao[k])
		}
		for k, av := range ao {
			if _, ok := bo[k]; !ok {
				diffValues(out, joinPath(path, k), nil, av)
			}
		}
	case !jsonEqual(b, a):
		*out = append(*out, Change{Path: path, Op: OpChanged, Old: compact(b), New: compact(a)})
	}
}

// asObject decodes raw when it is a JSON object. A key holding null is
// kept as the text "null", so null differs from absent.
func asObject(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false
	}
	return m, true
}

var identRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`) })

func joinPath(path, key string) string {
	if !identRE().MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func compact(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// jsonEqual compares two JSON values by meaning: key order and
// whitespace do not matter, numbers compare by value.
func jsonEqual(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	va, ok1 := decodeExact(a)
	vb, ok2 := decodeExact(b)
	return ok1 && ok2 && valueEqual(va, vb)
}

func decodeExact(raw json.RawMessage) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v) == nil
}

func valueEqual(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !valueEqual(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !valueEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if strings.ContainsAny(string(x)+string(y), "eE") {
			// big.Rat would expand 1e999999999; floats are close enough.
			fx, err1 := x.Float64()
			fy, err2 := y.Float64()
			return err1 == nil && err2 == nil && fx == fy
		}
		rx, ok1 := new(big.Rat).SetString(string(x))
		ry, ok2 := new(big.Rat).SetString(string(y))
		return ok1 && ok2 && rx.Cmp(ry) == 0
	}
	return a == b
}
