package session

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/sanitize"
)

// MaxIDLen is the longest session ID auditctl accepts, in bytes.
const MaxIDLen = 128

// CheckID returns an error saying why id cannot be a session ID: an ID is
// printed, typed and used as a file name, so it must be 1 to MaxIDLen bytes
// of printable UTF-8 text (no control character, C1 or bidi/format
// character, line separator or invalid byte), without a slash or a
// backslash, leading or trailing space, and not "." or "..".
func CheckID(id string) error {
	switch {
	case id == "":
		return errors.New("the session id is empty")
	case len(id) > MaxIDLen:
		return fmt.Errorf("the session id is %d bytes long, over %d", len(id), MaxIDLen)
	case !utf8.ValidString(id) || !sanitize.IsClean(id):
		return fmt.Errorf("the session id %q is not printable text (control, bidi or invalid characters)", id)
	case strings.ContainsAny(id, `/\`) || id == "." || id == "..":
		return fmt.Errorf("the session id %q cannot name a file", id)
	case strings.TrimSpace(id) != id:
		return fmt.Errorf("the session id %q starts or ends with a space", id)
	}
	return nil
}
