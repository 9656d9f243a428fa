// Package config is auditctl's configuration file,
// ~/.config/auditctl/config.yaml (under XDG_CONFIG_HOME when that is set):
// where it is, how it is read, and the sections it holds. It is the one
// loader: the JumpCloud source, export, retention and import all read their section
// from the File that Load returns.
//
// Every key is known: a key the file does not define (a typo such as
// require_encrypton) is a usage error naming the file, line and column, and
// the keys that are allowed there, so that a misspelled safety setting can
// never be ignored silently. Values are never quoted in errors: the file can
// hold an API key.
package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"go.yaml.in/yaml/v3"
)

// MaxSize bounds the file read: a config file is small.
const MaxSize = 1 << 20

// Default retention periods (seeds 000 and 001): 90 days of logs, a year
// of session recordings.
const (
	DefaultRetentionLogs     = 90 * 24 * time.Hour
	DefaultRetentionSessions = 365 * 24 * time.Hour
)

// File is the parsed configuration file. The zero value (no file) is the
// defaults.
type File struct {
	// Path is the file read; Exists says whether there was one. Perm is its
	// permission bits.
	Path   string      `yaml:"-"`
	Exists bool        `yaml:"-"`
	Perm   fs.FileMode `yaml:"-"`

	JumpCloud JumpCloud `yaml:"jumpcloud"`
	Export    Export    `yaml:"export"`
	Retention Retention `yaml:"retention"`
	Import    Import    `yaml:"import"`
}

// Import is the import: section.
type Import struct {
	// Tenant is the tenant of every imported event when import --tenant
	// is not given ("": the source's).
	Tenant string `yaml:"tenant"`
}

// JumpCloud is the jumpcloud: section: the Directory Insights API
// credentials and tenant (see pkg/source/jumpcloud).
type JumpCloud struct {
	APIKey       string   `yaml:"api_key"`
	ClientID     string   `yaml:"client_id"`
	ClientSecret string   `yaml:"client_secret"`
	Orgs         []string `yaml:"orgs"`
	Org          string   `yaml:"org"`
	Region       string   `yaml:"region"`
	Endpoint     string   `yaml:"endpoint"`
}

// Export is the export: section.
type Export struct {
	// RequireEncryption refuses every unencrypted export (logs export,
	// sessions export), to a file or to stdout.
	RequireEncryption bool `yaml:"require_encryption"`
}

// Retention is the retention: section: how long events and session
// recordings are kept.
type Retention struct {
	Logs     Period `yaml:"logs"`
	Sessions Period `yaml:"sessions"`
}

// LogsPeriod is retention.logs, or DefaultRetentionLogs when unset.
func (r Retention) LogsPeriod() time.Duration { return r.Logs.Or(DefaultRetentionLogs) }

// SessionsPeriod is retention.sessions, or DefaultRetentionSessions when
// unset.
func (r Retention) SessionsPeriod() time.Duration {
	return r.Sessions.Or(DefaultRetentionSessions)
}

// Period is a length of time written as audit.ParsePeriod reads it ("90d",
// "1y", "12w"). The zero value is unset.
type Period struct {
	D    time.Duration
	Text string // as written in the file
}

// Set reports whether the file gave the period.
func (p Period) Set() bool { return p.D > 0 }

// Or returns the period, or def when unset.
func (p Period) Or(def time.Duration) time.Duration {
	if p.Set() {
		return p.D
	}
	return def
}

func (p Period) String() string { return p.Text }

// DefaultPath is ~/.config/auditctl/config.yaml, or
// $XDG_CONFIG_HOME/auditctl/config.yaml when XDG_CONFIG_HOME is set (and
// absolute, as the XDG spec requires). It is "" when there is no home.
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "auditctl", "config.yaml")
}

// Load reads the config file at path ("" = DefaultPath()). A missing file
// is no error: the File is then the defaults (Exists false). Any other
// problem is a usage error (exit 2) naming the file, and the line and
// column where there is one.
func Load(path string) (*File, error) {
	if path == "" {
		path = DefaultPath()
	}
	cf := &File{Path: path}
	if path == "" {
		return cf, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cf, nil
	}
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "config %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "config %s: %v", path, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return nil, audit.Errorf(audit.EUSAGE, "config %s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "config %s: %v", path, unwrapPath(err))
	}
	if len(b) > MaxSize {
		return nil, audit.Errorf(audit.EUSAGE, "config %s: larger than %d bytes", path, MaxSize)
	}
	cf.Exists, cf.Perm = true, st.Mode().Perm()
	if err := Parse(path, b, cf); err != nil {
		return nil, err
	}
	return cf, nil
}

// Parse decodes the YAML text b (from the file name) into cf, strictly:
// unknown keys, duplicate keys and values of the wrong type are usage errors
// "name:line:col: …".
func Parse(name string, b []byte, cf *File) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return syntaxError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // only comments
	}
	return decode(name, root, reflect.ValueOf(cf).Elem(), "")
}

// lineRE finds the line in a yaml.v3 syntax error ("yaml: line 3: …").
var lineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// syntaxError reports a YAML syntax error with its line. The scanner's
// messages are fixed phrases ("did not find expected key"); anything else
// is not repeated, since a message could quote the text, a key included.
func syntaxError(name string, err error) error {
	msg := strings.TrimSpace(err.Error())
	if m := lineRE().FindStringSubmatch(msg); m != nil && !strings.ContainsAny(m[2], "`'\"") {
		return audit.Errorf(audit.EUSAGE, "config %s:%s: not valid YAML: %s", name, m[1], m[2])
	}
	return audit.Errorf(audit.EUSAGE, "config %s: not valid YAML", name)
}

var periodType = reflect.TypeOf(Period{})

// decode sets v from node n; key is the dotted path of n ("export.
// require_encryption") for messages.
func decode(name string, n *yaml.Node, v reflect.Value, key string) error {
	if n.Kind == yaml.AliasNode {
		return nodeErr(name, n, key, "aliases are not allowed in the config file")
	}
	where := "under " + key
	if key == "" {
		where = "at the top level"
	}
	switch {
	case v.Type() == periodType:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return nodeErr(name, n, key, "want a period such as 90d, 12w or 1y")
		}
		d, err := audit.ParsePeriod(n.Value)
		if err != nil {
			return nodeErr(name, n, key, "want a period such as 90d, 12w or 1y (a number and a unit: h, d, w, y)")
		}
		v.Set(reflect.ValueOf(Period{D: d, Text: strings.TrimSpace(n.Value)}))
		return nil
	case v.Kind() == reflect.Struct:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil // "export:" with nothing under it
		}
		if n.Kind != yaml.MappingNode {
			return nodeErr(name, n, key, "want a mapping of keys (%s)", strings.Join(knownKeys(v.Type()), ", "))
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nodeErr(name, k, key, "want a key name")
			}
			field, ok := fieldByTag(v, k.Value)
			if !ok {
				return nodeErr(name, k, "", "unknown key %q %s (known: %s)", printable(k.Value), where, strings.Join(knownKeys(v.Type()), ", "))
			}
			sub := k.Value
			if key != "" {
				sub = key + "." + k.Value
			}
			if seen[k.Value] {
				return nodeErr(name, k, sub, "given twice")
			}
			seen[k.Value] = true
			if err := decode(name, val, field, sub); err != nil {
				return err
			}
		}
		return nil
	case v.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float") {
			return nodeErr(name, n, key, "want a string")
		}
		v.SetString(n.Value)
		return nil
	case v.Kind() == reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			return nodeErr(name, n, key, "want true or false")
		}
		v.SetBool(b)
		return nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return nodeErr(name, n, key, "want a list of strings")
		}
		out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
		for _, item := range n.Content {
			s := reflect.New(v.Type().Elem()).Elem()
			if err := decode(name, item, s, key); err != nil {
				return err
			}
			out = reflect.Append(out, s)
		}
		v.Set(out)
		return nil
	}
	return audit.Errorf(audit.EINTERNAL, "config: no decoder for %s", v.Type())
}

func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag == name && tag != "-" {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func knownKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	sort.Strings(keys)
	return keys
}

// printable keeps an unknown key's name short and free of control
// characters in the message.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return s
}

func nodeErr(name string, n *yaml.Node, key, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + ": " + msg
	}
	return audit.Errorf(audit.EUSAGE, "config %s:%d:%d: %s", name, n.Line, n.Column, msg)
}

// RequirePrivate fails when the file can be read by others than its owner
// while it holds a secret (what names it): "config … holds an API key but
// is readable by others (mode 0644): run chmod 600 …". Windows has no such
// mode bits and is not checked.
func (f *File) RequirePrivate(what string) error {
	if !f.Exists || runtime.GOOS == "windows" || f.Perm&0o077 == 0 {
		return nil
	}
	return audit.Errorf(audit.EUSAGE, "config %s holds %s but is readable by others (mode %04o): run chmod 600 %s", f.Path, what, f.Perm, f.Path)
}

// unwrapPath drops the *PathError's repeat of the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
