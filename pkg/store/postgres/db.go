// Package postgres is the team store: auditctl's events in a PostgreSQL
// server (pgx), behind the same commands as the SQLite cache
// (docs/postgres.md). It implements store.Store.
package postgres

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is an open PostgreSQL store.
type DB struct {
	pool *pgxpool.Pool
	url  string // redacted, for messages

	mu     sync.Mutex
	months map[int64]bool // partitions known to exist, by month start (Unix s)

	signer func() (ed25519.PrivateKey, error) // signs checkpoints (SetSigner)
}

// Open connects to the store at url (postgres://… or postgresql://…). With
// create, it creates the schema when there is none (import); without, a
// server without auditctl's schema is a local failure (exit 5), as a
// missing cache is. An older schema is migrated; a newer one is refused.
func Open(ctx context.Context, url string, create bool) (*DB, error) {
	red := store.Redact(url)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "invalid PostgreSQL URL %s: %v", red, scrub(err, url))
	}
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "auditctl"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, audit.Errorf(audit.EREMOTE, "PostgreSQL %s: %v", red, scrub(err, url))
	}
	db := &DB{pool: pool, url: red, months: map[int64]bool{}}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, audit.Errorf(audit.EREMOTE, "cannot reach PostgreSQL at %s: %v", red, scrub(err, url))
	}
	v, err := version(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, db.wrap(err)
	}
	if err := checkVersion(v); err != nil {
		pool.Close()
		return nil, err
	}
	if v == 0 && !create {
		pool.Close()
		return nil, &audit.Error{Code: audit.ELOCAL, Err: store.ErrNoStore,
			Message: fmt.Sprintf("no auditctl store at %s: run auditctl import (or auditctl demo) against it first", red)}
	}
	if v < len(migrations) {
		if err := db.migrate(ctx); err != nil {
			pool.Close()
			return nil, db.wrap(err)
		}
	}
	if create {
		// Partitions ahead: this month and the next two.
		now := time.Now().UTC()
		for i := 0; i < 3; i++ {
			if err := db.ensureMonth(ctx, monthStart(now).AddDate(0, i, 0), false); err != nil {
				pool.Close()
				return nil, db.wrap(err)
			}
		}
	}
	return db, nil
}

// URL is the store's URL, its password redacted (for messages).
func (db *DB) URL() string { return db.url }

// Close closes the connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// scrub removes the URL (which may hold a password) from an error's text.
func scrub(err error, url string) string {
	s := err.Error()
	if url != "" {
		s = strings.ReplaceAll(s, url, store.Redact(url))
	}
	return s
}

// wrap classifies a server error: a context end stays itself, an audit
// error stays itself, a lost connection is remote (exit 4), anything else
// names the store.
func (db *DB) wrap(err error) error {
	if err == nil {
		return nil
	}
	var ae *audit.Error
	if errors.As(err, &ae) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == "42501" { // insufficient_privilege
			return audit.Errorf(audit.EREMOTE, "PostgreSQL %s refused: %s (this role may not do that: docs/postgres.md, \"Roles\")", db.url, pe.Message)
		}
		return fmt.Errorf("PostgreSQL %s: %w", db.url, err)
	}
	return audit.Errorf(audit.EREMOTE, "PostgreSQL %s: %v", db.url, err)
}

// monthStart is the first instant of t's month, UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ensureMonth creates the partitions of events and event_docs for the
// month starting at m when they do not exist (auditctl_ensure_month, in a
// short transaction of its own, under an advisory lock, so concurrent
// importers create it once).
//
// importing says an import's transaction of this process is open: the
// attach does not wait for it (migration 7), but it could queue behind
// another session's lock request that does (retention detaching a month),
// so it gives up after a short wait with errMonthBusy, and the import
// makes the month with its transaction closed.
func (db *DB) ensureMonth(ctx context.Context, m time.Time, importing bool) error {
	db.mu.Lock()
	known := db.months[m.Unix()]
	db.mu.Unlock()
	if known {
		return nil
	}
	var exists bool
	name := fmt.Sprintf("events_p%04d%02d", m.Year(), int(m.Month()))
	if err := db.pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if importing {
				if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '2s'"); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, "SELECT auditctl_ensure_month($1, $2)", m.Year(), int(m.Month()))
			return err
		})
		var pe *pgconn.PgError
		if importing && errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			return errMonthBusy
		}
		if err != nil {
			return fmt.Errorf("create partition %s: %w", name, err)
		}
	}
	db.mu.Lock()
	db.months[m.Unix()] = true
	db.mu.Unlock()
	return nil
}
