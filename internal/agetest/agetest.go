// Package agetest decrypts auditctl's encrypted exports with the standard
// age CLI (Debian package age), the oracle that says a file is what any
// auditor's age reads, and makes the keys to encrypt to: an age X25519
// identity and SSH ed25519 and RSA keys (made by ssh-keygen when it is
// there, else with golang.org/x/crypto/ssh, as OpenSSH writes them).
package agetest

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/creack/pty"
	"golang.org/x/crypto/ssh"

	"github.com/auditctl/auditctl/internal/bintest"
)

// Age returns the age binary: a skip without it, a failure in CI.
func Age(t testing.TB) string { return bintest.Tool(t, "age", "age") }

// Keys are identity files (private keys) and their public recipients.
type Keys struct {
	AgeIdentity, SSHEd25519, SSHRSA        string // identity files for age -d -i
	AgeRecipient, SSHEd25519Pub, SSHRSAPub string // their public keys
	RecipientsFile                         string // all three, with comments
	Other                                  string // an identity file not among the recipients
	ViaSSHKeygen                           bool   // the SSH keys came from ssh-keygen
}

// NewKeys makes the keys in dir.
func NewKeys(t testing.TB, dir string) Keys {
	t.Helper()
	var k Keys
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k.AgeIdentity, k.AgeRecipient = write("age.key", "# test key\n"+id.String()+"\n"), id.Recipient().String()
	other, _ := age.GenerateX25519Identity()
	k.Other = write("other.key", other.String()+"\n")

	if keygen, err := exec.LookPath("ssh-keygen"); err == nil {
		k.ViaSSHKeygen = true
		for _, c := range []struct {
			typ       string
			priv, pub *string
		}{{"ed25519", &k.SSHEd25519, &k.SSHEd25519Pub}, {"rsa", &k.SSHRSA, &k.SSHRSAPub}} {
			p := filepath.Join(dir, "id_"+c.typ)
			args := []string{"-q", "-t", c.typ, "-N", "", "-C", "auditor@example.com", "-f", p}
			if c.typ == "rsa" {
				args = append(args, "-b", "2048")
			}
			if out, err := exec.Command(keygen, args...).CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen: %v\n%s", err, out)
			}
			pub, err := os.ReadFile(p + ".pub")
			if err != nil {
				t.Fatal(err)
			}
			*c.priv, *c.pub = p, strings.TrimSpace(string(pub))
		}
	} else {
		_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
		rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			key       any
			priv, pub *string
		}{{"id_ed25519", edPriv, &k.SSHEd25519, &k.SSHEd25519Pub}, {"id_rsa", rsaPriv, &k.SSHRSA, &k.SSHRSAPub}} {
			block, err := ssh.MarshalPrivateKey(c.key, "auditor@example.com")
			if err != nil {
				t.Fatal(err)
			}
			signer, err := ssh.NewSignerFromKey(c.key)
			if err != nil {
				t.Fatal(err)
			}
			*c.priv = write(c.name, string(pem.EncodeToMemory(block)))
			*c.pub = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " auditor@example.com"
		}
	}
	k.RecipientsFile = write("recipients.txt", "# the audit team\n"+k.AgeRecipient+"\n\n# ana's laptop\n"+k.SSHEd25519Pub+"\n"+k.SSHRSAPub+"\n")
	return k
}

// Decrypt runs age -d -i identity on file and returns the plaintext; a
// failure fails the test.
func Decrypt(t testing.TB, file, identity string) []byte {
	t.Helper()
	out, err := TryDecrypt(t, file, identity)
	if err != nil {
		t.Fatalf("age -d -i %s %s: %v", filepath.Base(identity), filepath.Base(file), err)
	}
	return out
}

// TryDecrypt is Decrypt that returns age's failure.
func TryDecrypt(t testing.TB, file, identity string) ([]byte, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(Age(t), "-d", "-i", identity, file)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, errors.New(err.Error() + ": " + strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// DecryptPassphrase runs age -d on file in a pseudo-terminal of its own
// (age reads a passphrase only from a terminal, /dev/tty), types
// passphrase when it asks, and returns the plaintext.
func DecryptPassphrase(t testing.TB, file, passphrase string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "plain")
	cmd := exec.Command(Age(t), "-d", "-o", out, file)
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	screen := Expect(t, tty, "passphrase")
	if _, err := io.WriteString(tty, passphrase+"\r"); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(tty) // EIO when age exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("age -d: %v\n%s%s", err, screen, rest)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Expect reads from a pseudo-terminal until what appears (within 20 s)
// and returns what was read.
func Expect(t testing.TB, tty *os.File, what string) string {
	t.Helper()
	var buf bytes.Buffer
	deadline := time.Now().Add(20 * time.Second)
	b := make([]byte, 4096)
	for !strings.Contains(strings.ToLower(buf.String()), strings.ToLower(what)) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q on the terminal within 20 s; it shows:\n%s", what, buf.String())
		}
		tty.SetReadDeadline(time.Now().Add(time.Second))
		n, err := tty.Read(b)
		buf.Write(b[:n])
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			if errors.Is(err, syscall.EIO) || errors.Is(err, io.EOF) {
				t.Fatalf("the terminal closed before %q; it showed:\n%s", what, buf.String())
			}
			t.Fatal(err)
		}
	}
	tty.SetReadDeadline(time.Time{})
	return buf.String()
}
