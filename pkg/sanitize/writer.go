package sanitize

import (
	"bytes"
	"io"
)

// Writer passes text to a terminal line by line through Multiline, so
// that a stream of untrusted text (a CSV export printed on the terminal)
// can hold no control sequence. Close writes a last line without a newline.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer over w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (s *Writer) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	i := bytes.LastIndexByte(s.buf, '\n')
	if i < 0 {
		return len(p), nil
	}
	if _, err := io.WriteString(s.w, Multiline(string(s.buf[:i+1]))); err != nil {
		return 0, err
	}
	s.buf = append(s.buf[:0], s.buf[i+1:]...)
	return len(p), nil
}

// Close writes what is left.
func (s *Writer) Close() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(s.w, Multiline(string(s.buf)))
	s.buf = s.buf[:0]
	return err
}
