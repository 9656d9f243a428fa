package importer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/auditctl/auditctl/internal/jsontext"

	"github.com/auditctl/auditctl/pkg/audit"
)

// JumpCloud Directory Insights events (https://docs.jumpcloud.com/api/insights/directory/1.0/index.html).

// diParty is initiated_by or resource.
type diParty struct {
	ID, Type, Username, Email, Name, DisplayName, Hostname string
}

// party reads initiated_by or resource.
func (m *mapper) party(s slot, field string) (p diParty, ok bool) {
	ok = m.object(m.rec.v[s], field, func(key, val []byte) {
		switch string(key) {
		case "id":
			p.ID = m.textIn(val, field, "id")
		case "type":
			p.Type = m.textIn(val, field, "type")
		case "username":
			p.Username = m.textIn(val, field, "username")
		case "email":
			p.Email = m.textIn(val, field, "email")
		case "name":
			p.Name = m.textIn(val, field, "name")
		case "displayName":
			p.DisplayName = m.textIn(val, field, "displayName")
		case "hostname":
			p.Hostname = m.textIn(val, field, "hostname")
		}
	})
	return p, ok
}

// object calls fn with each member (key unescaped) of v, a JSON object that
// is part of the record. It reports whether v is an object; a value of another
// kind is an error naming field, null or absent is not.
func (m *mapper) object(v []byte, field string, fn func(key, val []byte)) bool {
	if len(v) == 0 || isNull(v) {
		return false
	}
	if v[0] != '{' {
		m.fail(field, "want a JSON object, got a JSON %s", kind(v))
		return false
	}
	eachMember(v, func(key []byte, esc bool, val []byte) { fn(plainKey(key, esc), val) })
	return true
}

// textIn is text for the member key of the object field.
func (m *mapper) textIn(v []byte, field, key string) string {
	if len(v) > 0 && (v[0] == '{' || v[0] == '[') {
		m.fail(field+"."+key, "want a string, got a JSON %s", kind(v))
		return ""
	}
	return m.text(v, field)
}

// diMapped are the top-level keys the JumpCloud mapping uses; the others go to
// custom.
var diMapped = [nSlots]bool{
	sID: true, sJEventType: true, sService: true, sJOrganization: true, sTimestamp: true,
	sJInitiatedBy: true, sJResource: true, sJClientIP: true, sUserAgentObj: true, sJGeoIP: true,
	sJSuccess: true, sJErrorMessage: true, sJChanges: true,
}

func (m *mapper) jumpcloud() {
	e := m.ev
	e.Source = "jumpcloud"
	e.ID = m.str(sID, "id")
	e.Time = m.when(sTimestamp, "timestamp")
	e.Service = m.str(sService, "service")
	e.Action = m.str(sJEventType, "event_type")
	e.Tenant = m.str(sJOrganization, "organization")
	e.IP = m.str(sJClientIP, "client_ip")
	e.Error = m.str(sJErrorMessage, "error_message")

	if by, ok := m.party(sJInitiatedBy, "initiated_by"); ok {
		e.Actor = firstOf(by.Username, by.Email, by.Name, by.ID)
		e.ActorID = by.ID
		e.ActorType = by.Type
	}
	if res, ok := m.party(sJResource, "resource"); ok {
		e.Target = firstOf(res.Name, res.Username, res.Email, res.DisplayName, res.Hostname)
		e.TargetID = res.ID
		e.TargetType = res.Type
	}
	if v := m.rec.v[sUserAgentObj]; len(v) > 0 && v[0] == '"' {
		e.UserAgent = m.text(v, "useragent")
	} else {
		var name, version, major, os, osName, osFull string
		if m.object(v, "useragent", func(key, val []byte) {
			switch string(key) {
			case "name":
				name = m.textIn(val, "useragent", "name")
			case "version":
				version = m.textIn(val, "useragent", "version")
			case "major":
				major = m.textIn(val, "useragent", "major")
			case "os":
				os = m.textIn(val, "useragent", "os")
			case "os_name":
				osName = m.textIn(val, "useragent", "os_name")
			case "os_full":
				osFull = m.textIn(val, "useragent", "os_full")
			}
		}) {
			e.UserAgent = name
			if ver := firstOf(version, major); ver != "" && name != "" {
				e.UserAgent += " " + ver
			}
			e.Client = firstOf(osFull, os, osName)
		}
	}
	e.Geo = m.doc(sJGeoIP)

	e.Status = audit.StatusSuccess
	if v := m.rec.v[sJSuccess]; len(v) > 0 && !isNull(v) {
		switch {
		case string(v) == "false" || (v[0] == '"' && strings.EqualFold(m.text(v, "success"), "false")):
			e.Status = audit.StatusFailure
		case string(v) == "true" || (v[0] == '"' && strings.EqualFold(m.text(v, "success"), "true")):
		default:
			m.fail("success", "want a boolean, got %s", v)
		}
	}

	if v := m.rec.v[sJChanges]; len(v) > 0 && !isNull(v) {
		if v[0] != '[' {
			m.fail("changes", "want a JSON array, got a JSON %s", kind(v))
		} else {
			e.Before, e.After = m.changeDocs(v)
		}
	}

	// Everything else (auth_method, mfa, application, message...) is custom.
	var custom []byte
	for _, mb := range m.rec.members {
		if diMapped[mb.slot] {
			continue
		}
		if custom == nil {
			custom = append(custom, '{')
		} else {
			custom = append(custom, ',')
		}
		custom = append(custom, '"')
		custom = append(custom, mb.key...)
		custom = append(custom, '"', ':')
		custom = append(custom, mb.val...)
	}
	if custom != nil {
		e.Custom = append(custom, '}')
	}

	e.Category = diCategory(e.Service, e.Action)
	e.Description = diDescription(e)
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// changeDocs turns changes, [{field, from, to}...], into before =
// {field: from} and after = {field: to}. A side with no values is nil.
func (m *mapper) changeDocs(changes []byte) (before, after json.RawMessage) {
	add := func(doc []byte, field string, v []byte) []byte {
		if len(v) == 0 {
			return doc
		}
		if doc == nil {
			doc = append(doc, '{')
		} else {
			doc = append(doc, ',')
		}
		doc = jsontext.AppendString(doc, field)
		doc = append(doc, ':')
		return append(doc, v...)
	}
	var b, a []byte
	eachElement(changes, func(c []byte) {
		var field string
		var from, to []byte
		if !m.object(c, "changes", func(key, val []byte) {
			switch string(key) {
			case "field":
				field = m.textIn(val, "changes", "field")
			case "from":
				from = val
			case "to":
				to = val
			}
		}) {
			return
		}
		b = add(b, field, from)
		a = add(a, field, to)
	})
	if b != nil {
		before = append(b, '}')
	}
	if a != nil {
		after = append(a, '}')
	}
	return before, after
}

// diCategory maps a Directory Insights service (and, for directory and
// systems, the event type) to a category.
func diCategory(service, eventType string) string {
	auth := isAuthEvent(eventType)
	switch strings.ToLower(service) {
	case "directory":
		if auth {
			return "User Access"
		}
		return "Directory"
	case "sso", "radius", "ldap", "software":
		return "User Access"
	case "systems":
		if auth {
			return "User Access"
		}
		return "Systems"
	case "mdm":
		return "Device Management"
	case "password_manager":
		return "Password Manager"
	case "":
		return ""
	}
	// Unknown services: the service name in title case ("object_storage" →
	// "Object Storage").
	words := strings.FieldsFunc(service, func(r rune) bool { return r == '_' || r == '-' || r == ' ' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// isAuthEvent reports whether a Directory Insights event type is an
// authentication: logins, logouts, binds and auth attempts.
func isAuthEvent(t string) bool {
	t = strings.ToLower(t)
	for _, w := range []string{"login", "logout", "auth", "bind", "sso_", "mfa"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// diDescription builds "<actor> <event_type>[ on <target>] via <service>[ (failed[: error])]".
func diDescription(e *audit.Event) string {
	var b strings.Builder
	actor := e.Actor
	if actor == "" {
		actor = "someone"
	}
	b.WriteString(actor)
	b.WriteByte(' ')
	b.WriteString(e.Action)
	if e.Target != "" && e.Target != e.Actor {
		b.WriteString(" on ")
		b.WriteString(e.Target)
	}
	if e.Service != "" {
		b.WriteString(" via ")
		b.WriteString(e.Service)
	}
	if e.Status == audit.StatusFailure {
		b.WriteString(" (failed")
		if e.Error != "" {
			b.WriteString(": ")
			b.WriteString(e.Error)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// DIMapper maps JumpCloud Directory Insights events one JSON object at a
// time, exactly as `import --format jumpcloud` does (docs/formats.md): the
// Directory Insights API client maps its responses with it. The zero value
// is ready to use; a DIMapper is not safe for concurrent use.
type DIMapper struct {
	m mapper
	// MaxEventSize is the largest event accepted, in bytes (0:
	// DefaultMaxEventSize): MapArray refuses a larger one, naming the
	// field being read at the limit.
	MaxEventSize int
}

// Map maps one Directory Insights event. raw must not change afterwards:
// the event's JSON fields (and Raw) alias it. The error names the field.
func (d *DIMapper) Map(raw []byte) (*audit.Event, error) {
	d.m.force = shapeJumpCloud
	d.m.source = "jumpcloud"
	ev, fe := d.m.mapJSON(raw)
	if fe != nil {
		return nil, fe
	}
	return ev, nil
}

// MapArray maps each event of a JSON array of Directory Insights events (the
// body of an API response), in order, calling fn with each; fn's error stops
// it. The array is checked as it is read: broken JSON, a record that is not
// an event, or anything after the array is an error. body must not change
// afterwards: the events alias it.
func (d *DIMapper) MapArray(body []byte, fn func(*audit.Event) error) error {
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '[' {
		return synErr(body, i, "array")
	}
	i = skipWS(body, i+1)
	if i < len(body) && body[i] == ']' {
		i++
	} else {
		for n := 1; ; n++ {
			vs := i
			var err error
			if i, err = skipValue(body, vs, 2); err != nil {
				return err
			}
			if max := (Options{MaxEventSize: d.MaxEventSize}).maxEvent(); i-vs > max {
				return &audit.Error{Code: audit.EINVALID, Message: fmt.Sprintf("event %d: field %q: %v", n, openField(body[vs:vs+max]),
					tooLarge(max, fmt.Sprintf("byte offset %d of the response", vs)))}
			}
			e, err := d.Map(body[vs:i])
			if err != nil {
				return fmt.Errorf("event %d: %w", n, err)
			}
			if err := fn(e); err != nil {
				return err
			}
			i = skipWS(body, i)
			if i < len(body) && body[i] == ',' {
				i = skipWS(body, i+1)
				continue
			}
			if i < len(body) && body[i] == ']' {
				i++
				break
			}
			return synErr(body, i, "array (want ',' or ']')")
		}
	}
	if i = skipWS(body, i); i < len(body) {
		return synErr(body, i, "end of input after the array")
	}
	return nil
}
