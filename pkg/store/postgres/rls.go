package postgres

import (
	"context"
	"fmt"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/jackc/pgx/v5"
)

// Row-level security by tenant (db init --rls, db tenant): for managed
// service providers whose analysts must see only their clients' events.
//
// auditctl_tenant_members (migration 3) maps roles to tenants. With row-
// level security on, a role that does not own the tables (the admin role
// owns them, and a superuser bypasses it) sees an event when its tenant is
// mapped to the role or to a role it is a member of, or when '*' is (every
// tenant). Its documents and its identity (event_docs, event_ids) are
// visible exactly when the event is. Sessions carry no tenant: only a role
// mapped to '*' sees them. Each role sees only its own rows of
// the mapping.
//
// The ingest role may insert only events of its tenants (an import of
// another tenant's events is refused by the server, whole), but it reads
// every event: the dedupe and the choice of a free key slot must see what
// is stored, whoever's it is. Trust an ingest job with every tenant's
// events for reading, or give each client its own store.

// tenantVisible is the condition that an events row is visible to the
// current role (the subqueries read the mapping under its own policy:
// the current role's rows only).
const tenantVisible = `(tenant IN (SELECT m.tenant FROM auditctl_tenant_members m) OR ` + allTenants + `)`

// allTenants is the condition that the current role sees every tenant.
const allTenants = `EXISTS (SELECT 1 FROM auditctl_tenant_members m WHERE m.tenant = '*')`

// rlsTables are the tables under row-level security: when a row is
// visible, and when a new one may be inserted.
var rlsTables = []struct{ name, read, write string }{
	{"events", tenantVisible, tenantVisible},
	// inserted with their event, in the same statement (which checks the
	// event's tenant)
	{"event_docs", "EXISTS (SELECT 1 FROM events e WHERE e.id = event_docs.id)", "true"},
	{"event_ids", "EXISTS (SELECT 1 FROM events e WHERE e.id = event_ids.id)", "true"},
	// a session has no tenant: only a role that sees every tenant sees
	// (or registers) sessions
	{"sessions", allTenants, allTenants},
}

// EnableRLS turns row-level security by tenant on in the store at url,
// for the roles r (the ingest role reads everything, writes only its
// tenants'). It is idempotent; the store must have been set up by Init.
// It must run as the tables' owner or a superuser.
func EnableRLS(ctx context.Context, url string, r Roles) error {
	db, err := Open(ctx, url, false)
	if err != nil {
		return err
	}
	defer db.Close()
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockMigrate)); err != nil {
			return err
		}
		ingest := ident(r.Ingest)
		var stmts []string
		for _, t := range rlsTables {
			stmts = append(stmts,
				"DROP POLICY IF EXISTS auditctl_read ON "+t.name,
				"CREATE POLICY auditctl_read ON "+t.name+" FOR SELECT USING ("+t.read+")",
				"DROP POLICY IF EXISTS auditctl_ingest_read ON "+t.name,
				"CREATE POLICY auditctl_ingest_read ON "+t.name+" FOR SELECT TO "+ingest+" USING (true)",
				"DROP POLICY IF EXISTS auditctl_write ON "+t.name,
				"CREATE POLICY auditctl_write ON "+t.name+" FOR INSERT WITH CHECK ("+t.write+")",
				"ALTER TABLE "+t.name+" ENABLE ROW LEVEL SECURITY")
		}
		stmts = append(stmts,
			"DROP POLICY IF EXISTS auditctl_own ON auditctl_tenant_members",
			`CREATE POLICY auditctl_own ON auditctl_tenant_members FOR SELECT USING (EXISTS (
				SELECT 1 FROM pg_roles r WHERE r.rolname = role_name AND pg_has_role(current_user, r.oid, 'MEMBER')))`,
			"ALTER TABLE auditctl_tenant_members ENABLE ROW LEVEL SECURITY")
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		return db.wrap(fmt.Errorf("row-level security: %w", err))
	}
	return nil
}

// TenantMember maps a role to a tenant.
type TenantMember struct {
	Role   string `json:"role"`
	Tenant string `json:"tenant"`
}

// Tenants is the mapping of roles to tenants, as the current role sees it
// (the admin role and a superuser: all of it; any other role: its own).
type Tenants struct {
	Store   string         `json:"store"` // the URL, password redacted
	RLS     bool           `json:"row_level_security"`
	Members []TenantMember `json:"members"`
}

// rlsOn says whether row-level security is on (for events).
func rlsOn(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (bool, error) {
	var on bool
	err := q.QueryRow(ctx, "SELECT relrowsecurity FROM pg_class WHERE oid = 'events'::regclass").Scan(&on)
	return on, err
}

// GrantTenant maps role to tenant (audit.AllTenants: every tenant) in the
// store at url, and returns the mapping as it then is. Only the tables'
// owner (the admin role) or a superuser may.
func GrantTenant(ctx context.Context, url, role, tenant string) (*Tenants, error) {
	if tenant != audit.AllTenants {
		if err := audit.CheckTenant(tenant); err != nil {
			return nil, err
		}
	}
	return changeTenants(ctx, url, role, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return audit.Errorf(audit.EINVALID, "no role %q on the server: create it first (CREATE ROLE … LOGIN IN ROLE auditctl_reader)", role)
		}
		_, err := tx.Exec(ctx, "INSERT INTO auditctl_tenant_members (role_name, tenant) VALUES ($1, $2) ON CONFLICT DO NOTHING", role, tenant)
		return err
	})
}

// RevokeTenant removes the mapping of role to tenant (it is not an error
// when there is none).
func RevokeTenant(ctx context.Context, url, role, tenant string) (*Tenants, error) {
	return changeTenants(ctx, url, role, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "DELETE FROM auditctl_tenant_members WHERE role_name = $1 AND tenant = $2", role, tenant)
		return err
	})
}

// ListTenants returns the mapping as the current role sees it.
func ListTenants(ctx context.Context, url string) (*Tenants, error) {
	return changeTenants(ctx, url, "", nil)
}

func changeTenants(ctx context.Context, url, role string, change func(pgx.Tx) error) (*Tenants, error) {
	if change != nil && role == "" {
		return nil, audit.Errorf(audit.EUSAGE, "a role name is empty")
	}
	db, err := Open(ctx, url, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res := &Tenants{Store: db.url, Members: []TenantMember{}}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if change != nil {
			if err := change(tx); err != nil {
				return err
			}
		}
		if res.RLS, err = rlsOn(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT role_name, tenant FROM auditctl_tenant_members ORDER BY role_name, tenant")
		if err != nil {
			return err
		}
		res.Members, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (TenantMember, error) {
			var m TenantMember
			err := r.Scan(&m.Role, &m.Tenant)
			return m, err
		})
		return err
	})
	if err != nil {
		return nil, db.wrap(err)
	}
	return res, nil
}

// seesAll refuses, under row-level security, a role that does not see
// every tenant: what it cannot see, verify would report as deleted.
func seesAll(ctx context.Context, tx pgx.Tx, what string) error {
	var limited bool
	if err := tx.QueryRow(ctx, "SELECT row_security_active('events') AND NOT "+allTenants).Scan(&limited); err != nil {
		return err
	}
	if limited {
		return audit.Errorf(audit.EREMOTE, "%s needs every tenant's events, and row-level security shows this role only some: run it as the admin role or a role mapped to '*' (docs/postgres.md, \"Row-level security by tenant\")", what)
	}
	return nil
}
