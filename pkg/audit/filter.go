package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Field names a filterable, groupable event attribute. The same names are
// used by flags, the query language, `--by`, `--sort`, policies and remote
// pushdown.
type Field string

// The fields a Filter can match on.
const (
	FieldID           Field = "id"
	FieldSource       Field = "source"
	FieldService      Field = "service"
	FieldAction       Field = "action"
	FieldCategory     Field = "category"
	FieldWorkflow     Field = "workflow_id"
	FieldWorkflowType Field = "workflow_type"
	FieldActor        Field = "actor"
	FieldActorID      Field = "actor_id"
	FieldActorType    Field = "actor_type"
	FieldTarget       Field = "target"
	FieldTargetID     Field = "target_id"
	FieldTargetType   Field = "target_type"
	FieldIP           Field = "ip"
	FieldClient       Field = "client"
	FieldBrowser      Field = "user_agent"
	FieldStatus       Field = "status"
	FieldError        Field = "error"
	FieldTenant       Field = "tenant"
	// Not matchable with Include/Exclude; used by Sort and CountBy.
	FieldTime     Field = "time"
	FieldDuration Field = "duration_ms"
)

// MatchFields are the fields that Include and Exclude may hold, in a stable
// order.
var MatchFields = []Field{
	FieldID, FieldSource, FieldService, FieldAction, FieldCategory,
	FieldWorkflow, FieldWorkflowType, FieldActor, FieldActorID, FieldActorType,
	FieldTarget, FieldTargetID, FieldTargetType, FieldIP, FieldClient,
	FieldBrowser, FieldStatus, FieldError, FieldTenant,
}

// fieldAliases maps the names people type (flags, query keys, seed column
// names) to fields.
var fieldAliases = map[string]Field{
	"id": FieldID, "source": FieldSource, "service": FieldService,
	"action": FieldAction, "event": FieldAction, "event_type": FieldAction, "eventtype": FieldAction,
	"category": FieldCategory,
	"workflow": FieldWorkflow, "workflow_id": FieldWorkflow, "workflowid": FieldWorkflow,
	"workflow_type": FieldWorkflowType, "workflowtype": FieldWorkflowType,
	"actor": FieldActor, "user": FieldActor, "initiator": FieldActor,
	"actor_id": FieldActorID, "initiator_id": FieldActorID,
	"actor_type": FieldActorType, "initiator_type": FieldActorType,
	"target": FieldTarget, "resource": FieldTarget,
	"target_id": FieldTargetID, "target_type": FieldTargetType,
	"ip": FieldIP, "client_ip": FieldIP,
	"client":  FieldClient,
	"browser": FieldBrowser, "user_agent": FieldBrowser, "useragent": FieldBrowser,
	"status": FieldStatus, "error_state": FieldStatus,
	"error": FieldError, "error_message": FieldError,
	"tenant": FieldTenant, "org": FieldTenant, "organization": FieldTenant,
	"time": FieldTime, "timestamp": FieldTime,
	"duration": FieldDuration, "duration_ms": FieldDuration,
}

// ParseField resolves a user-typed field name (case-insensitive, aliases
// allowed).
func ParseField(s string) (Field, bool) {
	f, ok := fieldAliases[strings.ToLower(strings.TrimSpace(s))]
	return f, ok
}

// FieldNames lists the names ParseField accepts, sorted, for help and errors.
func FieldNames() []string {
	names := make([]string, 0, len(fieldAliases))
	for k := range fieldAliases {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Filter selects events. The zero Filter matches every event.
//
// Values of one field are ORed; different fields, time bounds, durations and
// text terms are ANDed. Values match case-insensitively; a value containing
// `*` is a wildcard pattern; an ip value in CIDR notation matches the range.
type Filter struct {
	Since time.Time // inclusive; zero = unbounded
	Until time.Time // exclusive; zero = unbounded

	Include map[Field][]string // event must match one value of each field
	Exclude map[Field][]string // event must match no value of any field

	MinDuration *int64 // ms, inclusive
	MaxDuration *int64 // ms, inclusive

	Text    []string // full-text terms over description, params, custom, raw: all must match
	NotText []string // full-text terms that must not match
}

// Add ORs values into the filter's include set for f.
func (fl *Filter) Add(f Field, values ...string) {
	if fl.Include == nil {
		fl.Include = map[Field][]string{}
	}
	fl.Include[f] = append(fl.Include[f], values...)
}

// AddExclude adds values that events must not match for f.
func (fl *Filter) AddExclude(f Field, values ...string) {
	if fl.Exclude == nil {
		fl.Exclude = map[Field][]string{}
	}
	fl.Exclude[f] = append(fl.Exclude[f], values...)
}

// Merge ANDs o into fl: values of a field both set are intersected by
// keeping both constraints, which for ORed sets means keeping the values of
// o when fl had none, and otherwise the values common to both.
func (fl *Filter) Merge(o Filter) {
	if !o.Since.IsZero() && (fl.Since.IsZero() || o.Since.After(fl.Since)) {
		fl.Since = o.Since
	}
	if !o.Until.IsZero() && (fl.Until.IsZero() || o.Until.Before(fl.Until)) {
		fl.Until = o.Until
	}
	for f, vs := range o.Include {
		if cur, ok := fl.Include[f]; ok && len(cur) > 0 {
			fl.Include[f] = intersect(cur, vs)
			continue
		}
		fl.Add(f, vs...)
	}
	for f, vs := range o.Exclude {
		fl.AddExclude(f, vs...)
	}
	if o.MinDuration != nil && (fl.MinDuration == nil || *o.MinDuration > *fl.MinDuration) {
		fl.MinDuration = o.MinDuration
	}
	if o.MaxDuration != nil && (fl.MaxDuration == nil || *o.MaxDuration < *fl.MaxDuration) {
		fl.MaxDuration = o.MaxDuration
	}
	fl.Text = append(fl.Text, o.Text...)
	fl.NotText = append(fl.NotText, o.NotText...)
}

func intersect(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				out = append(out, x)
				break
			}
		}
	}
	if len(out) == 0 {
		// Nothing can match both; keep an impossible value so the filter
		// stays empty rather than silently widening.
		out = []string{"\x00"}
	}
	return out
}

// Validate checks values that must have a shape (statuses, CIDRs, ranges).
func (fl *Filter) Validate() error {
	for _, m := range []map[Field][]string{fl.Include, fl.Exclude} {
		for f, vs := range m {
			if !isMatchField(f) {
				return Errorf(EUSAGE, "cannot filter on %q", f)
			}
			if f == FieldStatus {
				for i, v := range vs {
					s, ok := ParseStatus(v)
					if !ok {
						return Errorf(EUSAGE, "unknown status %q (want success, failure, warning or in_progress)", v)
					}
					if v != string(s) {
						// normalized once: a filter already valid is only
						// read (several readers may share it)
						vs[i] = string(s)
					}
				}
			}
			if f == FieldIP {
				for _, v := range vs {
					if _, _, err := ParseIPMatch(v); err != nil {
						return Errorf(EUSAGE, "%v", err)
					}
				}
			}
		}
	}
	if !fl.Since.IsZero() && !fl.Until.IsZero() && !fl.Since.Before(fl.Until) {
		return Errorf(EUSAGE, "empty time range: since %s is not before until %s", FormatTime(fl.Since), FormatTime(fl.Until))
	}
	if fl.MinDuration != nil && fl.MaxDuration != nil && *fl.MinDuration > *fl.MaxDuration {
		return Errorf(EUSAGE, "min duration %d ms is above max duration %d ms", *fl.MinDuration, *fl.MaxDuration)
	}
	return nil
}

func isMatchField(f Field) bool {
	for _, m := range MatchFields {
		if m == f {
			return true
		}
	}
	return false
}

// String renders the filter for --debug and error messages.
func (fl Filter) String() string {
	var parts []string
	if !fl.Since.IsZero() {
		parts = append(parts, "time>="+FormatTime(fl.Since))
	}
	if !fl.Until.IsZero() {
		parts = append(parts, "time<"+FormatTime(fl.Until))
	}
	for _, f := range MatchFields {
		if vs := fl.Include[f]; len(vs) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%s", f, strings.Join(vs, ",")))
		}
		if vs := fl.Exclude[f]; len(vs) > 0 {
			parts = append(parts, fmt.Sprintf("-%s:%s", f, strings.Join(vs, ",")))
		}
	}
	if fl.MinDuration != nil {
		parts = append(parts, fmt.Sprintf("duration>=%d", *fl.MinDuration))
	}
	if fl.MaxDuration != nil {
		parts = append(parts, fmt.Sprintf("duration<=%d", *fl.MaxDuration))
	}
	for _, t := range fl.Text {
		parts = append(parts, fmt.Sprintf("%q", t))
	}
	for _, t := range fl.NotText {
		parts = append(parts, fmt.Sprintf("-%q", t))
	}
	return strings.Join(parts, " ")
}

// SortKey orders results by a field, descending when Desc.
type SortKey struct {
	Field Field
	Desc  bool
}

// ParseSort reads "-time", "duration", "actor,-time".
func ParseSort(s string) ([]SortKey, error) {
	var keys []SortKey
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		k := SortKey{}
		if strings.HasPrefix(p, "-") {
			k.Desc, p = true, p[1:]
		} else if strings.HasPrefix(p, "+") {
			p = p[1:]
		}
		f, ok := ParseField(p)
		if !ok {
			return nil, Errorf(EUSAGE, "cannot sort by %q (want one of: %s, each with - for descending)", p, strings.Join(SortFieldNames(), ", "))
		}
		k.Field = f
		keys = append(keys, k)
	}
	return keys, nil
}

// SortFieldNames are the fields --sort takes, by their main names.
func SortFieldNames() []string {
	names := make([]string, 0, len(MatchFields)+2)
	for _, f := range append([]Field{FieldTime, FieldDuration}, MatchFields...) {
		names = append(names, string(f))
	}
	return names
}

// CountFieldNames are the fields events can be counted by (`logs count
// --by`), by their main names: every field but time and duration.
func CountFieldNames() []string {
	names := make([]string, 0, len(MatchFields))
	for _, f := range MatchFields {
		if f != FieldID {
			names = append(names, string(f))
		}
	}
	return names
}

// Page is a slice of a result set.
type Page struct {
	Limit  int // 0 = no limit
	Offset int
	Sort   []SortKey // default: newest first
	// NoTotal skips counting every match (FindEvents returns -1): the
	// count can cost far more than the page when only the page is shown.
	NoTotal bool
	// CountUpTo, when > 0, counts the matches only up to that many: a
	// total of CountUpTo means "CountUpTo or more". A store may count
	// them all anyway.
	CountUpTo int
	// After, when set, starts the page right past that event in the
	// page's order: keyset pagination, so that the next page of a scroll
	// costs the same however deep it lies (Offset reads and skips every
	// row before it). The sort must be by time alone (newest first, or
	// oldest first to page back towards newer events); Offset, if any,
	// counts from the cursor. The total still counts every match of the
	// filter. An event no longer stored still marks its place.
	After *Cursor
}

// Cursor is the place of one event in time order, for Page.After.
type Cursor struct {
	Time       time.Time
	Source, ID string
}

// CursorOf is the cursor at e.
func CursorOf(e *Event) *Cursor {
	return &Cursor{Time: e.Time, Source: e.Source, ID: e.ID}
}

// TimeOrder tells whether the page is sorted by time alone (the default,
// newest first), and which way.
func (p Page) TimeOrder() (desc, ok bool) {
	if len(p.Sort) == 0 {
		return true, true
	}
	if len(p.Sort) == 1 && p.Sort[0].Field == FieldTime {
		return p.Sort[0].Desc, true
	}
	return false, false
}

// CheckCursor returns a usage error when p has a cursor but is not sorted
// by time alone.
func (p Page) CheckCursor() error {
	if p.After == nil {
		return nil
	}
	if _, ok := p.TimeOrder(); !ok {
		return Errorf(EUSAGE, "a page after a cursor must be sorted by time alone")
	}
	return nil
}
