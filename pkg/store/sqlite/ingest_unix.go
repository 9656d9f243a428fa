//go:build unix

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ingestLock is the lock of the one writer whose rows may stay unpublished
// across several transactions (an import in slices, a retention run).
// It is a flock on .<cache>.ingest beside the cache: the kernel drops it
// when the process dies, however it dies, so whoever takes it next knows
// that rows still listed in unpublished belong to no live writer.
type ingestLock struct{ f *os.File }

// slicesSupported: where there is flock, long writers hold the write lock
// in slices.
const slicesSupported = true

func openIngestLock(cache string) (*os.File, error) {
	return openLockFile(ingestLockPath(cache))
}

func openLockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ingest lock: %w", err)
	}
	return f, nil
}

// tryIngestLock takes the lock if it is free; ok is false when another
// process (or another import of this one) holds it.
func (db *DB) tryIngestLock() (l *ingestLock, ok bool, err error) {
	f, err := openIngestLock(db.path)
	if err != nil {
		return nil, false, err
	}
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); {
	case err == nil:
		return &ingestLock{f}, true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		f.Close()
		return nil, false, nil
	default:
		f.Close()
		return nil, false, fmt.Errorf("ingest lock: %w", err)
	}
}

// ingestLock waits for the lock until ctx ends, calling notice once when it
// must wait.
func (db *DB) ingestLock(ctx context.Context, notice func()) (*ingestLock, error) {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		l, ok, err := db.tryIngestLock()
		if err != nil || ok {
			return l, err
		}
		if notice != nil {
			notice()
			notice = nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (l *ingestLock) release() {
	if l != nil && l.f != nil {
		l.f.Close() // closing the last descriptor drops the flock
		l.f = nil
	}
}

// announceWait marks this process as waiting for the write lock: a shared
// flock on .<cache>.ingest-wait, held until release. A long writer looks
// for it between its slices (yieldToWaiters): SQLite's busy handler polls,
// and a writer that begins its next slice the moment it commits the last
// would otherwise win the lock again and again.
func (db *DB) announceWait() (release func()) {
	f, err := openLockFile(waitLockPath(db.path))
	if err != nil {
		return func() {}
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) != nil {
		// a long writer is checking this very moment: try once more
		time.Sleep(time.Millisecond)
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	}
	return func() { f.Close() }
}

// yieldToWaiters lets writers that wait for the write lock have it: while
// one is announced, the caller (between two slices, holding no lock)
// waits, for at most yieldMax.
func (db *DB) yieldToWaiters(ctx context.Context) {
	// no file: no writer ever waited
	f, err := os.OpenFile(waitLockPath(db.path), os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer f.Close()
	deadline := time.Now().Add(yieldMax)
	for syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
