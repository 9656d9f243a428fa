package demo

import (
	"github.com/auditctl/auditctl/pkg/audit"
)

// The organization audit log of seed 003, source "demo:platform": its 17
// event types, the user (email), the IP, and Details (our Description).
// Raw is our own shape:
//
//	{"id","event","createdAt","organizationId","user":{"id","email","name"},"ip",
//	 "userAgent","details","metadata":{...}}
//
// SESSION_STARTED is followed by SESSION_STOPPED, SESSION_EXTENDED and/or
// SESSION_EXPIRED on the same session id.

type platType struct {
	event, service, category string
	w                        int
	admin                    bool
	failPM                   int
}

var platTypes = []platType{
	{"USER_LOGIN", "auth", "User Access", 420, false, 30},
	{"USER_REGISTERED", "auth", "User Management", 3, false, 0},
	{"USER_CREATED", "users", "User Management", 16, true, 20},
	{"USER_UPDATED", "users", "User Management", 26, true, 10},
	{"USER_DELETED", "users", "User Management", 6, true, 20},
	{"SESSION_STARTED", "sessions", "User Access", 300, false, 30},
	{"RESOURCE_CREATED", "resources", "Asset Management", 16, true, 40},
	{"RESOURCE_UPDATED", "resources", "Asset Management", 30, true, 20},
	{"RESOURCE_DELETED", "resources", "Asset Management", 6, true, 20},
	{"CREDENTIAL_CREATED", "credentials", "Access & Tokens", 10, true, 40},
	{"CREDENTIAL_DELETED", "credentials", "Access & Tokens", 5, true, 10},
	{"ROLE_CREATED", "roles", "Policy Management", 4, true, 10},
	{"ROLE_UPDATED", "roles", "Policy Management", 8, true, 10},
	{"ROLE_DELETED", "roles", "Policy Management", 2, true, 10},
}

// The session follow-ups (not drawn as roots).
var (
	platStopped  = platType{"SESSION_STOPPED", "sessions", "User Access", 0, false, 0}
	platExtended = platType{"SESSION_EXTENDED", "sessions", "User Access", 0, false, 0}
	platExpired  = platType{"SESSION_EXPIRED", "sessions", "User Access", 0, false, 0}
)

// PlatformEventTypes are the 17 event types of seed 003.
var PlatformEventTypes = []string{
	"USER_REGISTERED", "USER_LOGIN", "USER_CREATED", "USER_UPDATED", "USER_DELETED",
	"SESSION_STARTED", "SESSION_STOPPED", "SESSION_EXTENDED", "SESSION_EXPIRED",
	"RESOURCE_CREATED", "RESOURCE_UPDATED", "RESOURCE_DELETED",
	"CREDENTIAL_CREATED", "CREDENTIAL_DELETED",
	"ROLE_CREATED", "ROLE_UPDATED", "ROLE_DELETED",
}

var platCum = func() []int {
	ws := make([]int, len(platTypes))
	for i, t := range platTypes {
		ws[i] = t.w
	}
	return cumulative(ws)
}()

func platTypeOf(ev string) platType {
	switch ev {
	case "SESSION_STOPPED":
		return platStopped
	case "SESSION_EXTENDED":
		return platExtended
	case "SESSION_EXPIRED":
		return platExpired
	}
	for _, t := range platTypes {
		if t.event == ev {
			return t
		}
	}
	panic("demo: unknown platform event " + ev)
}

var (
	trialOrgs   = []string{"Hooli", "Vandelay Industries", "Pied Piper", "Stark Labs", "Wayne Analytics", "Soylent Foods", "Umbrella Biotech", "Tyrell Systems"}
	errPlatform = []string{"cloud credential rejected by provider: AccessDenied", "quota exceeded: 50 resources per organization", "validation failed: name already exists", "permission denied"}
	providers   = []string{"aws", "gcp", "azure"}
	rolePerms   = []string{"sessions:start", "resources:read", "resources:write", "credentials:use", "users:read", "audit:read"}
)

type platSpec struct {
	t       platType
	actor   *user
	system  bool // SESSION_EXPIRED: nobody did it
	ip      *addr
	client  string
	ua      *agent
	fail    string
	target  string
	tid     string
	session string
	minutes int64
	extra   string
	org     string // USER_REGISTERED: the new organization
}

func (g *gen) platform(ms int64) *audit.Event {
	t := platTypes[g.weighted(platCum)]
	u := g.actor(ms)
	if u.service {
		u = g.person(u.t, ms)
	}
	if t.admin {
		u = g.admin(u.t)
	}
	s := platSpec{t: t, actor: u}
	s.client = "web"
	if u.cli != nil && g.pm(150) {
		s.client = "cli"
	}
	s.ip = g.where(u, ms, false)
	s.ua = g.browser(u, s.client)
	if g.pm(t.failPM * failScale / 10) {
		s.fail = pick(g, errPlatform)
		if t.event == "USER_LOGIN" || t.event == "SESSION_STARTED" {
			s.fail = pick(g, []string{"invalid email or password", "account suspended", "session limit reached for role Developer"})
		}
	}
	switch t.event {
	case "USER_CREATED", "USER_DELETED":
		name, email, id := g.tempAccount(u.t)
		_ = name
		s.target, s.tid = email, staticUUID(id)
	case "USER_UPDATED":
		v := g.person(u.t, ms)
		s.target, s.tid = v.email, v.uuid
		s.extra = pick(g, []string{"status: active -> suspended", "status: suspended -> active", "role: Developer -> Operator", "role: Operator -> Developer", "name changed"})
	case "USER_REGISTERED":
		s.org = pick(g, trialOrgs)
		s.target, s.tid = s.org, staticUUID("trial:"+s.org)
	case "SESSION_STARTED", "RESOURCE_CREATED", "RESOURCE_UPDATED", "RESOURCE_DELETED":
		s.target = pick(g, cloudRes)
		s.tid = staticUUID("cloud:" + u.t.slug + s.target)
		s.extra = pick(g, providers)
	case "CREDENTIAL_CREATED", "CREDENTIAL_DELETED":
		s.target = pick(g, cloudCreds)
		s.tid = staticUUID("ccred:" + u.t.slug + s.target)
	case "ROLE_CREATED", "ROLE_UPDATED", "ROLE_DELETED":
		s.target = pick(g, roles)
		s.tid = staticUUID("role:" + u.t.slug + s.target)
		s.extra = pick(g, rolePerms)
	}
	if t.event == "SESSION_STARTED" {
		s.session = g.workflowID()
		s.minutes = 60
	}
	e := g.platBuild(ms, &s)
	if t.event == "SESSION_STARTED" && s.fail == "" {
		g.platSessionTail(ms, &s)
	}
	return e
}

// platSessionTail schedules how a session ends: stopped by its user,
// extended then stopped or expired, or expired.
func (g *gen) platSessionTail(ms int64, s *platSpec) {
	next := *s
	next.fail = ""
	x := g.n(100)
	switch {
	case x < 60:
		at := ms + int64(5+g.n(50))*60000 + int64(g.n(60000))
		next.t = platStopped
		g.schedule(g.platBuild(at, &next), at, false)
	case x < 85:
		at := ms + int64(40+g.n(18))*60000 + int64(g.n(60000))
		next.t, next.minutes = platExtended, 30
		g.schedule(g.platBuild(at, &next), at, false)
		fin := *s
		fin.fail = ""
		if g.n(2) == 0 {
			end := ms + int64(62+g.n(25))*60000 + int64(g.n(60000))
			fin.t = platStopped
			g.schedule(g.platBuild(end, &fin), end, false)
		} else {
			end := ms + 90*60000
			fin.t, fin.system, fin.minutes = platExpired, true, 90
			g.schedule(g.platBuild(end, &fin), end, false)
		}
	default:
		end := ms + 60*60000
		next.t, next.system = platExpired, true
		g.schedule(g.platBuild(end, &next), end, false)
	}
}

func (g *gen) platBuild(ms int64, s *platSpec) *audit.Event {
	e := g.newEvent(ms, SourcePlatform, idEvt)
	t, u := s.t, s.actor
	e.Service, e.Action, e.Category = t.service, t.event, t.category
	e.Tenant = u.t.uuid
	email, name := u.email, u.name
	if s.system {
		e.Actor, e.ActorType = "system", "system"
		e.Client = "system"
	} else {
		e.Actor, e.ActorID, e.ActorType = u.email, u.uuid, "user"
		if u.admin {
			e.ActorType = "admin"
		}
		e.IP, e.Client = s.ip.ip, s.client
		if s.ua != nil {
			e.UserAgent = s.ua.ua
		}
	}
	if t.event == "USER_REGISTERED" {
		email = "founder@" + lowerNoSpace(s.org) + ".com"
		name = "Founder of " + s.org
		e.Actor, e.ActorID, e.ActorType = email, staticUUID("founder:"+s.org), "user"
		e.Tenant = s.tid
	}
	e.Target, e.TargetID = s.target, s.tid
	switch t.service {
	case "auth":
		if t.event == "USER_LOGIN" {
			e.Target, e.TargetID = u.email, u.uuid
		}
		e.TargetType = "user"
		if t.event == "USER_REGISTERED" {
			e.TargetType = "organization"
		}
	case "users":
		e.TargetType = "user"
	case "sessions":
		e.TargetType = "resource"
		e.WorkflowID, e.WorkflowType = s.session, "session"
	case "resources":
		e.TargetType = "resource"
	case "credentials":
		e.TargetType = "credential"
	case "roles":
		e.TargetType = "role"
	}
	if s.system {
		setDur(e, int64(2+g.n(20)))
	} else {
		setDur(e, g.dur(durNormal))
	}
	e.Status = audit.StatusSuccess
	if s.fail != "" {
		e.Status, e.Error = audit.StatusFailure, s.fail
	}

	m := append(g.c, '{')
	switch t.event {
	case "USER_LOGIN":
		m = ks(m, "method", pick(g, []string{"password", "google", "saml"}))
		g.desc("User signed in")
	case "USER_REGISTERED":
		m = ks(m, "organization", s.org)
		m = ks(m, "plan", "trial")
		g.desc("New organization registered: ", s.org)
	case "USER_CREATED":
		m = ks(m, "email", s.target)
		m = ks(m, "role", "Developer")
		g.desc("Admin created a new user: ", s.target)
	case "USER_UPDATED":
		m = ks(m, "change", s.extra)
		g.desc("User profile or status changed: ", s.target, " (", s.extra, ")")
	case "USER_DELETED":
		m = ks(m, "email", s.target)
		g.desc("User removed from organization: ", s.target)
	case "SESSION_STARTED":
		m = ks(m, "sessionId", s.session)
		m = ks(m, "resource", s.target)
		m = ki(m, "ttlMinutes", s.minutes)
		g.desc("Session created on ", s.target)
	case "SESSION_STOPPED":
		m = ks(m, "sessionId", s.session)
		m = ks(m, "resource", s.target)
		g.desc("Session manually stopped on ", s.target)
	case "SESSION_EXTENDED":
		m = ks(m, "sessionId", s.session)
		m = ki(m, "extendedByMinutes", s.minutes)
		g.desc("Session duration extended by 30 minutes on ", s.target)
	case "SESSION_EXPIRED":
		m = ks(m, "sessionId", s.session)
		m = ks(m, "sessionUser", u.email)
		m = ki(m, "afterMinutes", s.minutes)
		g.desc("Session expired automatically on ", s.target)
	case "RESOURCE_CREATED", "RESOURCE_UPDATED", "RESOURCE_DELETED":
		m = ks(m, "provider", s.extra)
		m = ks(m, "name", s.target)
		switch t.event {
		case "RESOURCE_CREATED":
			p := append(g.p, '{')
			p = ks(p, "name", s.target)
			p = ks(p, "provider", s.extra)
			p = ks(p, "region", pick(g, []string{"us-east-1", "us-west-2", "eu-west-1", "europe-west4"}))
			g.p = end(p)
			g.desc("Cloud resource added: ", s.target)
		case "RESOURCE_UPDATED":
			g.bf = end(ki(append(g.bf, '{'), "maxSessionMinutes", 60))
			g.af = end(ki(append(g.af, '{'), "maxSessionMinutes", 120))
			g.desc("Cloud resource modified: ", s.target)
		default:
			g.desc("Cloud resource removed: ", s.target)
		}
	case "CREDENTIAL_CREATED":
		m = ks(m, "name", s.target)
		m = ks(m, "kind", "access-key")
		g.desc("Cloud credential added: ", s.target)
	case "CREDENTIAL_DELETED":
		m = ks(m, "name", s.target)
		g.desc("Cloud credential removed: ", s.target)
	case "ROLE_CREATED", "ROLE_UPDATED", "ROLE_DELETED":
		m = ks(m, "role", s.target)
		switch t.event {
		case "ROLE_CREATED":
			m = ka(m, "permissions")
			m = enda(as(as(m, "sessions:start"), s.extra))
			g.desc("Role created: ", s.target)
		case "ROLE_UPDATED":
			g.bf = enda(as(ka(append(g.bf, '{'), "permissions"), "sessions:start"))
			g.bf = end(g.bf)
			g.af = enda(as(as(ka(append(g.af, '{'), "permissions"), "sessions:start"), s.extra))
			g.af = end(g.af)
			g.desc("Role modified: ", s.target, " (+", s.extra, ")")
		default:
			g.desc("Role removed: ", s.target)
		}
	}
	if s.fail != "" {
		g.desc(" - failed: ", s.fail)
	}
	g.c = end(m)

	w := append(g.raw, '{')
	w = ksb(w, "id", g.id)
	w = ks(w, "event", t.event)
	w = kt(w, "createdAt", ms)
	w = ks(w, "organizationId", e.Tenant)
	if s.system {
		w = kn(w, "user")
	} else {
		w = ko(w, "user")
		w = ks(w, "id", e.ActorID)
		w = ks(w, "email", email)
		w = ks(w, "name", name)
		w = end(w)
		w = ks(w, "ip", e.IP)
		w = ks(w, "userAgent", e.UserAgent)
	}
	w = str(key(w, "details"), g.d)
	w = ks(w, "status", string(e.Status))
	if e.Error != "" {
		w = ks(w, "error", e.Error)
	}
	w = kr(w, "metadata", g.c)
	g.raw = end(w)
	return g.finish(e)
}

func lowerNoSpace(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}
