// Package store is what the commands need of an event store, and the logic
// the stores share: time-ordered keys (keys.go), full-text tokens
// (fts.go) and the compilation of a filter to SQL, parameterised by the
// store's dialect (compile.go).
//
// Two stores implement Store: the local SQLite cache (pkg/store/sqlite,
// the default) and a PostgreSQL team store (pkg/store/postgres, chosen by
// a postgres:// URL in --db or AUDITCTL_DB). The commands see only Store;
// the Factory (pkg/cmdutil) picks one.
package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/chain"
	"github.com/auditctl/auditctl/pkg/session"
)

// Store is an event store: what the logs commands and import use. It
// grows as commands move onto it (docs/postgres.md lists what is not on
// it yet).
type Store interface {
	audit.EventService
	audit.TotalCounter
	// Session History: the sessions and their recordings' metadata (the
	// recording files stay files; docs/postgres.md says where).
	session.Store
	// The sync state of remote streams (sync jumpcloud).
	SyncStore
	// Import stores every event of r, the whole input or (on error)
	// nothing of it; events already stored (same source and id) are left
	// as they are.
	Import(ctx context.Context, r audit.EventReader, opt ImportOptions) (audit.ImportResult, error)
	Chained
	// Close releases the store.
	Close() error
}

// Chained is a store's tamper-evidence chain (package chain): both stores
// keep the same one.
type Chained interface {
	// VerifyChain walks the chain and every row in one snapshot and
	// reports what does not hold; trusted, when set, is the only key a
	// checkpoint may be signed with.
	VerifyChain(ctx context.Context, trusted ed25519.PublicKey) (*chain.Report, error)
	// ChainHead is the newest record's seq and link (0 and the zero hash
	// for an empty chain).
	ChainHead(ctx context.Context) (int64, chain.Hash, error)
	// ChainLink is the link of record seq (false when there is none).
	ChainLink(ctx context.Context, seq int64) (chain.Hash, bool, error)
}

// ErrNoStore is in the error of opening a store that is not there (no
// cache file at the path, no auditctl schema on the server).
var ErrNoStore = errors.New("no store")

// SyncState says how far the sync of one remote stream has come: every
// event of the stream with a time in [From, Until) is in the store.
type SyncState struct {
	Source  string // "jumpcloud"
	Org     string // organization id; "" for the key's own
	Service string // a service name, or "all"
	From    time.Time
	Until   time.Time
	Updated time.Time
}

// SyncStore keeps the sync state of remote streams.
type SyncStore interface {
	// SyncState returns the state of a stream; ok is false when it was
	// never synced.
	SyncState(ctx context.Context, source, org, service string) (st SyncState, ok bool, err error)
	// SyncStates lists the state of every stream of source, by org and
	// service.
	SyncStates(ctx context.Context, source string) ([]SyncState, error)
	// ExtendSyncState records that [st.From, st.Until) of the stream is in
	// the store, widening what was recorded (never narrowing it: two syncs
	// may run at once). The caller must have committed the events first.
	ExtendSyncState(ctx context.Context, st SyncState) error
}

// ImportOptions tune Store.Import.
type ImportOptions struct {
	// SkipInvalid skips records the reader reports as invalid (and not
	// fatal) instead of aborting.
	SkipInvalid bool
	// Progress, when set, is called every few thousand records with the
	// number read so far.
	Progress func(read int)
	// Name is the input's name for error messages.
	Name string
	// Key, when set, gives an event the key it had in the store it is
	// copied from (db copy), so that it keeps it: 0, or a key outside the
	// event's microsecond, is ignored (the key is computed). The PostgreSQL
	// store honours it, unless another event holds that key there already
	// (then it takes the next free slot, as for any collision).
	Key func(*audit.Event) int64
}

// IsURL says whether a --db value names a PostgreSQL server
// (postgres://… or postgresql://…) rather than a cache file.
func IsURL(db string) bool {
	l := strings.ToLower(db)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Redact is a PostgreSQL URL without its password (and without any
// password= parameter), for messages.
func Redact(db string) string {
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
