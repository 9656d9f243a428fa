// Package encrypt is how auditctl's exports are encrypted and written (seed
// 002, "Export a file with Encryption: Required"): the flags that logs
// export and sessions export share (--encrypt-to, --encrypt-to-file,
// --passphrase, --armor), the age recipients they name, and the one writer
// that every export goes through (Write): encrypted with age
// (filippo.io/age, readable by the standard age CLI), atomic when it goes
// to a file, and refused when the config file's export.require_encryption
// is true and nothing encrypts it.
package encrypt

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/config"
)

// EnvPassphrase holds the passphrase of --passphrase where there is no
// terminal to ask on (CI, from a secret).
const EnvPassphrase = "AUDITCTL_PASSPHRASE"

// Flags are the encryption flags of an export command.
type Flags struct {
	To         []string // --encrypt-to: age1… or ssh-ed25519/ssh-rsa public keys
	ToFiles    []string // --encrypt-to-file: recipients files
	Passphrase bool     // --passphrase
	Armor      bool     // --armor: ASCII (PEM-like) output instead of binary
}

// AddFlags registers the encryption flags on cmd.
func AddFlags(cmd *cobra.Command, fl *Flags) {
	f := cmd.Flags()
	f.StringArrayVar(&fl.To, "encrypt-to", nil, "encrypt with age to this recipient: an age public key (age1…) or an SSH public key (\"ssh-ed25519 AAAA…\"); repeat for several (name the file *.age)")
	f.StringArrayVar(&fl.ToFiles, "encrypt-to-file", nil, "encrypt to every recipient listed in this file (age recipients file: one key a line, age1… or ssh-ed25519/ssh-rsa, # comments); repeatable")
	f.BoolVar(&fl.Passphrase, "passphrase", false, "encrypt with a passphrase (age scrypt): asked twice on the terminal without echo, or taken from env "+EnvPassphrase)
	f.BoolVar(&fl.Armor, "armor", false, "with encryption: ASCII-armored output (-----BEGIN AGE ENCRYPTED FILE-----), safe to paste or print")
}

// Requested reports whether any encryption flag was given.
func (fl *Flags) Requested() bool {
	return len(fl.To) > 0 || len(fl.ToFiles) > 0 || fl.Passphrase
}

// Encrypter encrypts to a fixed set of age recipients.
type Encrypter struct {
	recipients []age.Recipient
	armor      bool
	// Describe says what it encrypts to, for the notice after the export
	// ("2 recipients", "a passphrase").
	Describe string
}

// Env is what Prepare needs from the process: the environment and a way
// to ask for a passphrase.
type Env struct {
	LookupEnv func(string) (string, bool) // nil: os.LookupEnv
	// Ask prompts for a passphrase without echo (twice, they must match);
	// nil asks on the controlling terminal (/dev/tty).
	Ask func(ctx context.Context) (string, error)
	// ScryptWorkFactor is log2 of the passphrase's scrypt work; 0 is age's
	// default (18, about a second). Tests lower it.
	ScryptWorkFactor int
}

// Prepare checks the flags and returns the encrypter they describe, or nil
// when none was asked for. Every problem is a usage error (exit 2) said
// before any output is written.
func (fl *Flags) Prepare(ctx context.Context, env Env) (*Encrypter, error) {
	if !fl.Requested() {
		if fl.Armor {
			return nil, audit.Errorf(audit.EUSAGE, "--armor needs encryption: add --encrypt-to, --encrypt-to-file or --passphrase")
		}
		return nil, nil
	}
	e := &Encrypter{armor: fl.Armor}
	if fl.Passphrase {
		if len(fl.To) > 0 || len(fl.ToFiles) > 0 {
			// age: a passphrase (scrypt) stanza must be a file's only one.
			return nil, audit.Errorf(audit.EUSAGE, "--passphrase cannot be combined with --encrypt-to or --encrypt-to-file (age allows a passphrase only alone)")
		}
		pass, err := passphrase(ctx, env)
		if err != nil {
			return nil, err
		}
		r, err := age.NewScryptRecipient(pass)
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "--passphrase: %v", err)
		}
		if env.ScryptWorkFactor > 0 {
			r.SetWorkFactor(env.ScryptWorkFactor)
		}
		e.recipients, e.Describe = []age.Recipient{r}, "a passphrase"
		return e, nil
	}
	for _, s := range fl.To {
		r, err := ParseRecipient(s)
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to: %v", err)
		}
		e.recipients = append(e.recipients, r)
	}
	for _, path := range fl.ToFiles {
		rs, err := ReadRecipientsFile(path)
		if err != nil {
			return nil, err
		}
		e.recipients = append(e.recipients, rs...)
	}
	e.Describe = fmt.Sprintf("%d recipients", len(e.recipients))
	if len(e.recipients) == 1 {
		e.Describe = "1 recipient"
	}
	return e, nil
}

// passphrase is $AUDITCTL_PASSPHRASE, else what env.Ask gets on the
// terminal.
func passphrase(ctx context.Context, env Env) (string, error) {
	if p, ok := lookup(env, EnvPassphrase); ok {
		if p == "" {
			return "", audit.Errorf(audit.EUSAGE, "%s is set but empty: give a passphrase, or unset it to be asked on the terminal", EnvPassphrase)
		}
		return p, nil
	}
	ask := env.Ask
	if ask == nil {
		ask = AskTerminal
	}
	p, err := ask(ctx)
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", audit.Errorf(audit.EUSAGE, "--passphrase: the passphrase is empty")
	}
	return p, nil
}

func lookup(env Env, name string) (string, bool) {
	if env.LookupEnv == nil {
		return os.LookupEnv(name)
	}
	return env.LookupEnv(name)
}

// ParseRecipient reads one recipient: an age X25519 public key (age1…),
// an age hybrid post-quantum key (age1pq1…), or an SSH public key
// (ssh-ed25519 or ssh-rsa, as in authorized_keys). The error never quotes
// the text (it might be a private key pasted by mistake).
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-"), strings.Contains(s, "PRIVATE KEY"):
		return nil, errors.New("that is a private key: give the public one (age-keygen -y, or the .pub file)")
	case strings.HasPrefix(s, "age1pq1"):
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return nil, errors.New("not a valid age post-quantum recipient (age1pq1…)")
		}
		return r, nil
	case strings.HasPrefix(s, "age1"):
		r, err := age.ParseX25519Recipient(s)
		if err != nil {
			if i := strings.LastIndexByte(s, '1'); i > 3 && pluginName().MatchString(s[4:i]) {
				// age1<plugin>1…: a plugin's recipient (age1yubikey1…)
				return nil, fmt.Errorf("not a valid age recipient (age1…); plugin recipients (age1%s1…) are not supported", s[4:i])
			}
			return nil, errors.New("not a valid age recipient (age1… of 62 characters)")
		}
		return r, nil
	case strings.HasPrefix(s, "ssh-"), strings.HasPrefix(s, "ecdsa-"), strings.HasPrefix(s, "sk-"):
		r, err := agessh.ParseRecipient(s)
		if err != nil {
			return nil, fmt.Errorf("not a usable SSH public key (%v): age takes ssh-ed25519 and ssh-rsa keys", err)
		}
		return r, nil
	}
	return nil, errors.New("not a recipient: want an age public key (age1…) or an SSH public key (ssh-ed25519 AAAA…, ssh-rsa AAAA…)")
}

// MaxRecipientsFile bounds a recipients file.
const MaxRecipientsFile = 1 << 20

// ReadRecipientsFile reads an age recipients file (as age -R reads it):
// one recipient a line (see ParseRecipient), blank lines and lines
// starting with # ignored. Errors name the file and line; "-" is not
// accepted (stdin may carry the data).
func ReadRecipientsFile(path string) ([]age.Recipient, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s: no such file", path)
		}
		return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRecipientsFile+1))
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s: %v", path, unwrapPath(err))
	}
	if len(b) > MaxRecipientsFile {
		return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s: larger than %d bytes: not a recipients file", path, MaxRecipientsFile)
	}
	var rs []age.Recipient
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), MaxRecipientsFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s:%d: not UTF-8 text", path, n)
		}
		r, err := ParseRecipient(line)
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s:%d: %v", path, n, err)
		}
		rs = append(rs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s: %v", path, err)
	}
	if len(rs) == 0 {
		return nil, audit.Errorf(audit.EUSAGE, "--encrypt-to-file %s: no recipient in it (one public key a line: age1… or ssh-ed25519 AAAA…)", path)
	}
	return rs, nil
}

// Wrap returns a writer that encrypts into w; its Close finishes the age
// file (and the armor) but does not close w.
func (e *Encrypter) Wrap(w io.Writer) (io.WriteCloser, error) {
	if !e.armor {
		ew, err := age.Encrypt(w, e.recipients...)
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "encrypt: %v", err)
		}
		return ew, nil
	}
	aw := armor.NewWriter(w)
	ew, err := age.Encrypt(aw, e.recipients...)
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "encrypt: %v", err)
	}
	return &armored{ew, aw}, nil
}

// Binary reports whether the output is binary (not armored).
func (e *Encrypter) Binary() bool { return !e.armor }

type armored struct{ age, armor io.WriteCloser }

func (a *armored) Write(p []byte) (int, error) { return a.age.Write(p) }
func (a *armored) Close() error {
	if err := a.age.Close(); err != nil {
		return err
	}
	return a.armor.Close()
}

// Output is where an export goes and how.
type Output struct {
	IO *cmdutil.IOStreams
	// Path is -O; "" or "-" is stdout.
	Path string
	// Perm is the file's mode (0600 when 0).
	Perm os.FileMode
	// Encrypter is from Flags.Prepare; nil writes in clear.
	Encrypter *Encrypter
	// RequireEncryption is the config file's export.require_encryption;
	// ConfigPath names the file in the refusal.
	RequireEncryption bool
	ConfigPath        string
	// Binary says the clear content is binary (a recording): refused on a
	// terminal, where the chokepoint would change it.
	Binary bool
	// What names the content in errors ("a recording").
	What string

	flags *Flags // from Prepare: what Check sees before the encrypter exists
}

// Prepare completes o from the config file (export.require_encryption) and
// the flags, in the order that says every refusal before anything is asked
// or written: the config, then Check (refusals), then the encrypter (which
// may ask for a passphrase).
func (o *Output) Prepare(ctx context.Context, cfg func() (*config.File, error), fl *Flags, env Env) error {
	if cfg != nil {
		cf, err := cfg()
		if err != nil {
			return err
		}
		o.RequireEncryption, o.ConfigPath = cf.Export.RequireEncryption, cf.Path
	}
	o.flags = fl
	if err := o.Check(); err != nil {
		return err
	}
	enc, err := fl.Prepare(ctx, env)
	if err != nil {
		return err
	}
	o.Encrypter = enc
	return nil
}

// Said is what the notice after an export adds: " (encrypted with age to 2
// recipients)", or "" in clear.
func (o *Output) Said() string {
	if o.Encrypter == nil {
		return ""
	}
	return " (encrypted with age to " + o.Encrypter.Describe + ")"
}

// TrimSuffixes drops the .age and .gz suffixes of an output file name, so
// that the format is chosen from what is left (audit.csv.age: CSV).
func TrimSuffixes(name string) string {
	for {
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".age" && ext != ".gz" {
			return name
		}
		name = strings.TrimSuffix(name, filepath.Ext(name))
	}
}

func (o *Output) encrypted() bool {
	return o.Encrypter != nil || (o.flags != nil && o.flags.Requested())
}

func (o *Output) binaryEncryption() bool {
	if o.Encrypter != nil {
		return o.Encrypter.Binary()
	}
	return o.flags != nil && o.flags.Requested() && !o.flags.Armor
}

// Check refuses what cannot be written, before any work: an unencrypted
// export under export.require_encryption (exit 2), and binary output
// (age's, or the content's) to a terminal, which would mangle it.
func (o *Output) Check() error {
	if o.RequireEncryption && !o.encrypted() {
		where := "the config file"
		if o.ConfigPath != "" {
			where = o.ConfigPath
		}
		return audit.Errorf(audit.EUSAGE, "unencrypted export refused: export.require_encryption is true in %s; encrypt it with --encrypt-to age1…, --encrypt-to-file FILE or --passphrase", where)
	}
	if o.toStdout() && o.IO.IsStdoutTTY() {
		switch {
		case o.binaryEncryption():
			return audit.Errorf(audit.EUSAGE, "not writing encrypted binary output to a terminal: use -O FILE.age, --armor, or redirect stdout")
		case !o.encrypted() && o.Binary:
			what := o.What
			if what == "" {
				what = "binary output"
			}
			return audit.Errorf(audit.EUSAGE, "not writing %s to a terminal: use -O FILE or redirect stdout", what)
		}
	}
	return nil
}

func (o *Output) toStdout() bool { return o.Path == "" || o.Path == "-" }

// Write runs fn over the output: encrypted when an encrypter is set, to a
// file written atomically (a temporary file renamed into place only when
// fn and the encryption finished: an error, SIGINT or SIGTERM leave
// nothing) or to stdout. It calls Check first.
func (o *Output) Write(fn func(w io.Writer) error) error {
	if err := o.Check(); err != nil {
		return err
	}
	body := func(w io.Writer) error {
		if o.Encrypter == nil {
			return fn(w)
		}
		ew, err := o.Encrypter.Wrap(w)
		if err != nil {
			return err
		}
		if err := fn(ew); err != nil {
			return err
		}
		return ew.Close()
	}
	if o.toStdout() {
		// On a terminal, o.IO.Out is the sanitizing chokepoint: armored
		// text and CSV pass unchanged; binary was refused by Check.
		return body(o.IO.Out)
	}
	perm := o.Perm
	if perm == 0 {
		perm = 0o600
	}
	return atomicfile.Write(o.Path, perm, body)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// pluginName is what an age plugin's name may be (age1NAME1…), as the
// error may repeat it.
var pluginName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9+_-]{1,20}$`) })
