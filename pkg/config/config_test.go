package config_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/config"
)

func write(t *testing.T, text string, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, perm) // past the umask
	return p
}

func TestLoadSections(t *testing.T) {
	p := write(t, `# auditctl
jumpcloud:
  api_key: k-0042
  region: eu
  orgs: [o1, o2]
export:
  require_encryption: true
retention:
  logs: 30d
  sessions: 2y
`, 0o600)
	cf, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !cf.Exists || cf.Path != p || cf.JumpCloud.APIKey != "k-0042" || cf.JumpCloud.Region != "eu" || len(cf.JumpCloud.Orgs) != 2 {
		t.Fatalf("%+v", cf)
	}
	if !cf.Export.RequireEncryption {
		t.Fatal("require_encryption not read")
	}
	if cf.Retention.LogsPeriod() != 30*24*time.Hour || cf.Retention.SessionsPeriod() != 2*365*24*time.Hour || cf.Retention.Logs.String() != "30d" {
		t.Fatalf("retention %+v", cf.Retention)
	}
	if err := cf.RequirePrivate("a key"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDefaults(t *testing.T) {
	for name, text := range map[string]string{"empty": "", "comments": "# nothing\n", "empty sections": "export:\nretention:\n"} {
		cf, err := config.Load(write(t, text, 0o644))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cf.Export.RequireEncryption || cf.Retention.LogsPeriod() != config.DefaultRetentionLogs || cf.Retention.SessionsPeriod() != config.DefaultRetentionSessions {
			t.Fatalf("%s: %+v", name, cf)
		}
	}
	cf, err := config.Load(filepath.Join(t.TempDir(), "none.yaml"))
	if err != nil || cf.Exists || cf.Retention.LogsPeriod() != 90*24*time.Hour || cf.Retention.SessionsPeriod() != 365*24*time.Hour {
		t.Fatalf("a missing file is the defaults: %+v %v", cf, err)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/xdg")
	if p := config.DefaultPath(); p != filepath.Join("/xdg", "auditctl", "config.yaml") {
		t.Fatal(p)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "relative/dir") // ignored, as the XDG spec says
	if p := config.DefaultPath(); runtime.GOOS == "linux" && p != filepath.Join(home, ".config", "auditctl", "config.yaml") {
		t.Fatal(p)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	if p := config.DefaultPath(); runtime.GOOS == "linux" && p != filepath.Join(home, ".config", "auditctl", "config.yaml") {
		t.Fatal(p)
	}
	// Load("") reads the default path.
	os.MkdirAll(filepath.Join(home, ".config", "auditctl"), 0o700)
	os.WriteFile(filepath.Join(home, ".config", "auditctl", "config.yaml"), []byte("export: {require_encryption: true}\n"), 0o600)
	if cf, err := config.Load(""); runtime.GOOS == "linux" && (err != nil || !cf.Export.RequireEncryption) {
		t.Fatalf("%+v %v", cf, err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string // all in the message
	}{
		{"export:\n  require_encrypton: true\n", []string{":2:3:", `unknown key "require_encrypton" under export`, "known: require_encryption"}},
		{"exports:\n  require_encryption: true\n", []string{":1:1:", `unknown key "exports" at the top level`, "export, import, jumpcloud, retention"}},
		{"retention:\n  logs: 90 days\n", []string{":2:9:", "retention.logs", "90d"}},
		{"retention:\n  sessions: 0d\n", []string{":2:13:", "retention.sessions"}},
		{"retention:\n  logs: [90d]\n", []string{":2:9:", "retention.logs"}},
		{"export:\n  require_encryption: yes please\n", []string{":2:23:", "export.require_encryption: want true or false"}},
		{"export:\n  require_encryption: 1\n", []string{":2:23:", "want true or false"}},
		{"export: true\n", []string{":1:9:", "export: want a mapping of keys (require_encryption)"}},
		{"export:\n  require_encryption: true\n  require_encryption: false\n", []string{":3:3:", "given twice"}},
		{"jumpcloud:\n  orgs: o1\n", []string{":2:9:", "jumpcloud.orgs: want a list of strings"}},
		{"jumpcloud:\n  api_key: [secret-0042\n", []string{":", "not valid YAML"}},
		{"a: &x {b: 1}\nc: *x\n", []string{"unknown key"}},
		{"- a\n- b\n", []string{":1:1:", "want a mapping"}},
		{"jumpcloud:\n  region: &r eu\n  endpoint: *r\n", []string{":3:13:", "aliases are not allowed"}},
		{"jumpcloud:\n  api_key: secret-0042\n  \"bogus\\e[31m\": 1\n", []string{`unknown key "bogus?[31m"`}},
	} {
		p := write(t, c.text, 0o600)
		_, err := config.Load(p)
		if err == nil {
			t.Errorf("%q: no error", c.text)
			continue
		}
		msg := err.Error()
		if audit.ExitCode(err) != 2 || !strings.HasPrefix(msg, "config "+p) {
			t.Errorf("%q: %v (exit %d): want a usage error naming the file", c.text, err, audit.ExitCode(err))
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: %q lacks %q", c.text, msg, w)
			}
		}
		if strings.Contains(msg, "secret-0042") {
			t.Errorf("%q: the error quotes a value: %s", c.text, msg)
		}
	}
}

func TestRequirePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	p := write(t, "jumpcloud:\n  api_key: secret-0042\n", 0o644)
	cf, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	err = cf.RequirePrivate("an API key")
	if err == nil || audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), "chmod 600 "+p) || !strings.Contains(err.Error(), "0644") || strings.Contains(err.Error(), "secret-0042") {
		t.Fatalf("%v", err)
	}
}

func TestLoadNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := config.Load(dir); err == nil || audit.ExitCode(err) != 2 || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a directory: %v", err)
	}
	big := write(t, "# "+strings.Repeat("x", config.MaxSize)+"\n", 0o600)
	if _, err := config.Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("a huge file: %v", err)
	}
}

// FuzzParse: any text either parses or is a usage error naming the file
// with a line; none panics, none quotes a value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"export:\n  require_encryption: true\n",
		"retention:\n  logs: 90d\n  sessions: 1y\n",
		"jumpcloud:\n  api_key: k\n  orgs: [a, b]\n",
		"export: {require_encryption: tru}\n",
		"a: &x 1\nb: *x\n",
		"retention: {logs: 1y6w2d}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var cf config.File
		err := config.Parse("c.yaml", []byte(text), &cf)
		if err == nil {
			return
		}
		if audit.ExitCode(err) != 2 || !strings.HasPrefix(err.Error(), "config c.yaml") {
			t.Fatalf("%q: %v", text, err)
		}
	})
}
