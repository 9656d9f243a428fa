package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// The JUnit XML layout read by Jenkins, GitLab, GitHub test reporters and
// others (Jenkins' junit-10.xsd, which allows several failures per test
// case): <testsuites><testsuite><testcase> with <failure>, <error>,
// <skipped> and <system-out>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	Time      string         `xml:"time,attr"`
	File      string         `xml:"file,attr,omitempty"`
	Line      int            `xml:"line,attr,omitempty"`
	Skipped   *junitMessage  `xml:"skipped,omitempty"`
	Errors    []junitMessage `xml:"error,omitempty"`
	Failures  []junitMessage `xml:"failure,omitempty"`
	SystemOut string         `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes r as JUnit XML: one test suite, one test case per rule
// (named "ID: title", class name the rule's file), each violation of a
// failing rule a <failure> whose text lists its events; a rule that could
// not be evaluated an <error>, a skipped one <skipped>; violations of a
// rule below the severity threshold go to <system-out> (the test passes,
// as the run does). Untrusted text is sanitized (no control characters,
// which XML 1.0 cannot carry anyway).
func WriteJUnit(w io.Writer, r *Report) error {
	suite := junitSuite{Name: r.Tool, Time: "0"}
	if !r.Until.IsZero() {
		suite.Timestamp = r.Until.UTC().Format("2006-01-02T15:04:05")
	}
	suite.Properties = append(suite.Properties, junitProperty{"threshold", r.Threshold.String()})
	if !r.Since.IsZero() {
		suite.Properties = append(suite.Properties, junitProperty{"since", audit.FormatTime(r.Since)})
	}
	if !r.Until.IsZero() {
		suite.Properties = append(suite.Properties, junitProperty{"until", audit.FormatTime(r.Until)})
	}
	for _, res := range r.Rules {
		c := junitCase{Name: clean(res.ID), Classname: clean(res.File), Time: "0", File: clean(res.File), Line: res.Line}
		if res.Title != "" {
			c.Name += ": " + clean(res.Title)
		}
		if c.Classname == "" {
			c.Classname = clean(r.Tool)
		}
		suite.Tests++
		switch res.Status {
		case StatusError:
			c.Errors = append(c.Errors, junitMessage{Message: clean(res.Error), Type: "error"})
			suite.Errors++
		case StatusSkip:
			c.Skipped = &junitMessage{Message: clean(res.Skipped)}
			suite.Skipped++
		case StatusFail:
			for _, v := range res.Violations {
				c.Failures = append(c.Failures, junitMessage{Message: clean(v.Message), Type: res.Severity.String(), Text: violationText(v)})
			}
			suite.Failures++
		case StatusWarn:
			var b strings.Builder
			fmt.Fprintf(&b, "%d violations below the severity threshold %s:\n", len(res.Violations), r.Threshold)
			for _, v := range res.Violations {
				b.WriteString(clean(v.Message) + "\n" + violationText(v))
			}
			c.SystemOut = b.String()
		}
		if len(res.Notes) > 0 {
			for _, n := range res.Notes {
				c.SystemOut += "note: " + clean(n) + "\n"
			}
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Name: r.Tool, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Skipped: suite.Skipped, Time: "0", Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// violationText lists a violation's group, span and events, one a line.
func violationText(v Violation) string {
	var b strings.Builder
	if v.Group != "" {
		fmt.Fprintf(&b, "group: %s\n", clean(v.Group))
	}
	if !v.First.IsZero() {
		fmt.Fprintf(&b, "span: %s .. %s\n", audit.FormatTime(v.First), audit.FormatTime(v.Last))
	}
	fmt.Fprintf(&b, "events: %d\n", v.Count)
	lines := ItemSummaries(v, output.Options{})
	for _, l := range lines {
		b.WriteString("  " + clean(l) + "\n")
	}
	if n := v.Count - int64(len(lines)); n > 0 {
		fmt.Fprintf(&b, "  … %d more\n", n)
	}
	return b.String()
}

// clean makes untrusted text one safe line.
func clean(s string) string { return sanitize.String(s) }
