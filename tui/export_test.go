package tui

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/config"
)

// exportForm opens the export form and types path over the proposed one.
func (h *harness) exportForm(path string) {
	h.t.Helper()
	h.key("e")
	if h.m.export == nil || !strings.Contains(h.view(), "Export") {
		h.t.Fatalf("e did not open the export:\n%s", h.view())
	}
	h.key("ctrl+u")
	h.typeText(path)
}

func countLines(t *testing.T, r io.Reader) int {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
	}
	return n
}

// e exports the current result with logs export's code: CSV with a
// header line, then NDJSON encrypted to an age recipient (decrypted
// here), in the background with its progress; a file that exists is
// replaced only on a second Enter; export.require_encryption refuses a
// clear export.
func TestExport(t *testing.T) {
	db := demoDB(t)
	dir := t.TempDir()
	h := newLogsHarness(t, db, Options{}, 160, 30)
	h.search("action:DeleteUser")
	want := h.m.logs.total

	csv := filepath.Join(dir, "deletions.csv")
	h.exportForm(csv)
	h.key("enter")
	h.settle("the export", func() bool { return h.m.export == nil || h.m.export.job != nil && h.m.export.job.done })
	if !strings.Contains(h.view(), "exported ") || !strings.Contains(h.view(), "deletions.csv") {
		t.Fatalf("no notice of the export:\n%s", h.view())
	}
	f, err := os.Open(csv)
	if err != nil {
		t.Fatal(err)
	}
	if n := countLines(t, f); n != want+1 {
		t.Fatalf("the CSV holds %d lines, want %d events and a header", n, want)
	}
	f.Close()
	h.key("esc")

	// again: it exists; NDJSON, encrypted to an age key
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	h.exportForm(csv)
	h.key("up") // format
	h.key("right")
	if got := h.m.export.inputs[exPath].Value(); got != strings.TrimSuffix(csv, ".csv")+".ndjson" {
		t.Fatalf("the format did not rename the file: %s", got)
	}
	h.key("down")
	h.key("down")
	h.key("right") // to recipients
	h.key("down")
	h.typeText(id.Recipient().String())
	h.key("enter")
	h.settle("the encrypted export", func() bool { return h.m.export == nil || h.m.export.job != nil && h.m.export.job.done })
	if !strings.Contains(h.view(), "encrypted with age to 1 recipient") {
		t.Fatalf("no notice of the encryption:\n%s", h.view())
	}
	ef, err := os.Open(strings.TrimSuffix(csv, ".csv") + ".ndjson.age")
	if err != nil {
		t.Fatal(err)
	}
	r, err := age.Decrypt(ef, id)
	if err != nil {
		t.Fatal(err)
	}
	if n := countLines(t, r); n != want {
		t.Fatalf("the NDJSON holds %d lines, want %d", n, want)
	}
	ef.Close()
	h.key("esc")

	// replacing a file asks for a second Enter
	h.exportForm(csv)
	h.key("enter")
	if h.m.export.job != nil || !strings.Contains(h.view(), "exists: enter again replaces it") {
		t.Fatalf("an existing file was replaced at once:\n%s", h.view())
	}
	h.key("esc")

	// a passphrase: the two must match
	h.exportForm(filepath.Join(dir, "p.csv"))
	h.key("down")
	h.key("right")
	h.key("right")
	h.key("down")
	h.typeText("s3cret")
	h.key("down")
	h.typeText("s3creX")
	h.key("enter")
	if h.m.export.job != nil || !strings.Contains(h.view(), "the two passphrases differ") || strings.Contains(h.view(), "s3cret") {
		t.Fatalf("mismatched passphrases:\n%s", h.view())
	}
	h.key("esc")

	// export.require_encryption refuses a clear export
	h2 := newLogsHarness(t, db, Options{Config: func() (*config.File, error) {
		cf := &config.File{Path: "/etc/auditctl.yaml"}
		cf.Export.RequireEncryption = true
		return cf, nil
	}}, 100, 30)
	clear := filepath.Join(dir, "clear.csv")
	h2.exportForm(clear)
	h2.key("enter")
	h2.settle("the refusal", func() bool { return h2.m.export == nil || h2.m.export.job != nil && h2.m.export.job.done })
	if _, err := os.Stat(clear); err == nil || !strings.Contains(h2.view(), "unencrypted export refused") {
		t.Fatalf("require_encryption: %v\n%s", err, h2.view())
	}
}

// slowExport is an event service whose export waits after 10 events
// until its context ends.
type slowExport struct {
	audit.EventService
	once    sync.Once
	started chan struct{}
}

func (s *slowExport) EachEvent(ctx context.Context, f audit.Filter, p audit.Page, fn func(*audit.Event) error) error {
	n := 0
	return s.EventService.EachEvent(ctx, f, p, func(e *audit.Event) error {
		if n++; n == 10 {
			s.once.Do(func() { close(s.started) })
			<-ctx.Done()
			return ctx.Err()
		}
		return fn(e)
	})
}

// A running export shows its progress, goes on behind Esc, and x cancels
// it: no file is left.
func TestExportCancelled(t *testing.T) {
	db := demoDB(t)
	svc := &slowExport{EventService: db, started: make(chan struct{})}
	h := newLogsHarness(t, svc, Options{}, 100, 30)
	path := filepath.Join(t.TempDir(), "all.csv")
	h.exportForm(path)
	h.key("enter")
	h.settle("the export to start", func() bool {
		select {
		case <-svc.started:
			return true
		default:
			return false
		}
	})
	h.settle("the progress", func() bool { return strings.Contains(h.view(), "Written    9 of ") })
	h.key("esc") // hidden: the export goes on
	if h.m.export == nil || !strings.Contains(h.view(), "exporting 9 of ") {
		t.Fatalf("the header does not show the running export:\n%s", h.view())
	}
	h.key("e")
	h.key("x")
	h.settle("the cancellation", func() bool { return h.m.export.job.done })
	if !strings.Contains(h.view(), "export cancelled") {
		t.Fatalf("no notice of the cancellation:\n%s", h.view())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Fatalf("a cancelled export left %v", entries)
	}
}
