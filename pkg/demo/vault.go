package demo

import (
	"github.com/auditctl/auditctl/pkg/audit"
)

// JumpCloud Vault operation logs (seed 000), source "vault": service and
// action names, the user information (username, IP, client, browser), the
// request duration, the error state, parameters and custom data. Raw is
// our rendering of the Audit Log Detail panel:
//
//	{"id","timestamp","organizationId","user":{"id","username","ip","client","browser"},
//	 "service","action","duration","errorState","errorMessage","parameters","customData"}
//
// OpenConnection is followed by its CloseConnection, minutes to hours later,
// with the same sessionId.

type vaultAct struct {
	service, action, category string
	w                         int // per mille
	admin                     bool
	prof                      int
	failPM                    int
}

var vaultActs = []vaultAct{
	{"user", "Login", "User Access", 140, false, durNormal, 50},
	{"user", "Logout", "User Access", 50, false, durFast, 0},
	{"user", "ListUsers", "User Management", 30, true, durFast, 5},
	{"user", "GetUser", "User Management", 20, true, durFast, 5},
	{"user", "CreateUser", "User Management", 8, true, durNormal, 40},
	{"user", "UpdateUser", "User Management", 12, true, durNormal, 30},
	{"user", "DeleteUser", "User Management", 4, true, durNormal, 150},
	{"user", "ResetMFA", "User Management", 3, true, durNormal, 20},
	{"session", "OpenConnection", "User Access", 120, false, durSlow, 50},
	{"session", "ListSessions", "User Access", 50, false, durFast, 5},
	{"session", "DownloadRecording", "Reporting", 15, true, durSlow, 30},
	{"session", "TerminateSession", "User Access", 5, true, durNormal, 20},
	{"session", "WatchLiveSession", "User Access", 5, true, durNormal, 20},
	{"resource", "ListResources", "Asset Management", 70, false, durFast, 5},
	{"resource", "GetResource", "Asset Management", 30, false, durFast, 5},
	{"resource", "CreateResource", "Asset Management", 8, true, durNormal, 40},
	{"resource", "UpdateResource", "Asset Management", 12, true, durNormal, 30},
	{"resource", "DeleteResource", "Asset Management", 4, true, durNormal, 30},
	{"vault", "ListSecrets", "Access & Tokens", 40, false, durFast, 5},
	{"vault", "GetCredential", "Access & Tokens", 35, false, durFast, 20},
	{"vault", "RevealPassword", "Access & Tokens", 20, false, durNormal, 40},
	{"vault", "CreateCredential", "Access & Tokens", 8, true, durNormal, 30},
	{"vault", "RotateCredential", "Access & Tokens", 10, true, durSlow, 40},
	{"vault", "DeleteCredential", "Access & Tokens", 3, true, durNormal, 20},
	{"connector", "ListConnectors", "Asset Management", 10, true, durFast, 5},
	{"connector", "RegisterConnector", "Asset Management", 1, true, durSlow, 100},
	{"audit", "ListAuditLogs", "Reporting", 10, true, durNormal, 5},
	{"audit", "ExportAuditLogs", "Reporting", 2, true, durSlow, 50},
}

var vaultCum = func() []int {
	ws := make([]int, len(vaultActs))
	for i, a := range vaultActs {
		ws[i] = a.w
	}
	return cumulative(ws)
}()

func vaultActOf(action string) vaultAct {
	if action == "CloseConnection" {
		return vaultAct{"session", "CloseConnection", "User Access", 0, false, durFast, 0}
	}
	for _, a := range vaultActs {
		if a.action == action {
			return a
		}
	}
	panic("demo: unknown vault action " + action)
}

var (
	errVault = map[string][]string{
		"Login":          {"invalid credentials", "invalid credentials", "MFA code expired", "account disabled"},
		"OpenConnection": {"connector unreachable: dial tcp: i/o timeout", "access policy denies connection outside business hours", "credential checkout pending approval", "target host refused connection"},
		"DeleteUser":     {"user has active sessions; terminate them first", "permission denied: role Operator cannot delete users", "user owns shared credentials; transfer them first"},
		"RevealPassword": {"access policy requires a ticket reference", "permission denied: credential is not shared with you"},
		"GetCredential":  {"permission denied: credential is not shared with you"},
	}
	errVaultGeneric = []string{"validation error: name already exists", "internal error: upstream timeout after 30s", "permission denied", "conflict: object was modified concurrently"}
	deleteReasons   = []string{"offboarding", "contract ended", "duplicate account", "security incident", "role change"}
	revealReasons   = []string{"break-glass", "INC-4821 production outage", "CHG-1190 scheduled maintenance", "vendor support session"}
	closeReasons    = []string{"user disconnected", "user disconnected", "user disconnected", "idle timeout", "connection reset"}
	mfaMethods      = []string{"totp", "push", "webauthn"}
)

// vaultSpec is one vault event to build; the story fills it directly.
type vaultSpec struct {
	a      vaultAct
	actor  *user
	ip     *addr
	client string
	ua     *agent
	fail   string
	warn   string
	dur    int64
	res    *resource
	victim *user // user actions
	// for temp accounts
	vname, vemail, vid string
	session            string
	reason             string
	closeSec           int64
}

func (g *gen) vault(ms int64) *audit.Event {
	a := vaultActs[g.weighted(vaultCum)]
	u := g.actor(ms)
	if a.admin && !u.service {
		u = g.admin(u.t)
	}
	s := vaultSpec{a: a, actor: u}
	s.client = g.client(u)
	s.ip = g.where(u, ms, false)
	s.ua = g.browser(u, s.client)
	s.dur = g.dur(a.prof)
	if g.pm(a.failPM * failScale / 10) {
		if es, ok := errVault[a.action]; ok {
			s.fail = pick(g, es)
		} else {
			s.fail = pick(g, errVaultGeneric)
		}
	} else if a.action == "RotateCredential" && g.pm(150) {
		s.warn = "rotated, but 1 dependent service still uses the previous secret"
	} else if a.action == "ExportAuditLogs" && g.pm(200) {
		s.warn = "export truncated at 100000 rows"
	}
	rs := g.w.resources[u.t]
	s.res = rs[g.n(len(rs))]
	switch a.action {
	case "GetUser", "UpdateUser", "ResetMFA":
		s.victim = g.person(u.t, ms)
	case "CreateUser", "DeleteUser":
		s.vname, s.vemail, s.vid = g.tempAccount(u.t)
		s.reason = pick(g, deleteReasons)
	case "Login":
		if s.fail != "" && g.pm(200) {
			s.ip = pick(g, g.w.attackers)
			s.ua = uaPython
			s.client = "api"
		}
	case "OpenConnection":
		s.session = g.workflowID()
		if s.dur < 400 {
			s.dur += 400
		}
	case "RevealPassword":
		s.reason = pick(g, revealReasons)
	case "UpdateResource":
		if g.pm(100) {
			s.reason = "disable-recording"
		}
	case "DownloadRecording", "TerminateSession", "WatchLiveSession":
		s.session = g.workflowID()
		s.victim = g.person(u.t, ms)
		s.reason = "suspicious activity reported"
	}
	e := g.vaultBuild(ms, &s)
	if a.action == "OpenConnection" && s.fail == "" {
		// the session ends minutes to hours later
		var mins int64
		switch x := g.n(100); {
		case x < 50:
			mins = int64(1 + g.n(14))
		case x < 90:
			mins = int64(15 + g.n(75))
		default:
			mins = int64(90 + g.n(150))
		}
		end := ms + mins*60000 + int64(g.n(60000))
		c := vaultSpec{a: vaultActOf("CloseConnection"), actor: u, ip: s.ip, client: s.client, ua: s.ua,
			dur: g.dur(durFast), res: s.res, session: s.session, reason: pick(g, closeReasons), closeSec: (end - ms) / 1000}
		ce := g.vaultBuild(end, &c)
		g.schedule(ce, end, false)
	}
	return e
}

func (g *gen) vaultBuild(ms int64, s *vaultSpec) *audit.Event {
	e := g.newEvent(ms, SourceVault, idUUID)
	a, u := s.a, s.actor
	tn := u.t
	e.Service, e.Action, e.Category = a.service, a.action, a.category
	e.Tenant = tn.orgID
	e.Actor, e.ActorID = u.email, u.id
	switch {
	case u.service:
		e.ActorType = "service_account"
	case u.admin:
		e.ActorType = "admin"
	default:
		e.ActorType = "user"
	}
	e.IP, e.Client = s.ip.ip, s.client
	if s.ua != nil {
		e.UserAgent = s.ua.ua
	}
	setDur(e, s.dur)
	state := "Success"
	e.Status = audit.StatusSuccess
	switch {
	case s.fail != "":
		e.Status, e.Error, state = audit.StatusFailure, s.fail, "Error"
	case s.warn != "":
		e.Status, e.Error, state = audit.StatusWarning, s.warn, "Warning"
	}
	r := s.res
	p := append(g.p, '{')
	c := append(g.c, '{')
	switch a.action {
	case "Login":
		p = ks(p, "username", u.email)
		p = ks(p, "mfaMethod", mfaMethods[int(fnv(u.username)%3)])
		if s.fail == "" {
			c = ki(c, "sessionTtlSec", 28800)
		} else {
			c = ki(c, "failedAttempts", int64(1+g.n(4)))
		}
		e.Target, e.TargetID, e.TargetType = u.email, u.id, "user"
		g.desc(u.email, " signed in")
	case "Logout":
		c = ks(c, "reason", "user")
		e.Target, e.TargetID, e.TargetType = u.email, u.id, "user"
		g.desc(u.email, " signed out")
	case "ListUsers":
		p = ki(p, "page", 1)
		p = ki(p, "pageSize", 50)
		p = ks(p, "filter", "status:active")
		c = ki(c, "returned", int64(15+g.n(35)))
		g.desc(u.email, " listed users")
	case "GetUser", "ResetMFA", "UpdateUser":
		v := s.victim
		p = ks(p, "userId", v.id)
		e.Target, e.TargetID, e.TargetType = v.email, v.id, "user"
		switch a.action {
		case "GetUser":
			g.desc(u.email, " viewed user ", v.email)
		case "ResetMFA":
			p = ks(p, "method", "totp")
			g.desc(u.email, " reset MFA for ", v.email)
		default:
			from, to := "User", "Administrator"
			if s.reason == "demote" || g.pm(600) {
				from, to = "Administrator", "User"
				if v.admin {
					from, to = "User", "Auditor"
				}
			}
			p = ko(p, "changes")
			p = ks(p, "role", to)
			p = end(p)
			g.bf = end(ks(append(g.bf, '{'), "role", from))
			g.af = end(ks(append(g.af, '{'), "role", to))
			g.desc(u.email, " changed the role of ", v.email, " from ", from, " to ", to)
		}
	case "CreateUser":
		p = ks(p, "email", s.vemail)
		p = ks(p, "role", "User")
		p = kb(p, "sendInvite", true)
		c = ks(c, "userId", s.vid)
		e.Target, e.TargetID, e.TargetType = s.vemail, s.vid, "user"
		g.desc(u.email, " created user ", s.vemail)
	case "DeleteUser":
		email, id := s.vemail, s.vid
		if s.victim != nil {
			email, id = s.victim.email, s.victim.id
		}
		p = ks(p, "userId", id)
		p = ks(p, "email", email)
		p = ks(p, "reason", s.reason)
		if s.fail == "" {
			c = ki(c, "revokedSessions", int64(g.n(3)))
			c = ki(c, "revokedCredentials", int64(g.n(6)))
			c = ks(c, "credentialsTransferredTo", u.email)
		}
		e.Target, e.TargetID, e.TargetType = email, id, "user"
		g.desc(u.email, " deleted user ", email, " (", s.reason, ")")
	case "OpenConnection":
		p = ks(p, "resourceId", r.id)
		p = ks(p, "resourceName", r.name)
		p = ks(p, "protocol", r.protocol)
		p = ki(p, "port", r.port)
		p = ks(p, "account", r.account)
		p = ks(p, "connectorId", r.connectorID)
		p = ks(p, "credentialId", r.credentialID)
		c = ks(c, "sessionId", s.session)
		c = ks(c, "category", r.category)
		c = ks(c, "connector", r.connector)
		c = ks(c, "host", r.host)
		c = kb(c, "recording", r.category != "database" || ms%2 == 0)
		e.Target, e.TargetID, e.TargetType = r.name, r.id, "resource"
		e.WorkflowID, e.WorkflowType = s.session, "session"
		g.desc(u.email, " opened a ", r.protocol, " session to ", r.name, " as ", r.account)
	case "CloseConnection":
		p = ks(p, "sessionId", s.session)
		c = ks(c, "sessionId", s.session)
		c = ks(c, "resourceId", r.id)
		c = ki(c, "durationSec", s.closeSec)
		c = ks(c, "reason", s.reason)
		switch r.category {
		case "database":
			c = ki(c, "queries", 3+s.closeSec/40)
		case "server":
			c = ki(c, "keystrokes", 20+s.closeSec*3)
		default:
			c = ki(c, "pageViews", 2+s.closeSec/30)
		}
		e.Target, e.TargetID, e.TargetType = r.name, r.id, "resource"
		e.WorkflowID, e.WorkflowType = s.session, "session"
		g.desc(u.email, " closed the session to ", r.name, " (", s.reason, ")")
	case "ListSessions":
		p = ks(p, "status", pick(g, []string{"active", "completed", "all"}))
		p = ki(p, "page", 1)
		c = ki(c, "returned", int64(g.n(50)))
		g.desc(u.email, " listed sessions")
	case "DownloadRecording", "WatchLiveSession", "TerminateSession":
		p = ks(p, "sessionId", s.session)
		e.Target, e.TargetID, e.TargetType = s.session, s.session, "session"
		c = ks(c, "sessionUser", s.victim.email)
		c = ks(c, "resourceName", r.name)
		switch a.action {
		case "DownloadRecording":
			p = ks(p, "format", "vrec")
			c = ki(c, "sizeBytes", int64(2_000_000+g.n(600_000_000)))
			g.desc(u.email, " downloaded the recording of ", s.victim.email, "'s session on ", r.name)
		case "WatchLiveSession":
			g.desc(u.email, " watched ", s.victim.email, "'s live session on ", r.name)
		default:
			p = ks(p, "reason", s.reason)
			g.desc(u.email, " terminated ", s.victim.email, "'s session on ", r.name)
		}
	case "ListResources":
		p = ks(p, "category", r.category)
		p = ki(p, "page", 1)
		c = ki(c, "returned", int64(1+g.n(14)))
		g.desc(u.email, " listed ", r.category, " resources")
	case "GetResource":
		p = ks(p, "resourceId", r.id)
		e.Target, e.TargetID, e.TargetType = r.name, r.id, "resource"
		g.desc(u.email, " viewed resource ", r.name)
	case "CreateResource", "UpdateResource", "DeleteResource":
		p = ks(p, "resourceId", r.id)
		p = ks(p, "name", r.name)
		p = ks(p, "category", r.category)
		if a.action != "DeleteResource" {
			p = ks(p, "host", r.host)
			p = ki(p, "port", r.port)
			p = ks(p, "protocol", r.protocol)
			p = ks(p, "connectorId", r.connectorID)
		}
		e.Target, e.TargetID, e.TargetType = r.name, r.id, "resource"
		switch a.action {
		case "CreateResource":
			g.desc(u.email, " created resource ", r.name)
		case "DeleteResource":
			g.desc(u.email, " deleted resource ", r.name)
		default:
			on := s.reason != "disable-recording"
			g.bf = end(kb(append(g.bf, '{'), "recordingEnabled", !on))
			g.af = end(kb(append(g.af, '{'), "recordingEnabled", on))
			if on {
				g.desc(u.email, " enabled session recording on ", r.name)
			} else {
				g.desc(u.email, " disabled session recording on ", r.name)
			}
		}
	case "ListSecrets":
		p = ks(p, "folder", "/"+r.category+"s")
		c = ki(c, "returned", int64(1+g.n(30)))
		g.desc(u.email, " listed secrets in /", r.category, "s")
	case "GetCredential", "RevealPassword", "CreateCredential", "RotateCredential", "DeleteCredential":
		p = ks(p, "credentialId", r.credentialID)
		p = ks(p, "resourceId", r.id)
		e.Target, e.TargetID, e.TargetType = r.account+"@"+r.name, r.credentialID, "credential"
		switch a.action {
		case "RevealPassword":
			p = ks(p, "reason", s.reason)
			c = ki(c, "revealTtlSec", 60)
			g.desc(u.email, " revealed the password of ", e.Target)
		case "CreateCredential":
			p = ks(p, "account", r.account)
			p = ks(p, "type", pick(g, []string{"password", "ssh-key"}))
			g.desc(u.email, " created credential ", e.Target)
		case "RotateCredential":
			p = ks(p, "policy", "30d")
			c = kb(c, "pushedToTarget", s.fail == "")
			g.desc(u.email, " rotated credential ", e.Target)
		case "DeleteCredential":
			g.desc(u.email, " deleted credential ", e.Target)
		default:
			g.desc(u.email, " checked out credential ", e.Target)
		}
	case "ListConnectors":
		c = ki(c, "returned", 2)
		g.desc(u.email, " listed connectors")
	case "RegisterConnector":
		p = ks(p, "name", "connector-"+tn.slug+"-"+itoa(int64(3+g.n(5))))
		p = ks(p, "version", "2.14.0")
		p = ks(p, "site", "aws-us-east-1")
		e.Target, e.TargetType = "connector", "connector"
		g.desc(u.email, " registered a new connector")
	case "ListAuditLogs", "ExportAuditLogs":
		p = kt(p, "from", ms-7*86400000)
		p = kt(p, "to", ms)
		if a.action == "ExportAuditLogs" {
			p = ks(p, "format", "csv")
			rows := int64(5000 + g.n(95000))
			c = ki(c, "rows", rows)
			c = ki(c, "sizeBytes", rows*310)
			g.desc(u.email, " exported the audit log (last 7 days)")
		} else {
			p = ki(p, "page", 1)
			g.desc(u.email, " viewed the audit log")
		}
	}
	if s.fail != "" {
		g.desc(" - failed: ", s.fail)
	} else if s.warn != "" {
		g.desc(" - warning: ", s.warn)
	}
	if len(p) == 1 {
		p = p[:0]
	} else {
		p = end(p)
	}
	if len(c) == 1 {
		c = c[:0]
	} else {
		c = end(c)
	}
	g.p, g.c = p, c

	w := append(g.raw, '{')
	w = ksb(w, "id", g.id)
	w = kt(w, "timestamp", ms)
	w = ks(w, "organizationId", tn.orgID)
	w = ko(w, "user")
	w = ks(w, "id", u.id)
	w = ks(w, "username", u.email)
	w = ks(w, "ip", e.IP)
	w = ks(w, "client", e.Client)
	w = ks(w, "browser", e.UserAgent)
	w = end(w)
	w = ks(w, "service", a.service)
	w = ks(w, "action", a.action)
	w = ki(w, "duration", s.dur)
	w = ks(w, "errorState", state)
	if e.Error != "" {
		w = ks(w, "errorMessage", e.Error)
	}
	if len(p) > 0 {
		w = kr(w, "parameters", p)
	}
	if len(c) > 0 {
		w = kr(w, "customData", c)
	}
	g.raw = end(w)
	return g.finish(e)
}
