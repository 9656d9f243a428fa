package store

import (
	"context"
	"time"
)

// Notifier is a store that says when events may have been stored: the
// PostgreSQL store, through LISTEN/NOTIFY (each import's transaction
// notifies as it commits). logs tail -f and the console's live tail wait
// on it instead of polling; the SQLite cache has no such signal and is
// polled.
type Notifier interface {
	// Listen starts listening: a Listener's Wait returns once an import
	// committed after Listen returned.
	Listen(ctx context.Context) (Listener, error)
}

// Listener is a store's signal of new events.
type Listener interface {
	// Wait returns nil when an import committed since Wait last returned
	// (or since Listen), when the signal may have been missed (the
	// connection was lost and made again), or when fallback has passed:
	// the caller then looks for new events. It returns ctx's error when
	// ctx ends first.
	Wait(ctx context.Context, fallback time.Duration) error
	// Close stops listening.
	Close() error
}

// FallbackPoll is how often a follower that is told of new events looks
// for them all the same, in case a signal was lost.
const FallbackPoll = time.Minute
