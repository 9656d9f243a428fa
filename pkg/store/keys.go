package store

import (
	"fmt"
	"hash/fnv"
	"io"
	"time"
)

// The key of an event is its time in microseconds shifted left by
// SlotBits, plus a slot taken from a hash of (source, id). Keys therefore
// sort by time to the microsecond, and the same event always gets the same
// key in every store. Two different events in the same microsecond and
// slot are moved to the next free slot (NextSlot).
const (
	SlotBits = 10
	SlotMask = 1<<SlotBits - 1
	// keys must fit in int64: times within ±2^52 µs of 1970 (1827–2112).
	MaxMicro = int64(1) << 52
)

// EventKey is the key of the event of that time, source and id.
func EventKey(t time.Time, source, id string) (int64, error) {
	us := t.UnixMicro()
	if us <= -MaxMicro || us >= MaxMicro-1 {
		return 0, fmt.Errorf("time %s is out of the supported range (1827–2112)", t.UTC().Format(time.RFC3339))
	}
	h := fnv.New32a()
	io.WriteString(h, source)
	h.Write([]byte{0})
	io.WriteString(h, id)
	return us<<SlotBits | int64(h.Sum32()&SlotMask), nil
}

// NextSlot is the key after key in the same microsecond (wrapping).
func NextSlot(key int64) int64 { return key&^SlotMask | (key+1)&SlotMask }

// KeyFloor is the smallest key of any event at or after t.
func KeyFloor(t time.Time) int64 {
	us := ClampMicro(t.UnixMicro())
	return us << SlotBits
}

// KeyCeil is a key above every event strictly before t.
func KeyCeil(t time.Time) int64 {
	us := t.UnixMicro()
	if t.Sub(time.UnixMicro(us)) > 0 {
		us++
	}
	return ClampMicro(us) << SlotBits
}

// ClampMicro clamps microseconds to the range keys can hold.
func ClampMicro(us int64) int64 {
	if us < -MaxMicro {
		return -MaxMicro
	}
	if us > MaxMicro {
		return MaxMicro
	}
	return us
}

// MicroAligned says t has no part finer than a microsecond (a time bound
// that is a key bound alone).
func MicroAligned(t time.Time) bool { return t.Nanosecond()%1000 == 0 }

// UnixNano is t in nanoseconds, clamped to the range keys can hold.
func UnixNano(t time.Time) int64 {
	us := t.UnixMicro()
	if us <= -MaxMicro {
		return -MaxMicro * 1000
	}
	if us >= MaxMicro {
		return MaxMicro * 1000
	}
	return t.UnixNano()
}

// KeyName names an event row by its key alone (its time and slot), for a
// row whose event is gone (the tamper check's findings, in both stores).
func KeyName(key int64) string {
	us := key >> SlotBits
	return fmt.Sprintf("key %d (%s)", key, time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z"))
}
