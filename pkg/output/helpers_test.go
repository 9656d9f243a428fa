package output

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/audit"
)

// hostile are strings an attacker can put in a log field.
var hostile = []string{
	"\x1b[31mred\x1b[0m", // SGR
	"\x1b[2J\x1b[H",      // clear screen
	"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", // OSC 8 hyperlink
	"\x1b]52;c;cm0gLXJmIH4K\x07",                             // OSC 52 clipboard
	"\x1b]0;title\x07",                                       // window title
	"\x1bP1$r0m\x1b\\",                                       // DCS
	"good\rEVIL",                                             // CR overwrite
	"adm\b\b\bguest",                                         // backspace
	"\u009b31mC1 CSI",                                        // C1 CSI
	"\u0085next line",                                        // NEL
	"invoice\u202Efdp.exe",                                   // RLO
	"\u2066isolate\u2069\u200B\uFEFF",                        // bidi isolate, ZWSP, BOM
	"nul\x00byte\x7f",                                        // NUL, DEL
	"line1\nline2\tcol",                                      // newline, tab
	"\U000E0041tag",                                          // tag character
}

// forbidden reports the first rune a terminal could act on in s, keeping
// newlines when allowNL.
func forbidden(s string, allowNL bool) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		if allowNL && r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if r, bad := forbidden(out, true); bad {
		i := strings.IndexRune(out, r)
		lo, hi := max(0, i-40), min(len(out), i+40)
		t.Fatalf("%s output holds %U near %q", what, r, out[lo:hi])
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var t0 = time.Date(2026, 11, 3, 10, 15, 0, 123000000, time.UTC)

// hostileEvent puts s in every text field and in the JSON documents.
func hostileEvent(i int, s string) *audit.Event {
	return &audit.Event{
		ID:           "id-" + s,
		Time:         t0.Add(time.Duration(i) * time.Minute),
		Source:       "file:" + s,
		Service:      "directory" + s,
		Action:       "Delete" + s,
		Category:     s,
		WorkflowID:   s,
		WorkflowType: s,
		Actor:        s + "@example.com",
		ActorID:      s,
		ActorType:    s,
		Target:       s,
		TargetID:     s,
		TargetType:   s,
		IP:           "203.0.113." + s,
		Client:       s,
		UserAgent:    s,
		Geo:          mustJSON(map[string]any{"city": s, "country_code": "US"}),
		Status:       audit.Status(s),
		Error:        s,
		DurationMS:   audit.Ms(int64(i)),
		Tenant:       s,
		Description:  "desc " + s,
		Params:       mustJSON(map[string]any{"user": s, s: []any{s, 1}}),
		Custom:       mustJSON(map[string]any{"note": s}),
		Before:       mustJSON(map[string]any{"name": s, "gone": 1}),
		After:        mustJSON(map[string]any{"name": s + "2", "new": s}),
		Raw:          mustJSON(map[string]any{"raw": s}),
	}
}

func hostileEvents() []*audit.Event {
	var evs []*audit.Event
	for i, s := range hostile {
		evs = append(evs, hostileEvent(i, s))
	}
	return evs
}

// sampleEvents are ordinary events for layout tests.
func sampleEvents() []*audit.Event {
	return []*audit.Event{
		{
			ID: "5f8e0a1b2c3d4e5f60718293", Time: t0, Source: "jumpcloud", Service: "directory",
			Action: "DeleteUser", Category: "User Management", Actor: "alice@example.com",
			ActorID: "5e1f00aa", ActorType: "admin", Target: "bob@example.com", TargetType: "user",
			TargetID: "64b0c0ffee", IP: "203.0.113.7", Client: "console",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
			Geo:       json.RawMessage(`{"country_code":"US","region_name":"Colorado","latitude":39.74,"longitude":-104.99}`),
			Status:    audit.StatusSuccess, DurationMS: audit.Ms(153), Tenant: "acme",
			Description: "alice@example.com deleted user bob@example.com",
			Params:      json.RawMessage(`{"userId":"64b0c0ffee","force":true}`),
			Custom:      json.RawMessage(`{"ticket":"SEC-42"}`),
			Before:      json.RawMessage(`{"email":"bob@example.com","address":{"city":"Paris","zip":"75001"},"roles":["dev"],"phone":"555"}`),
			After:       json.RawMessage(`{"email":"bob@example.com","address":{"city":"Lyon","zip":"75001"},"roles":["dev","admin"],"state":"suspended"}`),
		},
		{
			ID: "evt-2", Time: t0.Add(-90 * time.Second), Source: "jumpcloud", Service: "sso",
			Action: "USER_LOGIN", Actor: "carol.with.a.really.long.name@subsidiary.example.org",
			IP: "2001:db8::1", Status: audit.StatusFailure, DurationMS: audit.Ms(12045),
			Error: "invalid password",
		},
		{
			ID: "evt-3", Time: t0.Add(-time.Hour), Source: "file:x.ndjson", Service: "radius",
			Action: "OpenConnection", Actor: "dave", IP: "198.51.100.2", Status: audit.StatusWarning,
		},
	}
}
