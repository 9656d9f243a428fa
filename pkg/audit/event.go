// Package audit is the domain of auditctl: the normalized audit event, the
// filter that selects events, the store interface over them, and the errors
// whose codes become exit codes. It depends on nothing but the standard
// library.
package audit

import (
	"encoding/json"
	"strings"
	"time"
)

// Status is the outcome of an operation.
type Status string

// The statuses every source is normalized to.
const (
	StatusSuccess    Status = "success"
	StatusFailure    Status = "failure"
	StatusWarning    Status = "warning"
	StatusInProgress Status = "in_progress"
)

// ParseStatus normalizes the spellings the seeds use (OperationStatus
// "inProgress", DI's success=false, "error", "failed") to a Status. It
// returns false when s is not a known status.
func ParseStatus(s string) (Status, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "success", "succeeded", "ok", "true":
		return StatusSuccess, true
	case "failure", "failed", "fail", "error", "false":
		return StatusFailure, true
	case "warning", "warn":
		return StatusWarning, true
	case "in_progress", "inprogress", "in-progress", "pending":
		return StatusInProgress, true
	}
	return "", false
}

// Event is one normalized audit log entry (SPEC §3). Every source maps onto
// it; Raw keeps the source document exactly as received so nothing is lost.
type Event struct {
	ID           string          `json:"id"`
	Time         time.Time       `json:"time"`
	Source       string          `json:"source"`
	Service      string          `json:"service,omitempty"`
	Action       string          `json:"action,omitempty"`
	Category     string          `json:"category,omitempty"`
	WorkflowID   string          `json:"workflow_id,omitempty"`
	WorkflowType string          `json:"workflow_type,omitempty"`
	Actor        string          `json:"actor,omitempty"`
	ActorID      string          `json:"actor_id,omitempty"`
	ActorType    string          `json:"actor_type,omitempty"`
	Target       string          `json:"target,omitempty"`
	TargetID     string          `json:"target_id,omitempty"`
	TargetType   string          `json:"target_type,omitempty"`
	IP           string          `json:"ip,omitempty"`
	Client       string          `json:"client,omitempty"`
	UserAgent    string          `json:"user_agent,omitempty"`
	Geo          json.RawMessage `json:"geo,omitempty"`
	Status       Status          `json:"status,omitempty"`
	Error        string          `json:"error,omitempty"`
	DurationMS   *int64          `json:"duration_ms,omitempty"`
	Tenant       string          `json:"tenant,omitempty"`
	Description  string          `json:"description,omitempty"`
	Params       json.RawMessage `json:"params,omitempty"`
	Custom       json.RawMessage `json:"custom,omitempty"`
	Before       json.RawMessage `json:"before,omitempty"`
	After        json.RawMessage `json:"after,omitempty"`
	Raw          json.RawMessage `json:"raw,omitempty"`
}

// Duration returns the request duration in milliseconds and whether the
// source reported one.
func (e *Event) Duration() (int64, bool) {
	if e.DurationMS == nil {
		return 0, false
	}
	return *e.DurationMS, true
}

// Ms is a convenience for building events: it returns a pointer to ms.
func Ms(ms int64) *int64 { return &ms }

// Columns is the flat column layout of auditctl's own CSV export, in order.
// The CSV importer reads it back (headers matched case-insensitively), so an
// export re-imports losslessly. JSON documents are written as compact JSON.
var Columns = []string{
	"id", "time", "source", "service", "action", "category",
	"workflow_id", "workflow_type", "actor", "actor_id", "actor_type",
	"target", "target_id", "target_type", "ip", "client", "user_agent", "geo",
	"status", "error", "duration_ms", "tenant", "description",
	"params", "custom", "before", "after", "raw",
}

// TimeFormat is how times are written in every text output: UTC RFC 3339
// with as many fractional digits as needed.
const TimeFormat = time.RFC3339Nano

// FormatTime writes t in UTC as RFC 3339.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// Value returns the string value of a flat column of Columns for e
// ("" when empty). JSON columns are returned as their compact JSON text.
func (e *Event) Value(col string) string {
	switch col {
	case "id":
		return e.ID
	case "time":
		if e.Time.IsZero() {
			return ""
		}
		return FormatTime(e.Time)
	case "source":
		return e.Source
	case "service":
		return e.Service
	case "action":
		return e.Action
	case "category":
		return e.Category
	case "workflow_id":
		return e.WorkflowID
	case "workflow_type":
		return e.WorkflowType
	case "actor":
		return e.Actor
	case "actor_id":
		return e.ActorID
	case "actor_type":
		return e.ActorType
	case "target":
		return e.Target
	case "target_id":
		return e.TargetID
	case "target_type":
		return e.TargetType
	case "ip":
		return e.IP
	case "client":
		return e.Client
	case "user_agent", "browser":
		return e.UserAgent
	case "geo":
		return string(e.Geo)
	case "status":
		return string(e.Status)
	case "error":
		return e.Error
	case "duration_ms", "duration":
		if e.DurationMS == nil {
			return ""
		}
		return itoa(*e.DurationMS)
	case "tenant":
		return e.Tenant
	case "description":
		return e.Description
	case "params":
		return string(e.Params)
	case "custom":
		return string(e.Custom)
	case "before":
		return string(e.Before)
	case "after":
		return string(e.After)
	case "raw":
		return string(e.Raw)
	}
	return ""
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
