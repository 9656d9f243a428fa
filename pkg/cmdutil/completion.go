package cmdutil

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/spf13/cobra"
)

// Shell completion of flag values and ids, registered over the whole
// command tree in one place (RegisterCompletions): fixed lists (formats,
// fields, statuses), values stored in the cache (services, actions,
// categories…; the most frequent first) and event and session ids. The
// cache is read through Factory.DB, which never creates one: without a
// cache there is simply nothing to offer.

// completeLimit bounds how many stored values or ids are offered.
const completeLimit = 100

// completeTimeout bounds a completion's reading of the cache: a shell
// waits for it.
const completeTimeout = 2 * time.Second

type completeFunc = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective)

// RegisterCompletions registers the completion of flag values and ids on
// every command under root. It is called once, when the tree is built.
func RegisterCompletions(root *cobra.Command, f *Factory) {
	register(root, "output", fixed(formatNames()...))
	walk(root, func(c *cobra.Command) {
		sessions := strings.Contains(c.CommandPath(), " sessions")
		for name, fn := range flagCompletions(f, c.Name(), sessions) {
			if c.LocalFlags().Lookup(name) != nil {
				register(c, name, fn)
			}
		}
		if sessions {
			switch c.Name() {
			case "show", "watch", "terminate", "export":
				c.ValidArgsFunction = firstArg(sessionIDs(f, false))
			case "play", "info", "keystrokes", "queries", "cat", "convert":
				c.ValidArgsFunction = firstArg(sessionIDs(f, true)) // FILE or ID
			}
		} else if c.Name() == "show" && c.Parent() != nil && c.Parent().Name() == "logs" {
			c.ValidArgsFunction = firstArg(eventIDs(f))
		}
	})
}

// flagCompletions are the completions of the flags of a command named
// name, in the logs family or the sessions one.
func flagCompletions(f *Factory, name string, sessions bool) map[string]completeFunc {
	if sessions {
		return map[string]completeFunc{
			"status":   fixed("active", "completed", "terminated", "stale"),
			"category": fixed(string(session.CategoryServer), string(session.CategoryDatabase), string(session.CategoryWebsite)),
			"since":    fixed(relativeTimes...),
			"until":    fixed(relativeTimes...),
		}
	}
	m := map[string]completeFunc{
		"status":   fixed(string(audit.StatusSuccess), string(audit.StatusFailure), string(audit.StatusWarning), string(audit.StatusInProgress)),
		"by":       fixed(audit.CountFieldNames()...),
		"sort":     list(sortNames()),
		"interval": fixed("15m", "1h", "6h", "1d", "1w"),
		"since":    fixed(relativeTimes...),
		"until":    fixed(relativeTimes...),
		"region":   fixed("us", "eu", "in"),
		"remote":   fixed("jumpcloud"),
	}
	for _, ff := range filterFlags {
		if ff.field != audit.FieldStatus && ff.field != audit.FieldIP && ff.field != audit.FieldWorkflow {
			m[ff.name] = list(storedValues(f, ff.field))
		}
	}
	m["user"] = m["actor"]
	switch name {
	case "export":
		m["format"] = fixed(string(output.FormatCSV), string(output.FormatJSON), string(output.FormatNDJSON))
	case "import":
		m["format"] = fixed("auto", "ndjson", "json", "csv", "jumpcloud", "cloudtrail")
	}
	return m
}

var relativeTimes = []string{"1h", "24h", "7d", "30d", "90d"}

// registerTableCompletions completes a --columns list (a,b,c) from
// columns, and --tz from UTC, local and the zones people use most.
func registerTableCompletions(cmd *cobra.Command, columns []string) {
	register(cmd, "columns", list(func(context.Context, string) []string { return columns }))
	register(cmd, "tz", fixed("UTC", "local", "America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"))
}

func register(c *cobra.Command, flag string, fn completeFunc) {
	// an error only says it is registered already: the first one stays
	_ = c.RegisterFlagCompletionFunc(flag, fn)
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

func formatNames() []string {
	var out []string
	for _, f := range output.Formats {
		out = append(out, string(f))
	}
	return out
}

func sortNames() func(context.Context, string) []string {
	return func(context.Context, string) []string {
		var out []string
		for _, n := range audit.SortFieldNames() {
			out = append(out, n, "-"+n)
		}
		return out
	}
}

// fixed completes from a fixed list.
func fixed(values ...string) completeFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return withPrefix(values, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// list completes the last item of a comma-separated list (or a single
// value) from what values offers for its prefix.
func list(values func(ctx context.Context, prefix string) []string) completeFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done, last = toComplete[:i+1], toComplete[i+1:]
		}
		ctx, cancel := context.WithTimeout(commandContext(cmd), completeTimeout)
		defer cancel()
		var out []string
		for _, v := range withPrefix(values(ctx, last), last) {
			if strings.Contains(v, ",") && done == "" && last == "" {
				continue // a value with a comma would read as two
			}
			out = append(out, done+v)
		}
		directive := cobra.ShellCompDirectiveNoFileComp
		if done != "" {
			directive |= cobra.ShellCompDirectiveNoSpace
		}
		return out, directive
	}
}

func commandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// withPrefix keeps the values that start with prefix (any case).
func withPrefix(values []string, prefix string) []string {
	var out []string
	p := strings.ToLower(prefix)
	for _, v := range values {
		if strings.HasPrefix(strings.ToLower(v), p) {
			out = append(out, v)
		}
	}
	return out
}

// storedValues offers the distinct values of field in the store that
// start with the prefix, the most frequent first.
func storedValues(f *Factory, field audit.Field) func(context.Context, string) []string {
	return func(ctx context.Context, prefix string) []string {
		db, err := f.Store(ctx)
		if err != nil {
			return nil
		}
		var fl audit.Filter
		if prefix != "" && !strings.ContainsAny(prefix, "*?") {
			fl.Add(field, prefix+"*")
		}
		buckets, err := db.CountBy(ctx, fl, field, completeLimit)
		if err != nil {
			return nil
		}
		var out []string
		for _, b := range buckets {
			if b.Key != "" && completable(b.Key) {
				out = append(out, b.Key)
			}
		}
		return out
	}
}

// completable says whether a stored value can be offered to a shell as
// it is: no control characters (which would break the completion
// protocol or reach the terminal) and nothing sanitize would change.
func completable(v string) bool { return sanitize.String(v) == v && !strings.ContainsAny(v, "\t\n") }

// firstArg completes the first positional argument with fn, and nothing
// after it.
func firstArg(fn completeFunc) completeFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return fn(cmd, args, toComplete)
	}
}

// eventIDs offers the ids of the newest events that start with what was
// typed, each described by its time, action and actor.
func eventIDs(f *Factory) completeFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		ctx, cancel := context.WithTimeout(commandContext(cmd), completeTimeout)
		defer cancel()
		db, err := f.Store(ctx)
		if err != nil || strings.ContainsAny(toComplete, "*?") {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var fl audit.Filter
		if toComplete != "" {
			fl.Add(audit.FieldID, toComplete+"*")
		}
		evs, _, err := db.FindEvents(ctx, fl, audit.Page{Limit: completeLimit, NoTotal: true})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, e := range evs {
			if completable(e.ID) && strings.HasPrefix(e.ID, toComplete) {
				out = append(out, e.ID+"\t"+describe(e.Time.UTC().Format("2006-01-02 15:04"), e.Action, e.Actor))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// sessionIDs offers the ids of the newest sessions that start with what
// was typed; files too where a FILE is accepted.
func sessionIDs(f *Factory, files bool) completeFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		directive := cobra.ShellCompDirectiveNoFileComp
		if files {
			directive = cobra.ShellCompDirectiveDefault
		}
		ctx, cancel := context.WithTimeout(commandContext(cmd), completeTimeout)
		defer cancel()
		db, err := f.Store(ctx)
		if err != nil || strings.ContainsAny(toComplete, "*?/") {
			return nil, directive
		}
		var fl session.Filter
		if toComplete != "" {
			fl.SessionID = []string{toComplete + "*"}
		}
		ss, _, err := db.FindSessions(ctx, fl, session.Page{Limit: completeLimit})
		if err != nil {
			return nil, directive
		}
		var out []string
		for _, s := range ss {
			if completable(s.ID) && strings.HasPrefix(s.ID, toComplete) {
				out = append(out, s.ID+"\t"+describe(s.Start.UTC().Format("2006-01-02 15:04"), string(s.Category), s.UserName, s.ResourceName))
			}
		}
		return out, directive
	}
}

// describe joins the non-empty parts of a completion's description,
// sanitized and on one line.
func describe(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p = strings.Join(strings.Fields(sanitize.String(p)), " "); p != "" {
			keep = append(keep, p)
		}
	}
	return fmt.Sprint(strings.Join(keep, " "))
}
