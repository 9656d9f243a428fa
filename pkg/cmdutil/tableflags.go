package cmdutil

import (
	"os"
	"strings"
	"time"
	_ "time/tzdata" // --tz works where the system has no zoneinfo (Windows, scratch images)

	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
)

// TableFlags are the flags of every command that prints a table: --wide,
// --columns and --tz.
type TableFlags struct {
	Wide    bool
	Columns []string
	TZ      string
}

// AddTableFlags registers --wide, --columns (whose help lists columns, the
// table's column names) and --tz on cmd.
func AddTableFlags(cmd *cobra.Command, t *TableFlags, columns []string) {
	fl := cmd.Flags()
	fl.BoolVar(&t.Wide, "wide", false, "table: show every column, however wide the lines get")
	fl.StringSliceVar(&t.Columns, "columns", nil, "table: show exactly these columns, in this order ("+strings.Join(columns, ", ")+")")
	fl.StringVar(&t.TZ, "tz", "", "time zone of table times: a zone name (Europe/Berlin), UTC or local (default: $TZ when set, else UTC)")
	registerTableCompletions(cmd, columns)
}

// Options returns the output options of a command that writes to ios with
// these flags: colour, the terminal's width, --wide, --columns and the zone.
func (t *TableFlags) Options(ios *IOStreams) (output.Options, error) {
	loc, zone, err := ResolveZone(t.TZ, os.Getenv("TZ"))
	if err != nil {
		return output.Options{}, err
	}
	return output.Options{
		Color: ios.ColorEnabled(), Width: ios.TerminalWidth(),
		Wide: t.Wide, Columns: t.Columns, Location: loc, Zone: zone,
	}, nil
}

// ResolveZone returns the time zone tables show times in and its name for
// headers: the --tz value, else the TZ environment variable when set (an
// unknown TZ falls back to UTC, as Go's time package does), else UTC.
// "local" is the system's zone, named by its abbreviation (CET).
func ResolveZone(flag, env string) (*time.Location, string, error) {
	name, fromEnv := strings.TrimSpace(flag), false
	if name == "" {
		name, fromEnv = strings.TrimPrefix(strings.TrimSpace(env), ":"), true
	}
	switch {
	case name == "", strings.EqualFold(name, "UTC"), strings.EqualFold(name, "Z"):
		return time.UTC, "UTC", nil
	case strings.EqualFold(name, "local"):
		abbr, _ := time.Now().In(time.Local).Zone()
		return time.Local, abbr, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		if fromEnv {
			return time.UTC, "UTC", nil
		}
		return nil, "", audit.Errorf(audit.EUSAGE, "--tz %q: unknown time zone (want a zone name such as Europe/Berlin or America/New_York, UTC or local)", flag)
	}
	return loc, loc.String(), nil
}
