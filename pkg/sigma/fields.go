package sigma

import (
	"slices"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Schema says what the field names of a rule refer to, from its logsource.
type Schema string

// The schemas.
const (
	// SchemaCloudTrail: the fields of the AWS CloudTrail record as
	// received (eventName, userIdentity.arn, requestParameters.bucketName…),
	// over the events of source cloudtrail.
	SchemaCloudTrail Schema = "cloudtrail"
	// SchemaJumpCloud: the fields of the JumpCloud Directory Insights event
	// (event_type, initiated_by.username, client_ip…), over the events of
	// source jumpcloud.
	SchemaJumpCloud Schema = "jumpcloud"
	// SchemaNormalized: auditctl's own event fields (action, actor, ip,
	// status…, params.PATH, raw.PATH), over every event.
	SchemaNormalized Schema = "normalized"
)

// Source is the event source a schema reads ("" for every source).
func (s Schema) Source() string {
	switch s {
	case SchemaCloudTrail:
		return "cloudtrail"
	case SchemaJumpCloud:
		return "jumpcloud"
	}
	return ""
}

// schemaFor picks the schema of a logsource; skip says why a rule of that
// logsource is not evaluated (no events of that kind are in an audit
// cache).
func schemaFor(product, service, category string) (s Schema, skip string) {
	product, service, category = strings.ToLower(product), strings.ToLower(service), strings.ToLower(category)
	switch product {
	case "aws":
		if service != "" && service != "cloudtrail" {
			return "", "logsource aws/" + service + ": auditctl reads AWS CloudTrail (service: cloudtrail) only"
		}
		return SchemaCloudTrail, ""
	case "jumpcloud":
		return SchemaJumpCloud, ""
	case "auditctl", "":
		if product == "" && (service != "" || category != "") {
			return "", "logsource " + strings.Trim(category+"/"+service, "/") + " without a product: not an audit source auditctl reads (use product: auditctl for its normalized fields)"
		}
		return SchemaNormalized, ""
	}
	return "", "logsource product " + product + ": not an audit source auditctl reads (aws/cloudtrail, jumpcloud and auditctl are)"
}

// keywordsField is the field keyword searches (a list of plain values in
// a detection) are matched against: the stored document as received.
const keywordsField = "\x00keywords"

// absent is the value of a field an event does not have (or has as
// null). It is a noncharacter, so no Sigma value but a null matches it:
// sigma-go would compare the text "<nil>" instead.
const absent = "\uffff"

// docFields are the JSON documents of a normalized event, readable whole
// or by path (params.userName).
var docFields = []string{"params", "custom", "before", "after", "raw", "geo"}

// extraNormalized are the normalized fields that are not match fields.
var extraNormalized = []string{"time", "description", "duration_ms", "duration"}

// checkField reports whether a field name means something in the schema
// (CloudTrail and Directory Insights fields are any path in the record).
func checkField(s Schema, name string) bool {
	if s != SchemaNormalized || name == keywordsField {
		return true
	}
	if _, ok := audit.ParseField(name); ok || slices.Contains(extraNormalized, strings.ToLower(name)) {
		return true
	}
	head, _, _ := strings.Cut(name, ".")
	return slices.Contains(docFields, strings.ToLower(head))
}

// field is one field a rule reads, resolved once.
type field struct {
	name string
	path []string // the path in the raw document, or in a normalized document
	col  string   // normalized: the column (audit.Event.Value), "" for a document
	doc  string   // normalized: the document the path reads
}

func newField(s Schema, name string) field {
	f := field{name: name}
	if name == keywordsField {
		return f
	}
	if s != SchemaNormalized {
		f.path = strings.Split(name, ".")
		return f
	}
	if fl, ok := audit.ParseField(name); ok {
		f.col = string(fl)
		return f
	}
	lower := strings.ToLower(name)
	if slices.Contains(extraNormalized, lower) {
		f.col = lower
		return f
	}
	head, rest, _ := strings.Cut(name, ".")
	f.doc = strings.ToLower(head)
	if rest != "" {
		f.path = strings.Split(rest, ".")
	}
	return f
}

// values appends the values of f in e.
func (f *field) values(s Schema, e *audit.Event, out []any) []any {
	switch {
	case f.name == keywordsField:
		if len(e.Raw) > 0 {
			return append(out, string(e.Raw))
		}
		if e.Description != "" {
			return append(out, e.Description)
		}
		return out
	case s != SchemaNormalized:
		return lookupPath(e.Raw, f.path, out)
	case f.col != "":
		if v := e.Value(f.col); v != "" {
			out = append(out, v)
		}
		return out
	}
	var doc []byte
	switch f.doc {
	case "params":
		doc = e.Params
	case "custom":
		doc = e.Custom
	case "before":
		doc = e.Before
	case "after":
		doc = e.After
	case "raw":
		doc = e.Raw
	case "geo":
		doc = e.Geo
	}
	if len(doc) == 0 {
		return out
	}
	if len(f.path) == 0 {
		return append(out, strings.TrimSpace(string(doc)))
	}
	return lookupPath(doc, f.path, out)
}

// columns are the rule fields whose value is exactly what a column of the
// cache holds (the importer copies them as they are), per schema: a
// condition on them can be pushed down to SQL.
var columns = map[Schema]map[string]audit.Field{
	SchemaCloudTrail: {
		"eventname": audit.FieldAction, "eventsource": audit.FieldService, "sourceipaddress": audit.FieldIP,
		"useridentity.type": audit.FieldActorType, "useragent": audit.FieldBrowser, "awsregion": audit.FieldClient,
		"recipientaccountid": audit.FieldTenant, "eventid": audit.FieldID, "sharedeventid": audit.FieldWorkflow,
		"eventcategory": audit.FieldCategory,
		// errorCode is the start of the error column ("code: message"),
		// handled apart (errorPrefix).
	},
	SchemaJumpCloud: {
		"event_type": audit.FieldAction, "service": audit.FieldService, "client_ip": audit.FieldIP,
		"organization": audit.FieldTenant, "initiated_by.id": audit.FieldActorID, "initiated_by.type": audit.FieldActorType,
		"resource.id": audit.FieldTargetID, "resource.type": audit.FieldTargetType, "id": audit.FieldID,
		"error_message": audit.FieldError,
	},
}

// errorPrefix names the CloudTrail field that the error column starts with.
const errorPrefix = "errorcode"

// pushColumn returns the column a rule field maps onto exactly.
func pushColumn(s Schema, name string) (audit.Field, bool) {
	if s == SchemaNormalized {
		f, ok := audit.ParseField(name)
		if !ok || f == audit.FieldTime || f == audit.FieldDuration || f == audit.FieldStatus {
			// status values are normalized by the filter (ok -> success):
			// not the same comparison as the rule's
			return "", false
		}
		return f, true
	}
	f, ok := columns[s][strings.ToLower(name)]
	return f, ok
}
