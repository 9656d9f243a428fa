package importer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

// want is the part of an event a mapping test checks; JSON fields compare as
// documents, "" meaning none.
type want struct {
	ID, Time, Source, Service, Action, Category string
	WorkflowID, WorkflowType                    string
	Actor, ActorID, ActorType                   string
	Target, TargetID, TargetType                string
	IP, Client, UserAgent, Geo                  string
	Status                                      audit.Status
	Error, Tenant, Description                  string
	Params, Custom, Before, After               string
	Duration                                    int64 // -1: none
}

func check(t *testing.T, e *audit.Event, w want) {
	t.Helper()
	str := func(name, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %s = %q, want %q", w.ID, name, got, want)
		}
	}
	str("id", e.ID, w.ID)
	if !e.Time.Equal(mustTime(w.Time)) || e.Time.Location().String() != "UTC" {
		t.Errorf("%s: time = %v, want %s UTC", w.ID, e.Time, w.Time)
	}
	str("source", e.Source, w.Source)
	str("service", e.Service, w.Service)
	str("action", e.Action, w.Action)
	str("category", e.Category, w.Category)
	str("workflow_id", e.WorkflowID, w.WorkflowID)
	str("workflow_type", e.WorkflowType, w.WorkflowType)
	str("actor", e.Actor, w.Actor)
	str("actor_id", e.ActorID, w.ActorID)
	str("actor_type", e.ActorType, w.ActorType)
	str("target", e.Target, w.Target)
	str("target_id", e.TargetID, w.TargetID)
	str("target_type", e.TargetType, w.TargetType)
	str("ip", e.IP, w.IP)
	str("client", e.Client, w.Client)
	str("user_agent", e.UserAgent, w.UserAgent)
	str("status", string(e.Status), string(w.Status))
	str("error", e.Error, w.Error)
	str("tenant", e.Tenant, w.Tenant)
	str("description", e.Description, w.Description)
	jsonEq(t, w.ID+": geo", e.Geo, w.Geo)
	jsonEq(t, w.ID+": params", e.Params, w.Params)
	jsonEq(t, w.ID+": custom", e.Custom, w.Custom)
	jsonEq(t, w.ID+": before", e.Before, w.Before)
	jsonEq(t, w.ID+": after", e.After, w.After)
	if w.Duration < 0 {
		if e.DurationMS != nil {
			t.Errorf("%s: duration_ms = %d, want none", w.ID, *e.DurationMS)
		}
	} else if e.DurationMS == nil || *e.DurationMS != w.Duration {
		t.Errorf("%s: duration_ms = %v, want %d", w.ID, e.DurationMS, w.Duration)
	}
	if !json.Valid(e.Raw) {
		t.Errorf("%s: raw is not JSON: %q", w.ID, e.Raw)
	}
}

func byID(events []*audit.Event) map[string]*audit.Event {
	m := map[string]*audit.Event{}
	for _, e := range events {
		m[e.ID] = e
	}
	return m
}

const dataDir = "../../../shared/data"

func TestCloudTrailInvictus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(dataDir, "cloudtrail/invictus-aws/*.json"))
	if len(files) == 0 {
		t.Skip("no shared data at " + dataDir)
	}
	all := map[string]*audit.Event{}
	total := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		res := readFile(t, f, FormatAuto)
		if res.format != FormatCloudTrail {
			t.Errorf("%s: format %s", f, res.format)
		}
		if len(res.errs) > 0 || res.fatal != nil {
			t.Fatalf("%s: errors %v %v", f, res.errs, res.fatal)
		}
		if len(res.events) != len(doc.Records) {
			t.Fatalf("%s: read %d events, the file has %d records", f, len(res.events), len(doc.Records))
		}
		for i, e := range res.events {
			// Raw is the record, byte for byte.
			if string(e.Raw) != string(doc.Records[i]) {
				t.Fatalf("%s record %d: raw differs", f, i+1)
			}
			if _, dup := all[e.ID]; dup || e.ID == "" {
				t.Fatalf("%s record %d: id %q empty or seen before", f, i+1, e.ID)
			}
			all[e.ID] = e
			if e.Source != "cloudtrail" || e.Action == "" || e.Service == "" || e.Time.IsZero() || e.Status == "" || e.Actor == "" {
				t.Errorf("%s record %d: incomplete mapping %+v", f, i+1, e)
			}
		}
		total += len(doc.Records)
	}
	if total != 1448 || len(all) != total {
		t.Errorf("%d records, %d ids; want 1448 of each", total, len(all))
	}

	const (
		acct    = "123837392027"
		console = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.4.247-169.350.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]"
	)
	for _, w := range []want{
		{ // IAM user through the console, on a bucket listed in resources
			ID: "3c856bc0-1a07-4c18-89d9-4d9205856714", Time: "2023-07-10T11:42:44Z", Source: "cloudtrail",
			Service: "s3.amazonaws.com", Action: "GetBucketPublicAccessBlock", Category: "Management",
			Actor: "benjamin", ActorID: "AIDATFQR7NSC5U6Q3TMDR", ActorType: "IAMUser",
			Target: "arn:aws:s3:::baker221b-bucketssecuritylogsbef08b3e-13nrzhi7fcs7w", TargetType: "AWS::S3::Bucket",
			IP: "10.248.16.43", Client: "us-east-1", UserAgent: console, Status: audit.StatusSuccess, Tenant: acct,
			Description: "benjamin GetBucketPublicAccessBlock on s3.amazonaws.com",
			Params:      `{"publicAccessBlock":"","bucketName":"baker221b-bucketssecuritylogsbef08b3e-13nrzhi7fcs7w","Host":"baker221b-bucketssecuritylogsbef08b3e-13nrzhi7fcs7w.s3.us-east-1.amazonaws.com"}`,
			Duration:    -1,
		},
		{ // a failed call
			ID: "8ca35bec-bc01-4a58-beca-6f8a16907e98", Time: "2023-07-10T11:42:44Z", Source: "cloudtrail",
			Service: "s3.amazonaws.com", Action: "GetBucketPublicAccessBlock", Category: "Management",
			Actor: "benjamin", ActorID: "AIDATFQR7NSC5U6Q3TMDR", ActorType: "IAMUser",
			Target: "arn:aws:s3:::invictus-aws-2022-10-27-quygr", TargetType: "AWS::S3::Bucket",
			IP: "10.248.16.43", Client: "us-east-1", UserAgent: console, Status: audit.StatusFailure,
			Error:       "NoSuchPublicAccessBlockConfiguration: The public access block configuration was not found",
			Tenant:      acct,
			Description: "benjamin GetBucketPublicAccessBlock on s3.amazonaws.com failed: NoSuchPublicAccessBlockConfiguration",
			Params:      `{"publicAccessBlock":"","bucketName":"invictus-aws-2022-10-27-quygr","Host":"invictus-aws-2022-10-27-quygr.s3.us-east-1.amazonaws.com"}`,
			Duration:    -1,
		},
		{ // an AWS service assuming a role: actor is the service, responseElements is custom
			ID: "a4a7b25e-c2d5-436f-8a7e-ea89f50541ab", Time: "2023-07-10T11:55:24Z", Source: "cloudtrail",
			Service: "sts.amazonaws.com", Action: "AssumeRole", Category: "Management",
			WorkflowID: "71797d26-1286-4204-81d4-cbcce8819672",
			Actor:      "inspector2.amazonaws.com", ActorType: "AWSService",
			Target:     "arn:aws:iam::123837392027:role/aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2",
			TargetType: "AWS::IAM::Role",
			IP:         "inspector2.amazonaws.com", Client: "us-east-1", UserAgent: "inspector2.amazonaws.com",
			Status: audit.StatusSuccess, Tenant: acct,
			Description: "inspector2.amazonaws.com AssumeRole on sts.amazonaws.com",
			Params:      `{"roleArn":"arn:aws:iam::123837392027:role/aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2","roleSessionName":"MandoService-4719190630289683262","durationSeconds":3600}`,
			Custom:      "*",
			Duration:    -1,
		},
		{ // no identity type, a shared event: workflow_id; null request/response
			ID: "895dc875-cb08-45a5-b8c2-9158838741c0", Time: "2023-07-10T11:55:23Z", Source: "cloudtrail",
			Service: "ec2.amazonaws.com", Action: "SharedSnapshotVolumeCreated", Category: "Management",
			WorkflowID: "b81f7fe5-36b5-49ea-bbc9-6a9007e733c0",
			Actor:      "ec2.amazonaws.com", ActorType: "AWSService",
			IP: "ec2.amazonaws.com", Client: "us-east-1", UserAgent: "ec2.amazonaws.com",
			Status: audit.StatusSuccess, Tenant: acct,
			Description: "ec2.amazonaws.com SharedSnapshotVolumeCreated on ec2.amazonaws.com",
			Duration:    -1,
		},
		{ // an assumed role, unauthorized; the target comes from requestParameters
			ID: "fbd91225-39aa-4c00-822c-9f0b96e7758f", Time: "2023-07-10T11:54:48Z", Source: "cloudtrail",
			Service: "ec2.amazonaws.com", Action: "GetPasswordData", Category: "Management",
			Actor:     "arn:aws:sts::123837392027:assumed-role/stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1688990082523310002",
			ActorID:   "AROATFQR7NSCWWVLB7BES:aws-go-sdk-1688990082523310002",
			ActorType: "AssumedRole",
			Target:    "i-durz4ux740gjqvcm", TargetType: "AWS::EC2::Instance",
			IP: "192.168.10.20", Client: "us-east-1", UserAgent: "stratus-red-team_39f95f43-cd2f-4beb-b69e-be60b6fe1f57",
			Status: audit.StatusFailure, Tenant: acct,
			Error:       "*",
			Description: "aws-go-sdk-1688990082523310002 GetPasswordData on ec2.amazonaws.com failed: Client.UnauthorizedOperation",
			Params:      `{"instanceId":"i-durz4ux740gjqvcm"}`,
			Duration:    -1,
		},
	} {
		e := all[w.ID]
		if e == nil {
			t.Errorf("no event %s", w.ID)
			continue
		}
		if w.Custom == "*" {
			w.Custom = string(e.Custom)
			if !strings.Contains(w.Custom, `"credentials"`) {
				t.Errorf("%s: custom %s lacks the response's credentials", w.ID, w.Custom)
			}
		}
		if w.Error == "*" {
			if !strings.HasPrefix(e.Error, "Client.UnauthorizedOperation: You are not authorized") {
				t.Errorf("%s: error %q", w.ID, e.Error)
			}
			w.Error = e.Error
		}
		check(t, e, w)
	}
}

func TestCloudTrailShapes(t *testing.T) {
	rec := `{"eventTime":"2023-07-10T11:42:36Z","eventName":"CreateUser","eventSource":"iam.amazonaws.com","eventID":"e1","userIdentity":{"type":"Root","principalId":"123","arn":"arn:aws:iam::123:root"},"requestParameters":{"userName":"mallory"},"responseElements":{"user":{"userName":"mallory"}}}`
	for _, in := range []string{
		`{"Records":[` + rec + `]}`,
		"[" + rec + "]",
		rec + "\n",
	} {
		for _, f := range []Format{FormatAuto, FormatCloudTrail} {
			res := readString(t, "ct", in, f)
			if len(res.events) != 1 || len(res.errs) > 0 || res.fatal != nil {
				t.Fatalf("%s (%s): %+v", in, f, res)
			}
			check(t, res.events[0], want{
				ID: "e1", Time: "2023-07-10T11:42:36Z", Source: "cloudtrail", Service: "iam.amazonaws.com",
				Action: "CreateUser", Actor: "arn:aws:iam::123:root", ActorID: "123", ActorType: "Root",
				Target: "mallory", TargetType: "AWS::IAM::User", Status: audit.StatusSuccess,
				Description: "root CreateUser on iam.amazonaws.com",
				Params:      `{"userName":"mallory"}`, Custom: `{"user":{"userName":"mallory"}}`, Duration: -1,
			})
		}
	}
}

func TestSeed004CSV(t *testing.T) {
	res := readFile(t, "testdata/seed004.csv", FormatAuto)
	if res.format != FormatCSV || len(res.errs) > 0 || res.fatal != nil {
		t.Fatalf("format %s, errors %v %v", res.format, res.errs, res.fatal)
	}
	if len(res.events) != 12 {
		t.Fatalf("%d events, want 12", len(res.events))
	}
	const (
		tenant = "7d9f3c1e-2b4a-4e8f-9c6d-1a2b3c4d5e6f"
		w1     = "0b8e5a52-61c4-4d0c-9a43-1f0e7d2c3b4a"
	)
	// One workflow, three events.
	n := 0
	for _, e := range res.events {
		if e.WorkflowID == w1 {
			n++
		}
		if e.Source != "file:seed004.csv" || e.Tenant != tenant {
			t.Errorf("%s: source %q tenant %q", e.ID, e.Source, e.Tenant)
		}
		var raw map[string]string
		if err := json.Unmarshal(e.Raw, &raw); err != nil || raw["Id"] != e.ID || len(raw) != 17 {
			t.Errorf("%s: raw %s (%v)", e.ID, e.Raw, err)
		}
	}
	if n != 3 {
		t.Errorf("workflow %s has %d events, want 3", w1, n)
	}
	ev := byID(res.events)
	base := func(id, ts, wf, wt, et, desc, status string) want {
		return want{ID: id, Time: ts, Source: "file:seed004.csv", Tenant: tenant, WorkflowID: wf, WorkflowType: wt,
			Action: et, Description: desc, Status: audit.Status(status), Duration: -1}
	}
	tests := []want{}
	w := base("a1000000-0000-4000-8000-000000000001", "2026-11-03T08:00:00Z", w1, "user:creation", "user:attempting",
		"Attempting to create user new.hire@example.com", "in_progress")
	w.Category, w.Actor, w.ActorType, w.ActorID = "User Management", "admin@example.com", "tenant-user", "u-admin-1"
	w.Target, w.TargetType, w.Custom = "new.hire@example.com", "user", `{"role":"viewer","sendInvite":true}`
	tests = append(tests, w)
	w = base("a1000000-0000-4000-8000-000000000003", "2026-11-03T08:00:01.1Z", w1, "user:creation", "user:created",
		"User new.hire@example.com created;\nscope assignment pending", "success")
	w.Category, w.Actor, w.ActorType, w.ActorID = "User Management", "admin@example.com", "tenant-user", "u-admin-1"
	w.Target, w.TargetType, w.TargetID = "new.hire@example.com", "user", "u-new-77"
	w.Custom, w.Before, w.After = `{"scopeAssignment":"pending"}`, `{}`, `{"email":"new.hire@example.com","role":"viewer","status":"invited"}`
	tests = append(tests, w)
	w = base("a1000000-0000-4000-8000-000000000005", "2026-11-03T09:20:00Z", "c4b0d7e1-0000-4000-8000-000000000005",
		"user:login", "user:login-failed", "Email/password login failed", "failure")
	w.Category, w.Actor, w.ActorType, w.ActorID = "User Access", "bob@example.com", "tenant-user", "u-bob-2"
	w.Target, w.TargetType, w.TargetID = "bob@example.com", "user", "u-bob-2"
	w.Custom = `{"authMethod":"password","ip":"203.0.113.9","twoFactor":false}`
	tests = append(tests, w)
	w = base("a1000000-0000-4000-8000-000000000006", "2026-11-03T10:00:00Z", "c4b0d7e1-0000-4000-8000-000000000006",
		"epbpolicy:update", "epbpolicy:updated", "Policy Default backup updated with warnings", "warning")
	w.Category, w.Actor, w.ActorType, w.ActorID = "Policy Management", "admin@example.com", "tenant-user", "u-admin-1"
	w.Target, w.TargetType, w.TargetID = "Default backup", "ebpPolicy", "p-1"
	w.Before, w.After = `{"retentionDays":30}`, `{"retentionDays":90}`
	tests = append(tests, w)
	w = base("a1000000-0000-4000-8000-000000000012", "2026-11-03T11:00:00Z", "c4b0d7e1-0000-4000-8000-000000000012",
		"user:deletion", "user:deletion-failed", "Deleting user K1 user failed", "failure")
	w.Category, w.Actor, w.ActorType, w.ActorID = "User Management", "K1", "external-system", "k1"
	w.Target, w.TargetType, w.TargetID = "old.user@example.com", "cooperbotK1User", "u-old-3"
	tests = append(tests, w)
	for _, w := range tests {
		if e := ev[w.ID]; e == nil {
			t.Errorf("no event %s", w.ID)
		} else {
			check(t, e, w)
		}
	}
	for id, cat := range map[string]string{
		"a1000000-0000-4000-8000-000000000007": "Group Management",
		"a1000000-0000-4000-8000-000000000008": "Access & Tokens",
		"a1000000-0000-4000-8000-000000000009": "Restore Operations",
		"a1000000-0000-4000-8000-000000000010": "Reporting",
		"a1000000-0000-4000-8000-000000000011": "Asset Management",
	} {
		if e := ev[id]; e == nil || e.Category != cat {
			t.Errorf("%s: category %v, want %q", id, e, cat)
		}
	}
}

func TestWorkflowCategory(t *testing.T) {
	for wt, want := range map[string]string{
		"user:login": "User Access", "user:logout": "User Access", "user:k1-login": "User Access",
		"user:creation": "User Management", "user:activation": "User Management", "user:deletion": "User Management",
		"user:update": "User Management", "k1user:deactivation": "User Management",
		"group:creation": "Group Management", "scope:create": "Group Management", "usergroup:assignment": "Group Management",
		"epbasset:upsert": "Asset Management", "epbpolicy:update": "Policy Management", "policy:create": "Policy Management",
		"epbpolicythreshold:upsert": "Policy Management",
		"deploymenttoken:create":    "Access & Tokens", "token:pairing": "Access & Tokens",
		"epbrestore:bmr": "Restore Operations", "restore:upsert": "Restore Operations",
		"report:schedule": "Reporting", "epbreport:deletion": "Reporting",
		"": "", "weird:thing": "",
	} {
		if got := workflowCategory(wt); got != want {
			t.Errorf("workflowCategory(%q) = %q, want %q", wt, got, want)
		}
	}
}

func TestTabularJSON(t *testing.T) {
	// Seed 004's columns as JSON, keys in any case, JSON columns as objects
	// or as strings holding JSON.
	in := `{"ID":"t1","tenantid":"T","TIMESTAMP":"2026-11-03T08:00:00Z","WorkflowId":"W","WorkflowType":"user:login","EventType":"user:login-succeeded","Initiator":"a@b.c","OperationStatus":"inProgress","CustomValues":"{\"k\":1}","OriginalState":{"x":1},"UpdatedState":null}`
	res := readString(t, "t.ndjson", in, FormatAuto)
	if len(res.events) != 1 {
		t.Fatalf("%+v", res)
	}
	check(t, res.events[0], want{ID: "t1", Time: "2026-11-03T08:00:00Z", Source: "file:t.ndjson", Tenant: "T",
		WorkflowID: "W", WorkflowType: "user:login", Action: "user:login-succeeded", Category: "User Access",
		Actor: "a@b.c", Status: audit.StatusInProgress, Custom: `{"k":1}`, Before: `{"x":1}`, Duration: -1})
}

func jumpcloudWants() []want {
	const org = "5a1b2c3d4e5f60718293a4b5"
	return []want{
		{ID: "60d1f3a2c6e2a0a1b2c3d401", Time: "2026-11-02T09:15:42.338Z", Source: "jumpcloud", Service: "directory",
			Action: "admin_login_attempt", Category: "User Access", Tenant: org,
			Actor: "admin@example.com", ActorID: "5c8a7f3e2b1d4c0012ab34cd", ActorType: "admin",
			Target: "admin@example.com", TargetID: "5c8a7f3e2b1d4c0012ab34cd", TargetType: "admin",
			IP: "203.0.113.7", UserAgent: "Chrome 130.0.6723.92", Client: "Mac OS X 14.6.1",
			Geo:    `{"country_code":"US","region_name":"Colorado","timezone":"America/Denver","latitude":39.9,"longitude":-105.1}`,
			Status: audit.StatusSuccess, Custom: `{"auth_method":"password","mfa":true}`,
			Description: "admin@example.com admin_login_attempt via directory", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d402", Time: "2026-11-02T09:17:03Z", Source: "jumpcloud", Service: "directory",
			Action: "user_update", Category: "Directory", Tenant: org,
			Actor: "admin@example.com", ActorID: "5c8a7f3e2b1d4c0012ab34cd", ActorType: "admin",
			Target: "bob", TargetID: "64b0c1d2e3f4a5b6c7d8e9f0", TargetType: "user", IP: "203.0.113.7",
			Status: audit.StatusSuccess,
			Before: `{"department":"Sales","suspended":false}`, After: `{"department":"Engineering","suspended":true}`,
			Description: "admin@example.com user_update on bob via directory", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d403", Time: "2026-11-02T10:01:11.5Z", Source: "jumpcloud", Service: "sso",
			Action: "sso_auth", Category: "User Access", Tenant: org,
			Actor: "alice", ActorID: "64b0c1d2e3f4a5b6c7d8e9a1", ActorType: "user",
			IP: "198.51.100.23", UserAgent: "Firefox 132.0", Client: "Windows",
			Status: audit.StatusFailure, Error: "user is not bound to the application",
			Custom:      `{"application":{"id":"5f00aa11bb22cc33dd44ee55","name":"salesforce","display_label":"Salesforce"},"idp_initiated":true}`,
			Description: "alice sso_auth via sso (failed: user is not bound to the application)", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d404", Time: "2026-11-02T10:30:00Z", Source: "jumpcloud", Service: "radius",
			Action: "radius_auth_attempt", Category: "User Access", Tenant: org,
			Actor: "carol", ActorType: "user", IP: "192.0.2.44",
			Status: audit.StatusFailure, Error: "invalid credentials",
			Custom:      `{"username":"carol","auth_type":"PAP","nas_mfa_state":"DISABLED"}`,
			Description: "carol radius_auth_attempt via radius (failed: invalid credentials)", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d405", Time: "2026-11-02T11:00:00Z", Source: "jumpcloud", Service: "systems",
			Action: "login_attempt", Category: "User Access", Tenant: org,
			Actor: "alice", ActorID: "64b0c1d2e3f4a5b6c7d8e9a1", ActorType: "user",
			Target: "Alice's MacBook Pro", TargetID: "6011aa22bb33cc44dd55ee66", TargetType: "system",
			Status:      audit.StatusSuccess,
			Custom:      `{"system":{"id":"6011aa22bb33cc44dd55ee66","hostname":"alice-mbp","os":"Mac OS X"},"process_name":"loginwindow"}`,
			Description: "alice login_attempt on Alice's MacBook Pro via systems", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d406", Time: "2026-11-02T11:05:00Z", Source: "jumpcloud", Service: "systems",
			Action: "user_lockout", Category: "Systems", Tenant: org,
			Actor: "6011aa22bb33cc44dd55ee66", ActorID: "6011aa22bb33cc44dd55ee66", ActorType: "system",
			Target: "bob", TargetID: "64b0c1d2e3f4a5b6c7d8e9f0", TargetType: "user", Status: audit.StatusSuccess,
			Description: "6011aa22bb33cc44dd55ee66 user_lockout on bob via systems", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d407", Time: "2026-11-02T12:00:00Z", Source: "jumpcloud", Service: "ldap",
			Action: "ldap_bind", Category: "User Access", Tenant: org, Actor: "dave", ActorType: "user", IP: "10.1.2.3",
			Status:      audit.StatusSuccess,
			Custom:      `{"dn":"uid=dave,ou=Users,o=5a1b2c3d4e5f60718293a4b5,dc=jumpcloud,dc=com","auth_method":"simple"}`,
			Description: "dave ldap_bind via ldap", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d408", Time: "2026-11-02T12:00:00Z", Source: "jumpcloud", Service: "mdm",
			Action: "mdm_command_result", Category: "Device Management", Tenant: org,
			Actor: "admin@example.com", ActorID: "5c8a7f3e2b1d4c0012ab34cd", ActorType: "admin",
			Target: "Bob's iPhone", TargetID: "6022bb33cc44dd55ee66ff77", TargetType: "system", Status: audit.StatusSuccess,
			Custom:      `{"command_type":"DeviceLock","status":"Acknowledged"}`,
			Description: "admin@example.com mdm_command_result on Bob's iPhone via mdm", Duration: -1},
		{ID: "60d1f3a2c6e2a0a1b2c3d409", Time: "2026-11-02T13:00:00Z", Source: "jumpcloud", Service: "password_manager",
			Action: "pwm_folder_member_added", Category: "Password Manager", Tenant: org,
			Actor: "alice@example.com", ActorID: "64b0c1d2e3f4a5b6c7d8e9a1", ActorType: "user",
			Target: "Finance shared", TargetID: "f1", TargetType: "folder", Status: audit.StatusSuccess,
			Custom:      `{"permission":"read","member":{"email":"bob@example.com"}}`,
			Description: "alice@example.com pwm_folder_member_added on Finance shared via password_manager", Duration: -1},
	}
}

func TestJumpCloud(t *testing.T) {
	wants := jumpcloudWants()
	for _, tc := range []struct {
		file   string
		format Format
	}{
		{"jumpcloud.json", FormatAuto}, {"jumpcloud.ndjson", FormatAuto},
		{"jumpcloud.json.gz", FormatAuto}, {"jumpcloud.ndjson.gz", FormatJumpCloud},
		{"jumpcloud.json", FormatJSON}, {"jumpcloud.ndjson", FormatNDJSON},
	} {
		t.Run(tc.file+"/"+string(tc.format), func(t *testing.T) {
			res := readFile(t, filepath.Join("testdata", tc.file), tc.format)
			if len(res.errs) > 0 || res.fatal != nil {
				t.Fatalf("errors %v %v", res.errs, res.fatal)
			}
			if tc.format == FormatAuto && res.format != FormatJumpCloud {
				t.Errorf("format %s, want jumpcloud", res.format)
			}
			if len(res.events) != len(wants) {
				t.Fatalf("%d events, want %d", len(res.events), len(wants))
			}
			for i, w := range wants {
				check(t, res.events[i], w)
			}
		})
	}
	// Raw is the record exactly as in the file.
	res := readFile(t, "testdata/jumpcloud.ndjson", FormatAuto)
	b, _ := os.ReadFile("testdata/jumpcloud.ndjson")
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if string(res.events[i].Raw) != line {
			t.Errorf("record %d: raw %s, want %s", i+1, res.events[i].Raw, line)
		}
	}
}

func TestJumpCloudForced(t *testing.T) {
	// With --format jumpcloud every record is read as DI, even one that
	// does not look like it; a missing timestamp is named.
	res := readString(t, "di.json", `[{"id":"x","timestamp":"2026-01-01T00:00:00Z","event_type":"e"},{"id":"y","time":"2026-01-01T00:00:00Z"}]`, FormatJumpCloud)
	if len(res.events) != 1 || res.events[0].Source != "jumpcloud" || len(res.errs) != 1 {
		t.Fatalf("%+v", res)
	}
	if e := res.errs[0]; e.Field != "timestamp" || e.Record != 2 || e.Fatal {
		t.Errorf("error %+v", e)
	}
}

func TestOwnNDJSON(t *testing.T) {
	res := readFile(t, "testdata/own.ndjson", FormatAuto)
	if res.format != FormatNDJSON || len(res.errs) > 0 || res.fatal != nil || len(res.events) != 4 {
		t.Fatalf("format %s, %d events, errors %v %v", res.format, len(res.events), res.errs, res.fatal)
	}
	e := res.events
	check(t, e[0], want{ID: "evt-0001", Time: "2026-11-04T12:00:00.123456789Z", Source: "jumpcloud", Service: "directory",
		Action: "user_update", Category: "Directory", Actor: "admin@example.com", ActorID: "5c8a7f3e2b1d4c0012ab34cd",
		ActorType: "admin", Target: "bob", TargetID: "64b0c1d2e3f4a5b6c7d8e9f0", TargetType: "user", IP: "203.0.113.7",
		Client: "Mac OS X 14.6.1", UserAgent: "Chrome 130.0", Geo: `{"country_code":"US"}`, Status: audit.StatusSuccess,
		Tenant: "5a1b2c3d4e5f60718293a4b5", Description: "admin@example.com user_update on bob via directory",
		Params: `{"q":1}`, Custom: `{"auth_method":"password"}`, Before: `{"department":"Sales"}`,
		After: `{"department":"Engineering"}`, Duration: 42})
	if string(e[0].Raw) != `{"id":"evt-0001","event_type":"user_update","service":"directory","timestamp":"2026-11-04T12:00:00.123456789Z"}` {
		t.Errorf("raw of our own export = %s, want its raw member", e[0].Raw)
	}
	check(t, e[1], want{ID: e[1].ID, Time: "2026-11-03T12:00:00Z", Source: "file:own.ndjson", Action: "backup.run",
		Actor: "cron", Status: audit.StatusFailure, Error: "disk full", Duration: 1500})
	if len(e[1].ID) != 32 {
		t.Errorf("content id %q", e[1].ID)
	}
	if string(e[1].Raw) != `{"time":1793707200,"action":"backup.run","actor":"cron","status":"failure","error":"disk full","duration_ms":1500}` {
		t.Errorf("raw %s", e[1].Raw)
	}
	check(t, e[2], want{ID: "evt-0003", Time: "2026-11-04T12:30:00Z", Source: "recorder", Service: "ssh",
		Action: "session.start", Actor: "root", Status: audit.StatusInProgress, WorkflowID: "wf-9", WorkflowType: "session", Duration: -1})
	check(t, e[3], want{ID: "evt-0004", Time: "2026-11-03T12:30:00.25Z", Source: "file:legacy.log", Action: "login",
		Actor: "eve", IP: "2001:db8::1", Status: audit.StatusWarning, Duration: -1})
}

func TestOwnCSV(t *testing.T) {
	res := readFile(t, "testdata/own.csv", FormatAuto)
	if res.format != FormatCSV || len(res.errs) > 0 || res.fatal != nil || len(res.events) != 3 {
		t.Fatalf("format %s, %d events, errors %v %v", res.format, len(res.events), res.errs, res.fatal)
	}
	e := res.events
	check(t, e[0], want{ID: "evt-0001", Time: "2026-11-04T12:00:00.123456789Z", Source: "jumpcloud", Service: "directory",
		Action: "user_update", Category: "Directory", Actor: "admin@example.com", ActorID: "5c8a", ActorType: "admin",
		Target: "bob", TargetID: "64b0", TargetType: "user", IP: "203.0.113.7", Client: "Mac OS X", UserAgent: "Chrome 130.0",
		Geo: `{"country_code":"US"}`, Status: audit.StatusSuccess, Tenant: "org-1",
		Description: "admin@example.com user_update on bob via directory", Params: `{"q":1}`,
		Custom: `{"auth_method":"password"}`, Before: `{"department":"Sales"}`, After: `{"department":"Engineering"}`, Duration: 42})
	if string(e[0].Raw) != `{"id":"evt-0001","event_type":"user_update","service":"directory","timestamp":"2026-11-04T12:00:00.123456789Z"}` {
		t.Errorf("raw = %s, want the raw column", e[0].Raw)
	}
	// Neutralized cells come back as exported from.
	check(t, e[1], want{ID: "evt-0002", Time: "2026-11-04T12:05:00Z", Source: "file:app.csv", Action: "export",
		Actor: `=HYPERLINK("http://evil")`, Description: "-rf everything", Error: "@SUM(A1)", Status: audit.StatusFailure,
		Custom: `-5`, Duration: 7})
	check(t, e[2], want{ID: e[2].ID, Time: "2026-11-04T12:10:00Z", Source: "file:own.csv", Action: "login",
		Actor: "'not-neutralized", Status: audit.StatusSuccess, Duration: -1})
	var raw map[string]string
	if err := json.Unmarshal(e[2].Raw, &raw); err != nil || len(raw) != len(audit.Columns) || raw["actor"] != "'not-neutralized" {
		t.Errorf("raw %s: %v", e[2].Raw, err)
	}
}

// TestRoundTrip exports events the way auditctl does (json.Marshal of
// audit.Event, one per line; a CSV of audit.Columns) and imports them back.
func TestRoundTrip(t *testing.T) {
	events := []*audit.Event{
		{ID: "a", Time: mustTime("2026-11-04T12:00:00.123456789Z"), Source: "jumpcloud", Service: "sso", Action: "sso_auth",
			Category: "User Access", WorkflowID: "w", WorkflowType: "wt", Actor: "alice", ActorID: "1", ActorType: "user",
			Target: "app", TargetID: "2", TargetType: "application", IP: "198.51.100.1", Client: "Windows", UserAgent: "Firefox 1",
			Geo: json.RawMessage(`{"country_code":"FR"}`), Status: audit.StatusFailure, Error: "nope", DurationMS: audit.Ms(12),
			Tenant: "org", Description: "alice sso_auth via sso", Params: json.RawMessage(`{"p":[1,2]}`),
			Custom: json.RawMessage(`{"mfa":true}`), Before: json.RawMessage(`{"a":1}`), After: json.RawMessage(`{"a":2}`),
			Raw: json.RawMessage(`{"id":"a","event_type":"sso_auth","service":"sso"}`)},
		{ID: "b", Time: mustTime("2026-11-04T12:00:01Z"), Source: "file:x.csv", Action: "=cmd|' /C calc'!A0",
			Actor: "-2+3", Target: "@target", Description: "\tTabbed", Error: "\rreturn", Raw: json.RawMessage(`{"Id":"b"}`)},
	}
	var nd strings.Builder
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		nd.Write(b)
		nd.WriteByte('\n')
	}
	var csvb strings.Builder
	csvb.WriteString(strings.Join(audit.Columns, ",") + "\n")
	for _, e := range events {
		for i, c := range audit.Columns {
			if i > 0 {
				csvb.WriteByte(',')
			}
			v := e.Value(c)
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				v = "'" + v // the export's formula-injection guard
			}
			csvb.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
		}
		csvb.WriteByte('\n')
	}
	for name, in := range map[string]string{"x.ndjson": nd.String(), "x.csv": csvb.String()} {
		res := readString(t, name, in, FormatAuto)
		if len(res.errs) > 0 || res.fatal != nil || len(res.events) != len(events) {
			t.Fatalf("%s: %d events, errors %v %v", name, len(res.events), res.errs, res.fatal)
		}
		for i, got := range res.events {
			if !reflect.DeepEqual(got, events[i]) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(events[i])
				t.Errorf("%s: event %d:\n got %s\nwant %s", name, i, g, w)
			}
		}
	}
}
