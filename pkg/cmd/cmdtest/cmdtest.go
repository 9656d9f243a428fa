// Package cmdtest runs auditctl commands in tests: the real command tree
// over test streams, a real SQLite file in a temporary directory, and a
// fixed clock.
package cmdtest

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/cmd/root"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

// Now is the fixed clock of every test factory.
var Now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// Env is a factory over buffers and a temporary cache.
type Env struct {
	T       *testing.T
	Factory *cmdutil.Factory
	IO      *cmdutil.IOStreams
	In      *bytes.Buffer
	Out     *bytes.Buffer
	ErrOut  *bytes.Buffer
	DBPath  string
	// ConfigPath is the config file every command reads (absent until a
	// test writes it), never the user's own.
	ConfigPath string
}

// New returns an Env whose cache is a new file under t.TempDir().
func New(t *testing.T) *Env {
	t.Helper()
	io, in, out, errOut := cmdutil.Test()
	env := &Env{T: t, IO: io, In: in, Out: out, ErrOut: errOut, DBPath: filepath.Join(t.TempDir(), "audit.db")}
	env.ConfigPath = filepath.Join(filepath.Dir(env.DBPath), "config.yaml")
	env.reset()
	return env
}

func (env *Env) reset() {
	old := env.Factory
	if old != nil {
		old.Close()
	}
	env.Factory = &cmdutil.Factory{IOStreams: env.IO, Now: func() time.Time { return Now }, ConfigPath: env.ConfigPath}
	env.T.Cleanup(func() { env.Factory.Close() })
}

// Run executes `auditctl args...` like main does, with fresh output
// buffers, and returns the error, classified as main classifies it
// (cmdutil.Factory.Finish; its exit code is cmdutil.ExitCode). The --db
// flag is added to point at the Env's cache.
func (env *Env) Run(args ...string) error {
	env.T.Helper()
	env.Out.Reset()
	env.ErrOut.Reset()
	env.reset()
	cmd := root.NewCmdRoot(env.Factory)
	cmd.SetArgs(append([]string{"--db", env.DBPath}, args...))
	ctx := context.Background()
	return env.Factory.Finish(ctx, cmd.ExecuteContext(ctx))
}

// Main is main itself (root.Run) over the Env: the error is printed to
// ErrOut as main prints it, and the exit code returned. Unlike Run it adds
// no --db flag.
func (env *Env) Main(args ...string) int {
	env.T.Helper()
	env.Out.Reset()
	env.ErrOut.Reset()
	env.reset()
	return root.Run(context.Background(), env.Factory, args)
}

// MustRun is Run that fails the test on error.
func (env *Env) MustRun(args ...string) string {
	env.T.Helper()
	if err := env.Run(args...); err != nil {
		env.T.Fatalf("auditctl %v: %v\nstderr: %s", args, err, env.ErrOut)
	}
	return env.Out.String()
}

// ExitCode runs the command and returns its exit code.
func (env *Env) ExitCode(args ...string) int {
	env.T.Helper()
	return cmdutil.ExitCode(env.Run(args...))
}
