package retention

import "github.com/auditctl/auditctl/pkg/cmdutil"

// configPeriods reads retention.logs and retention.sessions from the config
// file (pkg/config); "" where the file does not set them.
func configPeriods(f *cmdutil.Factory) func() (logs, sessions string, err error) {
	return func() (string, string, error) {
		cf, err := f.Config()
		if err != nil {
			return "", "", err
		}
		var logs, sessions string
		if cf.Retention.Logs.Set() {
			logs = cf.Retention.Logs.Text
		}
		if cf.Retention.Sessions.Set() {
			sessions = cf.Retention.Sessions.Text
		}
		return logs, sessions, nil
	}
}
