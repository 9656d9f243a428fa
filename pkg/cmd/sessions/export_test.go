package sessions_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/agetest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/session"
)

// TestSessionsExport: a registered recording exports byte for byte, in
// clear or encrypted (decrypted by the age CLI), only while its SHA-256 is
// the registered one, and never in clear under require_encryption.
func TestSessionsExport(t *testing.T) {
	env := cmdtest.New(t)
	dir := t.TempDir()
	rec := filepath.Join(dir, "s.rec")
	writeAuditRec(t, rec, session.Session{ID: "sess-exp-0001", UserEmail: "alice@example.com", Start: cmdtest.Now.Add(-time.Hour)},
		[]ev{{1, "i", "sudo -i\r"}, {2, "o", "\x1b[31mroot\x1b[0m# "}, {60, "x", "0"}})
	env.MustRun("sessions", "import", rec)
	orig, _ := os.ReadFile(rec)
	out := t.TempDir()

	// clear, to a file, by id prefix
	plain := filepath.Join(out, "s.rec")
	env.MustRun("sessions", "export", "sess-exp", "-O", plain)
	if got, _ := os.ReadFile(plain); !bytes.Equal(got, orig) {
		t.Fatal("the export is not the recording byte for byte")
	}
	if fi, _ := os.Stat(plain); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if !strings.Contains(env.ErrOut.String(), "exported the recording of session sess-exp-0001 ("+strconv.Itoa(len(orig))+" bytes, SHA-256 ") {
		t.Fatalf("stderr: %s", env.ErrOut)
	}
	// to stdout (a pipe), byte for byte
	if got := env.MustRun("sessions", "export", "sess-exp-0001"); got != string(orig) {
		t.Fatal("stdout export differs")
	}

	// encrypted: the age CLI gives back the recording
	t.Run("age", func(t *testing.T) {
		agetest.Age(t)
		keys := agetest.NewKeys(t, t.TempDir())
		enc := filepath.Join(out, "s.rec.age")
		env.MustRun("sessions", "export", "sess-exp-0001", "-O", enc, "--encrypt-to-file", keys.RecipientsFile)
		for _, id := range []string{keys.AgeIdentity, keys.SSHEd25519, keys.SSHRSA} {
			if got := agetest.Decrypt(t, enc, id); !bytes.Equal(got, orig) {
				t.Fatalf("age -d -i %s: not the recording", id)
			}
		}
		t.Setenv("AUDITCTL_PASSPHRASE", "tr0ub4dor&3")
		env.MustRun("sessions", "export", "sess-exp-0001", "-O", enc, "--passphrase", "--armor")
		if b, _ := os.ReadFile(enc); !bytes.HasPrefix(b, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
			t.Fatal("not armored")
		}
		if got := agetest.DecryptPassphrase(t, enc, "tr0ub4dor&3"); !bytes.Equal(got, orig) {
			t.Fatal("passphrase round trip")
		}
		os.Unsetenv("AUDITCTL_PASSPHRASE") // t.Setenv restores it at the end

		// require_encryption: clear refused (file and stdout), encrypted ok
		os.WriteFile(env.ConfigPath, []byte("export:\n  require_encryption: true\n"), 0o600)
		for _, args := range [][]string{{"-O", filepath.Join(out, "clear.rec")}, {}} {
			err := env.Run(append([]string{"sessions", "export", "sess-exp-0001"}, args...)...)
			if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "export.require_encryption is true") || env.Out.Len() != 0 {
				t.Fatalf("%v: %v (exit %d), stdout %d bytes", args, err, cmdutil.ExitCode(err), env.Out.Len())
			}
		}
		if _, err := os.Stat(filepath.Join(out, "clear.rec")); err == nil {
			t.Fatal("clear export written under require_encryption")
		}
		env.MustRun("sessions", "export", "sess-exp-0001", "-O", enc, "--encrypt-to", keys.SSHEd25519Pub)
		if got := agetest.Decrypt(t, enc, keys.SSHEd25519); !bytes.Equal(got, orig) {
			t.Fatal("ssh round trip")
		}
		os.Remove(env.ConfigPath)
	})

	// a recording changed after it was registered: refused, nothing
	// written; --allow-modified exports it with a warning
	changed := append(bytes.Clone(orig), []byte(`[61, "o", "rm -rf /\r\n"]`+"\n")...)
	os.WriteFile(rec, changed, 0o600)
	os.Remove(plain)
	err := env.Run("sessions", "export", "sess-exp-0001", "-O", plain)
	if cmdutil.ExitCode(err) != 3 || !strings.Contains(err.Error(), "modified after it was registered") || !strings.Contains(err.Error(), "--allow-modified") {
		t.Fatalf("modified: %v (exit %d)", err, cmdutil.ExitCode(err))
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 && entries[0].Name() != "s.rec.age" {
		t.Fatalf("written: %v", entries)
	}
	if _, err := os.Stat(plain); err == nil {
		t.Fatal("a modified recording was exported")
	}
	env.MustRun("sessions", "export", "sess-exp-0001", "-O", plain, "--allow-modified")
	if got, _ := os.ReadFile(plain); !bytes.Equal(got, changed) || !strings.Contains(env.ErrOut.String(), "warning: the recording") {
		t.Fatalf("--allow-modified: stderr %s", env.ErrOut)
	}

	// no such session; a file path is not a session
	if code := env.ExitCode("sessions", "export", "nope"); code != 3 {
		t.Fatalf("unknown session: exit %d", code)
	}
	// a recording to a terminal is refused (the chokepoint would change it)
	os.WriteFile(rec, orig, 0o600)
	env.IO.SetStdoutTTY(true)
	defer env.IO.SetStdoutTTY(false)
	err = env.Run("sessions", "export", "sess-exp-0001")
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "not writing a recording to a terminal") {
		t.Fatalf("terminal: %v", err)
	}
}
