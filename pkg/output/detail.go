package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// labelWidth is the width labels of the detail panel are padded to.
const labelWidth = len("Workflow type:") + 1

// WriteEventDetail writes the Audit Log Detail panel of one event (`logs
// show`): the sections User information, Action information, Description,
// Parameters, Custom data and, when the event has a before or after state,
// Changes (a field-by-field Diff). Empty fields and sections are left out,
// except the key fields (actor, IP, service, action, time, status, id),
// shown as "-". Every value is sanitized; section headers are bold and the
// status coloured when opt.Color.
func WriteEventDetail(w io.Writer, e *audit.Event, opt Options) error {
	d := &detail{opt: opt}

	d.section("User information")
	d.field("Actor", e.Actor, true)
	d.field("Actor ID", e.ActorID, false)
	d.field("Actor type", e.ActorType, false)
	d.field("IP address", e.IP, true)
	d.field("Client", e.Client, false)
	d.field("Browser", e.UserAgent, false)
	d.field("Location", geoSummary(e.Geo), false)

	d.section("Action information")
	d.field("Service", e.Service, true)
	d.field("Action", e.Action, true)
	d.field("Category", e.Category, false)
	t := ""
	if !e.Time.IsZero() {
		t = audit.FormatTime(e.Time)
	}
	d.field("Time", t, true)
	if ms, ok := e.Duration(); ok {
		d.field("Duration", fmt.Sprintf("%d ms", ms), false)
	}
	status := sanitize.String(string(e.Status))
	if status == "" {
		status = "-"
	} else if opt.Color {
		status = statusStyle(status)
	}
	d.line("Status", status)
	d.field("Error", e.Error, false)
	d.field("Tenant", e.Tenant, false)
	d.field("Workflow ID", e.WorkflowID, false)
	d.field("Workflow type", e.WorkflowType, false)
	d.field("Target", e.Target, false)
	d.field("Target type", e.TargetType, false)
	d.field("Target ID", e.TargetID, false)
	d.field("Source", e.Source, false)
	d.field("ID", e.ID, true)

	if strings.TrimSpace(e.Description) != "" {
		d.section("Description")
		d.block(sanitize.Multiline(strings.TrimRight(e.Description, "\r\n")))
	}
	if len(e.Params) > 0 {
		d.section("Parameters")
		d.block(indentJSON(e.Params))
	}
	if len(e.Custom) > 0 {
		d.section("Custom data")
		d.block(indentJSON(e.Custom))
	}
	if len(e.Before) > 0 || len(e.After) > 0 {
		d.section("Changes")
		changes, err := Diff(e.Before, e.After)
		switch {
		case err != nil:
			d.block("(cannot compare: " + sanitize.String(err.Error()) + ")")
		case len(changes) == 0:
			d.block("(no changes)")
		default:
			for _, c := range changes {
				d.block(formatChange(c))
			}
		}
	}
	err := sanitize.WriteStyled(w, d.buf.String()) // values are sanitized; the titles' bold goes by the control path
	return err
}

// detail builds the panel's text.
type detail struct {
	opt Options
	buf bytes.Buffer
}

func (d *detail) section(title string) {
	if d.buf.Len() > 0 {
		d.buf.WriteByte('\n')
	}
	if d.opt.Color {
		title = styleBold.Render(title)
	}
	d.buf.WriteString(title)
	d.buf.WriteByte('\n')
}

// field writes "  Label:  value", value sanitized; an empty value is
// skipped unless always, then shown as "-".
func (d *detail) field(label, value string, always bool) {
	if value == "" {
		if !always {
			return
		}
		value = "-"
	}
	d.line(label, sanitize.String(value))
}

// line writes an already safe value.
func (d *detail) line(label, value string) {
	fmt.Fprintf(&d.buf, "  %-*s%s\n", labelWidth, label+":", value)
}

// block writes safe multi-line text, every line indented.
func (d *detail) block(text string) {
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			d.buf.WriteByte('\n')
			continue
		}
		d.buf.WriteString("  ")
		d.buf.WriteString(l)
		d.buf.WriteByte('\n')
	}
}

// indentJSON pretty-prints a JSON document for the panel, safe to print.
func indentJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		return sanitize.Multiline(string(raw))
	}
	return sanitize.Multiline(string(appendSafeJSON(nil, buf.Bytes())))
}

// formatChange renders a change as "~ path: old → new", "+ path: new" or
// "- path: old".
func formatChange(c Change) string {
	path := c.Path
	if path == "" {
		path = "(document)"
	}
	path = sanitize.String(path)
	old := sanitize.String(string(appendSafeJSON(nil, c.Old)))
	nw := sanitize.String(string(appendSafeJSON(nil, c.New)))
	switch c.Op {
	case OpAdded:
		return "+ " + path + ": " + nw
	case OpRemoved:
		return "- " + path + ": " + old
	}
	return "~ " + path + ": " + old + " → " + nw
}

// geoSummary makes "Denver, Colorado, US (39.74, -104.99)" of a geo
// document; what it cannot read is shown as compact JSON.
func geoSummary(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return string(compact(raw))
	}
	lower := make(map[string]any, len(m))
	for k, v := range m {
		lower[strings.ToLower(k)] = v
	}
	pick := func(keys ...string) string {
		for _, k := range keys {
			if s, ok := lower[k].(string); ok && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		}
		return ""
	}
	var parts []string
	for _, p := range []string{
		pick("city", "city_name"),
		pick("region_name", "region", "subdivision", "state"),
		pick("country_name", "country", "country_code"),
	} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	s := strings.Join(parts, ", ")
	lat, ok1 := lower["latitude"].(float64)
	if !ok1 {
		lat, ok1 = lower["lat"].(float64)
	}
	lon, ok2 := lower["longitude"].(float64)
	if !ok2 {
		lon, ok2 = lower["lon"].(float64)
	}
	if ok1 && ok2 {
		s = strings.TrimSpace(fmt.Sprintf("%s (%g, %g)", s, lat, lon))
	}
	if s == "" {
		return string(compact(raw))
	}
	return s
}
