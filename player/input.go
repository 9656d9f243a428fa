package player

import (
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// lineInput is the one-line editor of the search prompt. (bubbles'
// textinput needs github.com/atotto/clipboard, which go.sum does not hold.)
type lineInput struct {
	prompt string
	value  []rune
}

var stCursor = lipgloss.NewStyle().Reverse(true)

// update applies a key: printable text is inserted, backspace deletes,
// ctrl+u clears, ctrl+w deletes a word.
func (in *lineInput) update(k tea.KeyPressMsg) {
	switch k.String() {
	case "backspace", "ctrl+h":
		if len(in.value) > 0 {
			in.value = in.value[:len(in.value)-1]
		}
	case "ctrl+u":
		in.value = in.value[:0]
	case "ctrl+w":
		i := len(in.value)
		for i > 0 && in.value[i-1] == ' ' {
			i--
		}
		for i > 0 && in.value[i-1] != ' ' {
			i--
		}
		in.value = in.value[:i]
	default:
		if k.Text != "" && len(in.value) < 200 {
			for _, r := range k.Text {
				if r >= 0x20 && r != 0x7f {
					in.value = append(in.value, r)
				}
			}
		}
	}
}

func (in *lineInput) view() string {
	return in.prompt + cleanLine(string(in.value)) + stCursor.Render(" ")
}
