package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// yamlWriter writes a YAML sequence, one "- " item per event, with the keys
// of the JSON encoding in the same order and the JSON documents (params,
// custom, before, after, geo, raw) as YAML structures.
type yamlWriter struct {
	out    *flusher
	n      int
	closed bool
	tmp    bytes.Buffer
}

func (yw *yamlWriter) Write(e *audit.Event) error {
	if yw.closed {
		return errClosed
	}
	b, err := json.Marshal(e)
	if err != nil {
		return encodeError(e, err)
	}
	if err := yw.item(b); err != nil {
		return fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	return yw.out.maybeFlush()
}

// item appends the JSON document b as one item of the sequence.
func (yw *yamlWriter) item(b []byte) error {
	node, err := jsonToYAML(b)
	if err != nil {
		return err
	}
	yw.tmp.Reset()
	if err := encodeYAML(&yw.tmp, &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{node}}); err != nil {
		return err
	}
	yw.out.buf = appendSafeYAML(yw.out.buf, yw.tmp.Bytes())
	yw.n++
	return nil
}

func (yw *yamlWriter) Close() error {
	if yw.closed {
		return yw.out.err
	}
	yw.closed = true
	if yw.n == 0 {
		yw.out.buf = append(yw.out.buf, "[]\n"...)
	}
	return yw.out.flush()
}

// writeYAMLValue writes v (anything encoding/json encodes) as one YAML
// document built from its JSON encoding.
func writeYAMLValue(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	node, err := jsonToYAML(b)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := encodeYAML(&buf, node); err != nil {
		return err
	}
	_, err = w.Write(appendSafeYAML(nil, buf.Bytes()))
	return err
}

func encodeYAML(w io.Writer, n *yaml.Node) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return err
	}
	return enc.Close()
}

// jsonToYAML converts a JSON document to a YAML node tree, keeping the key
// order and the number literals of the JSON text.
func jsonToYAML(b []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return jsonNode(dec)
}

func jsonNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := jsonNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, strNode(k), v)
			}
			_, err := dec.Token() // '}'
			return n, err
		}
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for dec.More() {
			v, err := jsonNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		_, err := dec.Token() // ']'
		return n, err
	case string:
		return strNode(t), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// strNode is a string scalar. A string holding anything sanitize would
// escape is double-quoted, the one YAML style with escapes: the yaml
// library escapes controls there, and appendSafeYAML the format characters.
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if !sanitize.IsClean(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// appendSafeYAML appends the YAML text src with the characters the yaml
// library leaves raw but a terminal may act on (bidi and other format
// characters, U+0085) written as \u escapes. Such characters only occur in
// strings strNode double-quoted, where the escape means the same.
func appendSafeYAML(dst, src []byte) []byte {
	return appendTerminalSafe(dst, src, false, func(dst []byte, r rune) []byte {
		return append(dst, '\\', 'U', '0', '0',
			hexDigits[r>>20&0xf], hexDigits[r>>16&0xf],
			hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
	})
}
