package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// benchEvents makes n realistic events of about 600 bytes as auditctl
// exports them.
func benchEvents(n int) []*audit.Event {
	actions := []string{"user_login_attempt", "user_update", "sso_auth", "radius_auth_attempt", "ldap_bind", "DeleteUser"}
	services := []string{"directory", "sso", "radius", "ldap", "systems", "iam.amazonaws.com"}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	evs := make([]*audit.Event, n)
	for i := range evs {
		k := i % len(actions)
		user := fmt.Sprintf("user%04d@example.com", i%5000)
		evs[i] = &audit.Event{
			ID:          fmt.Sprintf("%024x", 0x60d1f3a2c6e2a0a1+i),
			Time:        t0.Add(time.Duration(i) * 1234567 * time.Microsecond),
			Source:      "jumpcloud",
			Service:     services[k],
			Action:      actions[k],
			Category:    "User Access",
			Actor:       user,
			ActorID:     fmt.Sprintf("%024x", i%5000),
			ActorType:   "user",
			Target:      "Salesforce",
			TargetType:  "application",
			IP:          fmt.Sprintf("198.51.%d.%d", i%256, (i/256)%256),
			UserAgent:   "Chrome 130.0.6723.92",
			Geo:         json.RawMessage(`{"country_code":"US","region_name":"Colorado"}`),
			Status:      []audit.Status{audit.StatusSuccess, audit.StatusFailure}[i%7/6],
			DurationMS:  audit.Ms(int64(i % 900)),
			Tenant:      "5a1b2c3d4e5f60718293a4b5",
			Description: user + " " + actions[k] + " via " + services[k],
			Custom:      json.RawMessage(`{"auth_method":"password","mfa":true}`),
			Raw:         json.RawMessage(fmt.Sprintf(`{"id":"%024x","event_type":%q,"service":%q,"success":true}`, 0x60d1f3a2c6e2a0a1+i, actions[k], services[k])),
		}
	}
	return evs
}

func benchNDJSON(n int) []byte {
	var b bytes.Buffer
	for _, e := range benchEvents(n) {
		line, _ := json.Marshal(e)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func benchCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(audit.Columns, ",") + "\n")
	for _, e := range benchEvents(n) {
		for i, c := range audit.Columns {
			if i > 0 {
				b.WriteByte(',')
			}
			v := e.Value(c)
			if strings.ContainsAny(v, "\",\n\r") {
				v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
			}
			b.WriteString(v)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func runBench(b *testing.B, data []byte, n int, format Format) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rd, _, err := Open("bench", bytes.NewReader(data), format)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for {
			_, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("%d events, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(data))/float64(n), "B/event")
}

func BenchmarkNDJSON(b *testing.B) {
	const n = 20000
	runBench(b, benchNDJSON(n), n, FormatAuto)
}

func BenchmarkCSV(b *testing.B) {
	const n = 20000
	runBench(b, benchCSV(n), n, FormatAuto)
}

func BenchmarkJumpCloudArray(b *testing.B) {
	const n = 20000
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, e := range benchEvents(n) {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"id":%q,"event_type":%q,"service":%q,"organization":%q,"timestamp":%q,"initiated_by":{"id":%q,"type":"user","username":%q},"resource":{"id":%q,"type":"application","name":"Salesforce"},"client_ip":%q,"useragent":{"name":"Chrome","version":"130.0.6723.92","os":"Mac OS X"},"geoip":{"country_code":"US","region_name":"Colorado"},"success":true,"auth_method":"password","mfa":true}`,
			e.ID, e.Action, e.Service, e.Tenant, audit.FormatTime(e.Time), e.ActorID, e.Actor, e.TargetID, e.IP)
	}
	buf.WriteByte(']')
	runBench(b, buf.Bytes(), n, FormatAuto)
}
