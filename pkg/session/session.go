// Package session is the domain of privileged access sessions: the session
// row of SPEC §6 (who connected to what, when, from where, how it ended,
// and where its recording is), the filters of Session History, and the
// Store that keeps them.
package session

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Category is the kind of resource a session reached.
type Category string

// The categories.
const (
	CategoryServer   Category = "server"
	CategoryDatabase Category = "database"
	CategoryWebsite  Category = "website"
)

// Status is where a session is in its life.
type Status string

// The statuses. A session is active while its recorder runs; stale when
// the recorder died without closing it.
const (
	StatusActive     Status = "active"
	StatusCompleted  Status = "completed"
	StatusTerminated Status = "terminated"
	StatusStale      Status = "stale"
)

// Session is one privileged access session.
type Session struct {
	ID            string    `json:"id"`
	UserName      string    `json:"user_name,omitempty"`
	UserEmail     string    `json:"user_email,omitempty"`
	Role          string    `json:"role,omitempty"`
	Account       string    `json:"account,omitempty"` // credential / account used on the resource
	ResourceName  string    `json:"resource_name,omitempty"`
	ResourceID    string    `json:"resource_id,omitempty"`
	Category      Category  `json:"category,omitempty"`
	Connector     string    `json:"connector,omitempty"`
	ServerName    string    `json:"server_name,omitempty"`
	ServerOS      string    `json:"server_os,omitempty"`
	Host          string    `json:"host,omitempty"`
	Port          int       `json:"port,omitempty"`
	Protocol      string    `json:"protocol,omitempty"`
	ClientIP      string    `json:"client_ip,omitempty"`
	ClientName    string    `json:"client_name,omitempty"`
	ConnectedFrom string    `json:"connected_from,omitempty"` // web | proxy
	Start         time.Time `json:"start"`
	End           time.Time `json:"end,omitzero"`
	// Duration is End-Start for a finished session; 0 while active.
	Duration     time.Duration `json:"-"`
	Status       Status        `json:"status"`
	HasRecording bool          `json:"has_recording"`
	// RecordingPath is the recording file; RecordingSHA256 its hash, set
	// when the session ended (a recording still being written has none).
	RecordingPath   string `json:"recording_path,omitempty"`
	RecordingSHA256 string `json:"recording_sha256,omitempty"`
	// RecorderPID is the process recording an active session (0 otherwise):
	// terminate signals it, and a dead PID marks the session stale.
	RecorderPID int `json:"recorder_pid,omitempty"`
	// TerminatedBy names who terminated the session, when someone did.
	TerminatedBy string `json:"terminated_by,omitempty"`
	// Command is what the recorder ran (sessions record -- COMMAND).
	Command string `json:"command,omitempty"`
}

// DurationMS is the duration in milliseconds, as JSON gives it.
func (s *Session) DurationMS() int64 { return s.Duration.Milliseconds() }

// MarshalJSON adds duration_ms.
func (s Session) MarshalJSON() ([]byte, error) {
	type plain Session
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{plain(s), s.Duration.Milliseconds()})
}

// Metadata is what a .rec header's "audit" key holds: the session row as
// known when the recording started (SPEC §6).
type Metadata = Session

// Filter selects sessions: the filters of seed 000 (Session History) and
// seed 002 (Session Logs). Empty fields do not filter; list fields match
// any of their values (case-insensitive, `*` wildcards).
type Filter struct {
	Since, Until  time.Time // on Start
	Connector     []string
	Users         []string // user name or email
	HasRecording  *bool
	Category      []Category
	ResourceName  []string
	ResourceID    []string
	SessionID     []string
	MinDuration   time.Duration // 0: no minimum
	MaxDuration   time.Duration // 0: no maximum
	Status        []Status
	ServerOS      []string
	Protocol      []string
	ConnectedFrom []string
	// Search matches any of name, email, account, server name, host,
	// client IP and client name (seed 002's search bar), as a substring.
	Search string
}

// Page is a page of a listing. Limit 0 lists every match (verify and the
// queries rules of check read every session of a window so).
type Page struct {
	Limit, Offset int
}

// Store keeps sessions.
type Store interface {
	// CreateSession inserts s (s.ID must be new).
	CreateSession(ctx context.Context, s *Session) error
	// UpdateSession replaces the row of s.ID.
	UpdateSession(ctx context.Context, s *Session) error
	FindSession(ctx context.Context, id string) (*Session, error)
	FindSessions(ctx context.Context, f Filter, p Page) ([]*Session, int, error)
}

// ParseCategory reads a category given by a person (any case); "" stays
// "" (not given).
func ParseCategory(s string) (Category, error) {
	switch c := Category(strings.ToLower(strings.TrimSpace(s))); c {
	case "", CategoryServer, CategoryDatabase, CategoryWebsite:
		return c, nil
	}
	return "", audit.Errorf(audit.EUSAGE, "--category %q: want server, database or website", s)
}

// ParseStatus reads a status given by a person (any case).
func ParseStatus(s string) (Status, error) {
	switch st := Status(strings.ToLower(strings.TrimSpace(s))); st {
	case StatusActive, StatusCompleted, StatusTerminated, StatusStale:
		return st, nil
	}
	return "", audit.Errorf(audit.EUSAGE, "--status %q: want active, completed, terminated or stale", s)
}

// ParseDuration reads a session duration filter (--min-duration, a
// policy's min_duration): HH:MM (seed 000's form), or a duration such as
// 90s or 1h30m. what names the flag or key in errors.
func ParseDuration(what, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if h, m, ok := strings.Cut(s, ":"); ok {
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 {
			return 0, audit.Errorf(audit.EUSAGE, "%s %q: want HH:MM, e.g. 00:05 or 01:30", what, s)
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
	}
	d, err := audit.ParseDurationArg(s)
	if err != nil {
		return 0, audit.Errorf(audit.EUSAGE, "%s %q: want HH:MM (00:05) or a duration (90s, 1h30m)", what, s)
	}
	return d, nil
}

// ParseHasRecording reads a has-recording filter: yes/true or no/false;
// "" and "all" give nil (no filter). ok is false for anything else.
func ParseHasRecording(s string) (v *bool, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "all":
		return nil, true
	case "yes", "true":
		b := true
		return &b, true
	case "no", "false":
		b := false
		return &b, true
	}
	return nil, false
}
