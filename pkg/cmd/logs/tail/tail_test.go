package tail

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/source/jumpcloud"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func ev(id string, t time.Time, action string) *audit.Event {
	return &audit.Event{ID: id, Source: "test", Time: t, Action: action, Status: audit.StatusSuccess, Raw: json.RawMessage(`{}`)}
}

// tail -f over the cache while "another process" stores events, some of
// them late (older than events already printed): each is printed once,
// none is missed, in the order of arrival.
func TestFollowCache(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := func(evs ...*audit.Event) {
		if _, err := db.Import(ctx, &jumpcloud.EventSlice{Events: evs}, sqlite.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 15; i++ {
		store(ev(fmt.Sprintf("old%02d", i), now.Add(-time.Duration(15-i)*time.Minute), "Login"))
	}
	batches := [][]*audit.Event{
		{ev("new1", now.Add(time.Minute), "Login"), ev("new2", now.Add(2*time.Minute), "DeleteUser")},
		{},
		{ev("late1", now.Add(90*time.Second), "Login")}, // older than new2, stored after it
		{ev("new3", now.Add(3*time.Minute), "Login"), ev("new1", now.Add(time.Minute), "Login")},
		{ev("tooold", now.Add(-3*time.Hour), "Login")}, // beyond --lookback: not printed
	}
	polls := 0
	io, _, out, _ := cmdutil.Test()
	var opts *TailOptions
	cmd := NewCmdTail(&cmdutil.Factory{IOStreams: io, Now: func() time.Time { return now }}, func(o *TailOptions) error { opts = o; return nil })
	cmd.SetArgs([]string{"-n", "3", "-f", "--interval", "1s", "--lookback", "20m"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	opts.Output = "ndjson"
	opts.Service = func(context.Context, string) (audit.EventService, error) { return db, nil }
	opts.Wait = func(ctx context.Context, d time.Duration) error {
		if polls == len(batches) {
			cancel()
			return ctx.Err()
		}
		store(batches[polls]...)
		polls++
		return nil
	}
	if err := tailRun(ctx, opts); err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ID)
	}
	want := "old12 old13 old14 new1 new2 late1 new3"
	if strings.Join(got, " ") != want {
		t.Fatalf("printed %v, want %s", got, want)
	}
}

// tail -f --remote jumpcloud polls behind the lag buffer: an event is
// printed once it is older than now − lag, late ones too, none twice.
func TestFollowRemote(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := jcserver.New("k")
	mk := func(id string, ts time.Time) []byte {
		return fmt.Appendf(nil, `{"id":%q,"event_type":"user_login_attempt","service":"directory","timestamp":%q,"initiated_by":{"username":"u"},"success":true}`, id, ts.Format(time.RFC3339Nano))
	}
	for i := 0; i < 5; i++ {
		srv.Add(mk(fmt.Sprintf("old%d", i), now.Add(-time.Duration(10-i)*time.Minute)))
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := jumpcloud.NewClient(jumpcloud.Settings{APIKey: "k", Endpoint: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	clock := now
	svc := &jumpcloud.Service{Client: c, Now: func() time.Time { return clock }}
	steps := []func(){
		func() { srv.Add(mk("a", clock.Add(-time.Minute))) }, // inside the lag: waits
		func() { clock = clock.Add(2 * time.Minute) },        // now a is behind the lag
		func() { srv.Add(mk("late", now.Add(-4*time.Minute))) },
		func() { srv.Add(mk("b", clock.Add(-3*time.Minute))); clock = clock.Add(time.Minute) },
	}
	polls := 0
	io, _, out, _ := cmdutil.Test()
	var opts *TailOptions
	cmd := NewCmdTail(&cmdutil.Factory{IOStreams: io, Now: func() time.Time { return clock }}, func(o *TailOptions) error { opts = o; return nil })
	cmd.SetArgs([]string{"-n", "2", "-f", "--remote", "jumpcloud", "--lookback", "10m"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	opts.Output = "ndjson"
	opts.Now = func() time.Time { return clock }
	opts.Service = func(context.Context, string) (audit.EventService, error) { return svc, nil }
	opts.Wait = func(ctx context.Context, d time.Duration) error {
		if polls == len(steps) {
			cancel()
			return ctx.Err()
		}
		steps[polls]()
		polls++
		return nil
	}
	if err := tailRun(ctx, opts); err != nil {
		t.Fatal(err)
	}
	var got []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var e audit.Event
		json.Unmarshal(sc.Bytes(), &e)
		got = append(got, e.ID)
	}
	if want := "old3 old4 a late b"; strings.Join(got, " ") != want {
		t.Fatalf("printed %v, want %s", got, want)
	}
}

// afterFirstRead is a service that stores an event right after its
// first read returns, as an import by another process may.
type afterFirstRead struct {
	audit.EventService
	once  sync.Once
	store func()
}

func (s *afterFirstRead) FindEvents(ctx context.Context, f audit.Filter, p audit.Page) ([]*audit.Event, int, error) {
	evs, n, err := s.EventService.FindEvents(ctx, f, p)
	s.once.Do(s.store)
	return evs, n, err
}

// An event stored between tail's first read and its first wait is new:
// it is printed at the first look, not counted as seen with what was
// there before.
func TestFollowEventDuringStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := func(evs ...*audit.Event) {
		if _, err := db.Import(ctx, &jumpcloud.EventSlice{Events: evs}, sqlite.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	store(ev("old", now.Add(-time.Minute), "Login"))
	for i, lines := range []string{"1", "0"} {
		io, _, out, _ := cmdutil.Test()
		var opts *TailOptions
		cmd := NewCmdTail(&cmdutil.Factory{IOStreams: io, Now: func() time.Time { return now }}, func(o *TailOptions) error { opts = o; return nil })
		cmd.SetArgs([]string{"-n", lines, "-f"})
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		opts.Output = "ndjson"
		id := "between" + lines
		opts.Service = func(context.Context, string) (audit.EventService, error) {
			return &afterFirstRead{EventService: db, store: func() { store(ev(id, now.Add(time.Duration(i+1)*time.Second), "Login")) }}, nil
		}
		polls := 0
		rctx, rcancel := context.WithCancel(ctx)
		opts.Wait = func(ctx context.Context, d time.Duration) error {
			if polls == 1 {
				rcancel()
				return ctx.Err()
			}
			polls++
			return nil
		}
		if err := tailRun(rctx, opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `"`+id+`"`) {
			t.Errorf("-n %s: an event stored during the start was not printed:\n%s", lines, out)
		}
	}
}
