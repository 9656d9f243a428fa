package recording

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// FileSHA256 returns the hex SHA-256 of the file at path, as a session row
// records it for its recording.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readerSHA256(f)
}

// readerSHA256 is the hex SHA-256 of what r holds.
func readerSHA256(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// CopyVerified copies the recording file at path to w and returns the
// bytes copied and their hex SHA-256. When want is not "", the sum of the
// bytes copied must equal it (case-insensitively): otherwise the error
// (audit.EINVALID) names both sums, and a caller writing to a file throws
// the copy away. The sum is of the bytes written, not of an earlier read,
// so a file changed between a check and the copy is still caught. ctx
// stops the copy between reads (SIGINT).
func CopyVerified(ctx context.Context, w io.Writer, path, want string) (int64, string, error) {
	f, err := OpenFile(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), &ctxFile{ctx: ctx, r: f})
	if err != nil {
		return n, "", err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want != "" && !strings.EqualFold(sum, want) {
		return n, sum, audit.Errorf(audit.EINVALID, "the recording %s changed: its SHA-256 is %s, registered %s", path, sum, want)
	}
	return n, sum, nil
}

// ctxFile reads a file until ctx is done (a file read does not block for
// long: checking between reads is enough).
type ctxFile struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxFile) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
