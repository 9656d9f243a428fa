package retention

import "github.com/auditctl/auditctl/pkg/cmdutil"

// configPeriods reads retention.logs and retention.sessions from the config
// file. TODO(config): pkg/config (worktree "age") is not on main yet; until
// it lands the defaults and flags apply.
func configPeriods(f *cmdutil.Factory) func() (logs, sessions string, err error) {
	return nil
}
