//go:build !unix

package sqlite

import "context"

// Without flock there is no way to tell a dead writer's unpublished rows
// from a live one's: long writers keep one transaction (an import holds
// the write lock for a whole file), as before slices existed.
const slicesSupported = false

type ingestLock struct{}

func (db *DB) tryIngestLock() (*ingestLock, bool, error) { return nil, false, nil }

func (db *DB) ingestLock(context.Context, func()) (*ingestLock, error) { return &ingestLock{}, nil }

func (l *ingestLock) release() {}

func (db *DB) announceWait() (release func()) { return func() {} }

func (db *DB) yieldToWaiters(context.Context) {}
