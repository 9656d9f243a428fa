package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/auditctl/auditctl/pkg/session"
)

// fileStore is a session.Store over a JSON file, so that a recorder in a
// helper process and the test share it. Every operation holds an flock on
// the file.
type fileStore struct {
	path string
	mu   sync.Mutex
}

var _ session.Store = (*fileStore)(nil)

type storedSession struct {
	Session    session.Session `json:"session"` // (its MarshalJSON would hide a promoted field)
	DurationNS int64           `json:"duration_ns"`
}

func (fs *fileStore) update(fn func(m map[string]*session.Session) error) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, err := os.OpenFile(fs.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	var rows []storedSession
	if len(b) > 0 {
		if err := json.Unmarshal(b, &rows); err != nil {
			return err
		}
	}
	m := map[string]*session.Session{}
	for _, r := range rows {
		s := r.Session
		s.Duration = time.Duration(r.DurationNS)
		m[s.ID] = &s
	}
	if err := fn(m); err != nil {
		return err
	}
	rows = rows[:0]
	for _, s := range m {
		rows = append(rows, storedSession{Session: *s, DurationNS: int64(s.Duration)})
	}
	slices.SortFunc(rows, func(a, b storedSession) int { return a.Session.Start.Compare(b.Session.Start) })
	out, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(out, 0)
	return err
}

func (fs *fileStore) CreateSession(ctx context.Context, s *session.Session) error {
	return fs.update(func(m map[string]*session.Session) error {
		if _, ok := m[s.ID]; ok {
			return fmt.Errorf("session %s exists", s.ID)
		}
		c := *s
		m[s.ID] = &c
		return nil
	})
}

func (fs *fileStore) UpdateSession(ctx context.Context, s *session.Session) error {
	return fs.update(func(m map[string]*session.Session) error {
		if _, ok := m[s.ID]; !ok {
			return fmt.Errorf("session %s not found", s.ID)
		}
		c := *s
		m[s.ID] = &c
		return nil
	})
}

func (fs *fileStore) FindSession(ctx context.Context, id string) (*session.Session, error) {
	var out *session.Session
	err := fs.update(func(m map[string]*session.Session) error {
		s, ok := m[id]
		if !ok {
			return fmt.Errorf("session %s not found", id)
		}
		out = s
		return nil
	})
	return out, err
}

func (fs *fileStore) FindSessions(ctx context.Context, f session.Filter, p session.Page) ([]*session.Session, int, error) {
	var all []*session.Session
	err := fs.update(func(m map[string]*session.Session) error {
		for _, s := range m {
			if len(f.Status) > 0 && !slices.Contains(f.Status, s.Status) {
				continue
			}
			all = append(all, s)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(all, func(a, b *session.Session) int { return a.Start.Compare(b.Start) })
	total := len(all)
	if p.Offset < len(all) {
		all = all[p.Offset:]
	} else {
		all = nil
	}
	if p.Limit > 0 && len(all) > p.Limit {
		all = all[:p.Limit]
	}
	return all, total, nil
}
