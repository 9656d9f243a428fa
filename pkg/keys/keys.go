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
	// Reply is not a key: the terminal's answer to a query of the program
	// (cursor position, device attributes, colours, modes) or a report
	// (focus in/out), which terminals send on the input stream. Name says
	// what it is ("cursor position 2;2", "device attributes >0;95;0").
	Reply
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
	case Reply:
		return "reply"
	}
	return "unknown"
}

// Label is how a key is shown in a listing: text as typed, a paste as
// "[paste] text", a terminal reply as "‹reply: cursor position 2;2›",
// any other key in angle brackets ("<C-c>"). Text and paste still need
// sanitizing by whoever prints them.
func (k Key) Label() string {
	switch k.Kind {
	case Text:
		return k.Name
	case Paste:
		return "[paste] " + k.Name
	case Reply:
		return "‹reply: " + k.Name + "›"
	}
	return "<" + k.Name + ">"
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
//
// Terminal replies (Kind Reply) are told from keys by their syntax, except
// one: "ESC [ 1 ; m R" is both a cursor position report (row 1, column m)
// and, in xterm's encoding, F3 with modifier m (S-F3 for m=2). It is a
// reply when the program asked for the cursor position (ESC [ 6 n or
// ESC [ ? 6 n in the output, see Output) and that question has not been
// answered yet; otherwise it is the key. Every other cursor position
// report (a row other than 1, a column of 1 or above 16) is a reply
// whatever the output said. An OSC reply is "ESC ] digits ... BEL|ST" and
// a DCS reply "ESC P" then a parameter character (0-9 ; $ + ! | > =) ...
// ST: "ESC ]" or "ESC P" at the end of a write, or before anything else,
// is the key M-] or M-P.
type Decoder struct {
	pending []byte // an incomplete sequence carried to the next Decode
	paste   *strings.Builder
	str     *stringReply // an OSC or DCS reply being read
	afterCR bool         // the last byte decoded was '\r': a '\n' right after it is part of the same Enter
	// cprAsked counts the cursor position queries seen in the output and
	// not answered yet; outTail is the end of the output seen last, for
	// a query split across two writes.
	cprAsked int
	outTail  []byte
}

// stringReply is an OSC or DCS reply being read: its first bytes (enough
// to name it) and its length.
type stringReply struct {
	kind byte // ']' OSC, 'P' DCS
	head []byte
	n    int
}

const maxReplyHead = 128

func (s *stringReply) add(b []byte) {
	s.n += len(b)
	if room := maxReplyHead - len(s.head); room > 0 {
		s.head = append(s.head, b[:min(room, len(b))]...)
	}
}

// Output tells the decoder what the program wrote (the "o" events, in
// order with the input): a cursor position query there makes the next
// ambiguous "ESC [ 1 ; m R" a reply rather than a key. Without Output,
// that sequence is always the key.
func (d *Decoder) Output(p []byte) {
	const q1, q2 = "\x1b[6n", "\x1b[?6n"
	buf := append(d.outTail, p...)
	d.cprAsked += strings.Count(string(buf), q1) + strings.Count(string(buf), q2)
	if d.cprAsked > 16 {
		d.cprAsked = 16
	}
	// Keep a tail that may start a query, but never one a query ends in.
	keep := max(partialSuffix(buf, q1), partialSuffix(buf, q2))
	d.outTail = append(d.outTail[:0], buf[len(buf)-keep:]...)
}

// resolve settles the cursor position report / F3 ambiguity (see Decoder).
func (d *Decoder) resolve(k Key) Key {
	if k.Kind != Reply {
		return k
	}
	rest, ok := strings.CutPrefix(k.Name, "cursor position ")
	if !ok {
		return k
	}
	if d.cprAsked > 0 {
		d.cprAsked--
		return k
	}
	if row, col, ok := strings.Cut(rest, ";"); ok && row == "1" {
		if m, err := strconv.Atoi(col); err == nil && m >= 2 && m <= 16 {
			return Key{Kind: Special, Name: modifierPrefix(m) + "F3"}
		}
	}
	return k
}

// stringStart reports whether b starts an OSC or DCS reply (see Decoder).
func stringStart(b []byte) bool {
	if len(b) < 3 || b[0] != 0x1b {
		return false
	}
	switch b[1] {
	case ']':
		return b[2] >= '0' && b[2] <= '9'
	case 'P':
		return b[2] >= '0' && b[2] <= '9' || strings.IndexByte(";$+!|>=", b[2]) >= 0
	}
	return false
}

// endString ends the OSC or DCS reply being read.
func (d *Decoder) endString(dst []Key, cut bool) []Key {
	k := Key{Kind: Reply, Name: replyName(d.str)}
	if cut {
		k.Name += " (cut)"
	}
	d.str = nil
	return append(dst, k)
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
		if d.str != nil {
			i := 0
			for i < len(buf) && buf[i] >= 0x20 && buf[i] != 0x7f {
				i++
			}
			d.str.add(buf[:i])
			switch {
			case i == len(buf):
				return dst
			case buf[i] == 0x07: // BEL ends it
				dst = d.endString(dst, false)
				buf = buf[i+1:]
			case buf[i] == 0x1b && i+1 == len(buf):
				d.pending = []byte{0x1b} // perhaps ST, split
				return dst
			case buf[i] == 0x1b && buf[i+1] == '\\': // ST ends it
				dst = d.endString(dst, false)
				buf = buf[i+2:]
			default: // any other control: the reply was cut
				dst = d.endString(dst, true)
				buf = buf[i:]
			}
			continue
		}
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
		if stringStart(buf) {
			d.str = &stringReply{kind: buf[1]}
			buf = buf[2:]
			continue
		}
		k, n, complete := decodeOne(buf)
		k = d.resolve(k)
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
	if d.str != nil {
		d.pending = nil
		return d.endString(dst, true)
	}
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
		k = d.resolve(k)
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
	if name := csiReply(params, final); name != "" {
		return Key{Kind: Reply, Name: name}, n, true
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

// csiReply names a CSI sequence that is a terminal's reply or report, ""
// for anything else. params holds the parameter and intermediate bytes
// (all printable ASCII).
func csiReply(params string, final byte) string {
	prefix := ""
	if params != "" && strings.IndexByte("<=>?", params[0]) >= 0 {
		prefix, params = params[:1], params[1:]
	}
	inter := ""
	if j := strings.IndexFunc(params, func(r rune) bool { return r >= 0x20 && r <= 0x2f }); j >= 0 {
		params, inter = params[:j], params[j:]
	}
	switch {
	case final == 'R' && inter == "" && (prefix == "?" || strings.Contains(params, ";")):
		// A cursor position report (DSR 6 or DECXCPR); "1;m" may be a
		// modified F3: Decoder.resolve decides.
		return "cursor position " + params
	case final == 'c' && inter == "" && prefix != "" && prefix != "<":
		return "device attributes " + prefix + params
	case final == 'y' && inter == "$":
		return "mode " + prefix + decrqm(params)
	case (final == 'I' || final == 'O') && prefix == "" && params == "" && inter == "":
		if final == 'I' {
			return "focus in"
		}
		return "focus out"
	case final == '~' && prefix == "" && params == "201" && inter == "":
		return "paste end marker"
	case final == 'n' && inter == "" && (prefix == "?" || params == "0" || params == "3"):
		return "status " + prefix + params
	case final == 't' && prefix == "" && inter == "" && params != "":
		return "window report " + params
	case final == 'u' && prefix == "?" && inter == "":
		return "keyboard flags " + params
	case final == 'S' && prefix == "?" && inter == "":
		return "graphics attributes " + params
	}
	return ""
}

// decrqm names a DECRQM reply's "mode;value".
func decrqm(params string) string {
	mode, v, _ := strings.Cut(params, ";")
	states := map[string]string{"0": "not recognized", "1": "set", "2": "reset", "3": "permanently set", "4": "permanently reset"}
	if st, ok := states[v]; ok {
		return mode + " " + st
	}
	return params
}

// replyName names an OSC or DCS reply from its first bytes: printable
// ASCII only, cut to a readable length.
func replyName(s *stringReply) string {
	body := s.head
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		clean = append(clean, c)
	}
	text := string(clean)
	if len(text) > 48 {
		text = text[:48] + "…"
	}
	if s.kind == ']' {
		num, val, _ := strings.Cut(text, ";")
		switch num {
		case "10":
			return "foreground colour " + val
		case "11":
			return "background colour " + val
		case "12":
			return "cursor colour " + val
		case "4":
			return "palette colour " + val
		case "52":
			sel, _, _ := strings.Cut(val, ";")
			return "clipboard contents (" + strconv.Itoa(max(0, s.n-len(num)-len(sel)-2)) + " bytes)"
		}
		return "OSC " + text
	}
	switch {
	case strings.HasPrefix(text, ">|"):
		return "terminal version " + text[2:]
	case strings.HasPrefix(text, "!|"):
		return "terminal unit id " + text[2:]
	case len(text) >= 3 && text[1:3] == "$r":
		return "setting " + text
	case len(text) >= 3 && text[1:3] == "+r":
		return "termcap " + text
	}
	return "DCS " + text
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
