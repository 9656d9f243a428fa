package report

import (
	"io"

	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/spf13/pflag"
)

// Delivery says where a finished report goes: what `auditctl check` and
// `auditctl hunt` share after their evaluation.
type Delivery struct {
	// JUnit and SARIF are report files to write ("" for none), each
	// atomically: a failed run leaves no half file.
	JUnit, SARIF string
	// Out receives the table (JSON when JSON is set); Options lay it out.
	Out     io.Writer
	JSON    bool
	Options output.Options
	// Annotations, when set, receives GitHub Actions annotations.
	Annotations io.Writer
}

// Deliver writes the finished report r as d says, and returns the run's
// exit decision (Report.Err): ErrViolations (exit 1), an audit.EINVALID
// error (exit 3), nil. An unwritable report file is audit.ELOCAL (exit 5).
func (d Delivery) Deliver(r *Report) error {
	if err := d.WriteFiles(r); err != nil {
		return err
	}
	var err error
	if d.JSON {
		err = WriteJSON(d.Out, r)
	} else {
		err = WriteTable(d.Out, r, d.Options)
	}
	if err != nil {
		return err
	}
	if d.Annotations != nil {
		if err := WriteGitHub(d.Annotations, r); err != nil {
			return err
		}
	}
	return r.Err()
}

// WriteFiles writes the report files d names (JUnit, SARIF), each
// atomically: a failed run leaves no half file. An unwritable one is
// audit.ELOCAL (exit 5).
func (d Delivery) WriteFiles(r *Report) error {
	for _, f := range []struct {
		path  string
		write func(io.Writer, *Report) error
	}{{d.JUnit, WriteJUnit}, {d.SARIF, WriteSARIF}} {
		if f.path == "" {
			continue
		}
		if err := atomicfile.Write(f.path, 0o644, func(w io.Writer) error { return f.write(w, r) }); err != nil {
			return audit.Errorf(audit.ELOCAL, "%v", err)
		}
	}
	return nil
}

// TableColumns are the columns of WriteTable's table, for --columns.
var TableColumns = []string{"status", "rule", "severity", "violations", "offending"}

// ResolveFormat reads a command's -o for a report: table (the default on
// a terminal) or json (else); any other format is a usage error naming
// the command.
func ResolveFormat(o string, isTTY bool, command string) (output.Format, error) {
	format, err := output.ResolveFormat(o, isTTY)
	if err != nil {
		return "", err
	}
	if format != output.FormatTable && format != output.FormatJSON {
		return "", audit.Errorf(audit.EUSAGE, "%s writes a table or json (-o table|json), not %s; --junit and --sarif write the reports for CI", command, format)
	}
	return format, nil
}

// AddGateFlags adds the flags every rule-reporting command shares: the
// severity that fails the run and the report files for CI.
func AddGateFlags(fl *pflag.FlagSet, severity, junit, sarif *string) {
	fl.StringVar(severity, "severity", "info", "fail (exit 1) only on rules of this level or above: info, low, medium, high, critical")
	AddFileFlags(fl, junit, sarif)
}

// AddFileFlags adds the report files for CI (--junit, --sarif).
func AddFileFlags(fl *pflag.FlagSet, junit, sarif *string) {
	fl.StringVar(junit, "junit", "", "also write a JUnit XML report to this file (one test case per rule)")
	fl.StringVar(sarif, "sarif", "", "also write a SARIF 2.1.0 report to this file (GitHub code scanning)")
}

// SeverityFlag parses --severity: a usage error naming the flag.
func SeverityFlag(s string) (Severity, error) {
	sev, err := ParseSeverity(s)
	if err != nil {
		return 0, audit.Errorf(audit.EUSAGE, "--severity: %v", err)
	}
	return sev, nil
}
