package tui_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/demo"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
	"github.com/auditctl/auditctl/tui"
)

// The overview's events and failures are what `logs count` prints for the
// same window (the console counts whole hours from the cache's counts per
// hour and its edges from the index): with the clock inside an hour, so
// that both edges of the window are partial hours, at the default window
// and at --since 3d, before and after retention deleted some of it, and
// after another import.
func TestOverviewCountsAreLogsCount(t *testing.T) {
	clock := time.Date(2026, 11, 22, 12, 34, 56, 789_000_000, time.UTC)
	was := cmdtest.Now
	cmdtest.Now = clock
	t.Cleanup(func() { cmdtest.Now = was })
	env := cmdtest.New(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, demo.Events(demo.Options{Now: clock, Count: 3000, Days: 10}), sqlite.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	check := func(stage string) {
		t.Helper()
		for _, args := range [][]string{nil, {"--since", "3d"}} {
			events, failures, since := overviewCounts(t, env.DBPath, clock, args...)
			if since.IsZero() || since.Equal(since.Truncate(time.Hour)) {
				t.Fatalf("the window starts at %s: not inside an hour", since)
			}
			at := since.Format(time.RFC3339Nano)
			if want := logsCount(t, env, "--since", at); events != want {
				t.Errorf("%s, %v: the overview shows %d events, logs count --since %s prints %d", stage, args, events, at, want)
			}
			if want := logsCount(t, env, "--since", at, "--status", "failure"); failures != want {
				t.Errorf("%s, %v: the overview shows %d failures, logs count --status failure prints %d", stage, args, failures, want)
			}
			// and what counting the events themselves gives: the
			// groups of --by status, read from the events, not the
			// counts per hour
			byStatus, failed := logsCountByStatus(t, env, "--since", at)
			if events != byStatus || failures != failed {
				t.Errorf("%s, %v: the overview shows %d events, %d failures; logs count --by status: %d, %d", stage, args, events, failures, byStatus, failed)
			}
			if events == 0 || failures == 0 {
				t.Fatalf("%s: %d events, %d failures: nothing counted", stage, events, failures)
			}
		}
	}
	check("imported")
	env.MustRun("retention", "apply", "--logs", "5d")
	check("after retention")
	db, err = sqlite.OpenExisting(ctx, env.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(ctx, demo.Events(demo.Options{Now: clock, Count: 500, Days: 2, Seed: 7}), sqlite.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	check("after another import")
}

func logsCount(t *testing.T, env *cmdtest.Env, args ...string) int64 {
	t.Helper()
	out := env.MustRun(append([]string{"logs", "count", "-o", "json"}, args...)...)
	var v struct{ Total int64 }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("logs count %v: %v: %s", args, err, out)
	}
	return v.Total
}

// logsCountByStatus sums the groups of logs count --by status, and says
// the failures' group.
func logsCountByStatus(t *testing.T, env *cmdtest.Env, args ...string) (all, failures int64) {
	t.Helper()
	out := env.MustRun(append([]string{"logs", "count", "-o", "json", "--by", "status"}, args...)...)
	var v struct{ Buckets []audit.Bucket }
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("logs count --by status: %v: %s", err, out)
	}
	for _, b := range v.Buckets {
		all += b.Count
		if b.Key == string(audit.StatusFailure) {
			failures += b.Count
		}
	}
	return all, failures
}

var (
	eventsLine   = regexp.MustCompile(`events\s+(\d+)`)
	failuresLine = regexp.MustCompile(`failures\s+(\d+)`)
)

// overviewCounts runs the console's model on the cache at path, its
// queries compiled as the command compiles them (the flags args, the clock
// at clock), until the overview's counts are on screen; it returns them
// and the window's start.
func overviewCounts(t *testing.T, path string, clock time.Time, args ...string) (events, failures int64, since time.Time) {
	t.Helper()
	db, err := sqlite.OpenExisting(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fo cmdutil.FilterOptions
	cmd := &cobra.Command{Use: "tui"}
	cmdutil.AddFilterFlags(cmd, &fo, true)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	compile := func(q string) (audit.Filter, bool, error) {
		o := fo
		o.Query = q
		f, err := o.Filter(clock, true)
		return f, o.DefaultWindowApplied(), err
	}
	f, _, err := compile("")
	if err != nil {
		t.Fatal(err)
	}
	m := tui.New(context.Background(), tui.Options{Events: db, Compile: compile, Where: "cache", Now: func() time.Time { return clock }})
	defer m.Close()
	msgs := make(chan tea.Msg, 64)
	run := func(c tea.Cmd) {
		if c != nil {
			go func() { msgs <- c() }()
		}
	}
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	run(m.Init())
	deadline := time.After(30 * time.Second)
	for {
		screen := ansi.Strip(m.View().Content)
		e, fl := eventsLine.FindStringSubmatch(screen), failuresLine.FindStringSubmatch(screen)
		if e != nil && fl != nil {
			events, _ = strconv.ParseInt(e[1], 10, 64)
			failures, _ = strconv.ParseInt(fl[1], 10, 64)
			return events, failures, f.Since
		}
		select {
		case msg := <-msgs:
			if b, ok := msg.(tea.BatchMsg); ok {
				for _, c := range b {
					run(c)
				}
				continue
			}
			_, c := m.Update(msg)
			run(c)
		case <-deadline:
			t.Fatalf("no counts on screen:\n%s", screen)
		}
	}
}
