// Package db implements `auditctl db`: the PostgreSQL team store.
package db

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/spf13/cobra"
)

// NewCmdDB builds `auditctl db`.
func NewCmdDB(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db <command>",
		Short: "Set up a PostgreSQL team store",
		Long: heredoc.Doc(`
			A team shares one PostgreSQL store instead of a cache file each: pass
			its URL with --db or AUDITCTL_DB (docs/postgres.md).
		`),
	}
	cmd.AddCommand(NewCmdInit(f, nil))
	cmd.AddCommand(NewCmdTenant(f))
	cmd.AddCommand(NewCmdCopy(f, nil))
	return cmd
}

// InitOptions are the flags and dependencies of `db init`.
type InitOptions struct {
	IO     *cmdutil.IOStreams
	URL    string
	Roles  postgres.Roles
	Output string
	Quiet  bool
	// RLS is --rls: turn row-level security by tenant on.
	RLS bool
}

// NewCmdInit builds `auditctl db init`.
func NewCmdInit(f *cmdutil.Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IOStreams, Roles: postgres.DefaultRoles}
	cmd := &cobra.Command{
		Use:   "init [URL]",
		Short: "Create a team store's schema and its three roles",
		Long: heredoc.Doc(`
			Create (or bring up to date) auditctl's schema in the PostgreSQL
			database at URL (else the --db or AUDITCTL_DB URL), and three roles
			without login, to grant to people and jobs:

			  ingest  (auditctl_ingest)  import: read and insert events, never
			          update or delete one, no DDL: a compromised import or sync
			          job cannot rewrite history
			  reader  (auditctl_reader)  the logs commands: read only
			  admin   (auditctl_admin)   owns every table and partition:
			          migrations, retention

			Run it as a superuser (or the database owner with CREATEROLE, member
			of the roles). It is idempotent: existing roles are kept and their
			grants set again. Then grant the roles to login users, for example
			GRANT auditctl_reader TO alice; and point auditctl at the store with
			their own URL. See docs/postgres.md, "Roles".

			--rls turns on row-level security by tenant (for managed service
			providers): every role but the admin then sees only the events of
			the tenants mapped to it with db tenant grant (or '*', every
			tenant), and the ingest role may insert only those tenants' events
			(it still reads all of them, for the dedupe). Without --rls, db
			init leaves row-level security as it is. See docs/postgres.md,
			"Row-level security by tenant".
		`),
		Example: heredoc.Doc(`
			auditctl db init postgres://postgres@db.example.com/audit
			auditctl db init postgres://postgres@db.example.com/audit --reader-role analysts
			auditctl db init postgres://postgres@db.example.com/audit --rls
			psql -c 'CREATE ROLE importer LOGIN IN ROLE auditctl_ingest'
			AUDITCTL_DB=postgres://importer@db.example.com/audit auditctl import ./cloudtrail/
		`),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.UsageError(fmt.Errorf("db init takes one URL, not %d arguments", len(args)))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.URL = args[0]
			} else if p, err := f.ResolveDBPath(); err == nil {
				opts.URL = p
			}
			opts.Output, opts.Quiet = f.Output, f.Quiet
			if runF != nil {
				return runF(opts)
			}
			return initRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Roles.Ingest, "ingest-role", opts.Roles.Ingest, "name of the insert-only role")
	fl.StringVar(&opts.Roles.Reader, "reader-role", opts.Roles.Reader, "name of the read-only role")
	fl.StringVar(&opts.Roles.Admin, "admin-role", opts.Roles.Admin, "name of the role that owns the schema")
	fl.BoolVar(&opts.RLS, "rls", false, "turn on row-level security by tenant (db tenant grant maps roles to tenants)")
	return cmd
}

func initRun(ctx context.Context, opts *InitOptions) error {
	if !store.IsURL(opts.URL) {
		return audit.Errorf(audit.EUSAGE, "db init needs a postgres:// or postgresql:// URL (as an argument, --db or AUDITCTL_DB)")
	}
	if err := checkOutput("db init", opts.Output); err != nil {
		return err
	}
	res, err := postgres.Init(ctx, opts.URL, opts.Roles)
	if err != nil {
		return err
	}
	if opts.RLS {
		if err := postgres.EnableRLS(ctx, opts.URL, opts.Roles); err != nil {
			return err
		}
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, struct {
			*postgres.InitResult
			RLS bool `json:"row_level_security,omitempty"`
		}{res, opts.RLS})
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "store %s: schema version %d\n", sanitize.String(res.Store), res.Schema)
	created := map[string]bool{}
	for _, r := range res.Created {
		created[r] = true
	}
	for _, r := range []struct{ name, what string }{
		{res.Roles.Ingest, "ingest: read and insert events, no update, delete or DDL"},
		{res.Roles.Reader, "reader: read only"},
		{res.Roles.Admin, "admin: owns the schema (migrations, retention)"},
	} {
		state := "kept"
		if created[r.name] {
			state = "created"
		}
		fmt.Fprintf(out, "role %-20s %-7s %s\n", sanitize.String(r.name), state, r.what)
	}
	if opts.RLS {
		fmt.Fprintln(out, "row-level security by tenant: on (db tenant grant ROLE TENANT maps roles to tenants)")
	}
	if !opts.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "next: GRANT %s TO <user>; (and the other roles likewise), then --db postgres://<user>@…\n",
			strings.TrimSpace(sanitize.String(res.Roles.Reader)))
	}
	return nil
}

// checkOutput refuses an --output the db commands do not print.
func checkOutput(cmd, output string) error {
	switch output {
	case "", "table", "json":
		return nil
	}
	return audit.Errorf(audit.EUSAGE, "%s prints table or json, not %q", cmd, output)
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
