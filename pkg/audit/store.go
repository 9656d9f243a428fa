package audit

import (
	"context"
	"time"
)

// Bucket is one group of a count: a value of a field or the start of a time
// interval, and how many events it holds.
type Bucket struct {
	Key   string    `json:"key"`
	Time  time.Time `json:"time,omitempty"`
	Count int64     `json:"count"`
}

// ImportResult says what an import did.
type ImportResult struct {
	Read     int `json:"read"`     // records read
	Inserted int `json:"inserted"` // new events stored
	Skipped  int `json:"skipped"`  // invalid records skipped (--skip-invalid)
}

// Duplicates is how many records were already stored.
func (r ImportResult) Duplicates() int { return r.Read - r.Inserted - r.Skipped }

// EventReader yields events one at a time. Next returns io.EOF at the end.
// Importers implement it; stores consume it.
type EventReader interface {
	Next() (*Event, error)
}

// EventService finds and counts events. The SQLite cache implements it, and
// so does a remote audit API queried live.
type EventService interface {
	// FindEvents returns one page of events and the total that match; the
	// total is -1 when p.NoTotal is set.
	FindEvents(ctx context.Context, f Filter, p Page) ([]*Event, int, error)
	// EachEvent streams every matching event in page order without holding
	// them all in memory.
	EachEvent(ctx context.Context, f Filter, p Page, fn func(*Event) error) error
	// FindEventByID returns the event with that id; source narrows it when
	// two sources share an id.
	FindEventByID(ctx context.Context, id, source string) (*Event, error)
	// CountEvents counts matching events.
	CountEvents(ctx context.Context, f Filter) (int64, error)
	// CountBy groups matching events by a field, largest first.
	CountBy(ctx context.Context, f Filter, field Field, limit int) ([]Bucket, error)
	// Histogram counts matching events per interval, oldest first.
	Histogram(ctx context.Context, f Filter, interval time.Duration) ([]Bucket, error)
}
