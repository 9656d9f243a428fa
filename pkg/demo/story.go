package demo

// The story: scripted events on top of the background traffic, placed
// relative to Now (compressed when the window is shorter than 8 days), for
// an investigator to find.
//
//  1. Offboarding in the last week. jordan.reyes@acme.com uses Salesforce
//     late in the evening, then priya.shah@acme.com deletes him (the first
//     DeleteUser fails: active session; she terminates it and retries) in
//     Vault, Directory Insights, the workflow log and the platform. Days
//     later the deleted account still tries to log in.
//     sam.okafor@globex.io (contractor) is deleted by nina.petrova@globex.io
//     after a failed first attempt; li.wei@initech.net is first "deleted" by
//     a non-admin (permission denied), then by helen.park@initech.net.
//  2. Password spraying: 03:12 UTC three days ago, 185.220.101.47 (a Tor
//     exit node) fails ~50 logins against initech usernames, then logs in as
//     kevin.obrien@initech.net without MFA and goes for credentials and the
//     billing database. Security resets his MFA in the morning.
//  3. Off-hours admin: victor.kane@globex.io, 02:07-03:41 UTC on the last
//     Saturday, promotes a user, creates and reveals a database credential,
//     disables session recording, cuts backup retention from 90 to 7 days,
//     and exports the audit log.

const (
	msMin  = int64(60000)
	msHour = 60 * msMin
	msDay  = 24 * msHour
)

// ago returns Now-d, with d scaled down when the window is under 8 days.
func (g *gen) ago(d int64) int64 {
	win := g.nowMS - g.startMS
	if win < 8*msDay {
		d = d * win / (8 * msDay)
	}
	return g.nowMS - d
}

// dayAt returns hh:mm UTC on the day daysAgo days before Now.
func (g *gen) dayAt(daysAgo int64, hh, mm int64) int64 {
	base := g.ago(daysAgo * msDay)
	t := base - mod(base, msDay) + hh*msHour + mm*msMin
	win := g.nowMS - g.startMS
	if win < 8*msDay {
		// compressed: keep the offset within the scaled day
		t = base + (hh*msHour+mm*msMin)*win/(8*msDay) - win/16
	}
	return g.clamp(t)
}

func (g *gen) clamp(t int64) int64 {
	if t >= g.nowMS {
		t = g.nowMS - 1
	}
	if t < g.startMS {
		t = g.startMS
	}
	return t
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

func (g *gen) userNamed(username string) *user {
	for _, u := range g.w.users {
		if u.username == username {
			return u
		}
	}
	panic("demo: no user " + username)
}

func (g *gen) res(t *tenant, name string) *resource {
	for _, r := range g.w.resources[t] {
		if r.name == name {
			return r
		}
	}
	panic("demo: no resource " + name)
}

// story helpers: each builds one event (or workflow) at ms and queues it.

func (g *gen) sDI(ms int64, s diSpec) {
	e := g.diBuild(ms, &s)
	g.schedule(e, ms, true)
}

func (g *gen) sVault(ms int64, s vaultSpec) {
	if s.ip == nil {
		s.ip = g.where(s.actor, ms, false)
	}
	if s.client == "" {
		s.client = "web"
	}
	if s.ua == nil {
		s.ua = s.actor.ua
	}
	if s.dur == 0 {
		s.dur = g.dur(s.a.prof)
	}
	e := g.vaultBuild(ms, &s)
	g.schedule(e, ms, true)
}

func (g *gen) sPlat(ms int64, s platSpec) {
	if s.ip == nil {
		s.ip = g.where(s.actor, ms, false)
	}
	if s.client == "" {
		s.client = "web"
	}
	if s.ua == nil {
		s.ua = s.actor.ua
	}
	e := g.platBuild(ms, &s)
	g.schedule(e, ms, true)
}

func (g *gen) sWF(ms int64, typ string, u *user, fail string, ip *addr, mod func(*wfSpec)) {
	s := wfSpec{d: workflowOf(typ), tenant: u.t}
	g.wfInitiator(&s, u, ms)
	if ip != nil {
		s.ip = ip.ip
	}
	g.wfTarget(&s, ms)
	s.fail = fail
	if mod != nil {
		mod(&s)
	}
	e := g.wfRun(ms, &s)
	g.schedule(e, ms, true)
}

func userRes(v *user) (string, string, string) { return "user", v.id, v.username }

func (g *gen) story() {
	g.inStory = true
	defer func() { g.inStory = false }()
	w := g.w
	acme, globex, initech := w.tenants[0], w.tenants[1], w.tenants[2]

	// 1. Offboarding.
	priya, jordan := g.userNamed("priya.shah"), g.userNamed("jordan.reyes")
	sf := g.res(acme, "Salesforce Admin")
	eve := g.dayAt(6, 21, 10)
	for i := int64(0); i < 4; i++ {
		rt, rid, _ := "application", staticOID("app:acme"+"Salesforce"), ""
		g.sDI(eve+i*7*msMin+i*13000, diSpec{t: diTypeOf("sso_auth"), actor: jordan, ip: jordan.home, ua: jordan.ua,
			rtype: rt, rid: rid, rname: "Salesforce"})
	}
	sess := g.workflowID()
	g.sVault(eve+31*msMin, vaultSpec{a: vaultActOf("OpenConnection"), actor: jordan, ip: jordan.home, res: sf, session: sess, dur: 1840})
	g.sVault(eve+72*msMin, vaultSpec{a: vaultActOf("CloseConnection"), actor: jordan, ip: jordan.home, res: sf, session: sess,
		reason: "user disconnected", closeSec: 41 * 60})
	off := g.dayAt(5, 16, 20)
	jordan.deletedAt = off
	pg := g.res(acme, "prod-postgres-main")
	g.sVault(off+5000, vaultSpec{a: vaultActOf("DeleteUser"), actor: priya, victim: jordan, reason: "offboarding",
		fail: "user has active sessions; terminate them first"})
	g.sVault(off+70000, vaultSpec{a: vaultActOf("TerminateSession"), actor: priya, victim: jordan, res: pg,
		session: g.workflowID(), reason: "offboarding"})
	g.sVault(off+100000, vaultSpec{a: vaultActOf("DeleteUser"), actor: priya, victim: jordan, reason: "offboarding"})
	rt, rid, rn := userRes(jordan)
	g.sDI(off+3*msMin, diSpec{t: diTypeOf("user_delete"), actor: priya, ip: priya.t.office[0], ua: priya.ua,
		rtype: rt, rid: rid, rname: rn, extra: jordan.email})
	g.sWF(off+5*msMin, "user:deletion", priya, "", nil, func(s *wfSpec) {
		s.target, s.tid = jordan.email, jordan.uuid
		s.custom = end(ks(ks(append([]byte(nil), '{'), "email", jordan.email), "reason", "offboarding"))
	})
	g.sPlat(off+6*msMin, platSpec{t: platTypeOf("USER_DELETED"), actor: priya, target: jordan.email, tid: jordan.uuid})
	// the deleted account still knocks
	knock := g.dayAt(3, 8, 47)
	for i := int64(0); i < 3; i++ {
		g.sDI(knock+i*95000, diSpec{t: diTypeOf("user_login_attempt"), actor: jordan, ip: jordan.home, ua: jordan.ua,
			fail: "invalid username or password", username: jordan.username})
	}
	g.sVault(knock+5*msMin, vaultSpec{a: vaultActOf("Login"), actor: jordan, ip: jordan.home, fail: "account disabled"})

	nina, sam := g.userNamed("nina.petrova"), g.userNamed("sam.okafor")
	d2 := g.dayAt(2, 10, 5)
	sam.deletedAt = d2
	g.sVault(d2, vaultSpec{a: vaultActOf("DeleteUser"), actor: nina, victim: sam, reason: "contract ended",
		fail: "user owns shared credentials; transfer them first"})
	g.sVault(d2+7*msMin, vaultSpec{a: vaultActOf("DeleteUser"), actor: nina, victim: sam, reason: "contract ended"})
	rt, rid, rn = userRes(sam)
	g.sDI(d2+9*msMin, diSpec{t: diTypeOf("user_delete"), actor: nina, ip: nina.t.office[1], ua: nina.ua,
		rtype: rt, rid: rid, rname: rn, extra: sam.email})
	g.sPlat(d2+10*msMin, platSpec{t: platTypeOf("USER_DELETED"), actor: nina, target: sam.email, tid: sam.uuid})

	cara, helen, li := g.userNamed("cara.jensen"), g.userNamed("helen.park"), g.userNamed("li.wei")
	g.sVault(g.dayAt(4, 14, 30), vaultSpec{a: vaultActOf("DeleteUser"), actor: cara, victim: li, reason: "role change",
		fail: "permission denied: role Operator cannot delete users"})
	d1 := g.dayAt(1, 9, 15)
	li.deletedAt = d1
	g.sWF(d1-2*msMin, "user:deletion", helen, "user owns active deployment tokens", nil, func(s *wfSpec) {
		s.target, s.tid = li.email, li.uuid
	})
	g.sVault(d1, vaultSpec{a: vaultActOf("DeleteUser"), actor: helen, victim: li, reason: "offboarding"})
	g.sWF(d1+msMin, "user:deletion", helen, "", nil, func(s *wfSpec) { s.target, s.tid = li.email, li.uuid })
	rt, rid, rn = userRes(li)
	g.sDI(d1+2*msMin, diSpec{t: diTypeOf("user_delete"), actor: helen, ip: helen.t.office[2], ua: helen.ua,
		rtype: rt, rid: rid, rname: rn, extra: li.email})

	// 2. Password spraying from a Tor exit node.
	tor := w.attackers[0]
	spray := g.dayAt(3, 3, 12)
	targets := []string{}
	for _, u := range w.byTenant[initech] {
		if !u.service {
			targets = append(targets, u.username)
		}
	}
	targets = append(targets, "admin", "administrator", "helpdesk", "test", "it-support")
	at := spray
	for i := 0; i < 48; i++ {
		name := targets[(i*7)%len(targets)]
		victim := helen
		for _, u := range w.byTenant[initech] {
			if u.username == name {
				victim = u
			}
		}
		ua := uaPython
		if i%3 == 0 {
			ua = uaOldChrome
		}
		g.sDI(at, diSpec{t: diTypeOf("user_login_attempt"), actor: victim, username: name, ip: tor, ua: ua,
			fail: "invalid username or password"})
		at += int64(4000 + g.n(9000))
	}
	kevin := g.userNamed("kevin.obrien")
	g.sDI(at+20000, diSpec{t: diTypeOf("user_login_attempt"), actor: kevin, ip: tor, ua: uaOldChrome, noMFA: true})
	for i := int64(0); i < 5; i++ {
		g.sWF(spray+i*71000, "login:email-password", kevin, "invalid password", tor, func(s *wfSpec) {
			s.initT, s.init, s.initID = "anonymous", "anonymous", ""
		})
	}
	in := at + 2*msMin
	g.sVault(in, vaultSpec{a: vaultActOf("Login"), actor: kevin, ip: tor, ua: uaOldChrome})
	g.sVault(in+70000, vaultSpec{a: vaultActOf("ListSecrets"), actor: kevin, ip: tor, ua: uaOldChrome, res: g.res(initech, "finance-ws-02")})
	g.sVault(in+130000, vaultSpec{a: vaultActOf("RevealPassword"), actor: kevin, ip: tor, ua: uaOldChrome,
		res: g.res(initech, "finance-ws-02"), reason: "break-glass"})
	bill := g.res(initech, "billing-mysql")
	sess = g.workflowID()
	g.sVault(in+4*msMin, vaultSpec{a: vaultActOf("OpenConnection"), actor: kevin, ip: tor, ua: uaOldChrome, res: bill, session: sess, dur: 2210})
	g.sDI(in+7*msMin, diSpec{t: diTypeOf("sso_auth"), actor: kevin, ip: tor, ua: uaOldChrome,
		rtype: "application", rid: staticOID("app:initechWorkday"), rname: "Workday"})
	g.sVault(in+12*msMin, vaultSpec{a: vaultActOf("ExportAuditLogs"), actor: kevin, ip: tor, ua: uaOldChrome,
		fail: "permission denied", dur: 41})
	g.sVault(in+35*msMin, vaultSpec{a: vaultActOf("CloseConnection"), actor: kevin, ip: tor, ua: uaOldChrome, res: bill,
		session: sess, reason: "user disconnected", closeSec: 31 * 60})
	// another source probes acme the same night
	for i := int64(0); i < 6; i++ {
		v := w.byTenant[acme][int(i)*3]
		g.sVault(spray+40*msMin+i*47000, vaultSpec{a: vaultActOf("Login"), actor: v, ip: w.attackers[1], ua: uaPython,
			client: "api", fail: "invalid credentials"})
	}
	morning := g.dayAt(3, 9, 5)
	g.sVault(morning, vaultSpec{a: vaultActOf("ResetMFA"), actor: helen, victim: kevin})
	g.sDI(morning+msMin, diSpec{t: diTypeOf("user_update"), actor: helen, ip: helen.t.office[0], ua: helen.ua,
		rtype: "user", rid: kevin.id, rname: kevin.username, field: "password_expired", before: "false", after: "true"})

	// 3. Off-hours admin on the last Saturday.
	victor, hassan := g.userNamed("victor.kane"), g.userNamed("hassan.ali")
	days := int64(1)
	for ; days < 8; days++ {
		if msTime(g.ago(days*msDay)).Weekday() == 6 {
			break
		}
	}
	sat := g.dayAt(days, 2, 7)
	home := victor.home
	g.sDI(sat, diSpec{t: diTypeOf("admin_login_attempt"), actor: victor, ip: home, ua: victor.ua})
	g.sVault(sat+70000, vaultSpec{a: vaultActOf("Login"), actor: victor, ip: home})
	g.sVault(sat+8*msMin, vaultSpec{a: vaultActOf("UpdateUser"), actor: victor, ip: home, victim: hassan, reason: "promote"})
	g.sDI(sat+9*msMin, diSpec{t: diTypeOf("association_change"), actor: victor, ip: home, ua: victor.ua,
		rtype: "user_group", rid: staticOID("grp:globexExecutives"), rname: "Executives", extra: hassan.username, field: "add"})
	gpg := g.res(globex, "prod-postgres-main")
	g.sVault(sat+15*msMin, vaultSpec{a: vaultActOf("CreateCredential"), actor: victor, ip: home, res: gpg})
	g.sVault(sat+16*msMin, vaultSpec{a: vaultActOf("RevealPassword"), actor: victor, ip: home, res: gpg, reason: "break-glass"})
	g.sVault(sat+18*msMin, vaultSpec{a: vaultActOf("UpdateResource"), actor: victor, ip: home, res: gpg, reason: "disable-recording"})
	sess = g.workflowID()
	g.sVault(sat+20*msMin, vaultSpec{a: vaultActOf("OpenConnection"), actor: victor, ip: home, res: gpg, session: sess, dur: 1320})
	g.sVault(sat+58*msMin, vaultSpec{a: vaultActOf("CloseConnection"), actor: victor, ip: home, res: gpg, session: sess,
		reason: "user disconnected", closeSec: 38 * 60})
	g.sWF(sat+63*msMin, "epbpolicy:update", victor, "", home, func(s *wfSpec) {
		s.target, s.tid = "Servers - Hourly", staticUUID("pol:globexServers - Hourly")
		s.before = policyState(nil, "hourly", 90, true)
		s.after = policyState(nil, "hourly", 7, true)
	})
	g.sWF(sat+67*msMin, "user:update", victor, "", home, func(s *wfSpec) {
		s.target, s.tid = hassan.email, hassan.uuid
		s.before = g.userState(nil, hassan, "Technician", true)
		s.after = g.userState(nil, hassan, "Administrator", true)
	})
	g.sPlat(sat+73*msMin, platSpec{t: platTypeOf("ROLE_UPDATED"), actor: victor, ip: home, target: "Administrator",
		tid: staticUUID("role:globexAdministrator"), extra: "audit:delete"})
	g.sPlat(sat+75*msMin, platSpec{t: platTypeOf("CREDENTIAL_CREATED"), actor: victor, ip: home, target: "aws-prod-deploy-key",
		tid: staticUUID("ccred:globexaws-prod-deploy-key")})
	g.sVault(sat+83*msMin, vaultSpec{a: vaultActOf("DownloadRecording"), actor: victor, ip: home, res: gpg,
		session: sess, victim: victor})
	g.sVault(sat+91*msMin, vaultSpec{a: vaultActOf("ExportAuditLogs"), actor: victor, ip: home, dur: 14210})
	g.sVault(sat+94*msMin, vaultSpec{a: vaultActOf("Logout"), actor: victor, ip: home})
}
