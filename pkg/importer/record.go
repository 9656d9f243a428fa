package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// shape is the kind of a JSON record.
type shape uint8

const (
	shapeNone       shape = iota
	shapeOwn              // auditctl's own event (json tags of audit.Event)
	shapeJumpCloud        // JumpCloud Directory Insights
	shapeCloudTrail       // AWS CloudTrail
	shapeTabular          // seed 004's audit log columns (Id, TenantId, Timestamp, EventType...)
)

// slot is a top-level key the mappers read. Keys match case-insensitively,
// as with encoding/json; the comments name the shapes that use them.
type slot uint8

const (
	sOther slot = iota
	// own (and shared)
	sID
	sTime
	sTimestamp // own fallback, JumpCloud, tabular
	sSource
	sService // own, JumpCloud
	sAction
	sCategory
	sWorkflowID
	sWorkflowType
	sActor
	sActorID
	sActorType
	sTarget // own, tabular
	sTargetID
	sTargetType
	sIP
	sClient
	sUserAgent // own "user_agent"
	sGeo
	sStatus
	sError
	sDuration
	sTenant
	sDescription
	sParams
	sCustom
	sBefore
	sAfter
	sRaw
	// tabular (seed 004)
	sTTenantID
	sTWorkflowID
	sTWorkflowType
	sEventType // tabular EventType, CloudTrail eventType
	sTDescription
	sTInitiator
	sTInitiatorType
	sTInitiatorID
	sTTargetType
	sTTargetID
	sTStatus
	sTCustom
	sTBefore
	sTAfter
	// JumpCloud
	sJEventType
	sJOrganization
	sJInitiatedBy
	sJResource
	sJClientIP
	sUserAgentObj // JumpCloud "useragent" (object), CloudTrail "userAgent" (string)
	sJGeoIP
	sJSuccess
	sJErrorMessage
	sJChanges
	// CloudTrail
	sCEventTime
	sCEventSource
	sCEventName
	sCEventID
	sCUserIdentity
	sCRegion
	sCSourceIP
	sCRequestParameters
	sCResponseElements
	sCErrorCode
	sCErrorMessage
	sCRecipientAccountID
	sCResources
	sCEventCategory
	sCManagementEvent
	sCSharedEventID
	nSlots
)

// keySlot returns the slot of a lower-case key.
func keySlot(k string) slot {
	switch k {
	case "id":
		return sID
	case "time":
		return sTime
	case "timestamp":
		return sTimestamp
	case "source":
		return sSource
	case "service":
		return sService
	case "action":
		return sAction
	case "category":
		return sCategory
	case "workflow_id":
		return sWorkflowID
	case "workflow_type":
		return sWorkflowType
	case "actor":
		return sActor
	case "actor_id":
		return sActorID
	case "actor_type":
		return sActorType
	case "target":
		return sTarget
	case "target_id":
		return sTargetID
	case "target_type":
		return sTargetType
	case "ip":
		return sIP
	case "client":
		return sClient
	case "user_agent":
		return sUserAgent
	case "geo":
		return sGeo
	case "status":
		return sStatus
	case "error":
		return sError
	case "duration_ms":
		return sDuration
	case "tenant":
		return sTenant
	case "description":
		return sDescription
	case "params":
		return sParams
	case "custom":
		return sCustom
	case "before":
		return sBefore
	case "after":
		return sAfter
	case "raw":
		return sRaw
	case "tenantid":
		return sTTenantID
	case "workflowid":
		return sTWorkflowID
	case "workflowtype":
		return sTWorkflowType
	case "eventtype":
		return sEventType
	case "eventdescription":
		return sTDescription
	case "initiator":
		return sTInitiator
	case "initiatortype":
		return sTInitiatorType
	case "initiatorid":
		return sTInitiatorID
	case "targettype":
		return sTTargetType
	case "targetid":
		return sTTargetID
	case "operationstatus":
		return sTStatus
	case "customvalues":
		return sTCustom
	case "originalstate":
		return sTBefore
	case "updatedstate":
		return sTAfter
	case "event_type":
		return sJEventType
	case "organization":
		return sJOrganization
	case "initiated_by":
		return sJInitiatedBy
	case "resource":
		return sJResource
	case "client_ip":
		return sJClientIP
	case "useragent":
		return sUserAgentObj
	case "geoip":
		return sJGeoIP
	case "success":
		return sJSuccess
	case "error_message":
		return sJErrorMessage
	case "changes":
		return sJChanges
	case "eventtime":
		return sCEventTime
	case "eventsource":
		return sCEventSource
	case "eventname":
		return sCEventName
	case "eventid":
		return sCEventID
	case "useridentity":
		return sCUserIdentity
	case "awsregion":
		return sCRegion
	case "sourceipaddress":
		return sCSourceIP
	case "requestparameters":
		return sCRequestParameters
	case "responseelements":
		return sCResponseElements
	case "errorcode":
		return sCErrorCode
	case "errormessage":
		return sCErrorMessage
	case "recipientaccountid":
		return sCRecipientAccountID
	case "resources":
		return sCResources
	case "eventcategory":
		return sCEventCategory
	case "managementevent":
		return sCManagementEvent
	case "sharedeventid":
		return sCSharedEventID
	}
	return sOther
}

// record is one JSON object cut into its top-level members. Values alias the
// record's bytes.
type record struct {
	v       [nSlots][]byte
	members []member
	lower   [32]byte
}

// scan validates the object b and files its members. A key given twice keeps
// its last value, as with encoding/json.
func (r *record) scan(b []byte) error {
	for _, mb := range r.members {
		r.v[mb.slot] = nil
	}
	r.members = r.members[:0]
	return eachMember(b, func(key []byte, esc bool, val []byte) {
		s := r.slotOf(key, esc)
		if s != sOther {
			r.v[s] = val
		}
		r.members = append(r.members, member{key: key, esc: esc, slot: s, val: val})
	})
}

func (r *record) slotOf(key []byte, esc bool) slot {
	if esc {
		return keySlot(strings.ToLower(unquote(append(append([]byte{'"'}, key...), '"'), true)))
	}
	if len(key) > len(r.lower) {
		return sOther
	}
	k := r.lower[:len(key)]
	for i, c := range key {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		k[i] = c
	}
	return keySlot(string(k))
}

func (r *record) has(s slot) bool { return r.v[s] != nil && !isNull(r.v[s]) }

// shape tells what kind of record r is.
func (r *record) shape() shape {
	switch {
	case r.has(sCEventName) && r.has(sCEventSource):
		return shapeCloudTrail
	case r.has(sJEventType) && r.has(sService):
		return shapeJumpCloud
	case r.has(sEventType) || r.has(sTStatus) || r.has(sTWorkflowID) || r.has(sTWorkflowType) ||
		r.has(sTTenantID) || r.has(sTInitiator) || r.has(sTDescription) || r.has(sTCustom):
		return shapeTabular
	}
	return shapeOwn
}

func isNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

// fieldError is a record's problem with one field; readers add the place.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string {
	if e.field == "" {
		return e.err.Error()
	}
	return fmt.Sprintf("field %q: %v", e.field, e.err)
}

func ferr(field string, format string, args ...any) *fieldError {
	return &fieldError{field: field, err: fmt.Errorf(format, args...)}
}

// mapper turns JSON records into events.
type mapper struct {
	file   string // for errors
	source string // "file:<base>" for records that name none
	force  shape  // shapeNone: per record
	rec    record
	ev     *audit.Event
	err    *fieldError // the first error of the record being mapped
	buf    []byte
	raw    []byte // the record being mapped
	rawStr string // string(raw), made on first use: fields are substrings of it
}

// mapJSON maps one JSON record. raw must not change afterwards: the event's
// JSON fields alias it.
func (m *mapper) mapJSON(raw []byte) (*audit.Event, *fieldError) {
	if err := m.rec.scan(raw); err != nil {
		return nil, &fieldError{err: err}
	}
	sh := m.force
	if sh == shapeNone {
		sh = m.rec.shape()
	}
	m.ev = &audit.Event{Raw: raw}
	m.err = nil
	m.raw, m.rawStr = raw, ""
	switch sh {
	case shapeJumpCloud:
		m.jumpcloud()
	case shapeCloudTrail:
		m.cloudtrail()
	case shapeTabular:
		m.tabular()
	default:
		m.own()
	}
	if m.err != nil {
		return nil, m.err
	}
	ev := m.ev
	if ev.ID == "" {
		ev.ID = m.contentID(ev.Raw)
	}
	if ev.Source == "" {
		ev.Source = m.source
	}
	m.ev, m.raw, m.rawStr = nil, nil, ""
	return ev, nil
}

// fail keeps the first error of a record.
func (m *mapper) fail(field, format string, args ...any) {
	if m.err == nil {
		m.err = ferr(field, format, args...)
	}
}

// str returns the text of slot s: strings as they are, numbers and booleans
// as written, null or absent as "".
func (m *mapper) str(s slot, field string) string {
	return m.text(m.rec.v[s], field)
}

func (m *mapper) text(v []byte, field string) string {
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		if hasEscape(v) {
			return unquote(v, true)
		}
		return m.substr(v[1 : len(v)-1])
	case 'n':
		return ""
	case '{', '[':
		m.fail(field, "want a string, got a JSON %s", kind(v))
		return ""
	}
	return string(v)
}

// substr returns v, a part of the record being mapped, as a string. One
// string of the whole record is shared by all fields: one allocation instead
// of one per field.
func (m *mapper) substr(v []byte) string {
	off := cap(m.raw) - cap(v)
	if len(v) == 0 || off < 0 || off+len(v) > len(m.raw) || &m.raw[off] != &v[0] {
		return string(v) // not from the record
	}
	if m.rawStr == "" {
		m.rawStr = string(m.raw)
	}
	return m.rawStr[off : off+len(v)]
}

func kind(v []byte) string {
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// doc returns slot s as a JSON document, nil for null or absent. A string
// that holds a JSON object or array is taken for that document (CSV-born
// data often nests JSON so).
func (m *mapper) doc(s slot) json.RawMessage {
	v := m.rec.v[s]
	if len(v) == 0 || isNull(v) {
		return nil
	}
	if v[0] == '"' {
		t := unquote(v, hasEscape(v))
		if t == "" || t == "null" {
			return nil
		}
		if (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
			return json.RawMessage(t)
		}
	}
	return json.RawMessage(v)
}

// when parses slot s as the event time; field names it in errors.
func (m *mapper) when(s slot, field string) time.Time {
	v := m.rec.v[s]
	if len(v) == 0 || isNull(v) {
		m.fail(field, "missing: every event needs a time")
		return time.Time{}
	}
	t, err := parseTimeJSON(v)
	if err != nil {
		m.fail(field, "%v", err)
	}
	return t
}

func (m *mapper) status(s slot, field string) audit.Status {
	v := m.str(s, field)
	if v == "" {
		return ""
	}
	st, ok := audit.ParseStatus(v)
	if !ok {
		m.fail(field, "unknown status %q (want success, failure, warning or in_progress)", v)
	}
	return st
}

// own maps auditctl's own event shape.
func (m *mapper) own() {
	e := m.ev
	e.ID = m.str(sID, "id")
	if m.rec.v[sTime] != nil || m.rec.v[sTimestamp] == nil {
		e.Time = m.when(sTime, "time")
	} else {
		e.Time = m.when(sTimestamp, "timestamp")
	}
	e.Source = m.str(sSource, "source")
	e.Service = m.str(sService, "service")
	e.Action = m.str(sAction, "action")
	e.Category = m.str(sCategory, "category")
	e.WorkflowID = m.str(sWorkflowID, "workflow_id")
	e.WorkflowType = m.str(sWorkflowType, "workflow_type")
	e.Actor = m.str(sActor, "actor")
	e.ActorID = m.str(sActorID, "actor_id")
	e.ActorType = m.str(sActorType, "actor_type")
	e.Target = m.str(sTarget, "target")
	e.TargetID = m.str(sTargetID, "target_id")
	e.TargetType = m.str(sTargetType, "target_type")
	e.IP = m.str(sIP, "ip")
	e.Client = m.str(sClient, "client")
	e.UserAgent = m.str(sUserAgent, "user_agent")
	e.Geo = m.doc(sGeo)
	e.Status = m.status(sStatus, "status")
	e.Error = m.str(sError, "error")
	if v := m.rec.v[sDuration]; len(v) > 0 && !isNull(v) {
		d, err := parseDuration(m.text(v, "duration_ms"))
		if err != nil {
			m.fail("duration_ms", "%v", err)
		}
		e.DurationMS = &d
	}
	e.Tenant = m.str(sTenant, "tenant")
	e.Description = m.str(sDescription, "description")
	e.Params = m.doc(sParams)
	e.Custom = m.doc(sCustom)
	e.Before = m.doc(sBefore)
	e.After = m.doc(sAfter)
	// Our own export keeps the source document in "raw": take it back, so
	// that export and import round-trip.
	if v := m.rec.v[sRaw]; len(v) > 0 && !isNull(v) {
		e.Raw = json.RawMessage(v)
	}
}

// parseDuration reads a duration in milliseconds: an integer, or a number
// with a fraction, rounded.
func parseDuration(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 9e18 || f < -9e18 {
		return 0, fmt.Errorf("%q is not a number of milliseconds", s)
	}
	if f < 0 {
		return int64(f - 0.5), nil
	}
	return int64(f + 0.5), nil
}

// tabular maps seed 004's audit log columns given as JSON.
func (m *mapper) tabular() {
	e := m.ev
	e.ID = m.str(sID, "Id")
	if m.rec.v[sTimestamp] != nil || m.rec.v[sTime] == nil {
		e.Time = m.when(sTimestamp, "Timestamp")
	} else {
		e.Time = m.when(sTime, "time")
	}
	e.Tenant = m.str(sTTenantID, "TenantId")
	e.WorkflowID = m.str(sTWorkflowID, "WorkflowId")
	e.WorkflowType = m.str(sTWorkflowType, "WorkflowType")
	e.Action = m.str(sEventType, "EventType")
	e.Description = m.str(sTDescription, "EventDescription")
	e.Actor = m.str(sTInitiator, "Initiator")
	e.ActorType = m.str(sTInitiatorType, "InitiatorType")
	e.ActorID = m.str(sTInitiatorID, "InitiatorId")
	e.Target = m.str(sTarget, "Target")
	e.TargetType = m.str(sTTargetType, "TargetType")
	e.TargetID = m.str(sTTargetID, "TargetId")
	e.Status = m.status(sTStatus, "OperationStatus")
	e.Custom = m.doc(sTCustom)
	e.Before = m.doc(sTBefore)
	e.After = m.doc(sTAfter)
	e.Category = workflowCategory(e.WorkflowType)
}

// workflowCategory derives seed 004's filter category from a workflow type
// such as "user:creation" or "epbpolicy:update".
func workflowCategory(wt string) string {
	if wt == "" {
		return ""
	}
	w := strings.ToLower(wt)
	kind, _, _ := strings.Cut(w, ":")
	switch {
	case strings.Contains(w, "login") || strings.Contains(w, "logout"):
		return "User Access"
	case strings.Contains(kind, "group") || strings.Contains(kind, "scope"):
		return "Group Management"
	case strings.Contains(kind, "asset"):
		return "Asset Management"
	case strings.Contains(kind, "policy"):
		return "Policy Management"
	case strings.Contains(kind, "token"):
		return "Access & Tokens"
	case strings.Contains(kind, "restore") || strings.Contains(kind, "recover") || strings.Contains(kind, "bmr"):
		return "Restore Operations"
	case strings.Contains(kind, "report"):
		return "Reporting"
	case strings.Contains(kind, "user"):
		return "User Management"
	}
	return ""
}

// contentID is the id of a record that has none: the first 32 hex digits of
// the SHA-256 of the record with insignificant white space removed.
func (m *mapper) contentID(raw []byte) string {
	m.buf = m.buf[:0]
	w := bytes.NewBuffer(m.buf)
	if err := json.Compact(w, raw); err != nil {
		w.Reset()
		w.Write(raw)
	}
	m.buf = w.Bytes()
	return hashID(m.buf)
}

func hashID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// parseTimeJSON reads a time given as a JSON string or number.
func parseTimeJSON(v []byte) (time.Time, error) {
	if v[0] == '"' {
		return parseTime(unquote(v, hasEscape(v)))
	}
	if v[0] == '-' || isDigit(v[0]) {
		return parseEpoch(string(v))
	}
	return time.Time{}, fmt.Errorf("want a time, got a JSON %s", kind(v))
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700 MST",
	"2006-01-02T15:04:05Z0700",
	time.RFC1123Z,
	time.RFC1123,
}

// parseTime reads a time: RFC 3339 with or without a fraction,
// "2006-01-02 15:04:05" (UTC unless a zone follows), or Unix epoch seconds or
// milliseconds written as a decimal string. The result is UTC.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty time")
	}
	if isNumeric(s) {
		return parseEpoch(s)
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (want RFC 3339, \"2006-01-02 15:04:05\" or Unix epoch seconds or milliseconds)", s)
}

// isNumeric reports whether s looks like a decimal number.
func isNumeric(s string) bool {
	if s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '.' && s[i] != 'e' && s[i] != 'E' && s[i] != '+' && s[i] != '-' {
			return false
		}
	}
	return isDigit(s[0])
}

// parseEpoch reads Unix time as a number: seconds, or milliseconds,
// microseconds or nanoseconds when it is too big to be seconds (above 1e11,
// which is the year 5138 in seconds and 1973 in milliseconds).
func parseEpoch(s string) (time.Time, error) {
	bad := fmt.Errorf("cannot read %q as a time (want RFC 3339, \"2006-01-02 15:04:05\" or Unix epoch seconds or milliseconds)", s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		a := n
		if a < 0 {
			a = -a
		}
		switch {
		case a < 1e11:
			return time.Unix(n, 0).UTC(), nil
		case a < 1e14:
			return time.UnixMilli(n).UTC(), nil
		case a < 1e17:
			return time.UnixMicro(n).UTC(), nil
		}
		return time.Unix(0, n).UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 1e19 || f < -1e19 {
		return time.Time{}, bad
	}
	a := f
	if a < 0 {
		a = -a
	}
	var ns float64
	switch {
	case a < 1e11:
		ns = f * 1e9
	case a < 1e14:
		ns = f * 1e6
	case a < 1e17:
		ns = f * 1e3
	default:
		ns = f
	}
	if ns > 9.2e18 || ns < -9.2e18 {
		return time.Time{}, bad
	}
	return time.Unix(0, int64(ns)).UTC(), nil
}
