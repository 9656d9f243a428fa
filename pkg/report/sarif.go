package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
)

// SARIFSchema is the schema URI a SARIF 2.1.0 log names.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// The subset of SARIF 2.1.0 (OASIS) auditctl writes; field names and
// required properties follow the spec (sarif-schema-2.1.0.json).
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     *sarifMessage  `json:"shortDescription,omitempty"`
	FullDescription      *sarifMessage  `json:"fullDescription,omitempty"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string              `json:"level"`
	Message    sarifMessage        `json:"message"`
	Descriptor *sarifDescriptorRef `json:"descriptor,omitempty"`
}

type sarifDescriptorRef struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s Severity) string {
	switch {
	case s >= SeverityHigh:
		return "error"
	case s == SeverityMedium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub code scanning's "security-severity" score:
// critical > 9, high 7–8.9, medium 4–6.9, low 0.1–3.9.
func securitySeverity(s Severity) string {
	return [...]string{"0.0", "2.0", "5.0", "8.0", "9.5"}[min(max(int(s), 0), 4)]
}

// WriteSARIF writes r as a SARIF 2.1.0 log (GitHub code scanning and other
// SARIF viewers): every rule a reportingDescriptor, every violation a
// result located at the rule's definition (file and line) carrying the
// group, time span and event ids in its properties and a stable
// fingerprint; a rule that could not be evaluated is a tool execution
// notification and makes executionSuccessful false.
func WriteSARIF(w io.Writer, r *Report) error {
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "auditctl", Version: r.Version, InformationURI: "https://github.com/auditctl/auditctl", Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: r.Summary.Errors == 0}},
		Results:     []sarifResult{},
	}
	for i, res := range r.Rules {
		rule := sarifRule{ID: res.ID, Name: res.Title, DefaultConfiguration: sarifConfig{Level: sarifLevel(res.Severity)},
			Properties: map[string]any{"severity": res.Severity.String(), "security-severity": securitySeverity(res.Severity), "tags": []string{"security", "compliance"}}}
		if res.Title != "" {
			rule.ShortDescription = &sarifMessage{Text: res.Title}
		}
		if res.Description != "" {
			rule.FullDescription = &sarifMessage{Text: res.Description}
		}
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
		if res.Status == StatusError {
			run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications,
				sarifNotification{Level: "error", Message: sarifMessage{Text: res.Error}, Descriptor: &sarifDescriptorRef{ID: res.ID, Index: i}})
		}
		if res.Status != StatusFail && res.Status != StatusWarn {
			continue
		}
		for _, v := range res.Violations {
			run.Results = append(run.Results, sarifViolation(res, i, v))
		}
	}
	return output.WriteJSON(w, sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}

func sarifViolation(res Result, index int, v Violation) sarifResult {
	var text strings.Builder
	text.WriteString(v.Message)
	var ids []string
	for _, e := range v.Events {
		ids = append(ids, e.ID)
	}
	for _, s := range v.Sessions {
		ids = append(ids, s.ID)
	}
	for _, q := range v.Queries {
		ids = append(ids, q.SessionID+"@"+audit.FormatTime(q.Time))
	}
	if len(ids) > 0 {
		what := "events"
		if len(v.Sessions) > 0 {
			what = "sessions"
		}
		if len(v.Queries) > 0 {
			what = "queries (session@time)"
		}
		text.WriteString(" (" + what + ": " + strings.Join(ids, ", "))
		if n := v.Count - int64(len(ids)); n > 0 {
			text.WriteString(", …")
		}
		text.WriteString(")")
	}
	props := map[string]any{"count": v.Count, "ids": ids}
	if v.Group != "" {
		props["group"] = v.Group
	}
	if !v.First.IsZero() {
		props["first"] = audit.FormatTime(v.First)
		props["last"] = audit.FormatTime(v.Last)
	}
	h := sha256.New()
	for _, s := range []string{res.ID, v.Group, v.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	out := sarifResult{RuleID: res.ID, RuleIndex: index, Level: sarifLevel(res.Severity), Message: sarifMessage{Text: text.String()},
		PartialFingerprints: map[string]string{"auditctlViolation/v1": hex.EncodeToString(h.Sum(nil))[:32]}, Properties: props}
	if res.File != "" {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(res.File)}}}
		if res.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: res.Line}
		}
		out.Locations = []sarifLocation{loc}
	}
	return out
}

// fileURI writes a path as a SARIF artifact URI: relative paths stay
// relative (to the repository, as code scanning expects), with forward
// slashes and percent-escapes where a URI needs them.
func fileURI(p string) string {
	p = filepath.ToSlash(p)
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/@!$&'()*+,;=", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	s := b.String()
	if strings.HasPrefix(s, "/") {
		return "file://" + s
	}
	return strings.TrimPrefix(s, "./")
}
