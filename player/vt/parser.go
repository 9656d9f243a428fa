package vt

// The parser is a byte-at-a-time DEC/VT500 state machine (after the state
// diagram published at vt100.net), extended with UTF-8 decoding in the ground
// state and colon sub-parameters in CSI sequences. It knows nothing about the
// screen: feed returns an action, and the terminal reads the collected
// parameters, intermediates and final byte from the parser to carry it out.
// All of its state is plain values (no pointers), so that a snapshot is a copy.

type pstate uint8

const (
	sGround pstate = iota
	sEscape
	sEscInt
	sCSIEntry
	sCSIParam
	sCSIInt
	sCSIIgnore
	sOSC
	sDCSEntry
	sDCSParam
	sDCSInt
	sDCSPass
	sDCSIgnore
	sSOS // SOS, PM and APC strings: ignored up to ST
	numStates
)

type action uint8

const (
	aNone  action = iota
	aPrint        // print p.r
	aExec         // execute the C0 control p.final
	aEsc          // escape sequence: p.inter, p.final
	aCSI          // control sequence: p.prefix, p.params, p.inter, p.final
	aOSC          // operating system command: p.osc[:p.oscLen]
)

const (
	maxParams  = 32
	maxParam   = 65535
	oscMax     = 2048 // longest OSC string kept; the rest is dropped
	maxInter   = 2
	utf8Repl   = '\uFFFD'
	escapeByte = 0x1b
)

type parser struct {
	state pstate

	// UTF-8 decoding (ground state only).
	u8need     uint8 // continuation bytes still expected; 0 when not in a sequence
	u8lo, u8hi byte  // accepted range of the next continuation byte
	u8rune     rune  // code point decoded so far

	// The sequence being collected.
	prefix  byte // private marker: '?', '>', '<', '=' or 0
	ninter  uint8
	inter   [maxInter]byte
	ignore  bool // too many intermediates or parameters: dispatch nothing
	nparams uint8
	params  [maxParams]uint16
	sub     uint32 // bit i set: params[i] followed a ':' (a sub-parameter)
	final   byte   // final byte of the sequence, or the C0 control to execute

	oscLen int
	osc    [oscMax]byte
	r      rune // the rune to print (aPrint)
	redo   bool // the byte just fed must be fed again (after an invalid UTF-8 sequence)
}

func (p *parser) clear() {
	p.prefix = 0
	p.ninter = 0
	p.ignore = false
	p.nparams = 0
	p.params[0] = 0
	p.sub = 0
	p.final = 0
}

func (p *parser) collect(b byte) {
	if int(p.ninter) >= maxInter {
		p.ignore = true
		return
	}
	p.inter[p.ninter] = b
	p.ninter++
}

// inter1 returns the first intermediate byte, or 0.
func (p *parser) inter1() byte {
	if p.ninter == 0 {
		return 0
	}
	return p.inter[0]
}

func (p *parser) param(b byte) {
	if p.nparams == 0 {
		p.nparams = 1
		p.params[0] = 0
	}
	switch b {
	case ';', ':':
		if int(p.nparams) >= maxParams {
			p.ignore = true
			return
		}
		p.params[p.nparams] = 0
		if b == ':' {
			p.sub |= 1 << p.nparams
		}
		p.nparams++
	default:
		v := uint32(p.params[p.nparams-1])*10 + uint32(b-'0')
		if v > maxParam {
			v = maxParam
		}
		p.params[p.nparams-1] = uint16(v)
	}
}

// feed advances the state machine by one byte.
func (p *parser) feed(b byte) action {
	// Transitions from anywhere.
	switch b {
	case 0x18, 0x1a, escapeByte: // CAN, SUB, ESC
		if p.state == sGround && p.u8need != 0 {
			p.u8need = 0
			p.r = utf8Repl
			p.redo = true
			return aPrint
		}
		if b != escapeByte {
			p.state = sGround
			return aNone
		}
		prev := p.state
		p.state = sEscape
		p.clear()
		if prev == sOSC {
			return aOSC
		}
		return aNone
	}
	switch p.state {
	case sGround:
		return p.ground(b)
	case sEscape:
		switch {
		case b < 0x20:
			p.final = b
			return aExec
		case b < 0x30:
			p.collect(b)
			p.state = sEscInt
		case b == 'P':
			p.clear()
			p.state = sDCSEntry
		case b == '[':
			p.clear()
			p.state = sCSIEntry
		case b == ']':
			p.oscLen = 0
			p.state = sOSC
		case b == 'X' || b == '^' || b == '_':
			p.state = sSOS
		case b < 0x7f:
			p.final = b
			p.state = sGround
			return aEsc
		}
	case sEscInt:
		switch {
		case b < 0x20:
			p.final = b
			return aExec
		case b < 0x30:
			p.collect(b)
		case b < 0x7f:
			p.final = b
			p.state = sGround
			if p.ignore {
				return aNone
			}
			return aEsc
		}
	case sCSIEntry, sCSIParam:
		switch {
		case b < 0x20:
			p.final = b
			return aExec
		case b < 0x30:
			p.collect(b)
			p.state = sCSIInt
		case b < 0x3c: // digits, ':' and ';'
			p.param(b)
			p.state = sCSIParam
		case b < 0x40: // private markers
			if p.state == sCSIEntry {
				p.prefix = b
				p.state = sCSIParam
			} else {
				p.state = sCSIIgnore
			}
		case b < 0x7f:
			return p.dispatchCSI(b)
		}
	case sCSIInt:
		switch {
		case b < 0x20:
			p.final = b
			return aExec
		case b < 0x30:
			p.collect(b)
		case b < 0x40:
			p.state = sCSIIgnore
		case b < 0x7f:
			return p.dispatchCSI(b)
		}
	case sCSIIgnore:
		switch {
		case b < 0x20:
			p.final = b
			return aExec
		case b >= 0x40 && b < 0x7f:
			p.state = sGround
		}
	case sOSC:
		switch {
		case b == 0x07:
			p.state = sGround
			return aOSC
		case b < 0x20 || b == 0x7f:
			// ignored
		default:
			if p.oscLen < oscMax {
				p.osc[p.oscLen] = b
				p.oscLen++
			}
		}
	case sDCSEntry, sDCSParam:
		switch {
		case b < 0x20:
		case b < 0x30:
			p.collect(b)
			p.state = sDCSInt
		case b < 0x3c:
			p.param(b)
			p.state = sDCSParam
		case b < 0x40:
			if p.state == sDCSEntry {
				p.prefix = b
				p.state = sDCSParam
			} else {
				p.state = sDCSIgnore
			}
		case b < 0x7f:
			p.final = b
			p.state = sDCSPass
		}
	case sDCSInt:
		switch {
		case b < 0x20:
		case b < 0x30:
			p.collect(b)
		case b < 0x40:
			p.state = sDCSIgnore
		case b < 0x7f:
			p.final = b
			p.state = sDCSPass
		}
	case sDCSPass, sDCSIgnore, sSOS:
		// Data is ignored up to ST (ESC \), CAN or SUB.
	}
	return aNone
}

func (p *parser) dispatchCSI(b byte) action {
	p.final = b
	p.state = sGround
	if p.ignore {
		return aNone
	}
	if p.nparams == 0 {
		p.nparams = 1
		p.params[0] = 0
	}
	return aCSI
}

// ground handles a byte in the ground state: controls, ASCII and UTF-8.
func (p *parser) ground(b byte) action {
	if p.u8need != 0 {
		if b < p.u8lo || b > p.u8hi {
			// Invalid continuation: the partial sequence becomes U+FFFD and
			// the byte is processed again on its own.
			p.u8need = 0
			p.r = utf8Repl
			p.redo = true
			return aPrint
		}
		p.u8rune = p.u8rune<<6 | rune(b&0x3f)
		p.u8lo, p.u8hi = 0x80, 0xbf
		p.u8need--
		if p.u8need != 0 {
			return aNone
		}
		p.r = p.u8rune
		return aPrint
	}
	switch {
	case b < 0x20:
		p.final = b
		return aExec
	case b < 0x7f:
		p.r = rune(b)
		return aPrint
	case b == 0x7f:
		return aNone
	case b < 0xc2: // continuation byte without a lead, or an overlong lead
		p.r = utf8Repl
		return aPrint
	case b < 0xe0:
		p.u8need, p.u8rune, p.u8lo, p.u8hi = 1, rune(b&0x1f), 0x80, 0xbf
	case b < 0xf0:
		p.u8need, p.u8rune, p.u8lo, p.u8hi = 2, rune(b&0x0f), 0x80, 0xbf
		if b == 0xe0 {
			p.u8lo = 0xa0
		} else if b == 0xed {
			p.u8hi = 0x9f
		}
	case b < 0xf5:
		p.u8need, p.u8rune, p.u8lo, p.u8hi = 3, rune(b&0x07), 0x80, 0xbf
		if b == 0xf0 {
			p.u8lo = 0x90
		} else if b == 0xf4 {
			p.u8hi = 0x8f
		}
	default:
		p.r = utf8Repl
		return aPrint
	}
	return aNone
}

// valid reports whether the parser's fields are consistent (used to vet a
// decoded snapshot).
func (p *parser) valid() bool {
	if p.state >= numStates || p.u8need > 3 || p.ninter > maxInter ||
		p.nparams > maxParams || p.oscLen < 0 || p.oscLen > oscMax {
		return false
	}
	if p.u8need != 0 && (p.state != sGround || p.u8lo < 0x80 || p.u8hi > 0xbf || p.u8lo > p.u8hi || p.u8rune < 0 || p.u8rune > 0x10ffff>>(6*p.u8need)) {
		return false
	}
	for i := range p.params {
		if p.params[i] > maxParam {
			return false
		}
	}
	if p.r < 0 || p.r > 0x10ffff {
		return false
	}
	return true
}
