package cmdutil

import (
	"errors"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/spf13/cobra"
)

// DefaultWindow is the time window of list and count when no time is
// given, as in the seeds' filter panels.
const DefaultWindow = 7 * 24 * time.Hour

// FilterOptions are the filter flags every event command shares (SPEC §4).
type FilterOptions struct {
	Since, Until string
	Query        string
	All          bool
	Search       []string
	MinDuration  int64
	MaxDuration  int64
	Values       map[audit.Field]*[]string

	minSet, maxSet bool
	cmd            *cobra.Command
	// defaulted: the last Filter applied the default window (no time was
	// given), so what lies before it is hidden (WindowNotice).
	defaulted bool
}

// DefaultWindowApplied reports whether the last Filter call limited the
// filter to the default window because no time bound was given.
func (o *FilterOptions) DefaultWindowApplied() bool { return o.defaulted }

// filterFlags are the repeatable value flags and the fields they set.
var filterFlags = []struct {
	name  string
	field audit.Field
	usage string
}{
	{"service", audit.FieldService, "service name (directory, sso, s3.amazonaws.com…)"},
	{"action", audit.FieldAction, "action / event type (DeleteUser, USER_LOGIN…)"},
	{"category", audit.FieldCategory, `event category ("User Management"…)`},
	{"actor", audit.FieldActor, "who did it (user name or email; * wildcards)"},
	{"target", audit.FieldTarget, "what it was done to"},
	{"ip", audit.FieldIP, "client IP address or CIDR (10.0.0.0/8)"},
	{"status", audit.FieldStatus, "success, failure, warning or in_progress"},
	{"browser", audit.FieldBrowser, "browser / user agent (* wildcards)"},
	{"workflow", audit.FieldWorkflow, "workflow id"},
	{"tenant", audit.FieldTenant, "tenant / organization"},
	{"source", audit.FieldSource, "source (jumpcloud, cloudtrail, file:NAME…)"},
}

// AddFilterFlags registers the filter flags on cmd, --all included on
// every command that filters (so that a command line can move from one to
// another). window says whether the command has a default time window,
// which --all lifts; without one, --all is accepted and changes nothing.
func AddFilterFlags(cmd *cobra.Command, o *FilterOptions, window bool) {
	o.cmd = cmd
	o.Values = map[audit.Field]*[]string{}
	fl := cmd.Flags()
	fl.StringVar(&o.Since, "since", "", "from this time: RFC 3339, a date, or relative (90m, 24h, 7d, 4w)")
	fl.StringVar(&o.Until, "until", "", "before this time (same forms as --since)")
	fl.StringVarP(&o.Query, "query", "q", "", `query: 'action:DeleteUser -status:success duration:>500 "free text"'`)
	for _, f := range filterFlags {
		v := new([]string)
		o.Values[f.field] = v
		fl.StringArrayVar(v, f.name, nil, f.usage+"; a,b or repeat to OR")
	}
	user := o.Values[audit.FieldActor]
	fl.StringArrayVar(user, "user", nil, "alias of --actor")
	fl.StringArrayVar(&o.Search, "search", nil, "full-text search over description, params, custom data and raw")
	fl.Int64Var(&o.MinDuration, "min-duration", 0, "minimum request duration in ms")
	fl.Int64Var(&o.MaxDuration, "max-duration", 0, "maximum request duration in ms")
	if window {
		fl.BoolVar(&o.All, "all", false, "no default time window: search all events")
	} else {
		fl.BoolVar(&o.All, "all", false, "all events (the default here: this command has no default time window)")
	}
}

// Filter builds the filter from the flags and the query. When useDefault
// is set and no time bound is given by flag or query (and --all is not),
// the filter covers the last DefaultWindow.
func (o *FilterOptions) Filter(now time.Time, useDefault bool) (audit.Filter, error) {
	// Relative times count back from now to the microsecond: the cache
	// keys events by microsecond, and a bound on one is a pure key range.
	now = now.Truncate(time.Microsecond)
	var f audit.Filter
	var err error
	if o.Since != "" {
		if f.Since, err = audit.ParseTimeArg(o.Since, now); err != nil {
			return f, wrapFlag("--since", err)
		}
	}
	if o.Until != "" {
		if f.Until, err = audit.ParseTimeArg(o.Until, now); err != nil {
			return f, wrapFlag("--until", err)
		}
	}
	for _, ff := range filterFlags {
		for _, v := range *o.Values[ff.field] {
			vs, err := ParseFlagValues(ff.name, ff.field, v)
			if err != nil {
				return f, err
			}
			f.Add(ff.field, vs...)
		}
	}
	if o.cmd != nil {
		o.minSet = o.cmd.Flags().Changed("min-duration")
		o.maxSet = o.cmd.Flags().Changed("max-duration")
	}
	if o.minSet || o.MinDuration != 0 {
		f.MinDuration = audit.Ms(o.MinDuration)
	}
	if o.maxSet || o.MaxDuration != 0 {
		f.MaxDuration = audit.Ms(o.MaxDuration)
	}
	f.Text = append(f.Text, o.Search...)
	if o.Query != "" {
		qf, err := query.Parse(o.Query, now)
		if err != nil {
			return f, err
		}
		f.Merge(qf)
	}
	o.defaulted = useDefault && !o.All && f.Since.IsZero() && f.Until.IsZero()
	if o.defaulted {
		f.Since = now.Add(-DefaultWindow)
	}
	if err := f.Validate(); err != nil {
		return f, err
	}
	return f, nil
}

// ParseFlagValues reads one value of a filter flag with the query
// language's value syntax (query.ParseValues): "CreateUser,DeleteUser" is
// two values, as in -q 'action:CreateUser,DeleteUser'. field "" reads a
// plain list (flags that are not event fields).
func ParseFlagValues(flag string, field audit.Field, v string) ([]string, error) {
	vs, err := query.ParseValues(field, v)
	var se *query.SyntaxError
	if errors.As(err, &se) {
		return nil, audit.Errorf(audit.EUSAGE, "--%s %q: column %d: %s", flag, v, se.Column, se.Msg)
	}
	return vs, err
}

func wrapFlag(flag string, err error) error {
	return audit.Errorf(audit.EUSAGE, "%s: %v", flag, err)
}
