package recording

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestCopyVerified(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.cast")
	data := bytes.Repeat([]byte(`[0.5, "o", "x"]`+"\n"), 10000)
	os.WriteFile(p, data, 0o600)
	sum, _ := FileSHA256(p)
	var buf bytes.Buffer
	n, got, err := CopyVerified(context.Background(), &buf, p, strings.ToUpper(sum))
	if err != nil || n != int64(len(data)) || got != sum || !bytes.Equal(buf.Bytes(), data) {
		t.Fatalf("%d %s %v", n, got, err)
	}
	buf.Reset()
	other := strings.Repeat("0", 64)
	if _, _, err := CopyVerified(context.Background(), &buf, p, other); audit.ExitCode(err) != 3 || !strings.Contains(err.Error(), sum) || !strings.Contains(err.Error(), other) {
		t.Fatalf("a different sum: %v", err)
	}
	if _, got, err := CopyVerified(context.Background(), &buf, p, ""); err != nil || got != sum {
		t.Fatalf("no sum to check: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := CopyVerified(ctx, &buf, p, sum); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, _, err := CopyVerified(context.Background(), &buf, p+".none", sum); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}
