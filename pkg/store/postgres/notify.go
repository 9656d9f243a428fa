package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/store"
	"github.com/jackc/pgx/v5"
)

// Channel is the channel an import notifies as it commits; the payload
// is the newest key in the store (store.EventKey), in decimal.
const Channel = "auditctl_events"

// notifyImported tells the listeners (logs tail -f, the console's live
// tail) that the transaction tx stored n new events: PostgreSQL delivers
// the notification when tx commits, and never if it rolls back.
func notifyImported(ctx context.Context, tx pgx.Tx, n int64) error {
	if n == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, coalesce((SELECT max(id) FROM events), 0)::text)", Channel)
	return err
}

// reconnectDelay is how long a listener whose connection was lost waits
// before it connects again.
var reconnectDelay = time.Second

// Listen starts listening on Channel, on a connection of its own (outside
// the pool: it stays in LISTEN for as long as the listener lives).
func (db *DB) Listen(ctx context.Context) (store.Listener, error) {
	cfg := db.pool.Config().ConnConfig.Copy()
	conn, err := listenConn(ctx, cfg)
	if err != nil {
		return nil, db.wrap(err)
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l := &listener{wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	go l.run(lctx, cfg, conn)
	return l, nil
}

func listenConn(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// listener receives notifications on its own goroutine and keeps one
// wake-up pending for Wait (several imports between two waits wake it
// once: the waiter reads them all). A lost connection is made again, and
// since notifications sent meanwhile are lost, the reconnection wakes the
// waiter too.
type listener struct {
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func (l *listener) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *listener) run(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer close(l.done)
	for {
		for conn != nil {
			if _, err := conn.WaitForNotification(ctx); err != nil {
				cctx, cancel := context.WithTimeout(context.Background(), time.Second)
				conn.Close(cctx)
				cancel()
				conn = nil
				break
			}
			l.signal()
		}
		if ctx.Err() != nil {
			return
		}
		t := time.NewTimer(reconnectDelay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if c, err := listenConn(ctx, cfg); err == nil {
			conn = c
			l.signal()
		}
	}
}

func (l *listener) Wait(ctx context.Context, fallback time.Duration) error {
	t := time.NewTimer(fallback)
	defer t.Stop()
	select {
	case <-l.wake:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *listener) Close() error {
	l.once.Do(func() {
		l.cancel()
		<-l.done
	})
	return nil
}

var _ store.Notifier = (*DB)(nil)
