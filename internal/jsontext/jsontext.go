// Package jsontext appends JSON text by hand, for the hot paths (import,
// demo generation, recording) where encoding/json's reflection costs too
// much.
package jsontext

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string the way Python's json.dumps with
// ensure_ascii=False writes it (and so asciinema): '"', '\\' and the
// control characters below 0x20 escaped (\n, \r, \t, \b, \f, the others as
// \u00XX), everything else as UTF-8. Invalid UTF-8 becomes U+FFFD, as with
// encoding/json.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight plain ASCII bytes at a time (terminal output is mostly
		// printable text between escapes).
		for i+8 <= len(s) && plain8(load8(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// plain8 reports whether none of the eight bytes of x needs escaping or
// UTF-8 checking: all in 0x20..0x7f except '"' and '\\'.
func plain8(x uint64) bool {
	quote := x ^ (lo8 * '"')
	bslash := x ^ (lo8 * '\\')
	// x: a byte >= 0x80; (v-lo8*n)&^v: some byte of v below n (exact as
	// a yes/no, whatever the borrows do to the bits past it).
	return (x|((x-lo8*0x20)&^x)|((quote-lo8)&^quote)|((bslash-lo8)&^bslash))&hi8 == 0
}

// load8 is the eight bytes of s at i, little-endian (one load).
func load8(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
