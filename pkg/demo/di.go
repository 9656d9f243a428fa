package demo

import (
	"github.com/auditctl/auditctl/pkg/audit"
)

// JumpCloud Directory Insights events (seed 001), source "jumpcloud". Raw
// is the DI API's JSON shape; DI reports no request duration, so DurationMS
// stays nil.

type diType struct {
	service, typ, category string
	w                      int // per mille of DI background events
	failPM                 int // failure rate, per mille
}

var diTypes = []diType{
	{"directory", "user_login_attempt", "User Access", 230, 60},
	{"directory", "admin_login_attempt", "User Access", 40, 40},
	{"directory", "user_create", "User Management", 8, 15},
	{"directory", "user_update", "User Management", 22, 10},
	{"directory", "user_delete", "User Management", 4, 20},
	{"directory", "user_password_change", "User Management", 10, 50},
	{"directory", "group_create", "Group Management", 4, 10},
	{"directory", "group_update", "Group Management", 8, 10},
	{"directory", "group_delete", "Group Management", 2, 10},
	{"directory", "association_change", "Group Management", 18, 10},
	{"sso", "sso_auth", "User Access", 190, 25},
	{"sso", "application_create", "Policy Management", 2, 10},
	{"sso", "application_update", "Policy Management", 4, 10},
	{"radius", "radius_auth_attempt", "User Access", 80, 45},
	{"systems", "login_attempt", "User Access", 140, 40},
	{"systems", "user_lockout", "User Access", 5, 0},
	{"systems", "password_change", "Asset Management", 10, 30},
	{"systems", "fde_key_escrow", "Asset Management", 6, 20},
	{"ldap", "ldap_bind", "User Access", 80, 35},
	{"ldap", "ldap_search", "User Access", 60, 5},
	{"mdm", "mdm_command_result", "Asset Management", 30, 60},
	{"password_manager", "password_manager_invite_user", "User Management", 4, 20},
	{"password_manager", "password_manager_activate_user", "User Management", 4, 10},
	{"password_manager", "password_manager_deactivate_user", "User Management", 2, 10},
	{"password_manager", "password_manager_folder_create", "Group Management", 3, 10},
	{"password_manager", "password_manager_folder_member_add", "Group Management", 5, 10},
}

var diCum = func() []int {
	ws := make([]int, len(diTypes))
	for i, t := range diTypes {
		ws[i] = t.w
	}
	return cumulative(ws)
}()

func diTypeOf(typ string) diType {
	for _, t := range diTypes {
		if t.typ == typ {
			return t
		}
	}
	panic("demo: unknown DI event type " + typ)
}

var (
	errLogin  = []string{"invalid username or password", "invalid username or password", "MFA verification failed", "user account is locked", "password expired"}
	errSSO    = []string{"user is not bound to application", "SAML assertion expired", "MFA verification failed"}
	errRadius = []string{"invalid credentials", "MFA push denied", "user is not in a RADIUS-enabled group"}
	errLDAP   = []string{`LDAP Result Code 49 "Invalid Credentials"`, `LDAP Result Code 50 "Insufficient Access Rights"`}
	errSys    = []string{"incorrect password", "account disabled", "password expired"}
	errMDM    = []string{"command timed out: device offline", "NotNow: device is locked", "device returned error 12021"}
	errAdmin  = []string{"permission denied: admin role Help Desk cannot perform this action", "validation failed: email already in use", "rate limit exceeded"}
	mfaTypes  = []string{"totp", "push", "webauthn", "totp", "push"}
	loginProc = map[string]string{"darwin": "loginwindow", "windows": "winlogon.exe", "linux": "sshd"}
	diFields  = []string{"department", "jobTitle", "location", "employeeType", "manager"}
)

// diSpec is one DI event to build; the story fills it directly.
type diSpec struct {
	t        diType
	actor    *user
	username string // initiator name when it is not a known user (spraying)
	ip       *addr
	ua       *agent
	fail     string
	// resource
	rtype, rid, rname string
	sys               *system
	extra             string // free parameter (group name, app, command)
	before, after     string // user_update change
	field             string
	noMFA             bool // a successful login without MFA (the compromise)
}

func (g *gen) di(ms int64) *audit.Event {
	t := diTypes[g.weighted(diCum)]
	s := diSpec{t: t}
	u := g.actor(ms)
	tn := u.t
	switch t.typ {
	case "admin_login_attempt", "user_create", "user_update", "user_delete", "group_create", "group_update",
		"group_delete", "association_change", "application_create", "application_update", "mdm_command_result",
		"password_manager_invite_user", "password_manager_deactivate_user":
		u = g.admin(tn)
	case "user_login_attempt", "sso_auth", "radius_auth_attempt", "login_attempt", "user_lockout",
		"password_change", "fde_key_escrow", "user_password_change", "password_manager_activate_user",
		"password_manager_folder_create", "password_manager_folder_member_add":
		if u.service {
			u = g.person(tn, ms)
		}
	}
	s.actor = u
	s.ip = g.where(u, ms, true)
	s.ua = u.ua
	if g.pm(90) {
		s.ua = u.mobile
	}
	if g.pm(t.failPM * failScale / 10) {
		s.fail = g.diError(t)
		if t.typ == "user_login_attempt" && g.pm(250) {
			// credential stuffing noise from abroad
			s.ip = pick(g, g.w.attackers)
			s.ua = uaPython
			s.fail = "invalid username or password"
		}
	}
	switch t.typ {
	case "user_create", "user_delete", "password_manager_invite_user", "password_manager_deactivate_user":
		name, email, id := g.tempAccount(tn)
		s.rtype, s.rid, s.rname, s.extra = "user", id, name, email
	case "user_update", "user_password_change", "password_manager_activate_user":
		v := g.person(tn, ms)
		if t.typ != "user_update" {
			v = u
		}
		s.rtype, s.rid, s.rname, s.extra = "user", v.id, v.username, v.email
		s.field = pick(g, diFields)
		s.before, s.after = g.fieldChange(s.field, v)
	case "group_create", "group_update", "group_delete":
		n := pick(g, groupNames)
		s.rtype, s.rid, s.rname = "user_group", staticOID("grp:"+tn.slug+n), n
	case "association_change":
		v := g.person(tn, ms)
		n := pick(g, groupNames)
		s.rtype, s.rid, s.rname, s.extra = "user_group", staticOID("grp:"+tn.slug+n), n, v.username
		if g.pm(300) {
			s.field = "remove"
		} else {
			s.field = "add"
		}
	case "sso_auth", "application_create", "application_update":
		n := pick(g, ssoApps)
		s.rtype, s.rid, s.rname = "application", staticOID("app:"+tn.slug+n), n
	case "radius_auth_attempt":
		n := pick(g, radiusNames)
		s.rtype, s.rid, s.rname = "radius_server", staticOID("rad:"+tn.slug+n), n
	case "login_attempt", "user_lockout", "password_change", "fde_key_escrow", "mdm_command_result":
		s.sys = pick(g, g.w.systems[tn])
		s.rtype, s.rid, s.rname = "system", s.sys.id, s.sys.hostname
		if t.typ == "mdm_command_result" {
			s.extra = pick(g, mdmCommands)
		}
	case "ldap_bind", "ldap_search":
		s.rtype, s.rid, s.rname = "ldap_server", staticOID("ldap:"+tn.slug), "JumpCloud LDAP"
	case "password_manager_folder_create", "password_manager_folder_member_add":
		n := pick(g, groupNames) + " Shared"
		s.rtype, s.rid, s.rname = "folder", staticOID("fold:"+tn.slug+n), n
		if t.typ == "password_manager_folder_member_add" {
			s.extra = g.person(tn, ms).email
		}
	}
	return g.diBuild(ms, &s)
}

func (g *gen) diError(t diType) string {
	switch t.typ {
	case "user_login_attempt", "admin_login_attempt", "user_password_change":
		return pick(g, errLogin)
	case "sso_auth":
		return pick(g, errSSO)
	case "radius_auth_attempt":
		return pick(g, errRadius)
	case "ldap_bind", "ldap_search":
		return pick(g, errLDAP)
	case "login_attempt", "password_change", "fde_key_escrow":
		return pick(g, errSys)
	case "mdm_command_result":
		return pick(g, errMDM)
	}
	return pick(g, errAdmin)
}

// fieldChange returns a plausible before/after of a user attribute.
func (g *gen) fieldChange(field string, v *user) (string, string) {
	switch field {
	case "department":
		return v.dept, pick(g, []string{"Engineering", "Finance", "Sales", "Support", "Operations"})
	case "jobTitle":
		return v.title, "Senior " + v.title
	case "location":
		return "Remote", pick(g, []string{"Chicago HQ", "San Francisco", "Austin", "London"})
	case "employeeType":
		return "contractor", "full-time"
	}
	return "", pick(g, g.w.people).email
}

func (g *gen) diBuild(ms int64, s *diSpec) *audit.Event {
	e := g.newEvent(ms, SourceDI, idOID)
	t, u := s.t, s.actor
	e.Service, e.Action, e.Category = t.service, t.typ, t.category
	tn := u.t
	e.Tenant = tn.orgID
	itype := "user"
	if u.admin && (t.service == "directory" || t.service == "sso" || t.typ == "mdm_command_result" || t.typ == "password_manager_invite_user" || t.typ == "password_manager_deactivate_user") && t.typ != "user_login_attempt" && t.typ != "sso_auth" {
		itype = "admin"
	}
	name := u.username
	if itype == "admin" {
		name = u.email
	}
	if s.username != "" {
		name = s.username
	}
	e.Actor, e.ActorID, e.ActorType = name, u.id, itype
	if s.username != "" && s.username != u.username && s.username != u.email {
		e.ActorID = ""
	}
	e.Target, e.TargetID, e.TargetType = s.rname, s.rid, s.rtype
	if s.rtype == "user" && s.extra != "" && (t.typ == "user_create" || t.typ == "user_delete") {
		e.Target = s.extra
	}
	if s.ip != nil {
		e.IP = s.ip.ip
		if s.ip.geo != nil {
			e.Geo = s.ip.geo.json
		}
	}
	switch t.service {
	case "directory", "sso", "password_manager":
		e.Client = "web"
		if u.service {
			e.Client = "api"
		}
		if s.ua != nil {
			e.UserAgent = s.ua.ua
		}
	case "systems", "mdm":
		e.Client = "agent"
		if s.sys != nil {
			switch s.sys.osFamily {
			case "darwin":
				e.UserAgent = uaAgentMac.ua
			case "windows":
				e.UserAgent = uaAgentWin.ua
			default:
				e.UserAgent = uaAgentLx.ua
			}
		}
	}
	ok := s.fail == ""
	e.Status = audit.StatusSuccess
	if !ok {
		e.Status = audit.StatusFailure
		e.Error = s.fail
	}

	// custom: the DI fields that have no column of their own
	c := append(g.c, '{')
	switch t.typ {
	case "user_login_attempt", "admin_login_attempt":
		c = ks(c, "auth_method", "password")
		mfa := (ok && !s.noMFA) || s.fail == "MFA verification failed"
		c = kb(c, "mfa", mfa)
		if mfa {
			c = ko(c, "mfa_meta")
			c = ks(c, "type", mfaTypes[int(fnv(u.username)%uint64(len(mfaTypes)))])
			c = end(c)
		}
	case "sso_auth":
		c = ks(c, "auth_type", "saml")
		c = kb(c, "idp_initiated", ms%3 == 0)
	case "radius_auth_attempt":
		c = ks(c, "auth_type", "EAP-TTLS/PAP")
		c = kb(c, "mfa", ok)
		c = ks(c, "nas_mfa_state", "ENABLED")
	case "login_attempt":
		c = ks(c, "process_name", loginProc[s.sys.osFamily])
		c = ks(c, "auth_method", "password")
	case "ldap_bind":
		c = ks(c, "auth_method", "simple")
		c = ks(c, "dn", "uid="+u.username+",ou=Users,o="+tn.orgID+",dc=jumpcloud,dc=com")
		if ok {
			c = ki(c, "error_code", 0)
		} else {
			c = ki(c, "error_code", 49)
		}
	case "ldap_search":
		c = ks(c, "base", "ou=Users,o="+tn.orgID+",dc=jumpcloud,dc=com")
		c = ks(c, "filter", "(&(objectClass=inetOrgPerson)(memberOf=cn="+pick(g, groupNames)+",ou=Users,o="+tn.orgID+",dc=jumpcloud,dc=com))")
		c = ks(c, "scope", "sub")
		c = ki(c, "number_of_results", int64(g.n(40)))
	case "mdm_command_result":
		c = ks(c, "command_type", s.extra)
		if ok {
			c = ks(c, "command_status", "Acknowledged")
		} else {
			c = ks(c, "command_status", "Error")
		}
	case "association_change":
		c = ko(c, "association")
		c = ks(c, "op", s.field)
		c = ko(c, "connection")
		c = ko(c, "from")
		c = ks(c, "type", "user")
		c = ks(c, "name", s.extra)
		c = end(c)
		c = ko(c, "to")
		c = ks(c, "type", "user_group")
		c = ks(c, "name", s.rname)
		c = end(end(end(c)))
	case "user_update":
		c = ka(c, "changes")
		c = append(c, '{')
		c = ks(c, "field", s.field)
		c = ks(c, "from", s.before)
		c = ks(c, "to", s.after)
		c = enda(end(c))
		g.bf = end(ks(append(g.bf, '{'), s.field, s.before))
		g.af = end(ks(append(g.af, '{'), s.field, s.after))
	case "user_create", "user_delete", "password_manager_invite_user", "password_manager_deactivate_user":
		c = ks(c, "email", s.extra)
	case "password_manager_folder_member_add":
		c = ks(c, "member", s.extra)
		c = ks(c, "permission", pick(g, []string{"read", "write", "manage"}))
	case "fde_key_escrow":
		c = ks(c, "fde_type", map[string]string{"darwin": "FileVault", "windows": "BitLocker", "linux": "LUKS"}[s.sys.osFamily])
	}
	if len(c) == 1 {
		c = c[:0]
	} else {
		c = end(c)
	}
	g.c = c

	// description
	g.diDesc(e, s, name)

	// raw, as the DI API returns it
	r := append(g.raw, '{')
	r = ksb(r, "id", g.id)
	r = ks(r, "event_type", t.typ)
	r = ks(r, "service", t.service)
	r = ks(r, "organization", tn.orgID)
	r = kt(r, "timestamp", ms)
	r = ks(r, "@version", "1")
	r = ko(r, "initiated_by")
	if e.ActorID != "" {
		r = ks(r, "id", e.ActorID)
	}
	r = ks(r, "type", itype)
	if itype == "admin" {
		r = ks(r, "email", name)
	} else {
		r = ks(r, "username", name)
	}
	r = end(r)
	if s.rtype != "" {
		r = ko(r, "resource")
		r = ks(r, "id", s.rid)
		r = ks(r, "type", s.rtype)
		switch s.rtype {
		case "user":
			r = ks(r, "username", s.rname)
			if t.typ == "user_create" || t.typ == "user_delete" {
				r = ks(r, "email", s.extra)
			}
		case "system":
			r = ks(r, "hostname", s.rname)
		default:
			r = ks(r, "name", s.rname)
		}
		r = end(r)
	}
	if s.sys != nil {
		r = ko(r, "system")
		r = ks(r, "id", s.sys.id)
		r = ks(r, "hostname", s.sys.hostname)
		r = ks(r, "os", s.sys.os)
		r = end(r)
	}
	if e.IP != "" {
		r = ks(r, "client_ip", e.IP)
	}
	if s.ua != nil && (e.Client == "web" || e.Client == "api") {
		ua := s.ua
		r = ko(r, "useragent")
		r = ks(r, "name", ua.name)
		r = ks(r, "major", ua.major)
		r = ks(r, "os", ua.os)
		r = ks(r, "device", ua.device)
		r = end(r)
	}
	if len(e.Geo) > 0 {
		r = kr(r, "geoip", e.Geo)
	}
	r = kb(r, "success", ok)
	if !ok {
		r = ks(r, "error_message", s.fail)
	}
	if len(g.c) > 2 {
		r = append(sep(r), g.c[1:len(g.c)-1]...) // DI puts these at top level
	}
	g.raw = end(r)
	return g.finish(e)
}

func (g *gen) diDesc(e *audit.Event, s *diSpec, name string) {
	ok := s.fail == ""
	res := "succeeded"
	if !ok {
		res = "failed: " + s.fail
	}
	switch s.t.typ {
	case "user_login_attempt":
		g.desc("User portal login by ", name, " ", res)
	case "admin_login_attempt":
		g.desc("Admin portal login by ", name, " ", res)
	case "sso_auth":
		g.desc("SSO authentication of ", name, " to ", s.rname, " ", res)
	case "radius_auth_attempt":
		g.desc("RADIUS authentication of ", name, " on ", s.rname, " ", res)
	case "login_attempt":
		g.desc("Login by ", name, " on ", s.rname, " ", res)
	case "user_lockout":
		g.desc("User ", name, " locked out of ", s.rname, " after repeated failures")
	case "password_change":
		g.desc("Local password change for ", name, " on ", s.rname, " ", res)
	case "fde_key_escrow":
		if ok {
			g.desc("Disk encryption recovery key escrowed from ", s.rname)
		} else {
			g.desc("Disk encryption recovery key escrow from ", s.rname, " failed: ", s.fail)
		}
	case "ldap_bind":
		g.desc("LDAP bind as ", name, " ", res)
	case "ldap_search":
		g.desc("LDAP search by ", name, " ", res)
	case "mdm_command_result":
		g.desc("MDM command ", s.extra, " on ", s.rname, " ", res)
	case "user_create":
		g.desc(name, " created user ", s.extra)
	case "user_update":
		g.desc(name, " updated user ", s.rname, ": ", s.field, " ", s.before, " -> ", s.after)
	case "user_delete":
		g.desc(name, " deleted user ", s.extra)
	case "user_password_change":
		g.desc("Password change by ", s.rname, " ", res)
	case "group_create":
		g.desc(name, " created user group ", s.rname)
	case "group_update":
		g.desc(name, " updated user group ", s.rname)
	case "group_delete":
		g.desc(name, " deleted user group ", s.rname)
	case "association_change":
		if s.field == "remove" {
			g.desc(name, " removed ", s.extra, " from group ", s.rname)
		} else {
			g.desc(name, " added ", s.extra, " to group ", s.rname)
		}
	case "application_create":
		g.desc(name, " created SSO application ", s.rname)
	case "application_update":
		g.desc(name, " updated SSO application ", s.rname)
	case "password_manager_invite_user":
		g.desc(name, " invited ", s.extra, " to Password Manager")
	case "password_manager_activate_user":
		g.desc(s.rname, " activated Password Manager")
	case "password_manager_deactivate_user":
		g.desc(name, " deactivated Password Manager for ", s.extra)
	case "password_manager_folder_create":
		g.desc(name, " created shared folder ", s.rname)
	case "password_manager_folder_member_add":
		g.desc(name, " shared folder ", s.rname, " with ", s.extra)
	default:
		g.desc(s.t.typ, " by ", name)
	}
	if !ok && e.Error == "" {
		e.Error = s.fail
	}
}
