package encrypt_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/config"
	"github.com/auditctl/auditctl/pkg/encrypt"
)

func noEnv(string) (string, bool) { return "", false }

func sshKey(t *testing.T) (string, *agessh.Ed25519Identity) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	id, err := agessh.NewEd25519Identity(priv)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + " ana@laptop", id
}

// seal writes text through an Output to a file and returns its bytes.
func seal(t *testing.T, fl *encrypt.Flags, env encrypt.Env, text string) []byte {
	t.Helper()
	ios, _, _, _ := cmdutil.Test()
	path := filepath.Join(t.TempDir(), "out.age")
	o := &encrypt.Output{IO: ios, Path: path}
	if err := o.Prepare(context.Background(), nil, fl, env); err != nil {
		t.Fatal(err)
	}
	if err := o.Write(func(w io.Writer) error { _, err := io.WriteString(w, text); return err }); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	return b
}

func open(t *testing.T, b []byte, ids ...age.Identity) string {
	t.Helper()
	var r io.Reader = bytes.NewReader(b)
	if bytes.HasPrefix(b, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
		r = armor.NewReader(r)
	}
	d, err := age.Decrypt(r, ids...)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	out, err := io.ReadAll(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestRoundTrips(t *testing.T) {
	const text = "id,time\n1,2026-11-20T10:00:00Z\n"
	x1, _ := age.GenerateX25519Identity()
	x2, _ := age.GenerateX25519Identity()
	sshPub, sshID := sshKey(t)
	env := encrypt.Env{LookupEnv: noEnv}

	// two recipients on the command line: either decrypts
	b := seal(t, &encrypt.Flags{To: []string{x1.Recipient().String(), " " + x2.Recipient().String() + " "}}, env, text)
	if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) || bytes.Contains(b, []byte("2026-11-20")) {
		t.Fatalf("not an age file, or clear text inside: %q", b[:40])
	}
	for _, id := range []age.Identity{x1, x2} {
		if got := open(t, b, id); got != text {
			t.Fatalf("%q", got)
		}
	}

	// a recipients file with an age key and an SSH key, comments and
	// blank lines; armored
	rf := filepath.Join(t.TempDir(), "recipients.txt")
	os.WriteFile(rf, []byte("# auditors\n\n"+x1.Recipient().String()+"\n  # ana's laptop\n"+sshPub+"\n"), 0o644)
	b = seal(t, &encrypt.Flags{ToFiles: []string{rf}, Armor: true}, env, text)
	if !bytes.HasPrefix(b, []byte("-----BEGIN AGE ENCRYPTED FILE-----\n")) {
		t.Fatalf("not armored: %q", b[:40])
	}
	if open(t, b, sshID) != text || open(t, b, x1) != text {
		t.Fatal("round trip")
	}
	if _, err := age.Decrypt(armor.NewReader(bytes.NewReader(b)), x2); err == nil {
		t.Fatal("a key not among the recipients decrypts")
	}

	// a passphrase from the environment
	lookup := func(k string) (string, bool) {
		if k == encrypt.EnvPassphrase {
			return "correct horse battery staple", true
		}
		return "", false
	}
	b = seal(t, &encrypt.Flags{Passphrase: true}, encrypt.Env{LookupEnv: lookup, ScryptWorkFactor: 10, Ask: func(context.Context) (string, error) {
		t.Fatal("asked although the environment has it")
		return "", nil
	}}, text)
	id, _ := age.NewScryptIdentity("correct horse battery staple")
	if open(t, b, id) != text {
		t.Fatal("scrypt round trip")
	}
	// a passphrase asked (the terminal's answer)
	b = seal(t, &encrypt.Flags{Passphrase: true}, encrypt.Env{LookupEnv: noEnv, ScryptWorkFactor: 10, Ask: func(context.Context) (string, error) { return "typed one", nil }}, text)
	id, _ = age.NewScryptIdentity("typed one")
	if open(t, b, id) != text {
		t.Fatal("asked passphrase round trip")
	}
}

func TestPrepareErrors(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	dir := t.TempDir()
	file := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	empty := func(string) (string, bool) { return "", true }
	for _, c := range []struct {
		name string
		fl   encrypt.Flags
		env  encrypt.Env
		want string
	}{
		{"armor alone", encrypt.Flags{Armor: true}, encrypt.Env{}, "--armor needs encryption"},
		{"passphrase and keys", encrypt.Flags{Passphrase: true, To: []string{x.Recipient().String()}}, encrypt.Env{}, "cannot be combined"},
		{"empty env", encrypt.Flags{Passphrase: true}, encrypt.Env{LookupEnv: empty}, "AUDITCTL_PASSPHRASE is set but empty"},
		{"empty answer", encrypt.Flags{Passphrase: true}, encrypt.Env{LookupEnv: noEnv, Ask: func(context.Context) (string, error) { return "", nil }}, "empty"},
		{"secret key", encrypt.Flags{To: []string{x.String()}}, encrypt.Env{}, "that is a private key"},
		{"garbage", encrypt.Flags{To: []string{"bob@example.com"}}, encrypt.Env{}, "not a recipient: want an age public key"},
		{"bad age key", encrypt.Flags{To: []string{"age1qqqq"}}, encrypt.Env{}, "not a valid age recipient"},
		{"plugin", encrypt.Flags{To: []string{"age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t"}}, encrypt.Env{}, "plugin recipients (age1yubikey1…) are not supported"},
		{"ecdsa", encrypt.Flags{To: []string{"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg="}}, encrypt.Env{}, "age takes ssh-ed25519 and ssh-rsa"},
		{"no file", encrypt.Flags{ToFiles: []string{filepath.Join(dir, "none.txt")}}, encrypt.Env{}, "none.txt: no such file"},
		{"bad line", encrypt.Flags{ToFiles: []string{file("bad.txt", "# ok\n"+x.Recipient().String()+"\nAGE-SECRET-KEY-1XYZ\n")}}, encrypt.Env{}, "bad.txt:3: that is a private key"},
		{"only comments", encrypt.Flags{ToFiles: []string{file("empty.txt", "# nobody\n\n")}}, encrypt.Env{}, "empty.txt: no recipient in it"},
		{"a directory", encrypt.Flags{ToFiles: []string{dir}}, encrypt.Env{}, "--encrypt-to-file " + dir},
	} {
		_, err := c.fl.Prepare(context.Background(), c.env)
		if err == nil || audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (exit %d), want a usage error with %q", c.name, err, audit.ExitCode(err), c.want)
		}
		if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY") {
			t.Errorf("%s: the error quotes a secret key: %v", c.name, err)
		}
	}
	if e, err := (&encrypt.Flags{}).Prepare(context.Background(), encrypt.Env{}); e != nil || err != nil {
		t.Fatalf("no flags: %v %v", e, err)
	}
}

func TestOutputRefusals(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	requireEnc := func() (*config.File, error) {
		return &config.File{Path: "/etc/x/config.yaml", Export: config.Export{RequireEncryption: true}}, nil
	}
	ios, _, out, _ := cmdutil.Test()
	dir := t.TempDir()

	// require_encryption refuses clear output, to a file and to stdout,
	// before asking or writing anything
	for _, path := range []string{filepath.Join(dir, "clear.csv"), "", "-"} {
		o := &encrypt.Output{IO: ios, Path: path}
		err := o.Prepare(context.Background(), requireEnc, &encrypt.Flags{}, encrypt.Env{})
		if err == nil || audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), "export.require_encryption is true in /etc/x/config.yaml") || !strings.Contains(err.Error(), "--encrypt-to") {
			t.Fatalf("%q: %v", path, err)
		}
		if err := o.Write(func(w io.Writer) error { _, err := io.WriteString(w, "secret"); return err }); err == nil {
			t.Fatal("Write after a refused Prepare wrote")
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 || out.Len() != 0 {
		t.Fatalf("something was written: %v %q", entries, out)
	}
	// and lets encrypted output through, to stdout too
	o := &encrypt.Output{IO: ios}
	if err := o.Prepare(context.Background(), requireEnc, &encrypt.Flags{To: []string{x.Recipient().String()}}, encrypt.Env{}); err != nil {
		t.Fatal(err)
	}
	if err := o.Write(func(w io.Writer) error { _, err := io.WriteString(w, "secret"); return err }); err != nil {
		t.Fatal(err)
	}
	if open(t, out.Bytes(), x) != "secret" || !strings.Contains(o.Said(), "1 recipient") {
		t.Fatal("stdout round trip")
	}

	// binary output never goes to a terminal; armor does
	ios.SetStdoutTTY(true)
	asked := false
	ask := encrypt.Env{LookupEnv: noEnv, ScryptWorkFactor: 10, Ask: func(context.Context) (string, error) { asked = true; return "p", nil }}
	err := (&encrypt.Output{IO: ios}).Prepare(context.Background(), nil, &encrypt.Flags{Passphrase: true}, ask)
	if err == nil || audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), "--armor") || asked {
		t.Fatalf("binary to a terminal: %v (asked %v)", err, asked)
	}
	err = (&encrypt.Output{IO: ios, Binary: true, What: "a recording"}).Prepare(context.Background(), nil, &encrypt.Flags{}, ask)
	if err == nil || !strings.Contains(err.Error(), "not writing a recording to a terminal") {
		t.Fatalf("a recording to a terminal: %v", err)
	}
	if err := (&encrypt.Output{IO: ios}).Prepare(context.Background(), nil, &encrypt.Flags{Passphrase: true, Armor: true}, ask); err != nil || !asked {
		t.Fatalf("armor to a terminal: %v", err)
	}
	if err := (&encrypt.Output{IO: ios, Path: filepath.Join(dir, "x.age")}).Prepare(context.Background(), nil, &encrypt.Flags{Passphrase: true}, ask); err != nil {
		t.Fatalf("binary to a file while stdout is a terminal: %v", err)
	}
}

// A failure inside the export (or an interruption, which cancels it the
// same way) leaves no file and no temporary file.
func TestFailedWriteLeavesNothing(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	ios, _, _, _ := cmdutil.Test()
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv.age")
	o := &encrypt.Output{IO: ios, Path: path}
	if err := o.Prepare(context.Background(), nil, &encrypt.Flags{To: []string{x.Recipient().String()}}, encrypt.Env{}); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("interrupted")
	err := o.Write(func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte("row\n"), 1<<18)) // past the buffers: bytes reached the temporary file
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

func TestTrimSuffixes(t *testing.T) {
	for in, want := range map[string]string{"a.csv.age": "a.csv", "a.ndjson.gz.age": "a.ndjson", "a.json": "a.json", "x.AGE": "x", "age": "age"} {
		if got := encrypt.TrimSuffixes(in); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}

// FuzzRecipientsFile: any recipients file either yields recipients or a
// usage error naming the file; none panics, none quotes a secret key.
func FuzzRecipientsFile(f *testing.F) {
	for _, s := range []string{
		"# auditors\nage1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN ana@laptop\n",
		"AGE-SECRET-KEY-1QQQQ\n",
		"age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t\n",
		"\n\n#\n",
		"age1pq1xyz\n",
	} {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "r.txt")
	f.Fuzz(func(t *testing.T, text string) {
		os.WriteFile(path, []byte(text), 0o600)
		rs, err := encrypt.ReadRecipientsFile(path)
		if err == nil {
			if len(rs) == 0 {
				t.Fatal("no recipients and no error")
			}
			return
		}
		if audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), path) {
			t.Fatalf("%q: %v", text, err)
		}
		if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
			t.Fatalf("quotes a secret: %v", err)
		}
	})
}
