package postgres

import (
	"context"
	"fmt"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/jackc/pgx/v5"
)

// Roles names the three roles of a team store (NOLOGIN group roles:
// people and jobs log in as their own users, members of one of them).
type Roles struct {
	// Ingest may read and insert events (import, sync), never change or
	// delete one: a compromised ingest job cannot rewrite history.
	Ingest string `json:"ingest"`
	// Reader may only read.
	Reader string `json:"reader"`
	// Admin owns the schema: migrations, retention, partitions.
	Admin string `json:"admin"`
}

// DefaultRoles are the roles db init creates unless told otherwise.
var DefaultRoles = Roles{Ingest: "auditctl_ingest", Reader: "auditctl_reader", Admin: "auditctl_admin"}

// InitResult says what Init did.
type InitResult struct {
	Store   string   `json:"store"` // the URL, password redacted
	Schema  int      `json:"schema_version"`
	Roles   Roles    `json:"roles"`
	Created []string `json:"created_roles"` // the roles that did not exist
}

// tables are the tables of the schema, and what ingest may do to them.
var tables = []struct {
	name   string
	ingest string // privileges of the ingest role
}{
	{"events", "SELECT, INSERT"}, {"event_docs", "SELECT, INSERT"}, {"event_ids", "SELECT, INSERT"},
	{"auditctl_schema", "SELECT"}, {"auditctl_tenant_members", "SELECT"},
	// the chain: an import appends its record and its rows' hashes; it may
	// not change or remove one
	{"chain", "SELECT, INSERT"}, {"chain_rows", "SELECT, INSERT"},
	// Session History is evidence like the events: a session is
	// registered, never rewritten by an ingest job. The sync state and a
	// db copy's progress are bookkeeping the ingest job moves forward.
	{"sessions", "SELECT, INSERT"}, {"sync_state", "SELECT, INSERT, UPDATE"}, {"copy_state", "SELECT, INSERT, UPDATE"},
}

// Init creates the schema at url (or brings it up to date) and the three
// roles, and grants each its rights: the admin role owns every table,
// partition and the function that makes partitions; the ingest role may
// SELECT and INSERT (no UPDATE, DELETE, TRUNCATE or DDL) and run that
// function; the reader role may SELECT. It is idempotent. It must run as
// a superuser or the database's owner with CREATEROLE who is a member of
// the roles it hands tables to.
func Init(ctx context.Context, url string, r Roles) (*InitResult, error) {
	for _, n := range []string{r.Ingest, r.Reader, r.Admin} {
		if n == "" {
			return nil, audit.Errorf(audit.EUSAGE, "a role name is empty")
		}
	}
	if r.Ingest == r.Reader || r.Ingest == r.Admin || r.Reader == r.Admin {
		return nil, audit.Errorf(audit.EUSAGE, "the three roles need three different names (%s, %s, %s)", r.Ingest, r.Reader, r.Admin)
	}
	db, err := Open(ctx, url, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res := &InitResult{Store: db.url, Schema: len(migrations), Roles: r}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockMigrate)); err != nil {
			return err
		}
		for _, n := range []string{r.Admin, r.Ingest, r.Reader} {
			var exists bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", n).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				if _, err := tx.Exec(ctx, "CREATE ROLE "+ident(n)+" NOLOGIN"); err != nil {
					return fmt.Errorf("create role %s: %w", n, err)
				}
				res.Created = append(res.Created, n)
			}
		}
		var schema string
		if err := tx.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return err
		}
		admin, ingest, reader := ident(r.Admin), ident(r.Ingest), ident(r.Reader)
		stmts := []string{
			"GRANT USAGE ON SCHEMA " + ident(schema) + " TO " + admin + ", " + ingest + ", " + reader,
			// the admin role makes partitions (through the function it owns)
			"GRANT CREATE ON SCHEMA " + ident(schema) + " TO " + admin,
			"ALTER FUNCTION auditctl_ensure_month(int, int) OWNER TO " + admin,
			"REVOKE ALL ON FUNCTION auditctl_ensure_month(int, int) FROM PUBLIC",
			"GRANT EXECUTE ON FUNCTION auditctl_ensure_month(int, int) TO " + ingest + ", " + admin,
		}
		for _, t := range tables {
			stmts = append(stmts,
				"ALTER TABLE "+t.name+" OWNER TO "+admin,
				"REVOKE ALL ON "+t.name+" FROM PUBLIC, "+ingest+", "+reader,
				"GRANT "+t.ingest+" ON "+t.name+" TO "+ingest,
				"GRANT SELECT ON "+t.name+" TO "+reader)
		}
		// the partitions made so far
		rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent IN ('events'::regclass, 'event_docs'::regclass)`)
		if err != nil {
			return err
		}
		parts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, p := range parts {
			stmts = append(stmts, "ALTER TABLE "+ident(p)+" OWNER TO "+admin)
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, db.wrap(fmt.Errorf("db init: %w", err))
	}
	return res, nil
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }
