package samestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/internal/pgtest"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// chainNoise are the parts of verify's output that differ between two
// stores holding the same events: the random batch ids, the chain's links
// (they cover the time each record was appended and its batch id), the
// signing keys and signatures, and the store's name.
var chainNoise = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`batch [0-9]+`), "batch B"},
	{regexp.MustCompile(`[0-9a-f]{64}`), "HEX"},
	{regexp.MustCompile(`[0-9a-f]{16}…`), "HEX…"},
	{regexp.MustCompile(`key [A-Za-z0-9:+/=_-]{16,}`), "key K"},
	{regexp.MustCompile(`"trusted_key": "[0-9a-f]+"`), `"trusted_key": "K"`},
}

func denoise(s string, names ...string) string {
	for _, n := range names {
		s = strings.ReplaceAll(s, n, "STORE")
	}
	s = strings.ReplaceAll(s, "the cache STORE", "the STORE")
	s = strings.ReplaceAll(s, "the store STORE", "the STORE")
	s = strings.ReplaceAll(s, "the cache's chain", "the STORE's chain")
	s = strings.ReplaceAll(s, "the store's chain", "the STORE's chain")
	for _, n := range chainNoise {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// TestPostgresVerifySameOutput: verify, logs export --manifest and verify
// --manifest print the same over a cache and a PostgreSQL store that hold
// the same events (but for batch ids, links and keys); an UPDATE of an
// event by the team store's admin role is found by verify (exit 1), as the
// same UPDATE of the cache is.
func TestPostgresVerifySameOutput(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	suURL := srv.CreateDB(t, "team")
	url := func(user string) string { return srv.URL(user, "team") }
	events := 600
	if raceDetector {
		events = 200
	}
	src := cmdtest.New(t)
	src.MustRun("demo", "--events", fmt.Sprint(events), "--quiet")
	dump := filepath.Join(t.TempDir(), "demo.ndjson")
	src.MustRun("logs", "export", "-o", "ndjson", "-O", dump, "--quiet")

	lite := cmdtest.New(t)
	lite.MustRun("import", dump, "--quiet")
	pg := cmdtest.New(t)
	pg.DBPath = suURL
	pg.MustRun("db", "init", "--quiet")
	su, err := pgx.Connect(ctx, srv.DSN("team"))
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(ctx)
	for _, s := range []string{"CREATE ROLE importer LOGIN IN ROLE auditctl_ingest", "CREATE ROLE boss LOGIN IN ROLE auditctl_admin"} {
		if _, err := su.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	pg.DBPath = url("importer")
	pg.MustRun("import", dump, "--quiet")
	pg.MustRun("import", dump, "--quiet") // nothing new, nothing sealed

	type result struct {
		code        int
		out, errOut string
	}
	run := func(env *cmdtest.Env, args ...string) result {
		err := env.Run(args...)
		return result{cmdutil.ExitCode(err), env.Out.String(), env.ErrOut.String() + fmt.Sprint(err)}
	}
	same := func(wantCode int, args ...string) result {
		t.Helper()
		a, b := run(lite, args...), run(pg, args...)
		a.out, a.errOut = denoise(a.out, lite.DBPath), denoise(a.errOut, lite.DBPath)
		b.out, b.errOut = denoise(b.out, pg.DBPath), denoise(b.errOut, pg.DBPath)
		if a != b || a.code != wantCode {
			t.Errorf("auditctl %s (want exit %d):\nsqlite:   exit %d\n%s\n%s\npostgres: exit %d\n%s\n%s", strings.Join(args, " "), wantCode,
				a.code, a.out, a.errOut, b.code, b.out, b.errOut)
		}
		return a
	}
	r := same(0, "verify", "-o", "json")
	if !strings.Contains(r.out, fmt.Sprintf(`"events": %d`, events)) || !strings.Contains(r.out, `"records": 1`) {
		t.Fatalf("verify:\n%s", r.out)
	}
	same(0, "verify")

	// Manifests: each store's export, checked against the store.
	manifests := map[*cmdtest.Env]string{}
	for _, env := range []*cmdtest.Env{lite, pg} {
		dir := t.TempDir()
		env.MustRun("logs", "export", "--action", "*login*", "-O", filepath.Join(dir, "x.ndjson"), "--manifest", "--quiet")
		manifests[env] = filepath.Join(dir, "x.ndjson.manifest.json")
	}
	manifest := func(env *cmdtest.Env) string { return manifests[env] }
	a, b := run(lite, "verify", "--manifest", manifest(lite), "-o", "json"), run(pg, "verify", "--manifest", manifest(pg), "-o", "json")
	da, db := denoise(a.out, lite.DBPath, manifest(lite), filepath.Dir(manifest(lite))), denoise(b.out, pg.DBPath, manifest(pg), filepath.Dir(manifest(pg)))
	if a.code != 0 || b.code != 0 || da != db || !strings.Contains(db, "still holds the chain head (record 1)") {
		t.Errorf("verify --manifest: sqlite exit %d\n%s\n%s\npostgres exit %d\n%s\n%s", a.code, da, a.errOut, b.code, db, b.errOut)
	}

	// The same UPDATE of one event, by the team store's admin role and
	// by hand in the cache file: verify finds it in both (exit 1), alike.
	var id string
	boss, err := pgx.Connect(ctx, url("boss"))
	if err != nil {
		t.Fatal(err)
	}
	defer boss.Close(ctx)
	if err := boss.QueryRow(ctx, "SELECT ext_id FROM events ORDER BY id LIMIT 1 OFFSET 17").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := boss.Exec(ctx, "UPDATE events SET actor = 'someone.else@example.com' WHERE ext_id = $1", id); err != nil {
		t.Fatal(err)
	}
	cache, err := sql.Open("sqlite", lite.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Exec("UPDATE events SET actor = 'someone.else@example.com' WHERE ext_id = ?", id); err != nil {
		t.Fatal(err)
	}
	cache.Close()
	r = same(1, "verify", "-o", "json")
	if !strings.Contains(r.out, "changed: ") || !strings.Contains(r.out, id) {
		t.Errorf("verify after the UPDATE:\n%s", r.out)
	}
	// The manifest's chain head is still there: the manifest holds.
	if b := run(pg, "verify", "--manifest", manifest(pg)); b.code != 0 {
		t.Errorf("verify --manifest after the UPDATE: exit %d %s %s", b.code, b.out, b.errOut)
	}
	// Rewriting the chain behind the manifest is found.
	if _, err := boss.Exec(ctx, "UPDATE chain SET link = sha256(link) WHERE seq = 1"); err != nil {
		t.Fatal(err)
	}
	if b := run(pg, "verify", "--manifest", manifest(pg)); b.code != 1 || !strings.Contains(b.out, "rewritten since the export") {
		t.Errorf("verify --manifest after rewriting the chain: exit %d %s %s", b.code, b.out, b.errOut)
	}
}
