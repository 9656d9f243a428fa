// Package ctgen generates AWS CloudTrail records for tests and benchmarks
// of Sigma rules (`auditctl hunt`): copies of real records (the shared
// sample data, else a built-in one) with fresh ids and times, a part of
// them changed toward what the SigmaHQ CloudTrail rules look for (their
// event names and sources, root and assumed-role identities, TruffleHog
// and S3 Browser user agents, missing or "Success" error codes, disabled
// MFA, public restores, fieldref pairs…), so that every rule has matches
// and near misses.
package ctgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Options say what to generate.
type Options struct {
	N     int
	Seed  uint64
	Start time.Time     // time of the first record
	Step  time.Duration // between records
	// Mutate is the share of records changed toward the rules (0..1).
	Mutate float64
	// Templates are the records copied; nil: a built-in one.
	Templates []map[string]any
}

// LoadTemplates reads the records of the CloudTrail files ({"Records":
// [...]}) in dir.
func LoadTemplates(dir string) ([]map[string]any, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []map[string]any
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var doc struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out = append(out, doc.Records...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no CloudTrail records", dir)
	}
	return out, nil
}

var builtin = map[string]any{
	"eventVersion": "1.08",
	"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDATEST", "arn": "arn:aws:iam::123456789012:user/alice",
		"accountId": "123456789012", "accessKeyId": "AKIATEST", "userName": "alice"},
	"eventTime": "2026-11-01T00:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "GetBucketAcl",
	"awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.7", "userAgent": "aws-cli/2.13.0",
	"requestParameters": map[string]any{"bucketName": "logs", "Host": "logs.s3.amazonaws.com", "acl": ""},
	"responseElements":  nil, "eventID": "x", "readOnly": true, "eventType": "AwsApiCall",
	"managementEvent": true, "recipientAccountId": "123456789012", "eventCategory": "Management",
}

// The event (source, name) pairs of the SigmaHQ CloudTrail rules, and a few
// neighbours that must not match.
var ruleEvents = [][2]string{
	{"bedrock", "DeleteGuardrail"}, {"bedrock", "UpdateGuardrail"}, {"s3", "DeleteBucket"}, {"signin", "ConsoleLogin"},
	{"cloudtrail", "StopLogging"}, {"cloudtrail", "UpdateTrail"}, {"cloudtrail", "DeleteTrail"}, {"guardduty", "DeleteDetector"},
	{"guardduty", "UpdateDetector"}, {"ec2", "CreateNetworkAclEntry"}, {"ec2", "CreateRoute"}, {"account", "EnableRegion"},
	{"ec2", "AuthorizeSecurityGroupIngress"}, {"ec2", "RevokeSecurityGroupEgress"}, {"elasticloadbalancing", "SetSecurityGroups"},
	{"rds", "CreateDBSecurityGroup"}, {"ssm", "SendCommand"}, {"ec2", "DeleteFlowLogs"}, {"config", "StopConfigurationRecorder"},
	{"signin", "GetSigninToken"}, {"ses", "DeleteIdentity"}, {"iam", "DeleteSAMLProvider"}, {"s3", "PutBucketVersioning"},
	{"ec2", "DisableEbsEncryptionByDefault"}, {"ec2", "ImportKeyPair"}, {"ec2", "ModifyInstanceAttribute"},
	{"ec2", "CreateInstanceExportTask"}, {"ecs", "RunTask"}, {"elasticfilesystem", "DeleteFileSystem"},
	{"elasticfilesystem", "DeleteMountTarget"}, {"eks", "CreateCluster"}, {"elasticache", "CreateCacheSecurityGroup"},
	{"elasticache", "DeleteCacheSecurityGroup"}, {"s3", "ListBuckets"}, {"guardduty", "CreateIPSet"}, {"iam", "CreateAccessKey"},
	{"iam", "CreateLoginProfile"}, {"iam", "PutUserPolicy"}, {"iam", "CreateUser"}, {"kms", "ImportKeyMaterial"},
	{"lambda", "CreateFunctionUrlConfig"}, {"lambda", "UpdateFunctionConfiguration20150331v2"}, {"glue", "CreateDevEndpoint"},
	{"rds", "ModifyDBInstance"}, {"rds", "DeleteDBCluster"}, {"rds", "RestoreDBInstanceFromDBSnapshot"},
	{"route53", "DisableDomainTransferLock"}, {"route53", "TransferDomainToAnotherAwsAccount"}, {"s3", "PutBucketLogging"},
	{"securityhub", "BatchUpdateFindings"}, {"ec2", "ModifySnapshotAttribute"}, {"sso", "AssociateDirectory"},
	{"sts", "GetCallerIdentity"}, {"sts", "GetSessionToken"}, {"sts", "AssumeRoleWithSAML"}, {"iam", "UpdateSAMLProvider"},
	{"iam", "UpdateLoginProfile"},
	// neighbours
	{"ec2", "DescribeInstances"}, {"s3", "GetObject"}, {"iam", "ListUsers"}, {"sts", "AssumeRole"}, {"kms", "Decrypt"},
	{"s3", "DeleteBucketPolicy"}, {"iam", "UpdateSAMLProvider"}, {"lambda", "UpdateFunctionCode"},
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = clone(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = clone(x)
		}
		return s
	}
	return v
}

func obj(m map[string]any, k string) map[string]any {
	if o, ok := m[k].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[k] = o
	return o
}

// mutate changes rec toward the rules.
func mutate(r *rand.Rand, rec map[string]any) {
	ev := pick(r, ruleEvents...)
	rec["eventSource"] = ev[0] + ".amazonaws.com"
	rec["eventName"] = ev[1]
	if r.IntN(8) == 0 {
		rec["eventSource"] = pick(r, "sso-directory.amazonaws.com", "iam.amazonaws.com", "s3.amazonaws.com")
	}
	id := obj(rec, "userIdentity")
	switch r.IntN(6) {
	case 0:
		id["type"] = "Root"
		id["arn"] = "arn:aws:iam::123456789012:root"
	case 1:
		id["type"] = "AssumedRole"
		id["arn"] = pick(r, "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc", "arn:aws:sts::123456789012:assumed-role/admin/bob")
		obj(obj(id, "sessionContext"), "sessionIssuer")["type"] = pick(r, "Role", "Role", "User")
	case 2:
		id["type"] = "IAMUser"
	case 3:
		delete(id, "type")
	}
	switch r.IntN(5) {
	case 0:
		delete(rec, "errorCode")
	case 1:
		rec["errorCode"] = "Success"
	case 2:
		rec["errorCode"] = pick(r, "AccessDenied", "Client.UnauthorizedOperation")
		rec["errorMessage"] = pick(r, "Failed authentication", "not authorized", "*")
	case 3:
		rec["errorCode"] = nil
	}
	switch r.IntN(6) {
	case 0:
		rec["userAgent"] = pick(r, "TruffleHog", "trufflehog/3.0", "S3 Browser 9.5.5 https://s3browser.com", "Jersey/${project.version} (HttpUrlConnection 1.8.0_352)")
	case 1:
		rec["sourceIPAddress"] = pick(r, "AWS Internal", "10.1.2.3", "ssm.amazonaws.com")
	}
	rp := obj(rec, "requestParameters")
	switch r.IntN(10) {
	case 0:
		rp["enable"] = pick[any](r, false, "false", true)
	case 1:
		rp["attribute"] = pick(r, "userData", "instanceType")
	case 2:
		rp["layers"] = pick[any](r, []any{"arn:aws:lambda:us-east-1:1:layer:x:1"}, []any{})
	case 3:
		rp["containerDefinitions"] = []any{map[string]any{"command": []any{"sh", "-c", pick(r, "curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "echo hi")}}}
	case 4:
		rp["userName"] = pick(r, "bob", "alice", "mallory")
		if n, _ := id["userName"].(string); n != "" && r.IntN(2) == 0 {
			id["arn"] = "arn:aws:iam::123456789012:user/" + rp["userName"].(string)
		}
	case 5:
		rp["VersioningConfiguration"] = map[string]any{"Status": pick(r, "Suspended", "Enabled")}
	case 6:
		rp["policyDocument"] = pick(r, `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::<YOUR-BUCKET-NAME>/*"]}]}`, "{}")
	}
	switch r.IntN(8) {
	case 0:
		rec["responseElements"] = map[string]any{"ConsoleLogin": pick(r, "Success", "Failure")}
		obj(rec, "additionalEventData")["MFAUsed"] = pick(r, "NO", "Yes")
	case 1:
		rec["responseElements"] = map[string]any{"publiclyAccessible": pick[any](r, true, false), "pendingModifiedValues": map[string]any{"masterUserPassword": "****"}}
	case 2:
		rec["responseElements"] = map[string]any{"accessKey": map[string]any{"userName": pick(r, "bob", "alice")}}
	case 3:
		rec["responseElements"] = pick[any](r, "Failure: export", nil)
	}
	if r.IntN(10) == 0 {
		rec["eventType"] = "AwsServiceEvent"
	}
}

// Write writes opt.N records to w as NDJSON (one record a line, which
// auditctl import reads as CloudTrail).
func Write(w io.Writer, opt Options) error {
	tpl := opt.Templates
	if len(tpl) == 0 {
		tpl = []map[string]any{builtin}
	}
	r := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5eed))
	start := opt.Start
	if start.IsZero() {
		start = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	step := opt.Step
	if step <= 0 {
		step = time.Second
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := 0; i < opt.N; i++ {
		rec := clone(tpl[i%len(tpl)]).(map[string]any)
		rec["eventID"] = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Uint64()&(1<<48-1))
		rec["eventTime"] = start.Add(time.Duration(i) * step).UTC().Format(time.RFC3339)
		if opt.Mutate > 0 && r.Float64() < opt.Mutate {
			mutate(r, rec)
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return bw.Flush()
}
