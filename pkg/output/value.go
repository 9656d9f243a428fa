package output

import (
	"bytes"
	"encoding/json"
	"io"
)

// WriteJSON writes one value as indented JSON (HTML characters unescaped),
// with the terminal-unsafe characters escaped as in every JSON output: the
// decoded value is exactly v.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(appendSafeJSON(nil, buf.Bytes()))
	return err
}
