package demo

import (
	"github.com/auditctl/auditctl/internal/jsontext"
	"strconv"
	"time"
)

// A tiny append-only JSON writer. The generator builds every JSON document
// (params, custom, before/after, raw) with these helpers instead of
// encoding/json: it is several times faster and allocation free, which the
// 500k events/s budget needs. Keys are literals of this package; values go
// through str, which escapes them.

const hexdigits = "0123456789abcdef"

// str appends s as a JSON string.
func str[T string | []byte](b []byte, s T) []byte { return jsontext.AppendString(b, string(s)) }

// sep appends a comma unless b ends an opening bracket.
func sep(b []byte) []byte {
	if n := len(b); n > 0 {
		if c := b[n-1]; c != '{' && c != '[' && c != ':' {
			b = append(b, ',')
		}
	}
	return b
}

func key(b []byte, k string) []byte {
	b = sep(b)
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

// ks appends "k":"v".
func ks(b []byte, k, v string) []byte { return str(key(b, k), v) }

// ksb appends "k":"v" with v given as bytes.
func ksb(b []byte, k string, v []byte) []byte {
	b = append(key(b, k), '"')
	b = append(b, v...)
	return append(b, '"')
}

// kso appends "k":"v" only when v is not empty.
func kso(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return ks(b, k, v)
}

// ki appends "k":n.
func ki(b []byte, k string, n int64) []byte { return strconv.AppendInt(key(b, k), n, 10) }

// kb appends "k":true|false.
func kb(b []byte, k string, v bool) []byte { return strconv.AppendBool(key(b, k), v) }

// kr appends "k":<raw JSON>, null when raw is empty.
func kr(b []byte, k string, raw []byte) []byte {
	b = key(b, k)
	if len(raw) == 0 {
		return append(b, "null"...)
	}
	return append(b, raw...)
}

// kn appends "k":null.
func kn(b []byte, k string) []byte { return append(key(b, k), "null"...) }

// ko opens an object under k.
func ko(b []byte, k string) []byte { return append(key(b, k), '{') }

// ka opens an array under k.
func ka(b []byte, k string) []byte { return append(key(b, k), '[') }

// as appends a string element of an array.
func as(b []byte, v string) []byte { return str(sep(b), v) }

// end closes an object.
func end(b []byte) []byte { return append(b, '}') }

// enda closes an array.
func enda(b []byte) []byte { return append(b, ']') }

// kt appends "k":"<RFC 3339 UTC time with milliseconds>".
func kt(b []byte, k string, ms int64) []byte {
	b = append(key(b, k), '"')
	b = appendTime(b, ms)
	return append(b, '"')
}

// appendTime writes the Unix millisecond time ms as
// 2006-01-02T15:04:05.000Z. Hand-rolled: it runs for every event.
func appendTime(b []byte, ms int64) []byte {
	secs := ms / 1000
	frac := ms % 1000
	if frac < 0 {
		frac += 1000
		secs--
	}
	days := secs / 86400
	rem := secs % 86400
	if rem < 0 {
		rem += 86400
		days--
	}
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, int(rem/3600))
	b = append(b, ':')
	b = append2(b, int(rem/60%60))
	b = append(b, ':')
	b = append2(b, int(rem%60))
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10), 'Z')
	return b
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func civil(z int64) (y, m, d int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	yy := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	dd := doy - (153*mp+2)/5 + 1
	mm := mp + 3
	if mp >= 10 {
		mm = mp - 9
	}
	if mm <= 2 {
		yy++
	}
	return int(yy), int(mm), int(dd)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

func append4(b []byte, n int) []byte {
	if n < 0 || n > 9999 {
		return strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

// msTime converts Unix milliseconds to a UTC time.Time.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// --- identifiers ---

// mix is the splitmix64 finalizer: a bijection on uint64, so distinct inputs
// give distinct outputs. IDs built from it are unique by construction.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func appendHex64(b []byte, v uint64, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hexdigits[(v>>(uint(i)*4))&0xf])
	}
	return b
}

// appendUUID writes a version-4-shaped UUID whose bytes 0-5, 7 and 9 carry
// the 64 bits of h1 (unique) and the rest h2.
func appendUUID(b []byte, h1, h2 uint64) []byte {
	var u [16]byte
	u[0], u[1], u[2], u[3] = byte(h1>>56), byte(h1>>48), byte(h1>>40), byte(h1>>32)
	u[4], u[5], u[7], u[9] = byte(h1>>24), byte(h1>>16), byte(h1>>8), byte(h1)
	u[6] = 0x40 | byte(h2&0x0f)
	u[8] = 0x80 | byte((h2>>8)&0x3f)
	for i := 10; i < 16; i++ {
		u[i] = byte(h2 >> (uint(i-8) * 8))
	}
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&0xf])
	}
	return b
}

// staticUUID and staticOID derive fixed identifiers for the demo world
// (users, tenants, resources) from a name, independent of the seed.
func staticUUID(name string) string {
	h := fnv(name)
	return string(appendUUID(nil, mix(h), mix(h^0x5bd1e995)))
}

// staticOID returns a 24-hex MongoDB-ObjectId-like id, as JumpCloud uses.
func staticOID(name string) string {
	h := fnv(name)
	b := appendHex64(nil, 0x5f000000+mix(h)%0x08000000, 8)
	return string(appendHex64(b, mix(h^0x27d4eb2f), 16))
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
