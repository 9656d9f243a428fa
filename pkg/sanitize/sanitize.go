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
	"unicode"
	"unicode/utf8"
	"unsafe"
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
	pass := &passLine
	if multiline {
		pass = &passText
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if pass[c] {
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
	b := make([]byte, i, len(s)+len(s)/2+16)
	copy(b, s[:i])
	b, _ = appendEscaped(b, s[i:], multiline, false)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not used again
}

// appendEscaped appends p to b with every unsafe character replaced by its
// visible escape: the one escaping loop of String, Multiline and the
// Terminal chokepoint. With multiline, newlines and tabs pass and a CR
// before a newline is dropped. With hold, an incomplete UTF-8 sequence or
// a CR at the very end of p is not written but counted in held (the
// caller keeps those bytes for its next write).
func appendEscaped[T string | []byte](b []byte, p T, multiline, hold bool) (out []byte, held int) {
	pass := &passLine
	if multiline {
		pass = &passText
	}
	for i := 0; i < len(p); {
		c := p[i]
		if pass[c] {
			j := i + 1
			for j < len(p) && pass[p[j]] {
				j++
			}
			b = append(b, p[i:j]...)
			i = j
			continue
		}
		if c < utf8.RuneSelf {
			i++
			switch {
			case multiline && c == '\r' && i < len(p) && p[i] == '\n':
				// CRLF: the newline is written next.
			case multiline && c == '\r' && i == len(p) && hold:
				return b, 1
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c == '\r':
				b = append(b, `\r`...)
			default:
				b = appendByteEscape(b, c)
			}
			continue
		}
		var buf [utf8.UTFMax]byte // decoded from a copy: no interface, no allocation
		n := copy(buf[:], p[i:])
		r, size := utf8.DecodeRune(buf[:n])
		switch {
		case r == utf8.RuneError && size <= 1:
			if hold && !utf8.FullRune(buf[:n]) {
				return b, len(p) - i
			}
			b = appendByteEscape(b, c)
			i++
			continue
		case safeNonASCII(r):
			b = append(b, p[i:i+size]...)
		default:
			b = appendRuneEscape(b, r)
		}
		i += size
	}
	return b, 0
}

// passLine and passText are the bytes String and Multiline pass as they
// are (printable ASCII; for Multiline also newline and tab).
var passLine, passText = func() (l, t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		l[c], t[c] = true, true
	}
	t['\n'], t['\t'] = true, true
	return l, t
}()

func appendByteEscape(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

func appendRuneEscape(b []byte, r rune) []byte {
	n := 4
	if r > 0xffff {
		b = append(b, '\\', 'U')
		n = 8
	} else {
		b = append(b, '\\', 'u')
	}
	for shift := (n - 1) * 4; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(r>>uint(shift))&0xf])
	}
	return b
}
