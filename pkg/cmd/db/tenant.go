package db

import (
	"context"
	"fmt"

	"github.com/MakeNowJust/heredoc"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/postgres"
	"github.com/spf13/cobra"
)

// TenantOptions are the flags and dependencies of `db tenant`.
type TenantOptions struct {
	IO     *cmdutil.IOStreams
	URL    string
	Output string
	Quiet  bool
	Action string // grant, revoke, list
	Role   string
	Tenant string
}

// NewCmdTenant builds `auditctl db tenant`.
func NewCmdTenant(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant <command>",
		Short: "Map roles to the tenants they may see (row-level security)",
		Long: heredoc.Doc(`
			With row-level security on (db init --rls), a role of a team store
			sees only the events of the tenants mapped to it, or to a role it is
			a member of; '*' stands for every tenant. The admin role (the
			tables' owner) and superusers see everything and are the only ones
			who may change the mapping. An event's tenant is what import
			--tenant (or the config file's import.tenant) set, else its
			source's organization. See docs/postgres.md, "Row-level security
			by tenant".
		`),
	}
	for _, a := range []struct {
		name, use, short string
		args             int
		example          string
	}{
		{"grant", "grant ROLE TENANT", "Let a role see a tenant's events ('*': every tenant)", 2, heredoc.Doc(`
			auditctl --db postgres://postgres@db.example.com/audit db tenant grant ana acme
			auditctl --db postgres://postgres@db.example.com/audit db tenant grant secteam '*'
		`)},
		{"revoke", "revoke ROLE TENANT", "Stop a role seeing a tenant's events", 2, heredoc.Doc(`
			auditctl --db postgres://postgres@db.example.com/audit db tenant revoke ana acme
		`)},
		{"list", "list", "List which roles see which tenants (yours only, unless admin)", 0, heredoc.Doc(`
			auditctl --db postgres://postgres@db.example.com/audit db tenant list
			auditctl --db postgres://ana@db.example.com/audit db tenant list -o json
		`)},
	} {
		cmd.AddCommand(&cobra.Command{
			Use: a.use, Short: a.short, Example: a.example,
			Args: func(cmd *cobra.Command, args []string) error {
				if len(args) != a.args {
					return cmdutil.UsageError(fmt.Errorf("db tenant %s takes %d arguments, not %d", a.name, a.args, len(args)))
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				opts := &TenantOptions{IO: f.IOStreams, Output: f.Output, Quiet: f.Quiet, Action: a.name}
				if p, err := f.ResolveDBPath(); err == nil {
					opts.URL = p
				}
				if len(args) == 2 {
					opts.Role, opts.Tenant = args[0], args[1]
				}
				return tenantRun(cmd.Context(), opts)
			},
		})
	}
	return cmd
}

func tenantRun(ctx context.Context, opts *TenantOptions) error {
	if !store.IsURL(opts.URL) {
		return audit.Errorf(audit.EUSAGE, "db tenant needs a postgres:// or postgresql:// URL (--db or AUDITCTL_DB)")
	}
	if err := checkOutput("db tenant", opts.Output); err != nil {
		return err
	}
	var res *postgres.Tenants
	var err error
	switch opts.Action {
	case "grant":
		res, err = postgres.GrantTenant(ctx, opts.URL, opts.Role, opts.Tenant)
	case "revoke":
		res, err = postgres.RevokeTenant(ctx, opts.URL, opts.Role, opts.Tenant)
	default:
		res, err = postgres.ListTenants(ctx, opts.URL)
	}
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, res)
	}
	for _, m := range res.Members {
		fmt.Fprintf(opts.IO.Out, "%-24s %s\n", sanitize.String(m.Role), sanitize.String(m.Tenant))
	}
	if !res.RLS && !opts.Quiet {
		fmt.Fprintf(opts.IO.ErrOut, "auditctl: row-level security is off in %s: the mapping has no effect until db init --rls\n", sanitize.String(res.Store))
	}
	return nil
}
