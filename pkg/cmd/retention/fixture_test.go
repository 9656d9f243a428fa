package retention_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/decompress"
	"github.com/auditctl/auditctl/pkg/retention"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// fixture is a cache with events and sessions on both sides of the default
// periods (90 days, 1 year before now), recordings in the cache's own
// recordings directory, and one recording registered from elsewhere.
type fixture struct {
	db        string
	now       time.Time
	oldEvents []string // "source/id" of the events older than 90 days
	newEvents int
	oldSess   []string // ids of the sessions older than a year
	newSess   []string
	oldFiles  []string // recording files of oldSess in the recordings directory
	newFiles  []string
	foreign   string // an old session's recording outside the recordings directory
	activeOld string // an old session still active: kept
	ndjson    []byte // the events, as the file imported
}

// newFixture writes the fixture's cache at dbPath: nOld events past 90
// days (two sources), nNew within, sessions with recordings of recBytes.
func newFixture(t testing.TB, dbPath string, now time.Time, nOld, nNew, sessions, recBytes int) *fixture {
	t.Helper()
	ctx := context.Background()
	fx := &fixture{db: dbPath, now: now}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i := range nOld + nNew {
		src := []string{"test:a", "test:b"}[i%2]
		age := time.Duration(i%nNew+1) * time.Minute * 7
		if i < nOld {
			age = 91*24*time.Hour + time.Duration(i)*37*time.Minute
		}
		e := audit.Event{ID: fmt.Sprintf("e%06d", i), Source: src, Time: now.Add(-age).Truncate(time.Millisecond),
			Action: []string{"DeleteUser", "Login", "CreateUser"}[i%3], Actor: fmt.Sprintf("user%d@example.com", i%17),
			Status: audit.StatusSuccess, Description: fmt.Sprintf("event %d break glass", i),
			Params: json.RawMessage(fmt.Sprintf(`{"n":%d,"why":"retention test"}`, i))}
		// as `auditctl import` stores an NDJSON line: the line as raw
		raw, _ := json.Marshal(&e)
		e.Raw = raw
		if err := enc.Encode(&e); err != nil {
			t.Fatal(err)
		}
		if i < nOld {
			fx.oldEvents = append(fx.oldEvents, src+"/"+e.ID)
		} else {
			fx.newEvents++
		}
	}
	fx.ndjson = b.Bytes()
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(ctx, readerOf(t, b.Bytes()), sqlite.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	recDir := sqlite.RecordingsDir(dbPath)
	if err := os.MkdirAll(recDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range sessions {
		old := i%2 == 0
		start := now.Add(-time.Duration(i+1) * 24 * time.Hour)
		if old {
			start = now.Add(-366*24*time.Hour - time.Duration(i)*time.Hour)
		}
		s := &session.Session{ID: fmt.Sprintf("s%03d", i), UserName: "alice", Category: session.CategoryServer,
			Start: start.UTC().Truncate(time.Second), Status: session.StatusCompleted}
		s.End = s.Start.Add(time.Minute)
		s.Duration = time.Minute
		path := filepath.Join(recDir, s.ID+".cast")
		if old && i == 2 {
			path = filepath.Join(filepath.Dir(dbPath), "elsewhere", s.ID+".cast")
			os.MkdirAll(filepath.Dir(path), 0o700)
			fx.foreign = path
		}
		body := append([]byte(fmt.Sprintf("{\"version\": 2, \"width\": 80, \"height\": 24, \"timestamp\": %d}\n", s.Start.Unix())),
			bytes.Repeat([]byte(fmt.Sprintf("[0.5, \"o\", \"%s \"]\n", s.ID)), recBytes/12+1)...)
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		s.HasRecording, s.RecordingPath, s.RecordingSHA256 = true, path, hex.EncodeToString(sum[:])
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		switch {
		case old:
			fx.oldSess = append(fx.oldSess, s.ID)
			if path != fx.foreign {
				fx.oldFiles = append(fx.oldFiles, path)
			}
		default:
			fx.newSess = append(fx.newSess, s.ID)
			fx.newFiles = append(fx.newFiles, path)
		}
	}
	// An old session whose recorder still runs: kept.
	act := &session.Session{ID: "live-old", UserName: "bob", Category: session.CategoryServer,
		Start: now.Add(-400 * 24 * time.Hour).UTC().Truncate(time.Second), Status: session.StatusActive}
	if err := db.CreateSession(ctx, act); err != nil {
		t.Fatal(err)
	}
	fx.activeOld = act.ID
	return fx
}

// sliceReader is an audit.EventReader over NDJSON.
func readerOf(t testing.TB, ndjson []byte) audit.EventReader {
	t.Helper()
	var evs []*audit.Event
	for _, line := range bytes.Split(bytes.TrimSpace(ndjson), []byte("\n")) {
		var e audit.Event
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, &e)
	}
	return &sliceReader{evs: evs}
}

type sliceReader struct {
	evs []*audit.Event
	i   int
}

func (r *sliceReader) Next() (*audit.Event, error) {
	if r.i >= len(r.evs) {
		return nil, io.EOF
	}
	r.i++
	return r.evs[r.i-1], nil
}

// state is what the cache and the disk hold of the fixture.
type state struct {
	oldEvents, newEvents int
	oldSess, newSess     int
	oldFiles, newFiles   int
	foreign, active      bool
	trash                []string
}

func (fx *fixture) state(t testing.TB) state {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.OpenExisting(ctx, fx.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var st state
	cut := fx.now.Add(-90 * 24 * time.Hour)
	n, err := db.CountEvents(ctx, audit.Filter{Until: cut})
	if err != nil {
		t.Fatal(err)
	}
	st.oldEvents = int(n)
	n, err = db.CountEvents(ctx, audit.Filter{Since: cut})
	if err != nil {
		t.Fatal(err)
	}
	st.newEvents = int(n)
	has := func(id string) bool {
		_, err := db.FindSession(ctx, id)
		if err != nil && audit.ErrorCode(err) != audit.ENOTFOUND {
			t.Fatal(err)
		}
		return err == nil
	}
	for _, id := range fx.oldSess {
		if has(id) {
			st.oldSess++
		}
	}
	for _, id := range fx.newSess {
		if has(id) {
			st.newSess++
		}
	}
	st.active = has(fx.activeOld)
	exists := func(p string) bool {
		_, err := os.Stat(p)
		return !errors.Is(err, os.ErrNotExist)
	}
	for _, p := range fx.oldFiles {
		if exists(p) {
			st.oldFiles++
		}
	}
	for _, p := range fx.newFiles {
		if exists(p) {
			st.newFiles++
		}
	}
	st.foreign = exists(fx.foreign)
	if st.trash, err = db.PendingTrash(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// checkArchive checks that dir holds one complete archive of the fixture's
// old data: every old event once (and no other), every old session's row,
// and every old session's recording with its registered contents.
func (fx *fixture) checkArchive(t testing.TB, dir string) {
	t.Helper()
	evFiles, _ := filepath.Glob(filepath.Join(dir, "auditctl-events-*"))
	seFiles, _ := filepath.Glob(filepath.Join(dir, "auditctl-sessions-*"))
	if len(evFiles) != 1 || len(seFiles) != 1 {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("archive %s: want one events and one sessions file, have %v", dir, entries)
	}
	var got []string
	readAll(t, evFiles[0], func(r io.Reader) {
		dec := json.NewDecoder(r)
		for {
			var e audit.Event
			if err := dec.Decode(&e); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", evFiles[0], err)
			}
			got = append(got, e.Source+"/"+e.ID)
		}
	})
	want := append([]string(nil), fx.oldEvents...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events archive: %d events, want the %d old ones", len(got), len(want))
	}
	readAll(t, seFiles[0], func(r io.Reader) {
		tr := tar.NewReader(r)
		members := map[string][]byte{}
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", seFiles[0], err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("%s: %s: %v", seFiles[0], h.Name, err)
			}
			members[h.Name] = b
		}
		var ids []string
		for _, line := range bytes.Split(bytes.TrimSpace(members["sessions.ndjson"]), []byte("\n")) {
			var a retention.ArchivedSession
			if err := json.Unmarshal(line, &a); err != nil {
				t.Fatalf("sessions.ndjson: %v", err)
			}
			ids = append(ids, a.Session.ID)
			rec, ok := members[a.Recording]
			sum := sha256.Sum256(rec)
			if !ok || hex.EncodeToString(sum[:]) != a.Session.RecordingSHA256 {
				t.Fatalf("session %s: recording %q missing or not the registered contents", a.Session.ID, a.Recording)
			}
		}
		sort.Strings(ids)
		if strings.Join(ids, ",") != strings.Join(fx.oldSess, ",") {
			t.Fatalf("sessions archive holds %v, want %v", ids, fx.oldSess)
		}
	})
}

func readAll(t testing.TB, path string, fn func(io.Reader)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, c, _, err := decompress.Reader(bufio.NewReader(f), 1<<20)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if c == nil {
		t.Fatalf("%s: not compressed", path)
	}
	defer c.Close()
	fn(r)
}
