package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// GitHubActions reports whether annotations should be written: the
// GITHUB_ACTIONS variable is "true", as on every GitHub Actions runner.
func GitHubActions(getenv func(string) string) bool { return getenv("GITHUB_ACTIONS") == "true" }

// MaxAnnotations is how many violation annotations WriteGitHub writes at
// most (GitHub shows only the first few of a step anyway); a last notice
// says how many were left out.
const MaxAnnotations = 50

// WriteGitHub writes GitHub Actions workflow commands that annotate the
// run: `::error` for each violation of a failing rule and for each rule
// that could not be evaluated, `::warning` for violations below the
// threshold, at the rule's file and line, titled with the rule.
//
// Log text is untrusted and must never become a workflow command of its
// own: every value is sanitized (no control characters: a line break can
// not start a new command), escaped by GitHub's rules (% CR LF in the
// message; also : and , in properties) and "##[" (the legacy command
// prefix the runner finds anywhere in a line) is broken up. Each
// annotation is therefore exactly one line, which starts with "::".
func WriteGitHub(w io.Writer, r *Report) error {
	n, left := 0, 0
	emit := func(cmd string, res Result, msg string) error {
		if n == MaxAnnotations {
			left++
			return nil
		}
		n++
		props := []string{}
		if res.File != "" {
			props = append(props, "file="+ghProperty(res.File))
			if res.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", res.Line))
			}
		}
		title := res.ID
		if res.Title != "" {
			title += ": " + res.Title
		}
		props = append(props, "title="+ghProperty(fmt.Sprintf("%s (%s)", title, res.Severity)))
		_, err := fmt.Fprintf(w, "::%s %s::%s\n", cmd, strings.Join(props, ","), ghData(msg))
		return err
	}
	for _, res := range r.Rules {
		var err error
		switch res.Status {
		case StatusError:
			err = emit("error", res, "rule could not be evaluated: "+res.Error)
		case StatusFail, StatusWarn:
			cmd := "error"
			if res.Status == StatusWarn {
				cmd = "warning"
			}
			for _, v := range res.Violations {
				if err = emit(cmd, res, annotationText(v)); err != nil {
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if left > 0 {
		_, err := fmt.Fprintf(w, "::notice title=auditctl::%d more annotations left out (see the report: --junit, --sarif or -o json)\n", left)
		return err
	}
	return nil
}

// annotationText is a violation as lines: the message, then its events.
func annotationText(v Violation) string {
	lines := []string{sanitize.String(v.Message)}
	items := ItemSummaries(v, output.Options{})
	for _, l := range items {
		lines = append(lines, "  "+sanitize.String(l))
	}
	if n := v.Count - int64(len(items)); n > 0 {
		lines = append(lines, fmt.Sprintf("  … %d more", n))
	}
	return strings.Join(lines, "\n")
}

// ghData escapes a workflow command's message (the runner's escapeData).
// s has no control characters other than the \n between lines we put
// there ourselves.
func ghData(s string) string {
	s = breakLegacy(s)
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value (the runner's
// escapeProperty), after sanitizing it to one line.
func ghProperty(s string) string {
	s = breakLegacy(sanitize.String(s))
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// breakLegacy writes "##[" as "# #[": the runner's legacy commands
// ("##[set-output …]") are found anywhere in a line, so untrusted text
// must not hold that prefix.
func breakLegacy(s string) string {
	return strings.ReplaceAll(s, "##[", "# #[")
}
