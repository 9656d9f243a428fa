package logs_test

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/cmd/cmdtest"
	"github.com/auditctl/auditctl/pkg/cmdutil"
)

const remoteKey = "remote-test-key-5b1e0c2d"

// remote serves a few Directory Insights events from jcserver at url,
// with the environment pointing auditctl at it.
func remote(t *testing.T, url string) *cmdtest.Env {
	t.Helper()
	t.Setenv("JUMPCLOUD_API_KEY", remoteKey)
	t.Setenv("JUMPCLOUD_API_URL", url)
	t.Setenv("JUMPCLOUD_ORG_ID", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	return cmdtest.New(t)
}

func jcServer(t *testing.T) (*jcserver.Server, string) {
	t.Helper()
	evs, err := jcserver.Generate(50, cmdtest.Now.Add(-time.Hour), 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	srv := jcserver.New(remoteKey)
	srv.Now = func() time.Time { return cmdtest.Now }
	srv.AddEvents(evs...)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

var retryLine = regexp.MustCompile(`(?m)^jumpcloud: /events failed: 503 Service Unavailable; try (\d) of 8 in [0-9.]+m?s$`)

// Each retry is announced on stderr (what failed, which try, when), and
// the query still succeeds; --quiet keeps them quiet.
func TestRemoteRetriesAreAnnounced(t *testing.T) {
	srv, url := jcServer(t)
	env := remote(t, url)
	want := env.MustRun("logs", "list", "--remote", "jumpcloud", "--since", "30d", "-o", "ndjson")
	if env.ErrOut.Len() != 0 || want == "" {
		t.Fatalf("without faults: %q, stderr %q", want, env.ErrOut)
	}
	srv.Inject(jcserver.Fault503, jcserver.Fault503)
	if out := env.MustRun("logs", "list", "--remote", "jumpcloud", "--since", "30d", "-o", "ndjson"); out != want {
		t.Fatalf("after retries:\n%s\nwant:\n%s", out, want)
	}
	got := retryLine.FindAllStringSubmatch(env.ErrOut.String(), -1)
	if len(got) != 2 || got[0][1] != "2" || got[1][1] != "3" {
		t.Fatalf("retry notices %v in stderr:\n%s", got, env.ErrOut)
	}

	srv.Inject(jcserver.Fault503)
	env.MustRun("--quiet", "logs", "count", "--remote", "jumpcloud", "--since", "30d")
	if env.ErrOut.Len() != 0 {
		t.Fatalf("--quiet: %q", env.ErrOut)
	}
}

// Refused credentials, and a request the API calls bad, fail at once with
// exit 4: no retry, one request.
func TestRemoteUnfixableFailsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		fault jcserver.Fault
		want  string
	}{
		{jcserver.Fault401, "401 Unauthorized: the API refused the credentials: check JUMPCLOUD_API_KEY"},
		{jcserver.Fault403, "403 Forbidden: the API refused the credentials"},
	} {
		srv, url := jcServer(t)
		env := remote(t, url)
		srv.Inject(tc.fault)
		start := time.Now()
		err := env.Run("logs", "list", "--remote", "jumpcloud", "--since", "30d")
		if code := cmdutil.ExitCode(err); code != 4 || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%v: exit %d, %v", tc.fault, code, err)
		}
		if n := srv.Requests(); n != 1 || strings.Contains(env.ErrOut.String(), "try 2") {
			t.Fatalf("%v: %d requests, stderr %q", tc.fault, n, env.ErrOut)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%v took %s", tc.fault, d)
		}
	}
}

// No server at a loopback address, a certificate nobody vouches for and a
// 404 fail at once with exit 4 and say why.
func TestRemoteTransportFailuresThatRetryingCannotFix(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler()) // a proxy path that is wrong
	t.Cleanup(notFound.Close)
	tlsSrv := httptest.NewUnstartedServer(jcserver.New(remoteKey))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS() // with a certificate nobody trusts
	t.Cleanup(tlsSrv.Close)
	closed := "http://" + closedPort(t) // made last: the servers above cannot take it
	for _, tc := range []struct{ url, want string }{
		{closed, "connection refused: nothing listens at " + strings.TrimPrefix(closed, "http://")},
		{tlsSrv.URL, "TLS certificate not accepted"},
		{notFound.URL, "404 Not Found"},
	} {
		env := remote(t, tc.url)
		start := time.Now()
		err := env.Run("logs", "count", "--remote", "jumpcloud", "--since", "1d")
		if code := cmdutil.ExitCode(err); code != 4 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: exit %d, %v; want 4 and %q", tc.url, code, err, tc.want)
		}
		if strings.Contains(env.ErrOut.String(), "try 2") {
			t.Errorf("%s: retried: %s", tc.url, env.ErrOut)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s", tc.url, d)
		}
	}
}

// closedPort returns a loopback address nothing listens at. The kernel may
// hand a freed port to the next listener (another server of this test run),
// so it is checked to refuse a connection before it is used, and another is
// taken if it does not.
func closedPort(t *testing.T) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return addr
		}
		c.Close()
	}
	t.Fatal("no loopback port stayed closed")
	return ""
}

// --timeout bounds the whole wait: an API that keeps failing, or never
// answers, ends the command with exit 4 naming --timeout, well before the
// retries alone would.
func TestRemoteTimeoutBoundsTheWait(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults []jcserver.Fault
		args   []string
		want   string
	}{
		{"always 503", repeat(jcserver.Fault503, 20), []string{"--timeout", "2s"}, "would pass --timeout 2s"},
		{"never answers", repeat(jcserver.FaultSlow, 20), []string{"--timeout", "1500ms", "--request-timeout", "1s"}, "--timeout 1.5s"},
	} {
		srv, url := jcServer(t)
		srv.SlowDelay = time.Minute
		env := remote(t, url)
		srv.Inject(tc.faults...)
		start := time.Now()
		err := env.Run(append([]string{"logs", "list", "--remote", "jumpcloud", "--since", "30d"}, tc.args...)...)
		if code := cmdutil.ExitCode(err); code != 4 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: exit %d, %v; want 4 and %q", tc.name, code, err, tc.want)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: took %s", tc.name, d)
		}
	}
}

func repeat(f jcserver.Fault, n int) []jcserver.Fault {
	out := make([]jcserver.Fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}
