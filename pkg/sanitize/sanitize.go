// Package sanitize makes untrusted text safe to print on a terminal.
//
// Everything auditctl prints from a log (actors, actions, descriptions,
// parameters) is attacker-controlled. Written raw, it could move the cursor,
// rewrite earlier lines, set the window title, write the clipboard (OSC 52),
// plant hyperlinks (OSC 8) or reorder what the reader sees (bidi overrides).
// String and Multiline replace every such character by a visible escape, so
// the text is shown, never executed:
//
//   - C0 controls and DEL: "\t", "\n", "\r" by name, the others as "\x1b" etc.;
//   - C1 controls (U+0080–U+009F): "\u009b";
//   - format characters (category Cf: bidi controls, zero-width characters,
//     U+FEFF, tag characters…) and the line and paragraph separators
//     (U+2028, U+2029): "\u202e", "\U000e0001";
//   - bytes that are not valid UTF-8: "\xff".
//
// An escape sequence (CSI, OSC, DCS…) is thereby neutralized as a whole: its
// introducer becomes the visible text "\x1b" (or "\u009b") and the rest of
// it is inert printable text. A backslash is not itself escaped, so the
// result is for reading, not for decoding: the text `\x1b` and a real ESC
// look alike, but neither reaches the terminal as a control.
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// String returns s with every character that could control a terminal
// replaced by a visible escape, tabs and newlines included, so the result
// stays on one line (a table cell). It returns s itself, without
// allocating, when s is already clean.
func String(s string) string { return sanitize(s, false) }

// Multiline is String that keeps newlines and tabs, for multi-line text
// such as a description or an indented JSON block. A CR directly before a
// newline (a CRLF line end) is dropped; any other CR is escaped, since a
// lone CR lets a later text overwrite the start of a line.
func Multiline(s string) string { return sanitize(s, true) }

// IsClean reports whether String(s) == s.
func IsClean(s string) bool { return firstUnsafe(s, false) < 0 }

// Safe reports whether r may be written to a terminal as it is. Newline and
// tab are not safe by this definition (they break a single-line cell).
func Safe(r rune) bool {
	if r < 0x80 {
		return r >= 0x20 && r != 0x7f
	}
	return safeNonASCII(r)
}

func safeNonASCII(r rune) bool {
	switch {
	case r < 0xa0: // C1 controls
		return false
	case r == utf8.RuneError: // callers check the size for invalid bytes
		return true
	case r == 0x2028 || r == 0x2029:
		return false
	case r < 0xad:
		return true
	}
	return !unicode.Is(unicode.Cf, r)
}

// firstUnsafe returns the byte index of the first character of s that must
// be escaped, or -1.
func firstUnsafe(s string, multiline bool) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f || multiline && (c == '\n' || c == '\t') {
				i++
				continue
			}
			return i
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !safeNonASCII(r) {
			return i
		}
		i += size
	}
	return -1
}

func sanitize(s string, multiline bool) string {
	i := firstUnsafe(s, multiline)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 0x20 && c != 0x7f:
				b.WriteByte(c)
			case multiline && (c == '\n' || c == '\t'):
				b.WriteByte(c)
			case multiline && c == '\r' && i < len(s) && s[i] == '\n':
				// CRLF: the newline is written next.
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\r':
				b.WriteString(`\r`)
			default:
				writeByteEscape(&b, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeByteEscape(&b, c)
		case safeNonASCII(r):
			b.WriteString(s[i : i+size])
		default:
			writeRuneEscape(&b, r)
		}
		i += size
	}
	return b.String()
}

func writeByteEscape(b *strings.Builder, c byte) {
	b.WriteString(`\x`)
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&0xf])
}

func writeRuneEscape(b *strings.Builder, r rune) {
	n := 4
	if r > 0xffff {
		b.WriteString(`\U`)
		n = 8
	} else {
		b.WriteString(`\u`)
	}
	for shift := (n - 1) * 4; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>uint(shift))&0xf])
	}
}
