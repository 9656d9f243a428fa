package demo

import (
	"strconv"
	"strings"
)

// The demo world: tenants, people, addresses, browsers, machines and
// resources. It is fixed (it does not depend on Options.Seed) so that the
// README and docs can name its people; the seed only changes what they do
// and when.

type tenant struct {
	slug   string // acme
	name   string // Acme Corp
	domain string // acme.com
	orgID  string // 24-hex JumpCloud organization id (jumpcloud and vault events)
	uuid   string // tenant UUID (demo:platform and demo:kaseya events)
	office []*addr
	intnet string // internal network prefix, e.g. "10.20."
}

type geo struct {
	cc, region, regionName, tz, lat, lon, continent string
	json                                            []byte // DI geoip object
}

type addr struct {
	ip      string
	geo     *geo // nil for private addresses
	private bool
}

type agent struct {
	ua, name, major, os, device string
	client                      string // web, cli, api, agent
}

type user struct {
	first, last string
	name        string // "Alice Nguyen"
	username    string // "alice.nguyen"
	email       string
	id          string // 24-hex JumpCloud user id
	uuid        string
	t           *tenant
	admin       bool
	service     bool // a service account
	weight      int  // how busy
	home        *addr
	vpn         *addr // internal address
	ua          *agent
	mobile      *agent
	cli         *agent // nil when the user never uses a CLI
	dept        string
	title       string
	deletedAt   int64 // ms; 0 = never deleted (set by the story)
}

type resource struct {
	id, name, category, protocol, host, os, account string
	port                                            int64
	connector                                       string
	connectorID                                     string
	credentialID                                    string
}

type system struct {
	id, hostname, os, osFamily string
}

type world struct {
	tenants   []*tenant
	users     []*user // people and service accounts
	people    []*user // people only
	byTenant  map[*tenant][]*user
	admins    map[*tenant][]*user
	services  []*user
	resources map[*tenant][]*resource
	systems   map[*tenant][]*system
	agents    []*agent
	attackers []*addr
	cloud     []*addr // cloud egress for service accounts
	userW     []int   // cumulative weights over users
}

var geos = map[string]*geo{}

func mkgeo(name, cc, region, regionName, tz, lat, lon, continent string) *geo {
	g := &geo{cc: cc, region: region, regionName: regionName, tz: tz, lat: lat, lon: lon, continent: continent}
	b := []byte{'{'}
	b = ks(b, "continent_code", continent)
	b = ks(b, "country_code", cc)
	if region != "" {
		b = ks(b, "region_code", region)
		b = ks(b, "region_name", regionName)
	}
	b = ks(b, "timezone", tz)
	b = append(key(b, "latitude"), lat...)
	b = append(key(b, "longitude"), lon...)
	g.json = end(b)
	geos[name] = g
	return g
}

var (
	geoChicago  = mkgeo("chicago", "US", "IL", "Illinois", "America/Chicago", "41.8781", "-87.6298", "NA")
	geoLondon   = mkgeo("london", "GB", "ENG", "England", "Europe/London", "51.5072", "-0.1276", "EU")
	geoSF       = mkgeo("sf", "US", "CA", "California", "America/Los_Angeles", "37.7749", "-122.4194", "NA")
	geoAustin   = mkgeo("austin", "US", "TX", "Texas", "America/Chicago", "30.2672", "-97.7431", "NA")
	geoDenver   = mkgeo("denver", "US", "CO", "Colorado", "America/Denver", "39.7392", "-104.9903", "NA")
	geoNY       = mkgeo("ny", "US", "NY", "New York", "America/New_York", "40.7128", "-74.0060", "NA")
	geoSeattle  = mkgeo("seattle", "US", "WA", "Washington", "America/Los_Angeles", "47.6062", "-122.3321", "NA")
	geoBerlin   = mkgeo("berlin", "DE", "BE", "Berlin", "Europe/Berlin", "52.5200", "13.4050", "EU")
	geoToronto  = mkgeo("toronto", "CA", "ON", "Ontario", "America/Toronto", "43.6532", "-79.3832", "NA")
	geoVirginia = mkgeo("virginia", "US", "VA", "Virginia", "America/New_York", "39.0438", "-77.4874", "NA")
	// Where the trouble comes from.
	geoTor    = mkgeo("tor", "DE", "HE", "Hesse", "Europe/Berlin", "50.1109", "8.6821", "EU")
	geoMoscow = mkgeo("moscow", "RU", "MOW", "Moscow", "Europe/Moscow", "55.7558", "37.6173", "EU")
	geoSPb    = mkgeo("spb", "RU", "SPE", "St.-Petersburg", "Europe/Moscow", "59.9311", "30.3609", "EU")
	geoHanoi  = mkgeo("hanoi", "VN", "HN", "Hanoi", "Asia/Bangkok", "21.0278", "105.8342", "AS")
	geoLagos  = mkgeo("lagos", "NG", "LA", "Lagos", "Africa/Lagos", "6.5244", "3.3792", "AF")
	geoVilni  = mkgeo("vilnius", "LT", "VL", "Vilnius", "Europe/Vilnius", "54.6872", "25.2797", "EU")
)

// Browsers and clients, with the fields DI's useragent object carries.
var (
	uaChromeMac  = &agent{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome", "126", "Mac OS X", "Mac", "web"}
	uaChromeWin  = &agent{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36", "Chrome", "125", "Windows", "Other", "web"}
	uaFirefoxWin = &agent{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox", "127", "Windows", "Other", "web"}
	uaFirefoxLx  = &agent{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0", "Firefox", "126", "Ubuntu", "Other", "web"}
	uaSafariMac  = &agent{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari", "17", "Mac OS X", "Mac", "web"}
	uaSafariIOS  = &agent{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Mobile Safari", "17", "iOS", "iPhone", "web"}
	uaEdge       = &agent{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.68", "Edge", "126", "Windows", "Other", "web"}
	uaCurl       = &agent{"curl/8.7.1", "curl", "8", "Other", "Other", "api"}
	uaGo         = &agent{"Go-http-client/2.0", "Go-http-client", "2", "Other", "Other", "api"}
	uaPython     = &agent{"python-requests/2.32.3", "Python Requests", "2", "Other", "Other", "api"}
	uaCLI        = &agent{"vault-cli/1.8.4 (darwin; arm64) go1.22.4", "vault-cli", "1", "Mac OS X", "Other", "cli"}
	uaCLILinux   = &agent{"vault-cli/1.8.4 (linux; amd64) go1.22.4", "vault-cli", "1", "Linux", "Other", "cli"}
	uaAgentWin   = &agent{"jumpcloud-agent/1.182.0 (Windows 10.0.22631)", "jumpcloud-agent", "1", "Windows", "Other", "agent"}
	uaAgentMac   = &agent{"jumpcloud-agent/1.182.0 (macOS 14.5)", "jumpcloud-agent", "1", "Mac OS X", "Mac", "agent"}
	uaAgentLx    = &agent{"jumpcloud-agent/1.182.0 (Ubuntu 22.04)", "jumpcloud-agent", "1", "Ubuntu", "Other", "agent"}
	uaOldChrome  = &agent{"Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.150 Safari/537.36", "Chrome", "88", "Windows", "Other", "web"}
)

var people = [...]struct {
	tenant, first, last, dept, title string
	admin                            bool
}{
	{"acme", "Priya", "Shah", "IT", "IT Director", true},
	{"acme", "Marcus", "Bell", "IT", "Systems Administrator", true},
	{"acme", "Jordan", "Reyes", "Sales", "Account Executive", false},
	{"acme", "Alice", "Nguyen", "Engineering", "Staff Engineer", false},
	{"acme", "Ben", "Carter", "Engineering", "Site Reliability Engineer", false},
	{"acme", "Chloe", "Martin", "Finance", "Controller", false},
	{"acme", "Daniel", "Kim", "Engineering", "Backend Engineer", false},
	{"acme", "Emma", "Johnson", "Marketing", "Marketing Manager", false},
	{"acme", "Felix", "Wagner", "Engineering", "Database Administrator", false},
	{"acme", "Grace", "Lee", "Support", "Support Lead", false},
	{"acme", "Hiro", "Tanaka", "Engineering", "Platform Engineer", false},
	{"acme", "Isabel", "Garcia", "HR", "People Partner", false},
	{"acme", "Jack", "Wilson", "Sales", "Sales Engineer", false},
	{"acme", "Kara", "Singh", "Security", "Security Analyst", false},
	{"acme", "Liam", "OBrien", "Engineering", "Frontend Engineer", false},
	{"acme", "Maya", "Patel", "Finance", "Accountant", false},
	{"acme", "Noah", "Fischer", "Engineering", "QA Engineer", false},
	{"acme", "Olivia", "Brown", "Legal", "Counsel", false},
	{"acme", "Pedro", "Alves", "Support", "Support Engineer", false},
	{"acme", "Quinn", "Harper", "Operations", "Office Manager", false},
	{"globex", "Victor", "Kane", "IT", "Head of IT", true},
	{"globex", "Nina", "Petrova", "IT", "IT Administrator", true},
	{"globex", "Sam", "Okafor", "Engineering", "Contractor", false},
	{"globex", "Aaron", "Cohen", "Engineering", "Engineering Manager", false},
	{"globex", "Bianca", "Rossi", "Design", "Product Designer", false},
	{"globex", "Carlos", "Mendez", "Engineering", "DevOps Engineer", false},
	{"globex", "Dana", "White", "Finance", "CFO", false},
	{"globex", "Elif", "Yilmaz", "Engineering", "Data Engineer", false},
	{"globex", "Frank", "Muller", "Operations", "Operations Analyst", false},
	{"globex", "Gina", "Lopez", "Sales", "Account Manager", false},
	{"globex", "Hassan", "Ali", "Engineering", "Backend Engineer", false},
	{"globex", "Ivy", "Chen", "Security", "Security Engineer", false},
	{"globex", "Jonas", "Berg", "Engineering", "SRE", false},
	{"globex", "Keiko", "Sato", "Product", "Product Manager", false},
	{"globex", "Leo", "Dubois", "Support", "Support Engineer", false},
	{"globex", "Mia", "Novak", "HR", "Recruiter", false},
	{"globex", "Omar", "Haddad", "Engineering", "Mobile Engineer", false},
	{"globex", "Paula", "Costa", "Marketing", "Content Lead", false},
	{"globex", "Rafael", "Santos", "Engineering", "Database Administrator", false},
	{"globex", "Sara", "Lind", "Legal", "Compliance Officer", false},
	{"initech", "Helen", "Park", "IT", "IT Manager", true},
	{"initech", "Raj", "Iyer", "IT", "Systems Engineer", true},
	{"initech", "Li", "Wei", "Engineering", "Intern", false},
	{"initech", "Kevin", "OBrien", "Finance", "Payroll Specialist", false},
	{"initech", "Anna", "Kowalski", "Engineering", "Software Engineer", false},
	{"initech", "Brian", "Murphy", "Sales", "Sales Director", false},
	{"initech", "Cara", "Jensen", "Engineering", "SRE", false},
	{"initech", "David", "Levi", "Engineering", "Architect", false},
	{"initech", "Erin", "Walsh", "Support", "Support Engineer", false},
	{"initech", "Fatima", "Zahra", "Finance", "Analyst", false},
	{"initech", "George", "Adams", "Operations", "Facilities", false},
	{"initech", "Hana", "Kim", "Engineering", "QA Lead", false},
	{"initech", "Ian", "Ross", "Engineering", "Backend Engineer", false},
	{"initech", "Julia", "Romero", "HR", "HR Generalist", false},
	{"initech", "Kofi", "Mensah", "Engineering", "DevOps Engineer", false},
	{"initech", "Lucy", "Evans", "Marketing", "Designer", false},
	{"initech", "Matteo", "Ricci", "Engineering", "Database Administrator", false},
	{"initech", "Nora", "Hughes", "Legal", "Paralegal", false},
	{"initech", "Oscar", "Lind", "Sales", "Account Executive", false},
	{"initech", "Tara", "Shah", "Security", "Security Analyst", false},
}

func ipStr(a, b, c, d int) string {
	buf := strconv.AppendInt(nil, int64(a), 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(b), 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(c), 10)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, int64(d), 10)
	return string(buf)
}

func newWorld() *world {
	w := &world{
		byTenant:  map[*tenant][]*user{},
		admins:    map[*tenant][]*user{},
		resources: map[*tenant][]*resource{},
		systems:   map[*tenant][]*system{},
	}
	mk := func(slug, name, domain, intnet string, a, b, c int, g *geo) *tenant {
		t := &tenant{slug: slug, name: name, domain: domain, intnet: intnet,
			orgID: staticOID("org:" + slug), uuid: staticUUID("tenant:" + slug)}
		for i := 0; i < 6; i++ {
			t.office = append(t.office, &addr{ip: ipStr(a, b, c, 10+i*7), geo: g})
		}
		w.tenants = append(w.tenants, t)
		return t
	}
	// Office egress ranges are the RFC 5737 documentation networks.
	acme := mk("acme", "Acme Corp", "acme.com", "10.20.", 203, 0, 113, geoChicago)
	globex := mk("globex", "Globex Industries", "globex.io", "192.168.", 198, 51, 100, geoSF)
	initech := mk("initech", "Initech LLC", "initech.net", "10.50.", 192, 0, 2, geoAustin)
	staging := mk("acme-staging", "Acme Corp (Staging)", "acme.com", "10.21.", 203, 0, 113, geoChicago)
	staging.office = acme.office
	tenants := map[string]*tenant{"acme": acme, "globex": globex, "initech": initech}

	homes := []struct {
		g       *geo
		a, b, c int
	}{
		{geoChicago, 73, 44, 0}, {geoDenver, 24, 9, 0}, {geoNY, 67, 80, 0}, {geoSeattle, 73, 97, 0},
		{geoSF, 98, 42, 0}, {geoAustin, 70, 112, 0}, {geoLondon, 86, 15, 0}, {geoBerlin, 91, 64, 0},
		{geoToronto, 99, 231, 0},
	}
	desk := []*agent{uaChromeMac, uaChromeMac, uaChromeWin, uaFirefoxWin, uaSafariMac, uaEdge, uaChromeMac, uaFirefoxLx, uaChromeWin, uaEdge}
	for i, p := range people {
		t := tenants[p.tenant]
		uname := strings.ToLower(p.first + "." + p.last)
		u := &user{first: p.first, last: p.last, name: p.first + " " + p.last, username: uname,
			email: uname + "@" + t.domain, id: staticOID("user:" + uname), uuid: staticUUID("user:" + uname),
			t: t, admin: p.admin, dept: p.dept, title: p.title, weight: 2 + int(mix(uint64(i))%7)}
		if p.admin {
			u.weight += 4
		}
		h := homes[(i*7)%len(homes)]
		u.home = &addr{ip: ipStr(h.a, h.b+(i%5), 10+(i*37)%200, 2+(i*53)%250), geo: h.g}
		u.vpn = &addr{ip: t.intnet + strconv.Itoa(1+i%4) + "." + strconv.Itoa(20+(i*17)%220), private: true}
		u.ua = desk[i%len(desk)]
		u.mobile = uaSafariIOS
		if p.dept == "Engineering" || p.dept == "IT" || p.dept == "Security" {
			u.cli = uaCLI
			if i%3 == 0 {
				u.cli = uaCLILinux
			}
		}
		w.users = append(w.users, u)
		w.people = append(w.people, u)
		w.byTenant[t] = append(w.byTenant[t], u)
		if p.admin {
			w.admins[t] = append(w.admins[t], u)
		}
	}
	// acme-staging is worked by acme's admins and engineers.
	for _, u := range w.byTenant[acme] {
		if u.admin || u.dept == "Engineering" {
			w.byTenant[staging] = append(w.byTenant[staging], u)
		}
	}
	w.admins[staging] = w.admins[acme]

	w.cloud = []*addr{
		{ip: "52.23.184.17", geo: geoVirginia}, {ip: "52.23.190.201", geo: geoVirginia},
		{ip: "34.207.61.88", geo: geoVirginia}, {ip: "3.91.172.40", geo: geoVirginia},
	}
	svcs := []struct {
		t    *tenant
		name string
		ua   *agent
	}{
		{acme, "svc-terraform", uaGo}, {acme, "svc-backup", uaPython},
		{globex, "svc-scim-sync", uaGo}, {globex, "svc-reporting", uaPython},
		{initech, "svc-ci", uaCurl}, {staging, "svc-terraform-stg", uaGo},
	}
	for i, s := range svcs {
		u := &user{first: s.name, name: s.name, username: s.name, email: s.name + "@" + s.t.domain,
			id: staticOID("user:" + s.name + s.t.slug), uuid: staticUUID("svc:" + s.name + s.t.slug), t: s.t,
			service: true, weight: 3, home: w.cloud[i%len(w.cloud)], ua: s.ua, mobile: s.ua, cli: s.ua,
			dept: "Automation", title: "Service account"}
		u.vpn = u.home
		w.users = append(w.users, u)
		w.services = append(w.services, u)
		w.byTenant[s.t] = append(w.byTenant[s.t], u)
	}
	sum := 0
	for _, u := range w.users {
		sum += u.weight
		w.userW = append(w.userW, sum)
	}

	w.attackers = []*addr{
		{ip: "185.220.101.47", geo: geoTor}, {ip: "45.155.205.233", geo: geoMoscow},
		{ip: "5.188.206.14", geo: geoSPb}, {ip: "103.152.220.44", geo: geoHanoi},
		{ip: "102.89.33.190", geo: geoLagos}, {ip: "141.98.11.62", geo: geoVilni},
	}

	for _, t := range w.tenants {
		w.resources[t] = makeResources(t)
		w.systems[t] = makeSystems(t)
	}
	w.agents = []*agent{uaChromeMac, uaChromeWin, uaFirefoxWin, uaFirefoxLx, uaSafariMac, uaSafariIOS, uaEdge, uaCurl, uaGo, uaPython, uaCLI, uaAgentWin, uaAgentMac}
	return w
}

func makeResources(t *tenant) []*resource {
	defs := []struct {
		name, cat, proto string
		port             int64
		os, account      string
	}{
		{"prod-web-01", "server", "ssh", 22, "Ubuntu 22.04", "ubuntu"},
		{"prod-web-02", "server", "ssh", 22, "Ubuntu 22.04", "ubuntu"},
		{"bastion-01", "server", "ssh", 22, "Amazon Linux 2023", "ec2-user"},
		{"build-agent-03", "server", "ssh", 22, "Debian 12", "ci"},
		{"win-dc-01", "server", "rdp", 3389, "Windows Server 2022", "Administrator"},
		{"finance-ws-02", "server", "rdp", 3389, "Windows 11", "finops"},
		{"prod-postgres-main", "database", "postgresql", 5432, "PostgreSQL 16", "app_rw"},
		{"billing-mysql", "database", "mysql", 3306, "MySQL 8.0", "billing_ro"},
		{"analytics-warehouse", "database", "postgresql", 5439, "Redshift", "analyst"},
		{"crm-mssql", "database", "mssql", 1433, "SQL Server 2019", "sa"},
		{"AWS Console", "website", "https", 443, "", "ops-admin"},
		{"Grafana", "website", "https", 443, "", "admin"},
		{"Jenkins", "website", "https", 443, "", "jenkins-admin"},
		{"Salesforce Admin", "website", "https", 443, "", "sfdc-integration"},
	}
	var rs []*resource
	for i, d := range defs {
		r := &resource{name: d.name, category: d.cat, protocol: d.proto, port: d.port, os: d.os, account: d.account,
			id: staticOID("res:" + t.slug + d.name), credentialID: staticOID("cred:" + t.slug + d.name)}
		switch d.cat {
		case "website":
			switch d.name {
			case "AWS Console":
				r.host = "signin.aws.amazon.com"
			case "Salesforce Admin":
				r.host = t.slug + ".my.salesforce.com"
			default:
				r.host = strings.ToLower(d.name) + "." + t.domain
			}
		default:
			r.host = t.intnet + "8." + strconv.Itoa(10+i)
		}
		c := "connector-hq-01"
		if i%3 == 2 {
			c = "connector-aws-use1"
		}
		r.connector, r.connectorID = c, staticOID("conn:"+t.slug+c)
		rs = append(rs, r)
	}
	return rs
}

func makeSystems(t *tenant) []*system {
	var ss []*system
	pfx := strings.ToUpper(strings.SplitN(t.slug, "-", 2)[0])
	for i := 0; i < 12; i++ {
		var s system
		switch i % 3 {
		case 0:
			s = system{hostname: pfx + "-MBP-" + strconv.Itoa(101+i), os: "Mac OS X 14.5", osFamily: "darwin"}
		case 1:
			s = system{hostname: pfx + "-LT-" + strconv.Itoa(201+i), os: "Windows 11 Pro 23H2", osFamily: "windows"}
		default:
			s = system{hostname: strings.ToLower(pfx) + "-srv-" + strconv.Itoa(10+i), os: "Ubuntu 22.04.4 LTS", osFamily: "linux"}
		}
		s.id = staticOID("sys:" + t.slug + s.hostname)
		ss = append(ss, &s)
	}
	return ss
}

// Shared vocabularies.
var (
	groupNames  = []string{"Engineering", "Finance", "Helpdesk", "Sales", "Contractors", "Executives", "SRE On-Call", "Marketing"}
	ssoApps     = []string{"Salesforce", "Slack", "GitHub Enterprise", "Zoom", "Atlassian Cloud", "AWS IAM Identity Center", "Google Workspace", "Workday"}
	radiusNames = []string{"Office WiFi", "Corp VPN"}
	mdmCommands = []string{"DeviceLock", "InstallProfile", "RestartDevice", "DeviceInformation", "InstallApplication", "EraseDevice", "ScheduleOSUpdate"}
	roles       = []string{"Administrator", "Operator", "Auditor", "Developer", "Read Only", "Billing Admin"}
	cloudRes    = []string{"aws-prod (412381997003)", "aws-staging (660193482115)", "gcp-analytics", "azure-dev-subscription", "aws-security-tooling (981120554302)", "gcp-ml-sandbox"}
	cloudCreds  = []string{"aws-prod-deploy-key", "gcp-analytics-sa", "azure-dev-sp", "aws-staging-readonly", "aws-security-audit-role"}
	policies    = []string{"Workstations - Daily", "Servers - Hourly", "Finance Laptops - 4h Encrypted", "Default Backup Policy", "Executives - Continuous"}
	reports     = []string{"Weekly Backup Summary", "Monthly Storage Usage", "Failed Backups (24h)", "License Utilization", "Restore Activity"}
	tempFirst   = []string{"temp", "intern", "contractor", "vendor", "test", "trial", "guest"}
	tempLast    = []string{"jsmith", "mlee", "akhan", "rpatel", "tgarcia", "nwong", "ebrown", "dmiller", "lchen", "kjones"}
)
