package sync_test

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/root"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// TestMain lets the test binary run `auditctl ARGS` as a child process
// (AUDITCTL_TEST_CHILD holds the arguments, one per line), so that a test can
// kill -9 a real sync.
func TestMain(m *testing.M) {
	if args := os.Getenv("AUDITCTL_TEST_CHILD"); args != "" {
		f := cmdutil.New()
		cmd := root.NewCmdRoot(f)
		cmd.SetArgs(strings.Split(args, "\n"))
		err := cmd.ExecuteContext(context.Background())
		f.Close()
		cmdutil.PrintError(os.Stderr, err)
		os.Exit(cmdutil.ExitCode(err))
	}
	os.Exit(m.Run())
}

// A sync killed with SIGKILL at random moments, then run again, ends with
// exactly the server's events: nothing lost, nothing twice.
func TestSyncKilledResumes(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "audit.db")
	syncKilledResumes(t, dbPath, func() map[string]int {
		db, err := sqlite.Open(context.Background(), dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		seen := map[string]int{}
		err = db.EachEvent(context.Background(), audit.Filter{}, audit.Page{}, func(e *audit.Event) error {
			seen[e.ID]++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return seen
	})
}

// syncKilledResumes kills `sync jumpcloud --db db` at random moments,
// runs it again to the end and requires that stored (the number of times
// each event id is stored) holds each of the server's events once.
func syncKilledResumes(t *testing.T, db string, stored func() map[string]int) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGKILL")
	}
	evs, err := jcserver.Generate(3000, time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond), 20, 5)
	if err != nil {
		t.Fatal(err)
	}
	srv := jcserver.New(key)
	srv.AddEvents(evs...)
	srv.Latency = 5 * time.Millisecond
	hs := httptest.NewServer(srv)
	defer hs.Close()
	args := []string{"--db", db, "sync", "jumpcloud", "--since", "30d", "--slice-events", "300", "--page-limit", "100", "--concurrency", "3", "-o", "json"}
	env := append(os.Environ(), "JUMPCLOUD_API_KEY="+key, "JUMPCLOUD_API_URL="+hs.URL, "XDG_CONFIG_HOME="+t.TempDir(),
		"AUDITCTL_TEST_CHILD="+strings.Join(args, "\n"))
	rng := rand.New(rand.NewPCG(7, 7))
	killed := 0
	for i := 0; i < 6; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill once the server has served a random number of pages: the
		// moment is random, what must hold does not depend on it.
		target := srv.Served("/events") + 1 + rng.IntN(25)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
	wait:
		for {
			select {
			case <-exited:
				break wait
			default:
			}
			if srv.Served("/events") >= target {
				cmd.Process.Kill()
				<-exited
				killed++
				break
			}
			time.Sleep(time.Millisecond) // polling the server's counter, not a correctness delay
		}
	}
	if killed == 0 {
		t.Fatal("no run was killed: the test tests nothing")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("last run: %v\n%s", err, out)
	}
	seen := stored()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	if len(seen) != len(evs) {
		t.Fatalf("the store holds %d events, server %d (after %d kills)", len(seen), len(evs), killed)
	}
	for _, e := range evs {
		if seen[e.ID] == 0 {
			t.Fatalf("%s lost", e.ID)
		}
	}
}
