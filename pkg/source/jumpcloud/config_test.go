package jumpcloud_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
)

func TestSettingsResolve(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("JUMPCLOUD_API_KEY", "")
	t.Setenv("JUMPCLOUD_API_URL", "")
	t.Setenv("JUMPCLOUD_ORG_ID", "")
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("jumpcloud:\n  api_key: from-file-key-0042\n  region: eu\n  orgs: [o1]\n"), 0o644)
	if runtime.GOOS != "windows" {
		_, err := jumpcloud.Settings{ConfigPath: cfg}.Resolve()
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), "from-file-key-0042") {
			t.Fatalf("a world-readable key file: %v", err)
		}
	}
	os.Chmod(cfg, 0o600)
	s, err := jumpcloud.Settings{ConfigPath: cfg}.Resolve()
	if err != nil || s.APIKey != "from-file-key-0042" || s.Region != "eu" || len(s.Orgs) != 1 {
		t.Fatalf("%+v %v", s, err)
	}
	if u, _ := s.BaseURL(); u != "https://api.eu.jumpcloud.com" {
		t.Fatalf("base %s", u)
	}
	t.Setenv("JUMPCLOUD_API_KEY", "env-key")
	s, err = jumpcloud.Settings{ConfigPath: cfg}.Resolve()
	if err != nil || s.APIKey != "env-key" {
		t.Fatalf("the environment wins: %+v %v", s, err)
	}
	os.WriteFile(cfg, []byte("jumpcloud:\n  api_key: [\n"), 0o600)
	if _, err := (jumpcloud.Settings{ConfigPath: cfg}).Resolve(); err == nil || strings.Contains(err.Error(), "api_key") {
		t.Fatalf("bad YAML: %v", err)
	}
	os.WriteFile(cfg, []byte("jumpcloud:\n  api_key: k-0042\n  orgz: [o1]\n"), 0o600)
	if _, err := (jumpcloud.Settings{ConfigPath: cfg}).Resolve(); err == nil || !strings.Contains(err.Error(), cfg+":3:3: unknown key \"orgz\" under jumpcloud") || audit.ExitCode(err) != 2 {
		t.Fatalf("a misspelled key: %v", err)
	}
	t.Setenv("JUMPCLOUD_API_KEY", "")
	if _, err := (jumpcloud.Settings{ConfigPath: filepath.Join(dir, "none.yaml")}).Resolve(); err == nil || !strings.Contains(err.Error(), "JUMPCLOUD_API_KEY") || audit.ExitCode(err) != 2 {
		t.Fatalf("no key: %v", err)
	}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://proxy.example.com/jc/", true},
		{"http://127.0.0.1:8089", true},
		{"http://localhost:1", true},
		{"http://[::1]:1", true},
		{"http://proxy.example.com", false},
		{"http://10.0.0.1", false},
		{"ftp://x", false},
		{"https://user:pw@x", false},
		{"not a url", false},
	} {
		_, err := jumpcloud.Settings{APIKey: "k", Endpoint: c.url, ConfigPath: filepath.Join(dir, "none.yaml")}.Resolve()
		if (err == nil) != c.ok {
			t.Errorf("endpoint %s: %v", c.url, err)
		}
	}
	if _, err := (jumpcloud.Settings{APIKey: "k", Region: "mars", ConfigPath: cfg + "x"}).Resolve(); err == nil {
		t.Error("region mars accepted")
	}
	// a service account: client credentials, and --org is required
	none := filepath.Join(dir, "none.yaml")
	if _, err := (jumpcloud.Settings{ClientID: "id", ClientSecret: "s", ConfigPath: none}).Resolve(); err == nil || !strings.Contains(err.Error(), "--org") {
		t.Errorf("service account without --org: %v", err)
	}
	if _, err := (jumpcloud.Settings{ClientID: "id", ClientSecret: "s", Orgs: []string{"o"}, TokenURL: "http://evil.example.com/t", ConfigPath: none}).Resolve(); err == nil {
		t.Error("plain http token URL accepted")
	}
	if s, err := (jumpcloud.Settings{ClientID: "id", ClientSecret: "s", Orgs: []string{"o"}, ConfigPath: none}).Resolve(); err != nil || s.APIKey != "" {
		t.Errorf("service account: %+v %v", s, err)
	}
}
