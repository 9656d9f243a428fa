package vt

import "testing"

// TestResize: expected screens checked against tmux 3.3a (resize-window).
func TestResize(t *testing.T) {
	tests := []struct {
		name                string
		cols, rows, nc, nr  int
		before, after, want string
		col, row            int
		pushed              []string // rows given to the line handler by the resize
	}{
		{"narrower reflows", 10, 4, 5, 4, "abcdefghijklm\r\nxy", "Z", "fghij\nklm\nxyZ", 3, 2, []string{"abcde"}},
		{"wider joins", 5, 4, 10, 4, "abcdefghijklm\r\nxy", "Z", "abcdefghij\nklm\nxyZ", 3, 2, nil},
		{"shorter and narrower", 10, 5, 6, 3, "a\r\nb\r\n0123456789\r\nc", "Z", "012345\n6789\ncZ", 2, 2, []string{"a", "b"}},
		{"shorter drops rows below cursor", 10, 5, 10, 3, "a\r\nb\x1b[H", "Z", "Z\nb", 1, 0, nil},
		{"shorter pushes top rows", 10, 4, 10, 2, "a\r\nb\r\nc", "Z", "b\ncZ", 2, 1, []string{"a"}},
		{"taller adds rows at the bottom", 10, 2, 10, 4, "a\r\nb", "Z", "a\nbZ", 2, 1, nil},
		{"pending wrap cursor", 5, 3, 10, 3, "abcde", "Z", "abcdeZ", 6, 0, nil},
		{"wide char reflow", 6, 3, 5, 3, "abcd中\r\n", "", "中", 0, 1, []string{"abcd"}},
		{"alt screen is cut, not reflowed", 10, 3, 5, 3, "\x1b[?1049habcdefghij", "", "abcde", 4, 0, nil},
		{"main reflowed behind alt", 10, 3, 5, 3, "abcdefgh\x1b[?1049h", "\x1b[?1049l", "fgh", 3, 0, []string{"abcde"}},
		{"DCH counts the moved cells", 10, 4, 5, 4, "abc\x1b[1;1H\x1b[P\r\nX", "Y", "\nXY", 2, 1, []string{"bc"}},
		{"ICH counts the moved cells", 10, 4, 5, 4, "abc\x1b[1;1H\x1b[@\r\nX", "Y", "\nXY", 2, 1, []string{" abc"}},
		{"EL keeps the count", 10, 4, 5, 4, "abcdefgh\x1b[1;3H\x1b[K\r\nX", "Y", "\nXY", 2, 1, []string{"ab"}},
		{"main cursor restored after alt", 10, 3, 5, 3, "abcdefgh\x1b[?1049h\x1b[3;3H", "\x1b[?1049lZ", "fghZ", 4, 0, []string{"abcde"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			term := New(tc.cols, tc.rows)
			var pushed []string
			term.WriteString(tc.before)
			term.SetLineHandler(func(s string, _ bool) { pushed = append(pushed, s) })
			term.Resize(tc.nc, tc.nr)
			term.SetLineHandler(nil)
			term.WriteString(tc.after)
			if got := screenText(term); got != tc.want {
				t.Errorf("screen %q, want %q", got, tc.want)
			}
			if c := term.Cursor(); c.Col != tc.col || c.Row != tc.row {
				t.Errorf("cursor %d,%d, want %d,%d", c.Col, c.Row, tc.col, tc.row)
			}
			if len(pushed) != len(tc.pushed) {
				t.Errorf("pushed %q, want %q", pushed, tc.pushed)
			} else {
				for i := range pushed {
					if pushed[i] != tc.pushed[i] {
						t.Errorf("pushed %q, want %q", pushed, tc.pushed)
					}
				}
			}
			if err := checkInvariants(term); err != nil {
				t.Error(err)
			}
		})
	}
}
