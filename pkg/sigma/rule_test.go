package sigma

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

func ctRule(t *testing.T, detection string) *Rule {
	t.Helper()
	rs := Parse([]byte("title: test\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n"+detection), "test.yml")
	if len(rs) != 1 || rs[0].Err != nil || !rs[0].Usable() {
		t.Fatalf("rule: %v", rs[0].Err)
	}
	return rs[0]
}

func ct(raw string) *audit.Event {
	if !json.Valid([]byte(raw)) {
		panic(raw)
	}
	return &audit.Event{Source: "cloudtrail", ID: "e", Raw: json.RawMessage(raw)}
}

// TestModifiers: each modifier and condition form, on CloudTrail records,
// matching and not.
func TestModifiers(t *testing.T) {
	const rec = `{"eventName":"CreateAccessKey","eventSource":"iam.amazonaws.com","sourceIPAddress":"10.1.2.3",
		"userAgent":"aws-cli/2.13 S3 Browser","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/bob","userName":"bob"},
		"requestParameters":{"userName":"bob","layers":["arn:a","arn:b"],"cmd":"net user /add x","n":42,"flag":true},
		"responseElements":null,"errorCode":"AccessDenied"}`
	for _, c := range []struct {
		name, det string
		want      bool
	}{
		{"equality ignores case", "  s:\n    eventName: createaccesskey\n  condition: s", true},
		{"equality", "  s:\n    eventName: CreateUser\n  condition: s", false},
		{"list is or", "  s:\n    eventName: [CreateUser, CreateAccessKey]\n  condition: s", true},
		{"contains", "  s:\n    userAgent|contains: s3 browser\n  condition: s", true},
		{"contains no", "  s:\n    userAgent|contains: trufflehog\n  condition: s", false},
		{"startswith", "  s:\n    userAgent|startswith: AWS-CLI\n  condition: s", true},
		{"startswith no", "  s:\n    userAgent|startswith: S3\n  condition: s", false},
		{"endswith", "  s:\n    userAgent|endswith: browser\n  condition: s", true},
		{"endswith no", "  s:\n    userAgent|endswith: aws\n  condition: s", false},
		{"contains all", "  s:\n    userAgent|contains|all: [aws-cli, browser]\n  condition: s", true},
		{"contains all no", "  s:\n    userAgent|contains|all: [aws-cli, trufflehog]\n  condition: s", false},
		{"re", "  s:\n    userIdentity.arn|re: ':user/b.b$'\n  condition: s", true},
		{"re is case-sensitive", "  s:\n    userIdentity.arn|re: ':USER/'\n  condition: s", false},
		{"re|i", "  s:\n    userIdentity.arn|re|i: ':USER/'\n  condition: s", true},
		{"cidr", "  s:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: s", true},
		{"cidr no", "  s:\n    sourceIPAddress|cidr: 192.168.0.0/16\n  condition: s", false},
		{"wildcard", "  s:\n    eventName: Create*Key\n  condition: s", true},
		{"wildcard ?", "  s:\n    eventName: CreateAcce?sKey\n  condition: s", true},
		{"escaped wildcard is literal", "  s:\n    eventName: 'Create\\*'\n  condition: s", false},
		{"contains * on an absent field", "  s:\n    errorMessage|contains: '*'\n  condition: s", false},
		{"contains * on a present field", "  s:\n    errorCode|contains: '*'\n  condition: s", true},
		{"null: absent", "  s:\n    errorMessage: null\n  condition: s", true},
		{"null: JSON null", "  s:\n    responseElements: null\n  condition: s", true},
		{"null: present", "  s:\n    errorCode: null\n  condition: s", false},
		{"exists", "  s:\n    errorCode|exists: true\n  condition: s", true},
		{"exists false", "  s:\n    errorMessage|exists: false\n  condition: s", true},
		{"fieldref", "  s:\n    requestParameters.userName|fieldref: userIdentity.userName\n  condition: s", true},
		{"fieldref endswith", "  s:\n    userIdentity.arn|fieldref|endswith: requestParameters.userName\n  condition: s", true},
		{"fieldref no", "  s:\n    userIdentity.arn|fieldref: requestParameters.userName\n  condition: s", false},
		{"fieldref absent", "  s:\n    requestParameters.userName|fieldref: nothing.here\n  condition: s", false},
		{"array element", "  s:\n    requestParameters.layers: arn:b\n  condition: s", true},
		{"number", "  s:\n    requestParameters.n: 42\n  condition: s", true},
		{"gt", "  s:\n    requestParameters.n|gt: 41\n  condition: s", true},
		{"boolean", "  s:\n    requestParameters.flag: 'true'\n  condition: s", true},
		{"object as text", "  s:\n    requestParameters|contains: '\"userName\":\"bob\"'\n  condition: s", true},
		{"windash", "  s:\n    requestParameters.cmd|windash|contains: ' -add'\n  condition: s", true},
		{"cased", "  s:\n    eventName|cased: createaccesskey\n  condition: s", false},
		{"cased yes", "  s:\n    eventName|cased: CreateAccessKey\n  condition: s", true},
		{"base64", "  s:\n    requestParameters.b|base64: hi\n  condition: s", false},
		{"keywords", "  k:\n    - 'S3 Browser'\n    - nothing\n  condition: k", true},
		{"keywords no", "  k:\n    - TruffleHog\n  condition: k", false},
		{"and not", "  s:\n    eventName: CreateAccessKey\n  f:\n    userIdentity.type: IAMUser\n  condition: s and not f", false},
		{"or", "  s:\n    eventName: X\n  f:\n    userIdentity.type: IAMUser\n  condition: s or f", true},
		{"1 of pattern", "  sel_a:\n    eventName: X\n  sel_b:\n    eventSource: iam.amazonaws.com\n  condition: 1 of sel_*", true},
		{"all of pattern", "  sel_a:\n    eventName: X\n  sel_b:\n    eventSource: iam.amazonaws.com\n  condition: all of sel_*", false},
		{"1 of them", "  a:\n    eventName: X\n  b:\n    eventName: CreateAccessKey\n  condition: 1 of them", true},
		{"all of them", "  a:\n    eventName: CreateAccessKey\n  b:\n    eventSource: iam.amazonaws.com\n  condition: all of them", true},
		{"1 of one", "  a:\n    eventName: CreateAccessKey\n  condition: 1 of a", true},
		{"not 1 of", "  a:\n    eventName: CreateAccessKey\n  b:\n    eventName: X\n  condition: not 1 of them", false},
		{"list of maps is or", "  s:\n    - eventName: X\n    - userIdentity.type: IAMUser\n  condition: s", true},
		{"several conditions", "  a:\n    eventName: X\n  b:\n    eventName: CreateAccessKey\n  condition:\n    - a\n    - b", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ctRule(t, c.det)
			got, err := r.Match(ct(rec))
			if err != nil || got != c.want {
				t.Errorf("match = %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

// TestRuleErrors: what cannot be evaluated is an error naming the place.
func TestRuleErrors(t *testing.T) {
	for _, c := range []struct{ name, rule, want string }{
		{"not yaml", "title: [", "did not find expected"},
		{"not a mapping", "- a\n- b\n", "a Sigma rule is a YAML mapping"},
		{"no title", "logsource: {product: aws}\ndetection: {s: {a: b}, condition: s}\n", "no title"},
		{"no detection", "title: x\nlogsource: {product: aws}\n", "no detection"},
		{"unknown modifier", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a|base64offset|contains: b\n  condition: s\n", `line 5, column 5: s: a: modifier "base64offset" is not supported`},
		{"aggregation <", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a: b\n  condition: s | count() by c < 5\n", "only > and >= are supported"},
		{"aggregation max", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a: b\n  condition: s | max(a) by c > 5\n", "only count() aggregations"},
		{"timeframe", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a: b\n  timeframe: 5y\n  condition: s | count() > 5\n", "timeframe"},
		{"unknown identifier", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a: b\n  condition: s and f\n", `"f" is not a search identifier`},
		{"pattern matches none", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a: b\n  condition: 1 of f*\n", "matches no search identifier"},
		{"bad regex", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a|re: '('\n  condition: s\n", "invalid regular expression"},
		{"bad cidr", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a|cidr: 10.0.0.0\n  condition: s\n", "not a CIDR prefix"},
		{"null with contains", "title: x\nlogsource: {product: aws}\ndetection:\n  s:\n    a|contains: null\n  condition: s\n", "null cannot be compared"},
		{"normalized field", "title: x\nlogsource: {product: auditctl}\ndetection:\n  s:\n    eventName: b\n  condition: s\n", `"eventName" is not an auditctl event field`},
		{"correlation", "title: x\ncorrelation:\n  type: event_count\n", "correlation rules"},
		{"empty", "", "empty file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := Parse([]byte(c.rule), "r.yml")
			if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), c.want) {
				t.Errorf("error %v, want %q", rs[0].Err, c.want)
			}
		})
	}
}

// TestLogsources: which rules are skipped, and the schema of the others.
func TestLogsources(t *testing.T) {
	for _, c := range []struct {
		ls     string
		schema Schema
		skip   bool
	}{
		{"{product: aws, service: cloudtrail}", SchemaCloudTrail, false},
		{"{product: AWS}", SchemaCloudTrail, false},
		{"{product: aws, service: guardduty}", "", true},
		{"{product: jumpcloud, service: directory_insights}", SchemaJumpCloud, false},
		{"{product: auditctl}", SchemaNormalized, false},
		{"{}", SchemaNormalized, false},
		{"{product: windows, category: process_creation}", "", true},
		{"{category: process_creation}", "", true},
	} {
		rs := Parse([]byte("title: x\nlogsource: "+c.ls+"\ndetection:\n  s:\n    action: b\n  condition: s\n"), "r.yml")
		r := rs[0]
		if r.Err != nil || (r.Skip != "") != c.skip || (!c.skip && r.Schema != c.schema) {
			t.Errorf("%s: schema %q skip %q err %v", c.ls, r.Schema, r.Skip, r.Err)
		}
	}
}

// TestNormalizedAndJumpCloud: the field names of the normalized schema
// and of Directory Insights records.
func TestNormalizedAndJumpCloud(t *testing.T) {
	norm := Parse([]byte(`title: n
logsource: {product: auditctl}
detection:
  s:
    action: DeleteUser
    actor|endswith: '@example.com'
    params.reason|contains: glass
    ip|cidr: 10.0.0.0/8
  condition: s
`), "n.yml")[0]
	e := &audit.Event{Source: "file:x", Action: "DeleteUser", Actor: "alice@example.com", IP: "10.9.9.9",
		Params: json.RawMessage(`{"reason":"break-glass"}`)}
	if ok, err := norm.Match(e); !ok || err != nil {
		t.Errorf("normalized: %v %v (%v)", ok, err, norm.Err)
	}
	e.Actor = "mallory@evil.test"
	if ok, _ := norm.Match(e); ok {
		t.Error("normalized: matched another actor")
	}
	di := Parse([]byte(`title: d
logsource: {product: jumpcloud}
detection:
  s:
    event_type: user_login_attempt
    initiated_by.username: bob
    success: false
  condition: s
`), "d.yml")[0]
	ev := &audit.Event{Source: "jumpcloud", Raw: json.RawMessage(`{"event_type":"user_login_attempt","initiated_by":{"username":"bob"},"success":false}`)}
	if ok, err := di.Match(ev); !ok || err != nil {
		t.Errorf("jumpcloud: %v %v (%v)", ok, err, di.Err)
	}
	ev.Source = "cloudtrail"
	if ok, _ := di.Match(ev); ok {
		t.Error("a jumpcloud rule matched an event of another source")
	}
	if got := di.Terms(); len(got) != 1 || got[0].String() != "action:user_login_attempt" {
		t.Errorf("jumpcloud pushdown: %v", got)
	}
}

// TestPushdownTerms: what each comparison pushes down.
func TestPushdownTerms(t *testing.T) {
	for _, c := range []struct{ det, want string }{
		{"  s:\n    eventName: A\n    eventSource: s\n  condition: s", "action:A"},
		{"  s:\n    eventSource: s\n  condition: s", "service:s"},
		{"  s:\n    eventName|startswith: Up\n  condition: s", "action:Up*"},
		{"  s:\n    eventName|re: '^Put(Bucket|Object)Acl$'\n  condition: s", "action:Put*Acl"},
		{"  s:\n    errorCode: AccessDenied\n  condition: s", "error:AccessDenied,AccessDenied: *"},
		{"  s:\n    eventName|re|m: '^Put'\n  condition: s", "action:*Put*"},
		{"  s:\n    eventName|re: '^Put'\n  condition: s", "action:Put*"},
		{"  s:\n    errorMessage|re|m: '^denied by'\n  condition: s", ""},
		{"  s:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: s", "ip:10.0.0.0/8"},
		{"  s:\n    sourceIPAddress: AWS Internal\n  condition: s", ""},
		{"  s:\n    eventName: Ünïcode\n  condition: s", ""},
		{"  s:\n    eventName: A\n  f:\n    eventName: B\n  condition: s and not f", "action:A"},
		{"  a:\n    eventName: A\n  b:\n    eventName: B\n  condition: a or b", "action:A | action:B"},
		{"  a:\n    userIdentity.type: Root\n  b:\n    requestParameters.x: y\n  condition: a and b", "actor_type:Root"},
		{"  a:\n    requestParameters.x: y\n  condition: a", ""},
		{"  a:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\n  condition: a", `"assumed role aws"`},
		{"  a:\n    userIdentity.arn|contains: 'assumed-role'\n  condition: a", ""},
		{"  a:\n    userIdentity.arn|contains: ':assumed-role'\n  condition: a", `"assumed"`},
		{"  a:\n    errorMessage: 'Failed authentication'\n  condition: a", `"failed authentication"`},
		{"  a:\n    errorMessage: 'true'\n  condition: a", ""},
		{"  a:\n    errorMessage|startswith: 'Access denied for*x'\n  condition: a", `"access denied"`},
		{"  a:\n    eventName: A\n    errorMessage: x\n  condition: a", "action:A"},
	} {
		r := ctRule(t, c.det)
		var got []string
		for _, f := range r.Terms() {
			got = append(got, f.String())
		}
		if s := strings.Join(got, " | "); s != c.want {
			t.Errorf("%q: pushed %q, want %q", c.det, s, c.want)
		}
	}
}
