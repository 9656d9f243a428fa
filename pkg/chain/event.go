package chain

import (
	"encoding/json"

	"github.com/auditctl/auditctl/pkg/audit"
)

// EventHashValues is how many values an event's row hash covers: every
// stored column of the event but its key (source, id, time in
// nanoseconds, the text fields, duration, tenant, description), then its
// six JSON documents.
const EventHashValues = 28

// EventRowHash is the row hash of e as both stores keep it: the values in
// the order of EventHashValues, an absent duration or an empty document as
// NULL. The SQLite cache hashes the same values read back from its columns
// (pkg/store/sqlite, eventHashCols); the PostgreSQL store hashes the event
// it reads back with this very function.
func EventRowHash(rh *RowHasher, e *audit.Event) Hash {
	rh.Begin(KindEvent, EventHashValues)
	rh.Text(e.Source)
	rh.Text(e.ID)
	rh.Int(e.Time.UTC().UnixNano())
	for _, s := range [...]string{e.Service, e.Action, e.Category, e.WorkflowID, e.WorkflowType, e.Actor, e.ActorID,
		e.ActorType, e.Target, e.TargetID, e.TargetType, e.IP, e.Client, e.UserAgent, string(e.Status), e.Error} {
		rh.Text(s)
	}
	if e.DurationMS != nil {
		rh.Int(*e.DurationMS)
	} else {
		rh.Null()
	}
	rh.Text(e.Tenant)
	rh.Text(e.Description)
	for _, d := range [...]json.RawMessage{e.Geo, e.Params, e.Custom, e.Before, e.After, e.Raw} {
		if len(d) == 0 {
			rh.Null()
		} else {
			rh.Bytes(d)
		}
	}
	return rh.End()
}

// The findings of a row checked against its sealed hash, worded once for
// both stores. row names the row ("source/id (key K)"; KeyName alone for a
// row whose event is gone).

// RowGone is a sealed hash whose event is gone.
func RowGone(row string, batch int64) Finding {
	return Finding{Table: "events", Row: row, Problem: Deleted, Detail: detail("its event is gone; the hash sealed in batch %d is still there", batch)}
}

// RowUnsealed is an event with no sealed hash.
func RowUnsealed(row string) Finding {
	return Finding{Table: "events", Row: row, Problem: Inserted, Detail: "no hash was sealed for this row"}
}

// RowChanged is an event whose hash differs from the sealed one.
func RowChanged(row string, batch int64) Finding {
	return Finding{Table: "events", Row: row, Problem: Changed, Detail: detail("the row differs from what batch %d sealed", batch)}
}

// Report is what a store's walk of its chain found (VerifyChain).
type Report struct {
	Findings    []Finding
	Records     int64
	Checkpoints int64
	Unvouched   int64 // checkpoints checked only against the key they carry
	Events      int64 // event rows checked
	Sessions    int64 // session rows checked
	Unpublished int64 // rows of imports still under way, left out
	HeadSeq     int64
	Head        Hash
}
