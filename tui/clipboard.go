package tui

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/auditctl/auditctl/pkg/atomicfile"
)

// How y copies. The console copies through the terminal, with an OSC 52
// sequence (bubbletea's SetClipboard): it works over ssh and in most
// terminals. Where the terminal is known to drop it, the value is written
// to a file instead (Options.CopyFile, 0600, replaced atomically), and the
// key line says which was done and why.

// ClipboardCheck says whether an OSC 52 sequence can reach the clipboard
// here, and when not, why (for the key line). It is asked at each copy:
// `tmux set -g set-clipboard on` typed meanwhile is seen at once.
type ClipboardCheck func() (osc52 bool, why string)

// OSC52 is the check of the process's terminal: getenv reads the
// environment; tmuxClipboard, inside tmux ($TMUX), reads tmux's
// set-clipboard option (`tmux show-options -gv set-clipboard`).
//
// Known not to copy: the Linux console (TERM=linux) and a dumb terminal;
// tmux unless set-clipboard is on (off drops the sequence, external, the
// default, lets only tmux itself set the clipboard); GNU screen ($STY),
// which does not pass the sequence on. Anything else is given OSC 52: most
// terminals take it (kitty, iTerm2, WezTerm, foot, Windows Terminal, xterm
// with allowWindowOps), and none can tell it did not.
func OSC52(getenv func(string) string, tmuxClipboard func() (string, error)) ClipboardCheck {
	return func() (bool, string) {
		switch term := getenv("TERM"); {
		case term == "linux":
			return false, "the Linux console (TERM=linux) has no clipboard"
		case term == "dumb":
			return false, "TERM=dumb"
		}
		if getenv("TMUX") != "" && tmuxClipboard != nil {
			v, err := tmuxClipboard()
			if v = strings.TrimSpace(v); err == nil && v != "on" {
				return false, "tmux's set-clipboard is " + v
			}
		}
		if getenv("STY") != "" && getenv("TMUX") == "" {
			return false, "GNU screen drops OSC 52"
		}
		return true, ""
	}
}

// DefaultCopyFile is where y writes a value when the terminal cannot
// take it: clipboard.txt in auditctl's cache directory
// ($XDG_CACHE_HOME/auditctl, ~/.cache/auditctl); "" when there is none.
func DefaultCopyFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "auditctl", "clipboard.txt")
}

// writeCopy writes v to path, 0600 in a 0700 directory, replacing the
// file atomically (a link at path is replaced, not followed).
func writeCopy(path, v string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, v)
		return err
	})
}

// homeShort writes path with ~ for the home directory, for the key line.
func homeShort(path string) string {
	if home, err := os.UserHomeDir(); err == nil && home != "" && strings.HasPrefix(path, home+string(filepath.Separator)) {
		return "~" + path[len(home):]
	}
	return path
}
