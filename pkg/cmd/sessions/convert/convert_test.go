package convert

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/recording"
)

const testdata = "../../../recording/testdata"

type env struct {
	out, errOut *bytes.Buffer
	f           *cmdutil.Factory
}

func newEnv() *env {
	ios, _, out, errOut := cmdutil.Test()
	return &env{out: out, errOut: errOut, f: &cmdutil.Factory{IOStreams: ios}}
}

// run executes `convert args...` and returns its exit code.
func (e *env) run(t *testing.T, args ...string) int {
	t.Helper()
	e.out.Reset()
	e.errOut.Reset()
	cmd := NewCmdConvert(e.f, nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.Execute()
	if err != nil {
		t.Logf("convert %v: %v", args, err)
	}
	return cmdutil.ExitCode(err)
}

func events(t *testing.T, path string, opt recording.Options) (recording.Header, string) {
	t.Helper()
	r, err := recording.Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b strings.Builder
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return r.Header(), b.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(ev.Time.String() + " " + ev.Code + " " + ev.Data + "\n")
	}
}

const v3 = `{"version": 3, "term": {"cols": 80, "rows": 24}, "audit": {"session": "s1"}}
[0.5, "o", "héllo\r\n"]
[0.25, "i", "ls\r"]
[0.1, "q", "{\"query\":\"select 1\"}"]
[1, "x", "0"]
`

func TestConvert(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.rec")
	os.WriteFile(in, []byte(v3), 0o600)
	e := newEnv()
	out := filepath.Join(dir, "out.cast")
	if code := e.run(t, in, "-O", out, "--to", "v2"); code != 0 {
		t.Fatalf("exit %d: %s", code, e.errOut)
	}
	h, got := events(t, out, recording.Options{})
	_, want := events(t, in, recording.Options{})
	if h.Format != recording.FormatAsciicastV2 || got != want || string(h.Audit) != `{"session":"s1"}` {
		t.Errorf("v2 output %+v\n%s\nwant\n%s", h, got, want)
	}
	if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	if !strings.Contains(e.errOut.String(), "4 events") {
		t.Errorf("stderr %q", e.errOut)
	}
	// Exists: refused without --force, done with it.
	if code := e.run(t, in, "-O", out); code != 2 {
		t.Errorf("existing OUT: exit %d", code)
	}
	if code := e.run(t, in, "-O", out, "--force"); code != 0 {
		t.Errorf("--force: exit %d", code)
	}
	if h, _ := events(t, out, recording.Options{}); h.Format != recording.FormatAsciicastV3 {
		t.Errorf("default is v3: %s", h.Format)
	}
	// Never over the input, even with --force.
	if code := e.run(t, in, "-O", in, "--force"); code != 2 {
		t.Errorf("overwrite input: exit %d", code)
	}
	if data, _ := os.ReadFile(in); string(data) != v3 {
		t.Error("input changed")
	}
	// Standard output, --strict.
	if code := e.run(t, in, "-O", "-", "--to", "2", "--strict"); code != 0 {
		t.Fatalf("stdout: exit %d", code)
	}
	if s := e.out.String(); !strings.HasPrefix(s, `{"version": 2`) || strings.Contains(s, `"q"`) || strings.Contains(s, `"x"`) ||
		!strings.Contains(e.errOut.String(), "2 events dropped") {
		t.Errorf("stdout:\n%s\n%s", s, e.errOut)
	}
	// Usage errors.
	for _, args := range [][]string{{in}, {in, "-O", "-", "--to", "v4"}, {in, "-O", "-", "--cols", "-1"}, {}} {
		if code := e.run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestConvertBadInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.rec")
	os.WriteFile(in, []byte(strings.Replace(v3, `[0.25, "i", "ls\r"]`, `[0.25, "i"]`, 1)), 0o600)
	out := filepath.Join(dir, "out.rec")
	e := newEnv()
	if code := e.run(t, in, "-O", out); code != 3 {
		t.Errorf("bad line: exit %d, want 3", code)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("half-written output left behind")
	}
	if code := e.run(t, in, "-O", out, "--skip-invalid"); code != 0 || !strings.Contains(e.errOut.String(), "1 invalid events skipped") {
		t.Errorf("--skip-invalid: exit %d %s", code, e.errOut)
	}
	if code := e.run(t, filepath.Join(dir, "missing"), "-O", out+"2"); code == 0 {
		t.Error("missing input: exit 0")
	}
}

func TestConvertScriptAndTtyrec(t *testing.T) {
	dir := t.TempDir()
	sd := filepath.Join(testdata, "script")
	e := newEnv()
	// Without its data file: the error names the flag.
	if code := e.run(t, filepath.Join(sd, "io.tm"), "-O", filepath.Join(dir, "x.rec")); code != 2 {
		t.Errorf("no --log-io: exit %d", code)
	}
	out := filepath.Join(dir, "io.rec")
	if code := e.run(t, filepath.Join(sd, "tty.tm"), "--log-io", filepath.Join(sd, "tty.log"), "-O", out); code != 0 {
		t.Fatalf("exit %d %s", code, e.errOut)
	}
	h, got := events(t, out, recording.Options{})
	_, want := events(t, filepath.Join(sd, "tty.tm"), recording.Options{ScriptLog: filepath.Join(sd, "tty.log")})
	if got != want || h.Term["type"] != "tmux-256color" || h.Command == "" {
		t.Errorf("script: %+v\n%s\nwant\n%s", h, got, want)
	}
	// Refuses to overwrite a data file.
	cp := filepath.Join(dir, "typescript")
	data, _ := os.ReadFile(filepath.Join(sd, "classic.log"))
	os.WriteFile(cp, data, 0o600)
	if code := e.run(t, filepath.Join(sd, "classic.tm"), "--log-out", cp, "-O", cp, "--force"); code != 2 {
		t.Errorf("overwrite --log-out: exit %d", code)
	}
	out = filepath.Join(dir, "t.rec")
	if code := e.run(t, filepath.Join(testdata, "ttyrec", "real.ttyrec"), "--cols", "100", "--rows", "30", "-O", out); code != 0 {
		t.Fatalf("ttyrec: exit %d", code)
	}
	if h, _ := events(t, out, recording.Options{}); h.Width != 100 || h.Height != 30 {
		t.Errorf("ttyrec size %dx%d", h.Width, h.Height)
	}
}

func TestConvertFlags(t *testing.T) {
	var got *ConvertOptions
	cmd := NewCmdConvert(newEnv().f, func(o *ConvertOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"f.tm", "-O", "o", "--to", "v2", "--log-out", "a", "--log-in", "b", "--force", "--strict"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.File != "f.tm" || got.OutFile != "o" || got.To != "v2" || got.Rec.LogOut != "a" || got.Rec.LogIn != "b" || !got.Force || !got.Strict {
		t.Errorf("%+v", got)
	}
}
