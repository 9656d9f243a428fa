package importer

import (
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// AWS CloudTrail records (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).

type ctIdentity struct {
	Type, PrincipalID, ARN, UserName, InvokedBy string
}

func (m *mapper) identity() (id ctIdentity, ok bool) {
	const f = "userIdentity"
	ok = m.object(m.rec.v[sCUserIdentity], f, func(key, val []byte) {
		switch string(key) {
		case "type":
			id.Type = m.textIn(val, f, "type")
		case "principalId":
			id.PrincipalID = m.textIn(val, f, "principalId")
		case "arn":
			id.ARN = m.textIn(val, f, "arn")
		case "userName":
			id.UserName = m.textIn(val, f, "userName")
		case "invokedBy":
			id.InvokedBy = m.textIn(val, f, "invokedBy")
		}
	})
	return id, ok
}

// ctTargetParams are the request parameters that name what a call acts on,
// tried in this order when the record lists no resources, with the resource
// type each implies.
var ctTargetParams = []struct{ key, typ string }{
	{"bucketName", "AWS::S3::Bucket"},
	{"userName", "AWS::IAM::User"},
	{"roleName", "AWS::IAM::Role"},
	{"roleArn", "AWS::IAM::Role"},
	{"groupName", "AWS::IAM::Group"},
	{"policyArn", "AWS::IAM::Policy"},
	{"secretId", "AWS::SecretsManager::Secret"},
	{"keyId", "AWS::KMS::Key"},
	{"instanceId", "AWS::EC2::Instance"},
	{"functionName", "AWS::Lambda::Function"},
	{"trailName", "AWS::CloudTrail::Trail"},
	{"name", ""},
}

func (m *mapper) cloudtrail() {
	e := m.ev
	e.Source = "cloudtrail"
	e.ID = m.str(sCEventID, "eventID")
	e.Time = m.when(sCEventTime, "eventTime")
	e.Action = m.str(sCEventName, "eventName")
	e.Service = m.str(sCEventSource, "eventSource")
	e.IP = m.str(sCSourceIP, "sourceIPAddress")
	e.UserAgent = m.text(m.rec.v[sUserAgentObj], "userAgent")
	e.Tenant = m.str(sCRecipientAccountID, "recipientAccountId")
	e.Client = m.str(sCRegion, "awsRegion")
	e.WorkflowID = m.str(sCSharedEventID, "sharedEventID")
	e.Params = m.doc(sCRequestParameters)
	e.Custom = m.doc(sCResponseElements)

	id, ok := m.identity()
	if ok {
		e.Actor = firstOf(id.UserName, id.ARN, id.PrincipalID, id.InvokedBy, id.Type)
		e.ActorID = firstOf(id.PrincipalID, id.ARN)
		e.ActorType = id.Type
		if e.ActorType == "" && id.InvokedBy != "" {
			e.ActorType = "AWSService"
		}
	}

	code := m.str(sCErrorCode, "errorCode")
	if code != "" {
		e.Status = audit.StatusFailure
		e.Error = code
		if msg := m.str(sCErrorMessage, "errorMessage"); msg != "" {
			e.Error += ": " + msg
		}
	} else {
		e.Status = audit.StatusSuccess
	}

	if v := m.rec.v[sCResources]; len(v) > 0 && v[0] == '[' {
		first := true
		eachElement(v, func(r []byte) {
			if !first {
				return
			}
			first = false
			m.object(r, "resources", func(key, val []byte) {
				switch string(key) {
				case "ARN":
					e.Target = m.textIn(val, "resources", "ARN")
				case "type":
					e.TargetType = m.textIn(val, "resources", "type")
				}
			})
		})
	}
	if v := m.rec.v[sCRequestParameters]; e.Target == "" && len(v) > 0 && v[0] == '{' {
		// The first of ctTargetParams that the request names.
		best := len(ctTargetParams)
		m.object(v, "requestParameters", func(key, val []byte) {
			if len(val) == 0 || val[0] != '"' {
				return
			}
			for i := 0; i < best; i++ {
				if string(key) == ctTargetParams[i].key {
					best = i
					e.Target = m.text(val, "requestParameters")
					e.TargetType = ctTargetParams[i].typ
				}
			}
		})
	}

	e.Category = m.str(sCEventCategory, "eventCategory")
	if e.Category == "" && string(m.rec.v[sCManagementEvent]) == "true" {
		e.Category = "Management"
	}
	e.Description = ctDescription(e, code, id.UserName)
}

// ctDescription builds "<who> <eventName> on <eventSource>[ failed: <errorCode>]",
// e.g. "benjamin GetBucketAcl on s3.amazonaws.com".
func ctDescription(e *audit.Event, code, userName string) string {
	who := userName
	if who == "" {
		who = e.Actor
		// An ARN says more than needed: keep what follows the last "/"
		// (the role session or user name), or the last ":" ("root").
		if strings.HasPrefix(who, "arn:") {
			i := strings.LastIndexByte(who, '/')
			if i < 0 {
				i = strings.LastIndexByte(who, ':')
			}
			if i+1 < len(who) {
				who = who[i+1:]
			}
		}
	}
	if who == "" {
		who = "someone"
	}
	s := who + " " + e.Action + " on " + e.Service
	if code != "" {
		s += " failed: " + code
	}
	return s
}
