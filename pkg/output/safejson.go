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
		if c < 0x7f {
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
			r -= 0x10000
			dst = appendU4(dst, 0xd800+(r>>10))
			dst = appendU4(dst, 0xdc00+(r&0x3ff))
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
