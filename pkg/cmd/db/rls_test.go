package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/jackc/pgx/v5"
)

// TestTenantsAndRLS: import --tenant fills the tenant on both stores, the
// tenant filters agree, and with db init --rls an analyst mapped to one
// tenant sees only its events through every logs command.
func TestTenantsAndRLS(t *testing.T) {
	srv := pgtest.Start(t)
	srv.CreateDB(t, "msp")
	url := func(user string) string { return srv.URL(user, "msp") }
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	dir := t.TempDir()
	write := func(name, prefix, word string) string {
		var b strings.Builder
		for i := 0; i < 5; i++ {
			fmt.Fprintf(&b, `{"id":"%s%d","source":"t","time":"2026-11-2%dT10:00:00Z","action":"DeleteUser","actor":"%s@x","description":"%s %d","organization":"src-org"}`+"\n",
				prefix, i, i+1, prefix, word, i)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	acme, globex := write("acme.ndjson", "a", "anvil"), write("globex.ndjson", "g", "zebra")

	env := cmdtest.New(t)
	// The cache: --tenant, and the config file's default.
	env.MustRun("import", "--tenant", "acme", acme)
	if err := os.WriteFile(env.ConfigPath, []byte("import:\n  tenant: globex\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env.MustRun("import", globex)
	cache := env.DBPath
	for _, bad := range []string{"*", " acme", "a\x1bb", ""} {
		if bad == "" {
			continue
		}
		if code := env.ExitCode("import", "--tenant", bad, acme); code != 2 {
			t.Errorf("import --tenant %q: exit %d, want 2", bad, code)
		}
	}

	// PostgreSQL: db init --rls, the mapping, imports by the superuser
	// (globex) and by acme's ingest role.
	env.DBPath = url("postgres")
	if out := env.MustRun("db", "init", "--rls"); !strings.Contains(out, "row-level security by tenant: on") {
		t.Fatalf("db init --rls: %s", out)
	}
	for _, s := range []string{
		"CREATE ROLE ana LOGIN IN ROLE auditctl_reader", "CREATE ROLE lead LOGIN IN ROLE auditctl_reader",
		"CREATE ROLE ingest_acme LOGIN IN ROLE auditctl_ingest",
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	env.MustRun("db", "tenant", "grant", "ana", "acme")
	env.MustRun("db", "tenant", "grant", "lead", "*")
	env.MustRun("db", "tenant", "grant", "ingest_acme", "acme")
	if out := env.MustRun("db", "tenant", "list"); !strings.Contains(out, "ana") || !strings.Contains(out, "lead") {
		t.Fatalf("db tenant list: %s", out)
	}
	if code := env.ExitCode("db", "tenant", "grant", "nosuchrole", "acme"); code != 3 {
		t.Errorf("grant to a missing role: exit %d, want 3", code)
	}
	env.MustRun("import", globex) // the config's tenant: globex
	env.DBPath = url("ingest_acme")
	env.MustRun("import", "--tenant", "acme", acme)
	if err := env.Run("import", "--tenant", "globex", write("more.ndjson", "m", "more")); cmdutil.ExitCode(err) != 4 ||
		!strings.Contains(env.ErrOut.String()+fmt.Sprint(err), "row-level security") {
		t.Fatalf("ingest_acme imports for globex: exit %d %v", cmdutil.ExitCode(err), err)
	}

	// The tenant filters agree on both stores (as the lead sees them).
	for _, args := range [][]string{
		{"logs", "list", "--all", "--tenant", "acme", "-o", "json"},
		{"logs", "list", "--all", "-q", "tenant:globex", "-o", "json"},
		{"logs", "count", "--all", "--by", "tenant", "-o", "json"},
		{"logs", "list", "--all", "-q", "-tenant:acme zebra", "-o", "csv"},
	} {
		env.DBPath = cache
		want := env.MustRun(args...)
		env.DBPath = url("lead")
		if got := env.MustRun(args...); got != want {
			t.Errorf("%v: postgres (lead)\n%s\ncache\n%s", args, got, want)
		}
	}

	// ana: acme's events, and nothing of globex's, whatever she asks.
	env.DBPath = url("ana")
	var evs []struct{ ID, Tenant string }
	if err := json.Unmarshal([]byte(env.MustRun("logs", "list", "--all", "-o", "json")), &evs); err != nil || len(evs) != 5 {
		t.Fatalf("ana's list: %v %v", evs, err)
	}
	for _, e := range evs {
		if e.Tenant != "acme" {
			t.Errorf("ana sees %s of %s", e.ID, e.Tenant)
		}
	}
	for args, want := range map[string]string{
		"logs count --all -o json":                   `"total":5`,
		"logs count --all --tenant globex -o json":   `"total":0`,
		"logs count --all --search zebra -o json":    `"total":0`,
		"logs count --all --search anvil -o json":    `"total":5`,
		"logs count --all --by tenant -o json":       `"acme"`,
		"logs export --since 30d --format ndjson":    `"a4"`,
		"logs show a1 -o json":                       `"acme"`,
		"logs tail -n 20 -o ndjson":                  `"a0"`,
		"logs list --all --actor g0@x --all -o json": `[]`,
	} {
		out := env.MustRun(strings.Fields(args)...)
		if !strings.Contains(out, want) || strings.Contains(out, "globex") || strings.Contains(out, "zebra") {
			t.Errorf("ana: %s:\n%s\nwant %s and nothing of globex", args, out, want)
		}
	}
	for _, id := range []string{"g1", "g"} {
		if err := env.Run("logs", "show", id); cmdutil.ExitCode(err) != 3 || strings.Contains(env.ErrOut.String()+fmt.Sprint(err), "g1") && id == "g" {
			t.Errorf("ana: logs show %s: exit %d %v", id, cmdutil.ExitCode(err), err)
		}
	}
	if code := env.ExitCode("db", "tenant", "grant", "ana", "globex"); code != 4 {
		t.Errorf("ana grants herself globex: exit %d, want 4", code)
	}
}
