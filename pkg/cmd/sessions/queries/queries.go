// Package queries implements `auditctl sessions queries`.
package queries

import (
	"strconv"
	"strings"
	"time"

	"github.com/MakeNowJust/heredoc"
	"github.com/spf13/cobra"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/sessions/shared"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/recording"
)

// Options are the flags and dependencies of `sessions queries`.
type Options struct {
	IO     *cmdutil.IOStreams
	File   string
	Output string
	Status string
	JQ     string
	Table  cmdutil.TableFlags
	Rec    shared.RecordingFlags
}

// NewCmdQueries builds the command.
func NewCmdQueries(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "queries FILE",
		Short: "List the database queries of a recorded session",
		Long: heredoc.Doc(`
			List the query history of a database session: every "q" event of the
			recording with its time, the statement, the message the client
			printed (INSERT 0 1, ERROR: ...), how long it ran and how many rows
			it returned or changed.

			STATUS is derived from the message: "blocked" for a statement a
			deny rule refused (message "blocked by rule ..."), "error" when the
			message starts with ERROR or FATAL, else "ok".

			A malformed query event, like any bad line of a damaged recording,
			is named on stderr (file:line) and makes the exit code 3: a
			recording is evidence, and a skipped event must not be a silent
			gap. --skip-invalid lists the rest and exits 0.

			json, ndjson and csv are written row by row as the recording is read,
			so a recording of any length lists in constant memory; the table,
			yaml and --jq hold at most 64 MiB of rows (a note on stderr says when
			rows were left out).
		`),
		Example: heredoc.Doc(`
			auditctl sessions queries db-session.rec
			auditctl sessions queries db-session.rec --status error,blocked
			auditctl sessions queries db-session.rec -o csv > queries.csv
			auditctl sessions queries db-session.rec --jq '.[] | select(.status == "error") | .query'
		`),
		Args: cmdutil.ExactArgs(1, "a recording FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.Output = f.Output
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Status, "status", "", "only queries with these statuses: ok, error, blocked (comma-separated)")
	cmdutil.AddTableFlags(cmd, &opts.Table, columns)
	opts.Rec.Add(cmd.Flags())
	opts.Rec.Bind(f)
	shared.AddJQ(cmd.Flags(), &opts.JQ)
	return cmd
}

// Query is one row of the listing.
type Query struct {
	Time       float64    `json:"time"` // seconds from the start
	At         *time.Time `json:"at,omitempty"`
	Status     string     `json:"status"`
	Query      string     `json:"query"`
	Message    string     `json:"message"`
	DurationMS float64    `json:"duration_ms"`
	Rows       *int64     `json:"rows"`
	Line       int        `json:"line,omitempty"`
	offset     time.Duration
}

// Status derives ok, error or blocked from a query's message.
func Status(message string) string { return recording.QueryStatus(message) }

func run(opts *Options) error {
	format, err := output.ResolveFormat(opts.Output, opts.IO.IsStdoutTTY())
	if err != nil {
		return err
	}
	want := map[string]bool{}
	if opts.Status != "" {
		for _, s := range strings.Split(opts.Status, ",") {
			s = strings.ToLower(strings.TrimSpace(s))
			if s != "ok" && s != "error" && s != "blocked" {
				return audit.Errorf(audit.EUSAGE, "--status: unknown status %q (want ok, error or blocked)", s)
			}
			want[s] = true
		}
	}
	rd, err := opts.Rec.Open(opts.File)
	if err != nil {
		return err
	}
	defer rd.Close()
	hdr := rd.Header()
	oo, err := opts.Table.Options(opts.IO)
	if err != nil {
		return err
	}
	list, err := opts.Rec.NewListing(opts.IO, format, opts.JQ, records, oo)
	if err != nil {
		return err
	}
	// A malformed query event is damage like a bad line (EachQuery notes
	// it in the reader's Damage).
	err = rd.EachQuery(func(q recording.QueryEvent) error {
		row := Query{
			Time: shared.Seconds(q.Time), At: shared.At(hdr, q.Time), Status: q.Status,
			Query: q.Query.Query, Message: q.Message, DurationMS: q.DurationMS, Rows: q.Rows,
			Line: q.Line, offset: q.Time,
		}
		if len(want) == 0 || want[row.Status] {
			return list.Write(row.cells(false), row.cells(true), row)
		}
		return nil
	})
	// What was read is listed (a JSON array is closed) whatever stopped it.
	if cerr := list.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	d := rd.Damage()
	return opts.Rec.CheckDamage(opts.IO, opts.File, d)
}

// cells are the row's cells: CSV's machine values, or the table's.
func (r Query) cells(table bool) []string {
	n := ""
	if r.Rows != nil {
		n = strconv.FormatInt(*r.Rows, 10)
	}
	d := strconv.FormatFloat(r.DurationMS, 'f', -1, 64)
	if table {
		d = output.FormatMS(r.DurationMS)
	}
	return []string{shared.FormatOffset(r.offset), r.Status, d, n, r.Message, oneLine(r.Query)}
}

// records describes the listing's columns.
var records = output.Records{
	Columns: columns,
	Table: []output.Column{
		{Kind: output.KindFixed},                                               // time
		{Kind: output.KindFixed, Priority: 2},                                  // status
		{Kind: output.KindFixed, Header: "DURATION", Right: true, Priority: 4}, // duration_ms
		{Kind: output.KindFixed, Right: true, Priority: 5},                     // rows
		{Kind: output.KindText, Priority: 3},                                   // message
		{Kind: output.KindText, Min: 40, Priority: 1},                          // query
	},
}

// columns are the columns of the listing (CSV header, table columns).
var columns = []string{"time", "status", "duration_ms", "rows", "message", "query"}

// oneLine folds a multi-line statement onto one table line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
