package vt

import "fmt"

// Attr is a set of text attributes.
type Attr uint16

// Text attributes.
const (
	AttrBold Attr = 1 << iota
	AttrFaint
	AttrItalic
	AttrUnderline // any underline style (single, double, curly, dotted, dashed)
	AttrBlink     // slow or rapid
	AttrInverse
	AttrInvisible
	AttrStrike
)

const attrMask = AttrBold | AttrFaint | AttrItalic | AttrUnderline | AttrBlink | AttrInverse | AttrInvisible | AttrStrike

// Color is a foreground or background color: the default color (the zero
// value), one of the 256 indexed colors, or a 24-bit RGB color.
type Color uint32

const (
	colorIndexed = 1 << 24
	colorRGB     = 2 << 24
	colorKind    = 0xff << 24
)

// IndexedColor returns indexed color n: 0-7 the ANSI colors, 8-15 their
// bright forms, 16-255 the 256-color palette.
func IndexedColor(n uint8) Color { return Color(colorIndexed | uint32(n)) }

// RGBColor returns a 24-bit color.
func RGBColor(r, g, b uint8) Color {
	return Color(colorRGB | uint32(r)<<16 | uint32(g)<<8 | uint32(b))
}

// IsDefault reports whether c is the terminal's default color.
func (c Color) IsDefault() bool { return c == 0 }

// Indexed returns the palette index of an indexed color.
func (c Color) Indexed() (n uint8, ok bool) {
	if c&colorKind == colorIndexed {
		return uint8(c), true
	}
	return 0, false
}

// RGB returns the components of a 24-bit color.
func (c Color) RGB() (r, g, b uint8, ok bool) {
	if c&colorKind == colorRGB {
		return uint8(c >> 16), uint8(c >> 8), uint8(c), true
	}
	return 0, 0, 0, false
}

// String returns "default", "idx(N)" or "#rrggbb".
func (c Color) String() string {
	if n, ok := c.Indexed(); ok {
		return fmt.Sprintf("idx(%d)", n)
	}
	if r, g, b, ok := c.RGB(); ok {
		return fmt.Sprintf("#%02x%02x%02x", r, g, b)
	}
	return "default"
}

func validColor(c Color) bool {
	switch c & colorKind {
	case 0:
		return c == 0
	case colorIndexed:
		return c&0xffff00 == 0
	case colorRGB:
		return true
	}
	return false
}

// Style is the look of a cell.
type Style struct {
	Fg, Bg Color
	Attrs  Attr
}

// Cursor is the cursor position (0-based, always inside the screen) and
// visibility (DECTCEM, mode 25).
type Cursor struct {
	Col, Row int
	Visible  bool
}

// Cell is the content of one screen cell.
type Cell struct {
	Text  string // base rune + combining marks; "" for the right half of a wide char; " " when blank
	Width int    // 1, 2 (left half of a wide char), 0 (right half)
	Style Style
}

// cell is the internal, compact form of a screen cell (16 bytes).
type cell struct {
	r      rune // the character; with cComb, an index into Terminal.comb
	fg, bg Color
	attr   Attr
	flags  uint16
}

const (
	cWide  uint16 = 1 << iota // left half of a wide character
	cCont                     // right half of a wide character
	cComb                     // r indexes the combined-text table
	cFlags = cWide | cCont | cComb
)

func (c *cell) style() Style { return Style{Fg: c.fg, Bg: c.bg, Attrs: c.attr} }

func (c *cell) sameStyle(d *cell) bool { return c.fg == d.fg && c.bg == d.bg && c.attr == d.attr }
