package store

import (
	"encoding/json"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Validate checks what every store requires of an event before storing
// it: a source, an id, a time keys can hold, and documents that are JSON.
// It returns the field at fault and why, or "" when the event is valid.
func Validate(e *audit.Event) (field, msg string) {
	switch {
	case e.Source == "":
		return "source", "missing source"
	case e.ID == "":
		return "id", "missing id"
	case e.Time.IsZero():
		return "time", "missing time"
	}
	if _, err := EventKey(e.Time, e.Source, e.ID); err != nil {
		return "time", err.Error()
	}
	for _, d := range []struct {
		name string
		v    json.RawMessage
	}{{"geo", e.Geo}, {"params", e.Params}, {"custom", e.Custom}, {"before", e.Before}, {"after", e.After}} {
		if len(d.v) > 0 && !json.Valid(d.v) {
			return d.name, "not valid JSON"
		}
	}
	return "", ""
}
