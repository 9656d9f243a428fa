package output

import (
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/sanitize"
)

const hexDigits = "0123456789abcdef"

// appendSafeJSON appends the JSON text src to dst with DEL, C1 controls,
// format characters (bidi controls, zero-width characters…) and the line
// and paragraph separators written as \u escapes, and bytes that are not
// UTF-8 as \ufffd (what a JSON decoder reads them as anyway). Such
// characters can only occur inside strings, where the escape decodes to
// the same value, so the document means exactly what src means but is safe
// to print on a terminal. encoding/json already escapes the C0 controls.
func appendSafeJSON(dst, src []byte) []byte {
	return appendTerminalSafe(dst, src, true, func(dst []byte, r rune) []byte {
		r -= 0x10000 // a UTF-16 surrogate pair
		dst = appendU4(dst, 0xd800+(r>>10))
		return appendU4(dst, 0xdc00+(r&0x3ff))
	})
}

// appendTerminalSafe copies the text src to dst with every rune a terminal
// may act on written as a \u escape (astral ones by astral), invalid UTF-8
// as \ufffd, and DEL escaped when escapeDEL. It is the shared core of the
// JSON and YAML writers: both formats read such escapes back as the rune.
func appendTerminalSafe(dst, src []byte, escapeDEL bool, astral func([]byte, rune) []byte) []byte {
	i := 0
	for i < len(src) && src[i] < 0x7f {
		i++
	}
	if i == len(src) {
		return append(dst, src...)
	}
	dst = append(dst, src[:i]...)
	for i < len(src) {
		c := src[i]
		if c < 0x7f || c == 0x7f && !escapeDEL {
			dst = append(dst, c)
			i++
			continue
		}
		if c == 0x7f {
			dst = append(dst, `\u007f`...)
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case sanitize.Safe(r):
			dst = append(dst, src[i:i+size]...)
		case r > 0xffff:
			dst = astral(dst, r)
		default:
			dst = appendU4(dst, r)
		}
		i += size
	}
	return dst
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u',
		hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}
