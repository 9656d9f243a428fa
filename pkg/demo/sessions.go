package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
)

// SessionPrefix starts the id of every demo session, so a rerun can
// replace them.
const SessionPrefix = "demo-"

// Sessions writes the demo recordings into dir (created if needed) and
// returns the demo sessions: a server session with shell commands typed
// (an editor on the alternate screen, a long idle gap, markers), a database
// session with queries (one failed, one blocked by a deny rule), a website
// session recorded as a text browser's output, and rows without
// recordings for the Session History filters. Everything is deterministic
// for the same Options.
func Sessions(opt Options, dir string) ([]*session.Session, error) {
	opt = opt.withDefaults()
	w := newWorld()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	find := func(first string) *user {
		for _, u := range w.people {
			if u.first == first {
				return u
			}
		}
		panic("demo: no person " + first)
	}
	res := func(u *user, name string) *resource {
		for _, r := range w.resources[u.t] {
			if r.name == name {
				return r
			}
		}
		panic("demo: no resource " + name)
	}
	day := opt.Now.Truncate(24 * time.Hour)
	mk := func(id string, u *user, r *resource, start time.Time, d time.Duration) *session.Session {
		s := &session.Session{
			ID: SessionPrefix + id, UserName: u.name, UserEmail: u.email, Role: roleOf(u), Account: r.account,
			ResourceName: r.name, ResourceID: r.id, Category: session.Category(r.category), Connector: r.connector,
			ServerName: r.name, ServerOS: r.os, Host: r.host, Port: int(r.port), Protocol: r.protocol,
			ClientIP: u.home.ip, ClientName: clientName(r), ConnectedFrom: "proxy",
			Start: start.UTC(), End: start.Add(d).UTC(), Duration: d, Status: session.StatusCompleted,
		}
		if r.category == "website" {
			s.ConnectedFrom, s.ServerName = "web", ""
		}
		return s
	}
	marcus, felix, kara := find("Marcus"), find("Felix"), find("Kara")
	var out []*session.Session

	// Recorded sessions.
	srv := mk("srv-0001", marcus, res(marcus, "prod-web-01"), day.Add(-2*24*time.Hour+9*time.Hour+14*time.Minute), 0)
	db := mk("db-0001", felix, res(felix, "prod-postgres-main"), day.Add(-1*24*time.Hour+16*time.Hour+2*time.Minute), 0)
	web := mk("web-0001", kara, res(kara, "Grafana"), day.Add(-3*24*time.Hour+11*time.Hour+40*time.Minute), 0)
	for _, x := range []struct {
		s     *session.Session
		write func(*script)
		cols  int
		rows  int
	}{
		{srv, serverScript, 100, 30}, {db, databaseScript, 100, 30}, {web, websiteScript, 100, 30},
	} {
		path := filepath.Join(dir, x.s.ID+".rec")
		d, err := writeRecording(path, x.s, x.cols, x.rows, x.write)
		if err != nil {
			return nil, err
		}
		x.s.Duration, x.s.End = d, x.s.Start.Add(d)
		x.s.HasRecording, x.s.RecordingPath = true, path
		if x.s.RecordingSHA256, err = recording.FileSHA256(path); err != nil {
			return nil, err
		}
		out = append(out, x.s)
	}

	// Sessions without recordings, across users, resources and weeks.
	for i := range 24 {
		u := w.people[(i*7)%len(w.people)]
		rs := w.resources[u.t]
		r := rs[(i*5)%len(rs)]
		start := day.Add(-time.Duration(i%opt.Days)*24*time.Hour + time.Duration(8+i%9)*time.Hour + time.Duration(i*13%60)*time.Minute)
		d := time.Duration(3+(i*37)%170) * time.Minute
		s := mk(fmt.Sprintf("hist-%04d", i+1), u, r, start, d)
		if i%6 == 5 {
			s.Status, s.TerminatedBy = session.StatusTerminated, find("Priya").email
		}
		out = append(out, s)
	}
	return out, nil
}

func roleOf(u *user) string {
	if u.admin {
		return "Administrator"
	}
	return "User"
}

func clientName(r *resource) string {
	switch r.protocol {
	case "ssh":
		return "OpenSSH_9.6"
	case "rdp":
		return "mstsc 10.0"
	case "https":
		return "Chrome 131"
	}
	return "psql 16.4"
}

// script writes the events of a demo recording at a running clock.
type script struct {
	w   *recording.Writer
	t   time.Duration
	err error
}

func (s *script) ev(code, data string) {
	if s.err == nil {
		s.err = s.w.WriteEvent(recording.Event{Time: s.t, Code: code, Data: data})
	}
}

func (s *script) wait(d time.Duration) { s.t += d }
func (s *script) out(data string)      { s.ev("o", data) }
func (s *script) mark(label string)    { s.ev("m", label) }

// typed types text one key at a time, each echoed, at a human pace.
func (s *script) typed(text string) {
	for i, r := range text {
		s.wait(time.Duration(70+(i*37)%90) * time.Millisecond)
		s.ev("i", string(r))
		s.wait(2 * time.Millisecond)
		s.out(string(r))
	}
}

// enter presses Enter and prints the command's output after d.
func (s *script) enter(d time.Duration, output string) {
	s.wait(150 * time.Millisecond)
	s.ev("i", "\r")
	s.out("\r\n")
	s.wait(d)
	if output != "" {
		s.out(strings.ReplaceAll(output, "\n", "\r\n"))
	}
}

func writeRecording(path string, s *session.Session, cols, rows int, fn func(*script)) (time.Duration, error) {
	meta, err := json.Marshal(s)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	err = atomicfile.Write(path, 0o600, func(out io.Writer) error {
		w, err := recording.NewWriter(out, recording.Header{
			Width: cols, Height: rows, Timestamp: s.Start, Title: s.ResourceName,
			Command: clientName(&resource{protocol: s.Protocol}), Env: map[string]string{"TERM": "xterm-256color", "SHELL": "/bin/bash"},
			Audit: meta,
		}, recording.WriterOptions{})
		if err != nil {
			return err
		}
		sc := &script{w: w}
		fn(sc)
		sc.ev("x", "0")
		if sc.err != nil {
			return sc.err
		}
		total = sc.t
		return w.Close()
	})
	return total, err
}

const prompt = "\x1b[1;32mubuntu@prod-web-01\x1b[0m:\x1b[1;34m~\x1b[0m$ "

func serverScript(s *script) {
	s.out("Welcome to Ubuntu 22.04.4 LTS (GNU/Linux 5.15.0-1052-aws x86_64)\r\n\r\nLast login: from 10.20.8.2\r\n" + prompt)
	s.wait(2 * time.Second)
	s.typed("uptime")
	s.enter(30*time.Millisecond, " 09:14:31 up 41 days,  3:02,  1 user,  load average: 0.41, 0.38, 0.35\n"+prompt)
	s.wait(3 * time.Second)
	s.typed("sudo systemctl status nginx")
	s.enter(400*time.Millisecond, "\x1b[1;32m●\x1b[0m nginx.service - A high performance web server and a reverse proxy server\n"+
		"     Loaded: loaded (/lib/systemd/system/nginx.service; enabled; vendor preset: enabled)\n"+
		"     Active: \x1b[1;32mactive (running)\x1b[0m since Mon 2026-10-12 06:12:40 UTC; 41 days ago\n"+
		"   Main PID: 812 (nginx)\n      Tasks: 3 (limit: 4557)\n"+prompt)
	s.wait(4 * time.Second)
	s.typed("tail -n 3 /var/log/nginx/error.log")
	s.enter(50*time.Millisecond, "2026/11/20 09:02:11 [error] 815#815: *88123 upstream timed out (110: Connection timed out) while reading response header from upstream\n"+
		"2026/11/20 09:05:43 [error] 815#815: *88391 upstream timed out (110: Connection timed out)\n"+
		"2026/11/20 09:11:02 [warn] 815#815: *88602 an upstream response is buffered to a temporary file\n"+prompt)
	s.mark("before config change")
	s.wait(2 * time.Second)
	s.typed("sudo vim /etc/nginx/sites-enabled/default")
	s.enter(300*time.Millisecond, "")
	// vim on the alternate screen
	file := []string{"server {", "    listen 80 default_server;", "    server_name _;", "    location / {",
		"        proxy_pass http://127.0.0.1:8080;", "        proxy_read_timeout 30s;", "    }", "}"}
	var b strings.Builder
	b.WriteString("\x1b[?1049h\x1b[H\x1b[2J")
	for i, l := range file {
		fmt.Fprintf(&b, "\x1b[%d;1H%s", i+1, l)
	}
	for i := len(file); i < 29; i++ {
		fmt.Fprintf(&b, "\x1b[%d;1H\x1b[34m~\x1b[0m", i+1)
	}
	b.WriteString("\x1b[30;1H\"/etc/nginx/sites-enabled/default\" 8L, 160B\x1b[6;28H")
	s.out(b.String())
	s.wait(5 * time.Second)
	for _, k := range []string{"c", "w"} {
		s.wait(200 * time.Millisecond)
		s.ev("i", k)
	}
	s.out("\x1b[30;1H\x1b[1m-- INSERT --\x1b[0m\x1b[K\x1b[6;28H\x1b[K;")
	s.typed("120s;")
	s.wait(time.Second)
	s.ev("i", "\x1b")
	s.out("\x1b[30;1H\x1b[K\x1b[6;31H")
	s.typed(":wq")
	s.enter(100*time.Millisecond, "")
	s.out("\x1b[?1049l")
	s.out(prompt)
	s.mark("config changed")
	s.wait(3 * time.Second)
	s.typed("sudo nginx -t && sudo systemctl reload nginx")
	s.enter(600*time.Millisecond, "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n"+prompt)
	// A long idle gap: the terminal left open.
	s.wait(38 * time.Minute)
	s.mark("back after idle")
	s.typed("exit")
	s.enter(20*time.Millisecond, "logout\nConnection to prod-web-01 closed.\n")
}

const psqlPrompt = "prod=> "

func databaseScript(s *script) {
	s.out("psql (16.4, server 16.2)\r\nSSL connection (protocol: TLSv1.3, cipher: TLS_AES_256_GCM_SHA384, compression: off)\r\nType \"help\" for help.\r\n\r\n" + psqlPrompt)
	query := func(sql, output, message string, ms float64, rows int64, think time.Duration) {
		s.wait(think)
		s.typed(sql)
		at := s.t
		s.enter(time.Duration(ms*float64(time.Millisecond)), output+psqlPrompt)
		q := recording.Query{Query: sql, Message: message, DurationMS: ms}
		if rows >= 0 {
			q.Rows = &rows
		}
		data, _ := recording.EncodeQuery(q)
		end := s.t
		s.t = at + 150*time.Millisecond + time.Duration(ms*float64(time.Millisecond))
		s.ev("q", data)
		s.t = end
	}
	query("SELECT count(*) FROM invoices WHERE status = 'open';",
		" count \n-------\n  1234\n(1 row)\n\n", "SELECT 1", 38.2, 1, 3*time.Second)
	query("SELECT id, customer_id, amount FROM invoices WHERE id = 4412;",
		"  id  | customer_id | amount  \n------+-------------+---------\n 4412 |         981 | 1920.00\n(1 row)\n\n", "SELECT 1", 1.4, 1, 6*time.Second)
	s.mark("manual correction")
	query("UPDATE invoices SET status = 'void' WHERE id = 4412;", "UPDATE 1\n", "UPDATE 1", 4.9, 1, 9*time.Second)
	query("SELEC * FROM users LIMIT 5;", "ERROR:  syntax error at or near \"SELEC\"\nLINE 1: SELEC * FROM users LIMIT 5;\n        ^\n",
		"ERROR:  syntax error at or near \"SELEC\"", 0.3, -1, 4*time.Second)
	// Blocked by a deny rule: the statement never reached the server.
	s.wait(7 * time.Second)
	sql := "DROP TABLE audit_log;"
	s.typed(sql)
	s.wait(150 * time.Millisecond)
	s.ev("i", "\r")
	s.out("\r\n\x1b[1;31mauditctl: statement blocked by rule \"DROP TABLE\"\x1b[0m\r\n" + psqlPrompt)
	data, _ := recording.EncodeQuery(recording.Query{Query: sql, Message: "blocked by rule DROP TABLE"})
	s.ev("q", data)
	query("SELECT count(*) FROM audit_log;", " count  \n--------\n 889213\n(1 row)\n\n", "SELECT 1", 211.7, 1, 5*time.Second)
	s.wait(4 * time.Second)
	s.typed("\\q")
	s.enter(10*time.Millisecond, "")
}

func websiteScript(s *script) {
	page := func(title string, lines ...string) string {
		var b strings.Builder
		b.WriteString("\x1b[H\x1b[2J")
		fmt.Fprintf(&b, "\x1b[7m %-98s\x1b[0m\r\n\r\n", title)
		for _, l := range lines {
			b.WriteString(l + "\r\n")
		}
		b.WriteString("\x1b[30;1H\x1b[7m Commands: Use arrow keys to move, '?' for help, 'q' to quit, '<-' to go back. \x1b[0m")
		return b.String()
	}
	link := func(s string) string { return "\x1b[1;34m" + s + "\x1b[0m" }
	s.out("\x1b[?1049h")
	s.out(page("Grafana - Sign in (p1 of 1)", "   Welcome to Grafana", "", "   Email or username: kara.singh", "   Password: ********", "", "   "+link("[Log in]")))
	s.wait(4 * time.Second)
	s.ev("i", "\r")
	s.wait(900 * time.Millisecond)
	s.out(page("Home - Dashboards - Grafana (p1 of 1)", "   "+link("Dashboards"), "   "+link("Explore"), "   "+link("Alerting"),
		"   "+link("Administration"), "", "   Recently viewed:", "     "+link("Production / API latency"), "     "+link("Security / Failed logins")))
	s.mark("signed in")
	for range 3 {
		s.wait(700 * time.Millisecond)
		s.ev("i", "\x1b[B")
	}
	s.wait(time.Second)
	s.ev("i", "\r")
	s.wait(1200 * time.Millisecond)
	s.out(page("Administration - Users - Grafana (p1 of 2)", "   Users (23)", "",
		"   Login            Email                      Role     Last seen",
		"   admin            admin@localhost            Admin    2m",
		"   kara.singh       kara.singh@acme.example    Admin    now",
		"   ben.carter       ben.carter@acme.example    Editor   3d",
		"   ext-contractor   contractor@gmail.com       Admin    41d",
		"", "   "+link("[Edit]")+"  "+link("[Remove]")))
	s.mark("users page")
	s.wait(12 * time.Second)
	s.ev("i", "q")
	s.wait(300 * time.Millisecond)
	s.out("\x1b[?1049l")
}
