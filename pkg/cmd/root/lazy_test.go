package root

import (
	"context"
	"slices"
	"testing"

	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/spf13/cobra"
)

// TestCommandTable checks that each entry of the table Run builds from
// names the command its constructor builds, and that the table holds every
// command of the whole tree but cobra's help and completion.
func TestCommandTable(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: io}
	var names []string
	for _, c := range commands {
		if got := c.build(f, nil).Name(); got != c.name {
			t.Errorf("table entry %q builds %q", c.name, got)
		}
		names = append(names, c.name)
	}
	var tree []string
	for _, c := range NewCmdRoot(f).Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			tree = append(tree, c.Name())
		}
	}
	slices.Sort(names)
	slices.Sort(tree)
	if !slices.Equal(names, tree) {
		t.Errorf("table %v, tree %v", names, tree)
	}
}

func TestCommandWord(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"version"}, "version"},
		{[]string{"logs", "list", "--all"}, "logs"},
		{[]string{"--db", "x.db", "logs", "list"}, "logs"},
		{[]string{"--db=logs", "import", "-"}, "import"},
		{[]string{"-o", "json", "--quiet", "--no-color", "--debug", "verify"}, "verify"},
		{[]string{"-ojson", "hunt"}, "hunt"},
		{[]string{"--output", "version", "logs"}, "logs"}, // "version" is the flag's value
		{[]string{"--help"}, ""},
		{[]string{"--version"}, ""},
		{[]string{"--all", "logs"}, ""}, // not a root flag: the whole tree reports it
		{[]string{"--", "logs"}, ""},
		{[]string{"help", "logs"}, "help"},
		{[]string{"lgos"}, "lgos"},
	} {
		if got, _ := commandWord(tc.args); got != tc.want {
			t.Errorf("commandWord(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestOneCommandTreeSameAsWhole runs `PATH --help` and a usage error of
// every command of the tree both ways, the whole tree and the tree of the
// one command Run builds, and expects the same output and the same error.
func TestOneCommandTreeSameAsWhole(t *testing.T) {
	io, _, _, _ := cmdutil.Test()
	var paths [][]string
	var walkPaths func(c *cobra.Command, path []string)
	walkPaths = func(c *cobra.Command, path []string) {
		if len(path) > 0 {
			paths = append(paths, path)
		}
		for _, sub := range c.Commands() {
			walkPaths(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walkPaths(NewCmdRoot(&cmdutil.Factory{IOStreams: io}), nil)
	if len(paths) < 30 {
		t.Fatalf("only %d commands in the tree", len(paths))
	}
	run := func(build func(*cmdutil.Factory, []string) *cobra.Command, args []string) (string, string, error) {
		io, _, out, errOut := cmdutil.Test()
		f := &cmdutil.Factory{IOStreams: io}
		cmd := build(f, args)
		cmd.SetArgs(args)
		err := f.Finish(context.Background(), cmd.ExecuteContext(context.Background()))
		return out.String(), errOut.String(), err
	}
	whole := func(f *cmdutil.Factory, _ []string) *cobra.Command { return NewCmdRoot(f) }
	for _, p := range paths {
		for _, args := range [][]string{
			append(slices.Clone(p), "--help"),
			append([]string{"--quiet"}, append(slices.Clone(p), "--no-such-flag")...),
		} {
			o1, e1, err1 := run(whole, args)
			o2, e2, err2 := run(NewCmdFor, args)
			if o1 != o2 || e1 != e2 || cmdutil.ExitCode(err1) != cmdutil.ExitCode(err2) || errString(err1) != errString(err2) {
				t.Errorf("%q: whole tree and one command differ:\nwhole: %q %q %v\none:   %q %q %v", args, o1, e1, err1, o2, e2, err2)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// BenchmarkCommandTree: building the whole tree (help, completion) against
// the tree of one command, as Run builds it for `auditctl version` and for
// `auditctl logs list` (docs/performance.md, "Issue 13: reads and
// start-up").
func BenchmarkCommandTree(b *testing.B) {
	io, _, _, _ := cmdutil.Test()
	for _, bc := range []struct {
		name string
		args []string
	}{{"whole", []string{"--help"}}, {"version", []string{"version"}}, {"logs list", []string{"logs", "list"}}, {"logs", []string{"logs"}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NewCmdFor(&cmdutil.Factory{IOStreams: io}, bc.args)
			}
		})
	}
}
