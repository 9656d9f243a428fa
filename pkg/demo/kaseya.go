package demo

import (
	"github.com/auditctl/auditctl/pkg/audit"
)

// The 17-column workflow audit log of seed 004 (a Kaseya-like backup and
// endpoint platform), source "demo:kaseya". A workflow is 2-4 events sharing
// a WorkflowId a few milliseconds to seconds apart: an in-progress step
// (user:creating), optional intermediate steps, and a final success, failure
// or warning (user:created, user:creation-failed). Update workflows carry
// OriginalState/UpdatedState (our Before/After). Raw is the row as a JSON
// object keyed by the seed's 17 column names.

type wfDef struct {
	typ, cat, svc, title string
	start                string
	mids                 []string
	ok, fail             string
	ttype                string
	init                 string // user, admin, vsa, system, external, anonymous
	w                    int
	failPM               int
	warnPM               int
	ba                   bool
	slow                 bool
}

var workflows = []wfDef{
	// User Access
	{"login:email-password", "User Access", "login", "Email/password login", "login:attempting", []string{"login:2fa-verified"}, "login:succeeded", "login:failed", "user", "user", 120, 60, 0, false, false},
	{"login:vsa9", "User Access", "login", "VSA 9 login", "login:attempting", []string{"login:vsa-user-mapped"}, "login:succeeded", "login:failed", "user", "vsa", 25, 50, 0, false, false},
	{"login:vsax", "User Access", "login", "VSA X login", "login:attempting", nil, "login:succeeded", "login:failed", "user", "vsa", 20, 40, 0, false, false},
	{"login:k1", "User Access", "login", "K1 login", "login:attempting", []string{"login:k1-authenticated", "login:access-groups-assigned"}, "login:succeeded", "login:failed", "user", "user", 15, 40, 0, false, false},
	{"logout:deliberate", "User Access", "logout", "Deliberate logout", "logout:requested", nil, "logout:completed", "logout:failed", "user", "user", 40, 0, 0, false, false},
	{"logout:automatic", "User Access", "logout", "Automatic logout", "logout:session-timeout", nil, "logout:completed", "logout:failed", "user", "system", 30, 0, 0, false, false},
	// User Management
	{"user:creation", "User Management", "user", "User creation", "user:creating", []string{"user:scope-assigned"}, "user:created", "user:creation-failed", "user", "admin", 12, 60, 0, false, false},
	{"user:activation", "User Management", "user", "User activation", "user:activating", []string{"user:invitation-validated"}, "user:activated", "user:activation-failed", "user", "anonymous", 8, 80, 0, false, false},
	{"user:deletion", "User Management", "user", "User deletion", "user:deleting", nil, "user:deleted", "user:deletion-failed", "user", "admin", 5, 60, 0, false, false},
	{"user:update", "User Management", "user", "User update", "user:updating", nil, "user:updated", "user:update-failed", "user", "admin", 14, 30, 0, true, false},
	{"user:activation-email-resend", "User Management", "email", "Activation email resend", "email:sending", nil, "email:sent", "email:send-failed", "user", "admin", 5, 50, 0, false, false},
	{"user:password-reset", "User Management", "password", "Password reset", "password:resetting", nil, "password:reset", "password:reset-failed", "user", "user", 6, 40, 0, false, false},
	{"k1user:deactivation", "User Management", "k1user", "K1 user deactivation", "k1user:deactivating", nil, "k1user:deactivated", "k1user:deactivation-failed", "cooperbotK1User", "external", 2, 30, 0, false, false},
	{"k1user:deletion", "User Management", "k1user", "K1 user deletion", "k1user:deleting", nil, "k1user:deleted", "k1user:deletion-failed", "cooperbotK1User", "external", 1, 30, 0, false, false},
	// Group Management
	{"group:creation", "Group Management", "group", "Group creation", "group:creating", nil, "group:created", "group:creation-failed", "scope", "admin", 4, 30, 0, false, false},
	{"group:update", "Group Management", "group", "Group update", "group:updating", nil, "group:updated", "group:update-failed", "scope", "admin", 5, 20, 0, true, false},
	{"group:deletion", "Group Management", "group", "Group deletion", "group:deleting", nil, "group:deleted", "group:deletion-failed", "scope", "admin", 2, 20, 0, false, false},
	{"scope:create", "Group Management", "scope", "Global scope creation", "scope:creating", nil, "scope:created", "scope:creation-failed", "globalScope", "system", 3, 30, 0, false, false},
	{"usergroup:assignment", "Group Management", "usergroup", "User group assignment", "usergroup:assigning", nil, "usergroup:assigned", "usergroup:assignment-failed", "userScope", "admin", 8, 20, 0, true, false},
	{"usergroup:update", "Group Management", "usergroup", "User group update", "usergroup:updating", nil, "usergroup:updated", "usergroup:update-failed", "userScope", "admin", 4, 20, 0, true, false},
	{"k1group:assignment", "Group Management", "k1group", "K1 group assignment", "k1group:assigning", nil, "k1group:assigned", "k1group:assignment-failed", "k1Scope", "external", 3, 40, 0, false, false},
	{"k1accessgroups:sync", "Group Management", "k1accessgroups", "K1 access groups sync", "k1accessgroups:syncing", nil, "k1accessgroups:synced", "k1accessgroups:sync-failed", "cooperbotK1AccessGroups", "external", 6, 70, 0, false, false},
	// Asset Management
	{"asset:upsert", "Asset Management", "asset", "Asset upsert", "asset:upserting", nil, "asset:upserted", "asset:upsert-failed", "epbAsset", "system", 40, 20, 120, false, false},
	{"asset:update", "Asset Management", "asset", "Asset update", "asset:updating", nil, "asset:updated", "asset:update-failed", "epbAsset", "admin", 6, 20, 0, true, false},
	{"asset:deletion", "Asset Management", "asset", "Asset deletion", "asset:deleting", nil, "asset:deleted", "asset:deletion-failed", "epbAsset", "admin", 2, 20, 0, false, false},
	// Policy Management
	{"epbpolicy:creation", "Policy Management", "epbpolicy", "Policy creation", "epbpolicy:creating", nil, "epbpolicy:created", "epbpolicy:creation-failed", "ebpPolicy", "admin", 3, 20, 0, false, false},
	{"epbpolicy:update", "Policy Management", "epbpolicy", "Policy update", "epbpolicy:updating", nil, "epbpolicy:updated", "epbpolicy:update-failed", "ebpPolicy", "admin", 6, 30, 0, true, false},
	{"epbpolicy:deletion", "Policy Management", "epbpolicy", "Policy deletion", "epbpolicy:deleting", nil, "epbpolicy:deleted", "epbpolicy:deletion-failed", "ebpPolicy", "admin", 1, 20, 0, false, false},
	{"epbpolicythreshold:upsert", "Policy Management", "epbpolicythreshold", "Policy threshold upsert", "epbpolicythreshold:upserting", nil, "epbpolicythreshold:upserted", "epbpolicythreshold:upsert-failed", "ebpPolicyThreshold", "admin", 3, 20, 0, false, false},
	{"epbpolicythreshold:deletion", "Policy Management", "epbpolicythreshold", "Policy threshold deletion", "epbpolicythreshold:deleting", nil, "epbpolicythreshold:deleted", "epbpolicythreshold:deletion-failed", "ebpPolicyThreshold", "admin", 1, 20, 0, false, false},
	// Access & Tokens
	{"token:creation", "Access & Tokens", "token", "Deployment token creation", "token:creating", nil, "token:created", "token:creation-failed", "deploymentToken", "admin", 4, 20, 0, false, false},
	{"token:deletion", "Access & Tokens", "token", "Deployment token deletion", "token:deleting", nil, "token:deleted", "token:deletion-failed", "deploymentToken", "admin", 2, 20, 0, false, false},
	{"token:pairing", "Access & Tokens", "token", "Deployment token pairing", "token:pairing", nil, "token:paired", "token:pairing-failed", "deploymentToken", "system", 6, 80, 0, false, false},
	// Restore Operations
	{"restore:upsert", "Restore Operations", "restore", "Restore upsert", "restore:upserting", nil, "restore:upserted", "restore:upsert-failed", "epbRestore", "admin", 3, 30, 0, false, false},
	{"restore:file-level", "Restore Operations", "restore", "File-level recovery", "restore:requested", []string{"restore:transferring"}, "restore:completed", "restore:failed", "epbRestore", "admin", 6, 60, 100, false, true},
	{"restore:sfmv-bundle", "Restore Operations", "restore", "Single-file multi-version bundle", "restore:bundling", nil, "restore:bundled", "restore:bundle-failed", "epbRestore", "admin", 2, 40, 0, false, true},
	{"restore:sfmv-recover", "Restore Operations", "restore", "Single-file multi-version recover", "restore:recovering", nil, "restore:recovered", "restore:recover-failed", "epbRestore", "admin", 2, 40, 0, false, true},
	{"restore:sfmv-restore", "Restore Operations", "restore", "Single-file multi-version restore", "restore:restoring", nil, "restore:restored", "restore:restore-failed", "epbRestore", "admin", 2, 40, 50, false, true},
	{"restore:bmr", "Restore Operations", "restore", "Bare metal recovery", "bmr:requested", []string{"bmr:imaging"}, "bmr:completed", "bmr:failed", "epbRestore", "admin", 1, 100, 0, false, true},
	// Reporting
	{"report:schedule", "Reporting", "report", "Report schedule", "report:scheduling", nil, "report:scheduled", "report:schedule-failed", "epbReport", "admin", 3, 20, 0, false, false},
	{"report:upsert", "Reporting", "report", "Report upsert", "report:upserting", nil, "report:upserted", "report:upsert-failed", "epbReport", "admin", 3, 20, 0, false, false},
	{"report:deletion", "Reporting", "report", "Report deletion", "report:deleting", nil, "report:deleted", "report:deletion-failed", "epbReport", "admin", 1, 20, 0, false, false},
	{"report:snapshot-resend", "Reporting", "report", "Report snapshot resend", "report:snapshot-resending", nil, "report:snapshot-resent", "report:snapshot-resend-failed", "epbReport", "system", 2, 60, 0, false, false},
}

// KaseyaCategories are the eight filter categories of seed 004.
var KaseyaCategories = []string{"User Access", "User Management", "Group Management", "Asset Management", "Policy Management", "Access & Tokens", "Restore Operations", "Reporting"}

var wfCum = func() []int {
	ws := make([]int, len(workflows))
	for i, w := range workflows {
		ws[i] = w.w
	}
	return cumulative(ws)
}()

func workflowOf(typ string) *wfDef {
	for i := range workflows {
		if workflows[i].typ == typ {
			return &workflows[i]
		}
	}
	panic("demo: unknown workflow " + typ)
}

var wfErrors = map[string][]string{
	"login":              {"invalid password", "2FA code rejected", "account locked after 5 failed attempts"},
	"user":               {"email already exists in tenant", "scope assignment failed: scope not found", "invitation link expired", "user owns active deployment tokens"},
	"email":              {"SMTP relay rejected message: 550 mailbox unavailable"},
	"password":           {"reset token expired"},
	"k1user":             {"K1 API returned 503 Service Unavailable"},
	"k1accessgroups":     {"K1 API returned 503 Service Unavailable", "K1 access group not found"},
	"k1group":            {"K1 group mapping not found"},
	"asset":              {"license limit reached for Server licenses", "asset reported stale agent version"},
	"token":              {"token expired", "token usage limit reached"},
	"restore":            {"endpoint offline", "insufficient disk space on target volume", "restore point corrupted; choose an earlier version"},
	"report":             {"recipient address rejected", "report template missing"},
	"epbpolicy":          {"validation failed: retention below compliance minimum of 30 days"},
	"epbpolicythreshold": {"threshold must be between 1 and 100"},
}

var wfGenericErrors = []string{"validation failed: name already exists", "permission denied for scope", "internal error: upstream timeout"}

var (
	restoreTypes  = []string{"original", "new location", "alternate", "zip"}
	filePaths     = []string{`C:\Users\Public\Documents\Q3-forecast.xlsx`, `/home/deploy/app/config.yaml`, `D:\Finance\Payroll\2025\payroll.csv`, `/var/lib/postgresql/16/main/pg_hba.conf`, `C:\Projects\design\spec-v4.docx`}
	licenseTypes  = []string{"Workstation", "Server", "Workstation", "Workstation"}
	vsaUserPrefix = "vsa:"
)

// wfSpec is one workflow to build; the story fills it directly.
type wfSpec struct {
	d       *wfDef
	actor   *user // nil for system, external and anonymous initiators
	tenant  *tenant
	init    string // initiator name
	initID  string
	initT   string // InitiatorType
	target  string
	tid     string
	ip      string
	fail    string
	warn    string
	before  []byte
	after   []byte
	custom  []byte
	nsteps  int // 0 = all
	startMS int64
}

func (g *gen) kaseya(ms int64) *audit.Event {
	d := &workflows[g.weighted(wfCum)]
	u := g.actor(ms)
	s := wfSpec{d: d, tenant: u.t}
	switch d.init {
	case "admin":
		if u.service || g.pm(950) {
			if u.service && g.pm(500) {
				break // the tenant's automation does it
			}
			u = g.admin(u.t)
		}
	case "user", "vsa":
		if u.service {
			u = g.person(u.t, ms)
		}
	}
	g.wfInitiator(&s, u, ms)
	g.wfTarget(&s, ms)
	if g.pm(d.failPM * failScale / 10) {
		if es := wfErrors[d.svc]; len(es) > 0 {
			s.fail = pick(g, es)
		} else {
			s.fail = pick(g, wfGenericErrors)
		}
		if d.typ == "login:email-password" && g.pm(300) {
			s.initT, s.init, s.initID, s.actor = "anonymous", "anonymous", "", nil
			s.ip = pick(g, g.w.attackers).ip
		}
	} else if g.pm(d.warnPM) {
		switch d.svc {
		case "asset":
			s.warn = "storage quota at 92%"
		default:
			s.warn = "completed with warnings: 3 files skipped (locked)"
		}
	}
	return g.wfRun(ms, &s)
}

func systemInitiator(svc string) string {
	switch svc {
	case "asset":
		return "asset-inventory"
	case "logout", "login":
		return "session-manager"
	case "token":
		return "token-service"
	case "report":
		return "report-scheduler"
	case "restore":
		return "backup-scheduler"
	}
	return "provisioning-service"
}

// wfInitiator sets who started the workflow.
func (g *gen) wfInitiator(s *wfSpec, u *user, ms int64) {
	switch s.d.init {
	case "system":
		s.init, s.initT = systemInitiator(s.d.svc), "system"
		s.initID = "svc-" + s.init
		s.actor = nil
		if s.d.typ == "logout:automatic" {
			s.actor = g.person(s.tenant, ms) // the user being logged out is the target
		}
	case "external":
		s.init, s.initT, s.initID = "K1", "external-system", "k1-connector"
	case "anonymous":
		s.init, s.initT, s.initID = "anonymous", "anonymous", ""
		s.actor = g.person(s.tenant, ms)
	default:
		s.actor = u
		s.init, s.initID, s.initT = u.email, u.uuid, "tenant-user"
		switch {
		case u.service:
			s.initT = "system-user"
		case s.d.init == "vsa":
			s.init, s.initT = vsaUserPrefix+u.username, "vsa-user"
		}
		s.ip = g.where(u, ms, true).ip
	}
}

// wfTarget picks the target and fills CustomValues and before/after.
func (g *gen) wfTarget(s *wfSpec, ms int64) {
	d, t := s.d, s.tenant
	c := append(s.custom[:0], '{')
	switch d.svc {
	case "login", "logout", "password":
		v := s.actor
		if v == nil {
			v = g.person(t, ms)
		}
		s.target, s.tid = v.email, v.uuid
		if d.svc == "login" {
			if d.typ == "login:k1" {
				c = ks(c, "authMethod", "k1")
			} else {
				c = ks(c, "authMethod", "password")
			}
			c = ks(c, "sourceIp", s.ip)
			if len(d.mids) > 0 && d.mids[0] == "login:2fa-verified" {
				c = ks(c, "twoFactor", "totp")
			}
		}
	case "user", "email":
		switch d.typ {
		case "user:creation", "user:deletion":
			name, email, id := g.tempAccount(t)
			_ = name
			s.target, s.tid = email, staticUUID(id)
			c = ks(c, "email", email)
			if d.typ == "user:creation" {
				c = ks(c, "role", pick(g, []string{"Technician", "Administrator", "Read Only"}))
				c = ka(c, "scopes")
				c = enda(as(c, pick(g, groupNames)))
				c = kb(c, "sendInvite", true)
			} else {
				c = ks(c, "reason", pick(g, deleteReasons))
			}
		default:
			v := g.person(t, ms)
			s.target, s.tid = v.email, v.uuid
			if d.ba {
				s.before = g.userState(s.before[:0], v, "Technician", true)
				s.after = g.userState(s.after[:0], v, pick(g, []string{"Administrator", "Read Only", "Technician"}), g.pm(900))
			}
		}
	case "k1user":
		v := g.person(t, ms)
		s.target, s.tid = v.email, "k1u-"+v.id[8:20]
		c = ks(c, "k1UserId", s.tid)
	case "group", "scope", "usergroup", "k1group", "k1accessgroups":
		grp := pick(g, groupNames)
		s.target, s.tid = grp, staticUUID("scope:"+t.slug+grp)
		switch d.svc {
		case "scope":
			s.target, s.tid = t.name+" (global)", staticUUID("gscope:"+t.slug)
			c = ks(c, "tenantId", t.uuid)
		case "usergroup":
			v := g.person(t, ms)
			s.target, s.tid = v.email, v.uuid
			c = ks(c, "userId", v.uuid)
			other := pick(g, groupNames)
			s.before = enda(as(ka(append(s.before[:0], '{'), "groups"), grp))
			s.before = end(s.before)
			s.after = enda(as(as(ka(append(s.after[:0], '{'), "groups"), grp), other))
			s.after = end(s.after)
		case "k1group", "k1accessgroups":
			c = ka(c, "k1GroupIds")
			c = enda(as(as(c, "k1-ag-"+itoa(int64(1000+g.n(9000)))), "k1-ag-"+itoa(int64(1000+g.n(9000)))))
			if d.svc == "k1accessgroups" {
				c = ki(c, "synced", int64(1+g.n(40)))
			}
		default:
			if d.ba {
				n := int64(3 + g.n(20))
				s.before = end(ki(ks(append(s.before[:0], '{'), "name", grp), "members", n))
				s.after = end(ki(ks(append(s.after[:0], '{'), "name", grp), "members", n+1))
			}
		}
	case "asset":
		sys := pick(g, g.w.systems[t])
		s.target, s.tid = sys.hostname, staticUUID("asset:"+sys.id)
		pol := pick(g, policies)
		c = ks(c, "assetName", sys.hostname)
		c = ks(c, "hostname", sys.hostname)
		c = ks(c, "os", sys.os)
		c = ks(c, "policyId", staticUUID("pol:"+t.slug+pol))
		c = ks(c, "licenseType", pick(g, licenseTypes))
		c = ks(c, "organizationId", t.uuid)
		c = ki(c, "storageUsedGB", int64(20+g.n(900)))
		if d.ba {
			pol2 := pick(g, policies)
			s.before = end(ks(ks(append(s.before[:0], '{'), "policyName", pol), "licenseType", "Workstation"))
			s.after = end(ks(ks(append(s.after[:0], '{'), "policyName", pol2), "licenseType", "Server"))
		}
	case "epbpolicy", "epbpolicythreshold":
		pol := pick(g, policies)
		s.target, s.tid = pol, staticUUID("pol:"+t.slug+pol)
		if d.svc == "epbpolicythreshold" {
			c = ks(c, "threshold", pick(g, []string{"missedBackups", "storageUsedPercent", "daysSinceLastBackup"}))
			c = ki(c, "value", int64(1+g.n(90)))
		} else if d.ba {
			s.before = policyState(s.before[:0], "daily", 30, true)
			s.after = policyState(s.after[:0], pick(g, []string{"hourly", "daily", "every 4h"}), int64(pick(g, []int{30, 60, 90})), true)
		} else {
			c = ks(c, "schedule", "daily")
			c = ki(c, "retentionDays", 30)
		}
	case "token":
		s.target = "deploy-" + t.slug + "-" + itoa(int64(100+g.n(900)))
		s.tid = staticUUID("tok:" + s.target)
		c = ki(c, "expiresInDays", 30)
		c = ki(c, "maxUses", 50)
	case "restore":
		sys := pick(g, g.w.systems[t])
		s.target, s.tid = sys.hostname, g.workflowID()
		c = ks(c, "endpoint", sys.hostname)
		c = ks(c, "restoreType", pick(g, restoreTypes))
		if d.typ != "restore:bmr" && d.typ != "restore:upsert" {
			c = ks(c, "filePath", pick(g, filePaths))
		}
		if d.typ == "restore:bmr" {
			c = kt(c, "restorePoint", ms-int64(1+g.n(6))*86400000)
		}
		c = ki(c, "sizeMB", int64(1+g.n(5000)))
	case "report":
		rep := pick(g, reports)
		s.target, s.tid = rep, staticUUID("rep:"+t.slug+rep)
		c = ks(c, "reportName", rep)
		c = ks(c, "schedule", "weekly Mon 07:00 UTC")
		c = ki(c, "recipients", int64(1+g.n(4)))
		c = ks(c, "format", "pdf")
	}
	if len(c) == 1 {
		c = c[:0]
	} else {
		c = end(c)
	}
	s.custom = c
}

func (g *gen) userState(b []byte, v *user, role string, mfa bool) []byte {
	b = append(b, '{')
	b = ks(b, "firstName", v.first)
	b = ks(b, "lastName", v.last)
	b = ks(b, "email", v.email)
	b = ks(b, "role", role)
	b = ks(b, "status", "active")
	b = kb(b, "mfaEnabled", mfa)
	return end(b)
}

func policyState(b []byte, schedule string, retention int64, enc bool) []byte {
	b = append(b, '{')
	b = ks(b, "schedule", schedule)
	b = ks(b, "backupWindow", "01:00-05:00")
	b = ki(b, "retentionDays", retention)
	b = kb(b, "encryption", enc)
	b = ki(b, "versionsKept", 10)
	return end(b)
}

// wfRun builds the steps of a workflow starting at ms: the first is
// returned, the others are scheduled.
func (g *gen) wfRun(ms int64, s *wfSpec) *audit.Event {
	d := s.d
	steps := make([]string, 0, 4)
	steps = append(steps, d.start)
	steps = append(steps, d.mids...)
	final := d.ok
	if s.fail != "" {
		final = d.fail
		// a failure stops the workflow early
		if len(steps) > 1 {
			steps = steps[:1+g.n(len(steps))]
		}
	}
	steps = append(steps, final)
	if s.nsteps > 0 && s.nsteps < len(steps) {
		steps = steps[:s.nsteps]
	}
	wid := g.workflowID()
	var first *audit.Event
	at := ms
	for i, et := range steps {
		var gap int64
		if i > 0 {
			switch {
			case d.slow:
				gap = int64(2000 + g.n(28000))
			case g.pm(800):
				gap = int64(3 + g.n(120))
			default:
				gap = int64(150 + g.n(2500))
			}
		}
		at += gap
		st := audit.StatusSuccess
		switch {
		case i == 0 && len(steps) > 1:
			st = audit.StatusInProgress
		case i == len(steps)-1 && et == d.fail:
			st = audit.StatusFailure
		case i == len(steps)-1 && s.warn != "":
			st = audit.StatusWarning
		}
		e := g.wfStep(at, s, wid, et, st, i, len(steps), gap)
		if i == 0 {
			first = e
		} else {
			g.schedule(e, at, false)
		}
	}
	return first
}

func (g *gen) wfStep(ms int64, s *wfSpec, wid, et string, st audit.Status, i, n int, gap int64) *audit.Event {
	d := s.d
	e := g.newEvent(ms, SourceKaseya, idUUID)
	t := s.tenant
	e.Service, e.Action, e.Category = d.svc, et, d.cat
	e.WorkflowID, e.WorkflowType = wid, d.typ
	e.Actor, e.ActorID, e.ActorType = s.init, s.initID, s.initT
	e.Target, e.TargetID, e.TargetType = s.target, s.tid, d.ttype
	e.IP = s.ip
	if s.actor != nil && s.initT != "system" && s.initT != "external-system" && s.initT != "anonymous" {
		e.Client = "web"
		if s.initT == "system-user" {
			e.Client = "api"
		}
		e.UserAgent = s.actor.ua.ua
	}
	e.Tenant = t.uuid
	e.Status = st
	if i == 0 {
		setDur(e, int64(2+g.n(40)))
	} else {
		setDur(e, gap)
	}
	switch st {
	case audit.StatusFailure:
		e.Error = s.fail
	case audit.StatusWarning:
		e.Error = s.warn
	}
	last := i == n-1
	// CustomValues: the inputs on every step, the error on the failing one
	c := g.c[:0]
	if len(s.custom) > 0 {
		c = append(c, s.custom[:len(s.custom)-1]...)
	} else {
		c = append(c, '{')
	}
	c = ks(c, "step", et)
	if e.Error != "" {
		c = ks(c, "error", e.Error)
	}
	g.c = end(c)
	if d.ba {
		g.bf = append(g.bf, s.before...)
		if last && st != audit.StatusFailure {
			g.af = append(g.af, s.after...)
		}
	}
	// EventDescription
	switch {
	case i == 0 && n > 1:
		g.desc(d.title, " started for ", s.target)
	case last && st == audit.StatusFailure:
		g.desc(d.title, " failed for ", s.target, ": ", s.fail)
	case last && st == audit.StatusWarning:
		g.desc(d.title, " completed for ", s.target, " with a warning: ", s.warn)
	case last:
		g.desc(d.title, " completed for ", s.target)
	default:
		g.desc(d.title, ": ", et, " for ", s.target)
	}
	if s.initT != "system" && s.initT != "anonymous" && i == 0 {
		g.desc(" by ", s.init)
	}

	opStatus := string(st)
	if st == audit.StatusInProgress {
		opStatus = "inProgress"
	}
	w := append(g.raw, '{')
	w = ksb(w, "Id", g.id)
	w = ks(w, "TenantId", t.uuid)
	w = kt(w, "Timestamp", ms)
	w = ks(w, "WorkflowId", wid)
	w = ks(w, "WorkflowType", d.typ)
	w = ks(w, "EventType", et)
	w = str(key(w, "EventDescription"), g.d)
	w = ks(w, "Initiator", s.init)
	w = ks(w, "InitiatorType", s.initT)
	w = ks(w, "InitiatorId", s.initID)
	w = ks(w, "Target", s.target)
	w = ks(w, "TargetType", d.ttype)
	w = ks(w, "TargetId", s.tid)
	w = ks(w, "OperationStatus", opStatus)
	w = kr(w, "CustomValues", g.c)
	w = kr(w, "OriginalState", g.bf)
	w = kr(w, "UpdatedState", g.af)
	g.raw = end(w)
	return g.finish(e)
}
