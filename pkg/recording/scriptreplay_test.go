package recording

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestScriptreplayOracle checks the script reader against util-linux's own
// scriptreplay: for every fixture and stream, our events' data concatenated
// equal what scriptreplay prints (it adds one newline at the end).
func TestScriptreplayOracle(t *testing.T) {
	needTool(t, "scriptreplay")
	for _, c := range scriptFixtures {
		opt := c.opt.under(scriptPath)
		timing, err := os.ReadFile(scriptPath(c.timing))
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		switch {
		case opt.ScriptLog != "" && (opt.ScriptIn == opt.ScriptLog ||
			opt.ScriptIn == "" && strings.Contains(string(timing), "H 0.000000 INPUT_LOG "+c.opt.ScriptLog+"\n")):
			files = []string{"--log-io", opt.ScriptLog}
		default:
			if opt.ScriptLog != "" {
				files = append(files, "--log-out", opt.ScriptLog)
			}
			if opt.ScriptIn != "" {
				files = append(files, "--log-in", opt.ScriptIn)
			}
		}
		r, err := Open(scriptPath(c.timing), opt)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := readReader(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, e := range evs {
			want[e.Code] += e.Data
		}
		for code, stream := range map[string]string{"o": "out", "i": "in"} {
			if code == "i" && opt.ScriptIn == "" && files[0] != "--log-io" {
				continue
			}
			if code == "o" && opt.ScriptLog == "" {
				continue
			}
			args := append([]string{"--log-timing", scriptPath(c.timing), "-m", "0.0001", "--cr-mode", "never"}, files...)
			if c.format == FormatScriptAdvanced {
				args = append(args, "--stream", stream)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out, err := exec.CommandContext(ctx, "scriptreplay", args...).Output()
			cancel()
			if err != nil {
				t.Fatalf("scriptreplay %v: %v", args, err)
			}
			if string(out) != want[code]+"\n" {
				t.Errorf("%s %v: scriptreplay %q, we read %q", c.timing, args, out, want[code])
			}
		}
	}
}
