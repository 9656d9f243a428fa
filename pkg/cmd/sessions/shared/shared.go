// Package shared holds what the `sessions` commands have in common: the
// flags that say how to read a recording, opening it with errors mapped to
// exit codes, and how recording times are printed.
package shared

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmdutil"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/recorder"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/sanitize"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/store"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

// RecordingFlags are the flags every command that reads a recording takes,
// and how its FILE argument is resolved: a file, or else the ID of a
// session in the cache whose recording is read.
type RecordingFlags struct {
	Width, Height int
	LogOut        string
	LogIn         string
	LogIO         string
	// SkipInvalid: a damaged recording is used as far as it is readable
	// (bad lines skipped) without failing; see CheckDamage.
	SkipInvalid bool
	// MaxEventSize is --max-event-size as given ("" for the default).
	MaxEventSize string
	// AllowModified is --allow-modified: a session's recording changed
	// after it was registered is read anyway (see CheckRecording), and
	// Modified then says so.
	AllowModified bool
	Modified      string

	factory *cmdutil.Factory
}

// Bind lets FILE arguments name sessions of f's cache.
func (r *RecordingFlags) Bind(f *cmdutil.Factory) { r.factory = f }

// Resolve returns the recording file arg names. arg is a path when it
// holds a slash (./x, /tmp/x); otherwise it is the ID (or unique ID prefix)
// of a session in the cache when one matches, and a file only when no
// session does: a file in the working directory named like a session ID
// never shadows the session (write ./NAME for the file). --debug says
// which it took.
//
// A session's recording is checked against the SHA-256 its row stored when
// it was registered (see CheckRecording).
func (r *RecordingFlags) Resolve(ctx context.Context, arg string) (string, error) {
	if r.factory == nil {
		return arg, nil
	}
	if strings.ContainsAny(arg, `/\`) {
		r.debug("%s: a path (it holds a slash)", arg)
		return arg, nil
	}
	_, statErr := os.Stat(arg)
	isFile := statErr == nil
	s, err := r.lookup(ctx, arg)
	switch {
	case s != nil:
		if isFile {
			r.debug("%s: session %s (a file of that name is in the working directory: ./%s reads it)", arg, s.ID, arg)
		} else {
			r.debug("%s: session %s", arg, s.ID)
		}
	case isFile:
		r.debug("%s: a file (no session matches: %v)", arg, err)
		return arg, nil
	default:
		return "", err
	}
	if !s.HasRecording || s.RecordingPath == "" {
		return "", audit.Errorf(audit.ENOTFOUND, "session %s has no recording", s.ID)
	}
	if err := r.CheckRecording(s); err != nil {
		return "", err
	}
	return s.RecordingPath, nil
}

// FindSession returns session id (or unique id prefix) of the cache: not
// found (exit 3) when there is no cache or no such session, ambiguous
// (exit 2) when several ids start with it.
func (r *RecordingFlags) FindSession(ctx context.Context, id string) (*session.Session, error) {
	return r.lookup(ctx, id)
}

// lookup finds session id in the cache; the error says why there is none.
func (r *RecordingFlags) lookup(ctx context.Context, id string) (*session.Session, error) {
	dbPath, err := r.factory.ResolveDBPath()
	if err != nil {
		return nil, err
	}
	if !store.IsURL(dbPath) {
		if _, err := os.Stat(dbPath); err != nil {
			return nil, audit.Errorf(audit.ENOTFOUND, "%s: no such file, and no cache at %s to look up a session ID in", id, dbPath)
		}
	}
	db, err := r.factory.Store(ctx)
	if err != nil {
		return nil, err
	}
	s, err := db.FindSession(ctx, id)
	if err != nil {
		if audit.ErrorCode(err) == audit.ENOTFOUND {
			return nil, audit.Errorf(audit.ENOTFOUND, "%s: no such file or session", id)
		}
		return nil, err
	}
	return s, nil
}

// CheckRecording compares the recording of session s with the SHA-256
// stored in its row when it was registered (a session still being recorded
// has none yet). A recording changed since is refused (exit 3, both hashes
// named) unless --allow-modified: then a warning goes to stderr and into
// Modified (the player keeps it in its status line).
func (r *RecordingFlags) CheckRecording(s *session.Session) error {
	if s.RecordingSHA256 == "" || s.RecordingPath == "" {
		return nil
	}
	// Hashed once per contents: a large recording played again by id
	// costs nothing more (recording.VerifySHA256).
	sum, err := recording.CheckRegistered(s.ID, s.RecordingPath, s.RecordingSHA256)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, recording.ErrModified):
		return OpenError(s.RecordingPath, err)
	case !r.AllowModified:
		return audit.Errorf(audit.EINVALID, "%v (--allow-modified shows it anyway)", err)
	}
	r.Modified = "MODIFIED after registration: SHA-256 " + sum[:12] + "…, registered " + s.RecordingSHA256[:min(12, len(s.RecordingSHA256))] + "…"
	if r.factory != nil {
		r.Notice(r.factory.IOStreams, "warning: %v", err)
	}
	return nil
}

// debug writes a line to stderr with --debug.
func (r *RecordingFlags) debug(format string, args ...any) {
	if r.factory != nil && r.factory.Debug {
		fmt.Fprintln(r.factory.IOStreams.ErrOut, "debug: "+sanitize.String(fmt.Sprintf(format, args...)))
	}
}

// Session returns the row of session id (or unique id prefix) in the cache, refreshed first
// (a session whose recorder has died since is closed, as 'sessions show'
// does); nil when there is no cache or no such session. It never creates
// a cache.
func (r *RecordingFlags) Session(ctx context.Context, id string) *session.Session {
	if r.factory == nil || id == "" {
		return nil
	}
	dbPath, err := r.factory.ResolveDBPath()
	if err != nil {
		return nil
	}
	if !store.IsURL(dbPath) {
		if _, err := os.Stat(dbPath); err != nil {
			return nil
		}
	}
	db, err := r.factory.Store(ctx)
	if err != nil {
		return nil
	}
	MarkStale(ctx, db) // best effort: the row is shown as it is otherwise
	s, err := db.FindSession(ctx, id)
	if err != nil {
		return nil
	}
	return s
}

// MarkStale marks stale the cache's sessions whose recorder died
// (recorder.MarkStale, never waiting for an import). Over a PostgreSQL
// store it does nothing: whether a recorder still runs is known only on
// the machine it runs on (its lock file), and a team store's readers may
// not change rows (docs/postgres.md, "Sessions").
func MarkStale(ctx context.Context, st session.Store) error {
	db, ok := st.(*sqlite.DB)
	if !ok {
		return nil
	}
	_, err := recorder.MarkStale(ctx, db.NoWait())
	return err
}

// AddJQ registers --jq, as every sessions command with JSON output has it.
func AddJQ(fs *pflag.FlagSet, expr *string) {
	fs.StringVar(expr, "jq", "", "filter the JSON output with a jq expression (whatever -o says)")
}

// WriteJQ writes v (what -o json would write) through the jq expression.
func WriteJQ(ios *cmdutil.IOStreams, expr string, v any) error {
	in, err := output.JQInput(v)
	if err != nil {
		return err
	}
	return output.WriteJQ(ios.Out, expr, in, ios.IsStdoutTTY())
}

// Add registers the flags on fs.
func (r *RecordingFlags) Add(fs *pflag.FlagSet) {
	fs.StringVar(&r.LogOut, "log-out", "", "for a script timing FILE: the typescript or --log-out file holding the output")
	fs.StringVar(&r.LogIn, "log-in", "", "for a script timing FILE: the --log-in file holding the input")
	fs.StringVar(&r.LogIO, "log-io", "", "for a script timing FILE: the --log-io file holding output and input")
	fs.IntVar(&r.Width, "cols", 0, "terminal width for recordings that do not record it (ttyrec, script); default 80")
	fs.IntVar(&r.Height, "rows", 0, "terminal height for recordings that do not record it; default 24")
	fs.BoolVar(&r.SkipInvalid, "skip-invalid", false, "use a damaged recording as far as it is readable (bad lines skipped) and exit 0; the damage is still reported on stderr")
	fs.BoolVar(&r.AllowModified, "allow-modified", false, "read a session's recording even when it changed after it was registered (its SHA-256 differs); a warning says so")
	fs.StringVar(&r.MaxEventSize, "max-event-size", "1MiB", "largest recording event (line, frame, chunk) accepted; a larger one stops reading (512KiB, 4MiB; at most 64MiB)")
}

// MaxDimension is the largest --cols and --rows accepted (the emulator's
// limit).
const MaxDimension = 10000

// Options turns the flags into recording.Options.
func (r *RecordingFlags) Options() (recording.Options, error) {
	opt := recording.Options{Width: r.Width, Height: r.Height, ScriptLog: r.LogOut, ScriptIn: r.LogIn}
	for _, d := range []struct {
		flag string
		v    int
	}{{"--cols", r.Width}, {"--rows", r.Height}} {
		switch {
		case d.v > MaxDimension:
			return opt, audit.Errorf(audit.EUSAGE, "%s %d is too large: the most is %d", d.flag, d.v, MaxDimension)
		case d.v < 0:
			return opt, audit.Errorf(audit.EUSAGE, "%s %d: must be between 1 and %d", d.flag, d.v, MaxDimension)
		}
	}
	if r.LogIO != "" {
		if r.LogOut != "" || r.LogIn != "" {
			return opt, audit.Errorf(audit.EUSAGE, "--log-io cannot be combined with --log-out or --log-in")
		}
		opt.ScriptLog, opt.ScriptIn = r.LogIO, r.LogIO
	}
	if r.MaxEventSize != "" {
		lim, err := importer.ParseOptions(r.MaxEventSize)
		if err != nil {
			return opt, err
		}
		opt.MaxEventSize = lim.MaxEventSize
	}
	return opt, nil
}

// Open opens the recording FILE names (see Resolve) with the flags'
// options.
func (r *RecordingFlags) Open(arg string) (*recording.Reader, error) {
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	path, err := r.Resolve(context.Background(), arg)
	if err != nil {
		return nil, err
	}
	rd, err := recording.Open(path, opt)
	if err != nil {
		return nil, OpenError(path, err)
	}
	return rd, nil
}

// OpenError maps an error opening a recording to an exit code: a missing
// file is "not found", an unreadable one an input error.
func OpenError(path string, err error) error {
	var ae *audit.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return audit.Errorf(audit.ENOTFOUND, "%s: no such file", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return audit.Errorf(audit.EINVALID, "%s: %v", path, pe.Err)
	}
	return audit.Errorf(audit.EINVALID, "%s: %v", path, err)
}

// maxListedFlaws bounds the bad lines CheckDamage lists on stderr.
const maxListedFlaws = 10

// CheckDamage says on stderr what of the recording file could not be read
// (every bad line skipped, with its file:line, up to ten, and where reading
// broke off) and returns an error (exit 3) unless --skip-invalid was
// given. Nothing is said for an intact recording. A recording is
// evidence: a gap in it is never silent, and a script sees it in the exit
// code unless it asked to go on.
func (r *RecordingFlags) CheckDamage(ios *cmdutil.IOStreams, file string, d recording.Damage) error {
	if !d.Damaged() {
		return nil
	}
	r.ReportDamage(ios, d.All(), d.Unlisted())
	if r.SkipInvalid {
		return nil
	}
	return DamageError(file, d)
}

// Notice writes a line to stderr unless --quiet.
func (r *RecordingFlags) Notice(ios *cmdutil.IOStreams, format string, args ...any) {
	if r.factory != nil && r.factory.Quiet {
		return
	}
	fmt.Fprintln(ios.ErrOut, sanitize.String(fmt.Sprintf(format, args...)))
}

// ReportDamage lists flaws on stderr (up to ten, then how many more:
// unlisted counts bad lines beyond the list, as Damage.Unlisted), unless
// --quiet. 'sessions info -o json' lists up to 1000.
func (r *RecordingFlags) ReportDamage(ios *cmdutil.IOStreams, flaws []recording.Flaw, unlisted int64) {
	if r.factory != nil && r.factory.Quiet {
		return
	}
	for i, f := range flaws {
		if i == maxListedFlaws {
			unlisted += int64(len(flaws) - i)
			break
		}
		fmt.Fprintf(ios.ErrOut, "warning: %s\n", sanitize.String(f.Err))
	}
	if unlisted > 0 {
		fmt.Fprintf(ios.ErrOut, "warning: ... and %d more bad lines ('sessions info FILE -o json' lists them)\n", unlisted)
	}
}

// DamageError is the exit-3 error for a damaged recording: the first flaw
// (file:line) and what it means.
func DamageError(file string, d recording.Damage) error {
	all := d.All()
	if len(all) == 0 {
		return nil
	}
	msg := fmt.Sprintf("damaged recording: %s", all[0].Err)
	if n := d.Skipped + int64(len(all)) - int64(len(d.Flaws)) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	if d.Break != nil {
		msg += fmt.Sprintf("; readable up to %s", FormatOffset(d.Readable))
	} else {
		msg += "; the bad lines were skipped"
	}
	return audit.Errorf(audit.EINVALID, "%s (--skip-invalid: use what is readable and exit 0)", msg)
}

// FormatOffset prints a time from the start of a recording as
// HH:MM:SS.mmm (hours grow beyond two digits if needed).
func FormatOffset(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// Seconds is a time from the start of a recording in seconds, as JSON
// output gives it (microsecond precision, like asciicast).
func Seconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1e6
}

// At returns the wall-clock time of offset d when the recording has a start
// timestamp, else nil (so JSON omits it).
func At(hdr recording.Header, d time.Duration) *time.Time {
	if hdr.Timestamp.IsZero() {
		return nil
	}
	t := hdr.Timestamp.Add(d).UTC()
	return &t
}

// Moment is a point of a recording given on the command line: the end, a
// fraction of the duration, or a time from the start.
type Moment struct {
	End      bool
	Fraction float64 // 0..1, when Percent
	Percent  bool
	Offset   time.Duration
}

// ParseMoment reads --at: "end", "start", "50%", "1m30s", "90s", "90",
// "12.5", "1:30" or "01:02:03.5".
func ParseMoment(s string) (Moment, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	bad := func() (Moment, error) {
		return Moment{}, audit.Errorf(audit.EUSAGE, "invalid --at %q: want end, start, a percentage (50%%), a duration (1m30s, 90s) or a time (1:30, 01:02:03.5)", s)
	}
	switch s {
	case "", "end":
		return Moment{End: true}, nil
	case "start":
		return Moment{}, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f < 0 || f > 100 || math.IsNaN(f) {
			return bad()
		}
		return Moment{Percent: true, Fraction: f / 100}, nil
	}
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		if len(parts) > 3 {
			return bad()
		}
		var total float64
		for i, p := range parts {
			v, err := strconv.ParseFloat(p, 64)
			if err != nil || v < 0 || (i > 0 && v >= 60) || strings.ContainsAny(p, "e+-") || (i < len(parts)-1 && strings.Contains(p, ".")) {
				return bad()
			}
			total = total*60 + v
		}
		return Moment{Offset: seconds(total)}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f > 1e9 {
			return bad()
		}
		return Moment{Offset: seconds(f)}, nil
	}
	d, err := audit.ParseDurationArg(s)
	if err != nil {
		return bad()
	}
	return Moment{Offset: d}, nil
}

func seconds(f float64) time.Duration {
	return time.Duration(math.Round(f*1e6)) * time.Microsecond
}

// String is m as --at takes it.
func (m Moment) String() string {
	switch {
	case m.End:
		return "end"
	case m.Percent:
		return strconv.FormatFloat(m.Fraction*100, 'f', -1, 64) + "%"
	}
	return FormatOffset(m.Offset)
}

// ResolveIn turns m into a time of a recording with damage d (see
// recording.Damage): percentages and "end" are of d.Duration. The moment
// cannot be shown (an EINVALID error, exit 3) when it lies past a break in
// the recording, including "end" and percentages of a recording whose end
// was never read.
func (m Moment) ResolveIn(d recording.Damage) (time.Duration, error) {
	if d.Break != nil {
		unknownEnd := d.Duration <= d.Readable && (m.End || m.Percent)
		t := m.Offset
		if m.End || m.Percent {
			t, _ = m.Resolve(d.Duration)
		}
		if unknownEnd || d.Beyond(t) {
			what := "lies past"
			if unknownEnd {
				what = "is relative to the end, which lies past"
			}
			return d.Readable, audit.Errorf(audit.EINVALID, "--at %s %s the damage: %s; the readable part ends at %s (the screen shown is the last readable one)",
				m, what, d.Break.Err, FormatOffset(d.Readable))
		}
	}
	return m.Resolve(d.Duration)
}

// Resolve turns m into a time for a recording of the given duration. A
// time past the end is an error: a script asking for minute 90 of a
// one-hour session must not silently get the last screen.
func (m Moment) Resolve(duration time.Duration) (time.Duration, error) {
	switch {
	case m.End:
		return duration, nil
	case m.Percent:
		return time.Duration(math.Round(float64(duration) * m.Fraction)), nil
	case m.Offset > duration:
		return 0, audit.Errorf(audit.EUSAGE, "--at %s is past the end of the recording (%s)", FormatOffset(m.Offset), FormatOffset(duration))
	}
	return m.Offset, nil
}

// AddMetadataFlags registers the flags that describe a session (who, what
// resource, from where) into m; --category is left to the caller, whose
// default differs.
func AddMetadataFlags(fs *pflag.FlagSet, m *session.Session) {
	fs.StringVar(&m.UserName, "user", "", "user name")
	fs.StringVar(&m.UserEmail, "email", "", "user email")
	fs.StringVar(&m.Role, "role", "", "role used")
	fs.StringVar(&m.Account, "account", "", "account or credential used on the resource")
	fs.StringVar(&m.ResourceName, "resource", "", "resource name")
	fs.StringVar(&m.ResourceID, "resource-id", "", "resource id")
	fs.StringVar(&m.Connector, "connector", "", "connector that brokered the session")
	fs.StringVar(&m.ServerName, "server-name", "", "server name")
	fs.StringVar(&m.ServerOS, "server-os", "", "server operating system (linux, windows...)")
	fs.StringVar(&m.Host, "host", "", "server host")
	fs.IntVar(&m.Port, "port", 0, "server port")
	fs.StringVar(&m.Protocol, "protocol", "", "protocol (ssh, postgres, https...)")
	fs.StringVar(&m.ClientIP, "client-ip", "", "client IP address")
	fs.StringVar(&m.ClientName, "client-name", "", "client name")
	fs.StringVar(&m.ConnectedFrom, "connected-from", "", "web or proxy")
}
