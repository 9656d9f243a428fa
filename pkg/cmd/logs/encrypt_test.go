package logs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/internal/agetest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// TestEncryptedExportAgeCLI: encrypted exports decrypt with the standard
// age CLI to exactly the clear export, for every kind of recipient.
func TestEncryptedExportAgeCLI(t *testing.T) {
	agetest.Age(t)
	env := cmdtest.New(t)
	fixture(t, env)
	dir := t.TempDir()
	keys := agetest.NewKeys(t, t.TempDir())
	clear := filepath.Join(dir, "clear.csv")
	env.MustRun("logs", "export", "-O", clear)
	want, _ := os.ReadFile(clear)
	if !bytes.HasPrefix(want, []byte("id,")) {
		t.Fatalf("clear export %q", want[:20])
	}

	// a recipients file with an age key and SSH ed25519 and RSA keys; the
	// format comes from the name before .age
	enc := filepath.Join(dir, "audit.csv.age")
	env.MustRun("logs", "export", "-O", enc, "--encrypt-to-file", keys.RecipientsFile)
	if !strings.Contains(env.ErrOut.String(), "exported 40 events to "+enc+" (encrypted with age to 3 recipients)") {
		t.Fatalf("stderr: %s", env.ErrOut)
	}
	b, _ := os.ReadFile(enc)
	if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) || bytes.Contains(b, []byte("alice@example.com")) {
		t.Fatalf("not an age file: %q", b[:30])
	}
	if fi, _ := os.Stat(enc); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	for _, id := range []string{keys.AgeIdentity, keys.SSHEd25519, keys.SSHRSA} {
		if got := agetest.Decrypt(t, enc, id); !bytes.Equal(got, want) {
			t.Fatalf("age -d -i %s: not the clear export:\n%.200s", filepath.Base(id), got)
		}
	}
	if _, err := agetest.TryDecrypt(t, enc, keys.Other); err == nil {
		t.Fatal("a key not among the recipients decrypts")
	}

	// --encrypt-to, repeated, age and SSH keys; armored to stdout
	env.MustRun("logs", "export", "--action", "DeleteUser", "-o", "ndjson", "--armor",
		"--encrypt-to", keys.AgeRecipient, "--encrypt-to", keys.SSHEd25519Pub)
	armored := env.Out.String()
	if !strings.HasPrefix(armored, "-----BEGIN AGE ENCRYPTED FILE-----\n") || !strings.HasSuffix(armored, "-----END AGE ENCRYPTED FILE-----\n") {
		t.Fatalf("not armored: %q", armored)
	}
	if strings.Contains(env.ErrOut.String(), "exported") {
		t.Fatalf("a notice for stdout: %s", env.ErrOut)
	}
	armFile := filepath.Join(dir, "deletions.ndjson.age")
	os.WriteFile(armFile, []byte(armored), 0o600)
	clearDel := env.MustRun("logs", "export", "--action", "DeleteUser", "-o", "ndjson")
	for _, id := range []string{keys.AgeIdentity, keys.SSHEd25519} {
		if got := agetest.Decrypt(t, armFile, id); string(got) != clearDel || strings.Count(clearDel, "\n") != 10 {
			t.Fatalf("armored round trip with %s:\n%s\nwant\n%s", id, got, clearDel)
		}
	}

	// a passphrase from AUDITCTL_PASSPHRASE (CI); age asks for it on a
	// terminal: typed into a pseudo-terminal
	t.Setenv("AUDITCTL_PASSPHRASE", "correct horse battery staple")
	pp := filepath.Join(dir, "pp.json.age")
	env.MustRun("logs", "export", "-O", pp, "--passphrase")
	if !strings.Contains(env.ErrOut.String(), "(encrypted with age to a passphrase)") {
		t.Fatalf("stderr: %s", env.ErrOut)
	}
	clearJSON := env.MustRun("logs", "export", "-o", "json")
	if got := agetest.DecryptPassphrase(t, pp, "correct horse battery staple"); string(got) != clearJSON {
		t.Fatalf("passphrase round trip:\n%.200s", got)
	}

	// --quiet: no notice
	env.MustRun("--quiet", "logs", "export", "-O", enc, "--encrypt-to", keys.AgeRecipient)
	if env.ErrOut.Len() != 0 {
		t.Fatalf("--quiet: %s", env.ErrOut)
	}

	// usage errors, before anything is written
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--encrypt-to", "bob@example.com"}, "--encrypt-to: not a recipient"},
		{[]string{"--passphrase", "--encrypt-to", keys.AgeRecipient}, "cannot be combined"},
		{[]string{"--armor"}, "--armor needs encryption"},
		{[]string{"--encrypt-to-file", keys.AgeIdentity}, "age.key:2: that is a private key"},
	} {
		out := filepath.Join(dir, "never.csv.age")
		err := env.Run(append([]string{"logs", "export", "-O", out}, c.args...)...)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (exit %d), want %q", c.args, err, cmdutil.ExitCode(err), c.want)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%v: wrote %s", c.args, out)
		}
	}
}

// TestRequireEncryption: export.require_encryption: true refuses every
// unencrypted export, to a file and to stdout (exit 2, nothing written),
// and lets encrypted ones through.
func TestRequireEncryption(t *testing.T) {
	env := cmdtest.New(t)
	fixture(t, env)
	dir := t.TempDir()
	if err := os.WriteFile(env.ConfigPath, []byte("# policy\nexport:\n  require_encryption: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "audit.csv")
	for _, args := range [][]string{{"-O", out}, {}, {"-O", "-"}, {"-o", "csv"}} {
		err := env.Run(append([]string{"logs", "export"}, args...)...)
		if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), "unencrypted export refused: export.require_encryption is true in "+env.ConfigPath) {
			t.Fatalf("%v: %v (exit %d)", args, err, cmdutil.ExitCode(err))
		}
		if env.Out.Len() != 0 {
			t.Fatalf("%v: wrote to stdout: %q", args, env.Out)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("written: %v", entries)
	}
	// the same through main: the message and exit 2
	if code := env.Main("--db", env.DBPath, "logs", "export"); code != 2 || !strings.Contains(env.ErrOut.String(), "--encrypt-to") {
		t.Fatalf("main: exit %d, stderr %s", code, env.ErrOut)
	}
	keys := agetest.NewKeys(t, t.TempDir())
	env.MustRun("logs", "export", "-O", out+".age", "--encrypt-to", keys.AgeRecipient)
	env.MustRun("logs", "export", "--encrypt-to", keys.AgeRecipient)
	if !strings.HasPrefix(env.Out.String(), "age-encryption.org/v1\n") {
		t.Fatalf("stdout %q", env.Out.String()[:20])
	}

	// a misspelled key is an error naming file:line:column, not a policy
	// silently off
	os.WriteFile(env.ConfigPath, []byte("export:\n  require_encrypton: true\n"), 0o644)
	err := env.Run("logs", "export", "-O", out)
	if cmdutil.ExitCode(err) != 2 || !strings.Contains(err.Error(), env.ConfigPath+`:2:3: unknown key "require_encrypton" under export`) {
		t.Fatalf("typo: %v", err)
	}
	if _, serr := os.Stat(out); serr == nil {
		t.Fatal("exported despite a broken config")
	}
	// false lets clear exports through
	os.WriteFile(env.ConfigPath, []byte("export:\n  require_encryption: false\n"), 0o644)
	env.MustRun("logs", "export", "-O", out)
}
