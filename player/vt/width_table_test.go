package vt

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "write width.bin from the ranges")

// TestBMPWidthTable checks that the embedded table is the one the ranges
// give (with -update it writes it).
func TestBMPWidthTable(t *testing.T) {
	want := buildBMPWidth()
	if *update {
		if err := os.WriteFile("width.bin", want[:], 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if bmpWidth != string(want[:]) {
		t.Fatal("width.bin is not the table of zeroWidth and doubleWidth: run go test ./player/vt -run BMPWidthTable -args -update")
	}
}
