// Package keys turns the input bytes of a terminal session (the "i" events of
// a recording) into readable key names, and reconstructs the command lines
// that were typed.
//
// Input is untrusted: a recording may hold any byte. Names are built only
// from the fixed vocabulary below; printable text is passed through as typed
// and must still be sanitized by whoever prints it.
package keys

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind says what a Key is.
type Kind uint8

const (
	// Text is printable text (one or more characters typed or sent together).
	Text Kind = iota
	// Special is a named key: Enter, Tab, Backspace, C-c, Up, F5, ...
	Special
	// Paste is text delivered by bracketed paste (ESC [200~ ... ESC [201~).
	Paste
	// Mouse is a mouse report.
	Mouse
	// Unknown is an escape sequence without a name; Name shows its bytes.
	Unknown
)

func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case Special:
		return "key"
	case Paste:
		return "paste"
	case Mouse:
		return "mouse"
	}
	return "unknown"
}

// Key is one decoded key press, or a run of printable text.
type Key struct {
	Kind Kind
	// Name is the key's readable name ("Enter", "C-c", "M-Left") for Special,
	// Mouse and Unknown keys, and the text itself for Text and Paste.
	Name string
}

// Decoder decodes a stream of input bytes. An escape sequence (other than
// a lone ESC, which is the Esc key) or a UTF-8 character split across two
// writes (two input events) is decoded once the rest arrives. The zero
// value is ready to use.
type Decoder struct {
	pending []byte // an incomplete sequence carried to the next Decode
	paste   *strings.Builder
	afterCR bool // the last byte decoded was '\r': a '\n' right after it is part of the same Enter
}

// maxPending bounds a sequence kept across calls; longer garbage is flushed
// as Unknown.
const maxPending = 64

// Decode appends the keys in p to dst. Keys that are not complete at the end
// of p are kept for the next call (see Flush).
func (d *Decoder) Decode(dst []Key, p []byte) []Key {
	var buf []byte
	if len(d.pending) > 0 {
		buf = append(d.pending, p...)
		d.pending = nil
	} else {
		buf = p
	}
	for len(buf) > 0 {
		if d.paste != nil {
			end := strings.Index(string(buf), "\x1b[201~")
			if end < 0 {
				// Keep a possible partial terminator for the next call.
				keep := partialSuffix(buf, "\x1b[201~")
				d.paste.Write(buf[:len(buf)-keep])
				if keep > 0 {
					d.pending = append([]byte(nil), buf[len(buf)-keep:]...)
				}
				return dst
			}
			d.paste.Write(buf[:end])
			dst = append(dst, Key{Kind: Paste, Name: d.paste.String()})
			d.paste = nil
			buf = buf[end+len("\x1b[201~"):]
			continue
		}
		if d.afterCR && buf[0] == '\n' {
			d.afterCR = false
			buf = buf[1:]
			continue
		}
		d.afterCR = buf[0] == '\r'
		k, n, complete := decodeOne(buf)
		if !complete {
			d.afterCR = false
			if len(buf) <= maxPending {
				d.pending = append([]byte(nil), buf...)
				return dst
			}
			k, n = unknown(buf[:1]), 1
		}
		buf = buf[n:]
		if k.Kind == Special && k.Name == "PasteStart" {
			d.paste = &strings.Builder{}
			continue
		}
		if k.Kind == Text && len(dst) > 0 && dst[len(dst)-1].Kind == Text {
			dst[len(dst)-1].Name += k.Name
			continue
		}
		dst = append(dst, k)
	}
	return dst
}

// Flush returns what is still pending at the end of the input: an
// unterminated paste, or a lone or cut escape sequence.
func (d *Decoder) Flush(dst []Key) []Key {
	if d.paste != nil {
		d.paste.Write(d.pending)
		dst = append(dst, Key{Kind: Paste, Name: d.paste.String()})
		d.paste, d.pending = nil, nil
		return dst
	}
	p := d.pending
	d.pending = nil
	for len(p) > 0 {
		if p[0] == 0x1b && len(p) == 1 {
			return append(dst, Key{Kind: Special, Name: "Esc"})
		}
		k, n, complete := decodeOne(p)
		if !complete {
			k, n = unknown(p[:1]), 1
			if p[0] == 0x1b {
				k = Key{Kind: Special, Name: "Esc"}
			}
		}
		dst = append(dst, k)
		p = p[n:]
	}
	return dst
}

// DecodeString decodes one self-contained input string.
func DecodeString(s string) []Key {
	var d Decoder
	keys := d.Decode(nil, []byte(s))
	return d.Flush(keys)
}

// partialSuffix returns the length of the longest suffix of b that is a
// proper prefix of term.
func partialSuffix(b []byte, term string) int {
	for n := min(len(term)-1, len(b)); n > 0; n-- {
		if string(b[len(b)-n:]) == term[:n] {
			return n
		}
	}
	return 0
}

var ctrlNames = [32]string{
	0x00: "C-Space", 0x08: "Backspace", 0x09: "Tab", 0x0a: "Enter", 0x0d: "Enter",
	0x1b: "Esc", 0x1c: `C-\`, 0x1d: "C-]", 0x1e: "C-^", 0x1f: "C-_",
}

func init() {
	for c := byte(1); c <= 26; c++ {
		if ctrlNames[c] == "" {
			ctrlNames[c] = "C-" + string(rune('a'+c-1))
		}
	}
}

// decodeOne decodes the key at the start of b. complete is false when b ends
// inside a sequence that may still be completed by more input.
func decodeOne(b []byte) (k Key, n int, complete bool) {
	c := b[0]
	switch {
	case c == 0x1b:
		return decodeEsc(b)
	case c < 0x20:
		return Key{Kind: Special, Name: ctrlNames[c]}, 1, true
	case c == 0x7f:
		return Key{Kind: Special, Name: "Backspace"}, 1, true
	case c < 0x80:
		i := 1
		for i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
			i++
		}
		return Key{Kind: Text, Name: string(b[:i])}, i, true
	}
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError && size <= 1 {
		if !utf8.FullRune(b) {
			return Key{}, 0, false
		}
		return unknown(b[:1]), 1, true
	}
	if r >= 0x80 && r < 0xa0 { // C1 controls
		return unknown(b[:size]), size, true
	}
	return Key{Kind: Text, Name: string(b[:size])}, size, true
}

func decodeEsc(b []byte) (Key, int, bool) {
	if len(b) == 1 {
		// A lone ESC at the end of a read is the Esc key: a terminal sends
		// an escape sequence in one write, and a person pressing Esc and
		// then ':' (vi) must not become M-:.
		return Key{Kind: Special, Name: "Esc"}, 1, true
	}
	switch c := b[1]; {
	case c == '[':
		return decodeCSI(b)
	case c == 'O':
		if len(b) < 3 {
			return Key{}, 0, false
		}
		if name, ok := ss3Names[b[2]]; ok {
			return Key{Kind: Special, Name: name}, 3, true
		}
		return unknown(b[:3]), 3, true
	case c == 0x1b:
		// ESC ESC: a lone Esc followed by something; decode the first.
		return Key{Kind: Special, Name: "Esc"}, 1, true
	case c < 0x20 || c == 0x7f:
		k, n, _ := decodeOne(b[1:])
		return Key{Kind: Special, Name: "M-" + k.Name}, 1 + n, true
	default:
		r, size := utf8.DecodeRune(b[1:])
		if r == utf8.RuneError && size <= 1 && !utf8.FullRune(b[1:]) {
			return Key{}, 0, false
		}
		if (r == utf8.RuneError && size <= 1) || !unicode.IsGraphic(r) {
			return Key{Kind: Special, Name: "Esc"}, 1, true
		}
		return Key{Kind: Special, Name: "M-" + string(b[1:1+size])}, 1 + size, true
	}
}

var ss3Names = map[byte]string{
	'A': "Up", 'B': "Down", 'C': "Right", 'D': "Left", 'H': "Home", 'F': "End",
	'P': "F1", 'Q': "F2", 'R': "F3", 'S': "F4", 'M': "Enter",
}

var csiFinalNames = map[byte]string{
	'A': "Up", 'B': "Down", 'C': "Right", 'D': "Left", 'H': "Home", 'F': "End",
	'E': "Begin", 'P': "F1", 'Q': "F2", 'R': "F3", 'S': "F4", 'Z': "S-Tab",
	'I': "FocusIn", 'O': "FocusOut",
}

var tildeNames = map[int]string{
	1: "Home", 2: "Insert", 3: "Delete", 4: "End", 5: "PgUp", 6: "PgDn", 7: "Home", 8: "End",
	11: "F1", 12: "F2", 13: "F3", 14: "F4", 15: "F5", 17: "F6", 18: "F7", 19: "F8",
	20: "F9", 21: "F10", 23: "F11", 24: "F12", 200: "PasteStart",
}

// modifierPrefix turns an xterm modifier parameter (1 + bits shift=1,
// alt=2, ctrl=4) into a prefix such as "C-S-".
func modifierPrefix(m int) string {
	if m < 2 || m > 16 {
		return ""
	}
	m--
	var s string
	if m&4 != 0 {
		s += "C-"
	}
	if m&2 != 0 {
		s += "M-"
	}
	if m&1 != 0 {
		s += "S-"
	}
	return s
}

func decodeCSI(b []byte) (Key, int, bool) {
	// X10 mouse: ESC [ M cb cx cy.
	if len(b) >= 3 && b[2] == 'M' {
		if len(b) < 6 {
			return Key{}, 0, false
		}
		return Key{Kind: Mouse, Name: "Mouse"}, 6, true
	}
	// A key sequence has a few parameter bytes; more than maxCSI is garbage,
	// cut at a fixed length so that the result does not depend on how the
	// input was split into writes.
	const maxCSI = 32
	i := 2
	for i < len(b) && i < 2+maxCSI && b[i] >= 0x30 && b[i] <= 0x3f {
		i++
	}
	for i < len(b) && i < 2+maxCSI && b[i] >= 0x20 && b[i] <= 0x2f {
		i++
	}
	if i == 2+maxCSI {
		return unknown(b[:i]), i, true
	}
	if i >= len(b) {
		return Key{}, 0, false
	}
	final := b[i]
	n := i + 1
	if final < 0x40 || final > 0x7e {
		return unknown(b[:i]), i, true
	}
	params := string(b[2:i])
	if strings.HasPrefix(params, "<") && (final == 'M' || final == 'm') {
		return Key{Kind: Mouse, Name: "Mouse"}, n, true
	}
	var nums []int
	for _, f := range strings.Split(params, ";") {
		if f == "" {
			nums = append(nums, 0)
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil {
			return unknown(b[:n]), n, true
		}
		nums = append(nums, v)
	}
	mod := ""
	if len(nums) >= 2 {
		mod = modifierPrefix(nums[1])
	}
	if final == '~' {
		if len(nums) == 0 {
			return unknown(b[:n]), n, true
		}
		if name, ok := tildeNames[nums[0]]; ok {
			return Key{Kind: Special, Name: mod + name}, n, true
		}
		return unknown(b[:n]), n, true
	}
	if name, ok := csiFinalNames[final]; ok && len(nums) <= 2 {
		return Key{Kind: Special, Name: mod + name}, n, true
	}
	return unknown(b[:n]), n, true
}

// unknown names a sequence by its bytes: "Esc [ 9 9 z". Control bytes are
// shown in caret or hex notation so the name is always printable.
func unknown(b []byte) Key {
	var sb strings.Builder
	for i := 0; i < len(b); {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		c := b[i]
		switch {
		case c == 0x1b:
			sb.WriteString("Esc")
		case c < 0x20 || c == 0x7f:
			sb.WriteString("0x" + strconv.FormatUint(uint64(c), 16))
		case c < 0x80:
			sb.WriteByte(c)
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError || (r >= 0x80 && r < 0xa0) {
				sb.WriteString("0x" + strconv.FormatUint(uint64(c), 16))
				size = 1
			} else {
				sb.WriteString(string(b[i : i+size]))
			}
			i += size
			continue
		}
		i++
	}
	return Key{Kind: Unknown, Name: sb.String()}
}
