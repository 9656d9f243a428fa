package vt

import (
	_ "embed" // the width table
	"sort"
)

type runeRange struct{ lo, hi rune }

// bmpWidth holds 2 bits per code point of the Basic Multilingual Plane:
// 0 width 1, 1 width 0, 2 width 2, 3 not printable. It is buildBMPWidth's
// table, stored in the binary so that starting auditctl does not build it
// (TestBMPWidthTable checks it; `go test ./player/vt -run BMPWidthTable -args -update`
// writes it again after a change to the ranges).
//
//go:embed width.bin
var bmpWidth string

func buildBMPWidth() *[1 << 14]byte {
	var t [1 << 14]byte
	set := func(lo, hi rune, v byte) {
		if lo > 0xffff {
			return
		}
		if hi > 0xffff {
			hi = 0xffff
		}
		for r := lo; r <= hi; r++ {
			sh := uint(r&3) * 2
			t[r>>2] = t[r>>2]&^(3<<sh) | v<<sh
		}
	}
	for _, r := range zeroWidth {
		set(r.lo, r.hi, 1)
	}
	for _, r := range doubleWidth {
		set(r.lo, r.hi, 2)
	}
	set(0, 0x1f, 3)
	set(0x7f, 0x9f, 3)
	set(0xd800, 0xdfff, 3)
	return &t
}

var widthCode = [4]int8{1, 0, 2, -1}

// runeWidth returns the number of columns r takes: 0 for combining marks and
// other zero-width characters, 2 for East Asian wide and fullwidth characters
// (which include emoji presentation), -1 for controls, otherwise 1.
func runeWidth(r rune) int {
	if r < 0x10000 {
		if r < 0 {
			return -1
		}
		return int(widthCode[bmpWidth[r>>2]>>(uint(r&3)*2)&3])
	}
	if r > 0x10ffff {
		return -1
	}
	if inRanges(zeroWidth[:], r) {
		return 0
	}
	if inRanges(doubleWidth[:], r) {
		return 2
	}
	return 1
}

func inRanges(rs []runeRange, r rune) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].hi >= r })
	return i < len(rs) && rs[i].lo <= r
}
