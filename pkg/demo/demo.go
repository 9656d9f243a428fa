// Package demo generates a deterministic, realistic stream of audit events:
// the sample `auditctl demo` loads and the data the benchmarks run on.
//
// Four families, one per audit system of the seeds, share one world of
// tenants, people, addresses and machines (see world.go):
//
//	source          family                                   seed
//	jumpcloud       JumpCloud Directory Insights events       001
//	vault           JumpCloud Vault operation logs             000 (and 002's sessions)
//	demo:platform   the 17-event-type organization audit log   003
//	demo:kaseya     the 17-column workflow audit log           004
//
// Events come out in non-decreasing time order, all inside
// [Now-Days, Now), with millisecond precision. Activity follows business
// hours (08:00-18:00 UTC, Monday to Friday, quieter nights and weekends).
// On top of the background traffic a scripted story gives an investigator
// something to find (see story.go): users offboarded in the last week (with
// failed DeleteUser attempts and a deleted user still trying to log in), a
// password-spraying burst from a Tor exit node ending in one compromised
// account, and an admin making changes at 2 a.m. on a Saturday.
//
// The same Options (with Now fixed) give the same events, byte for byte: all
// randomness comes from a PCG seeded with Options.Seed, and nothing reads the
// clock or iterates a map.
package demo

import (
	"container/heap"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
)

// The Source of each family.
const (
	SourceDI       = "demo:jumpcloud"
	SourceVault    = "demo:vault"
	SourcePlatform = "demo:platform"
	SourceKaseya   = "demo:kaseya"
)

// Options configure Events.
type Options struct {
	// Now anchors the data: events fall in [Now-Days, Now). The zero value
	// means 2026-01-15T12:00:00Z, so a zero Options is deterministic too.
	Now time.Time
	// Days is the width of the window (default 30).
	Days int
	// Count is how many events to generate (default 20000).
	Count int
	// Seed makes the data deterministic (default 1).
	Seed int64
}

// DefaultNow is the anchor used when Options.Now is zero.
var DefaultNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

func (o Options) withDefaults() Options {
	if o.Now.IsZero() {
		o.Now = DefaultNow
	}
	if o.Days <= 0 {
		o.Days = 30
	}
	if o.Count <= 0 {
		o.Count = 20000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// minStoryCount is the smallest Count that gets the scripted story; below
// it the story would crowd out the background traffic.
const minStoryCount = 1000

// Events returns a reader of opt.Count generated events in non-decreasing
// time order. It streams: memory does not grow with Count.
func Events(opt Options) audit.EventReader {
	opt = opt.withDefaults()
	g := &gen{
		opt:   opt,
		w:     newWorld(),
		rng:   rand.New(rand.NewPCG(uint64(opt.Seed), 0x0a0d17c71)),
		nowMS: opt.Now.UnixMilli(),
		count: opt.Count,
	}
	g.startMS = g.nowMS - int64(opt.Days)*86400000
	// Now may carry sub-millisecond digits; UnixMilli truncates, so every
	// time < nowMS is < Now, and startMS <= Now-Days when Now has no
	// sub-millisecond part. Round startMS up otherwise.
	if opt.Now.Sub(msTime(g.nowMS)) > 0 {
		g.startMS++
		g.nowMS++ // times < nowMS (now ms ceiling) are still < Now
	}
	g.idBase = mix(uint64(opt.Seed) ^ 0x1d5a3e)
	g.wfBase = mix(uint64(opt.Seed) ^ 0x7f4a7c15)
	g.initSlots()
	if opt.Count >= minStoryCount {
		g.story()
	}
	n := opt.Count - g.nstory
	if n < 0 {
		n = 0
	}
	g.planSlots(n)
	return g
}

// gen is the generator. Next merges two streams: "slots", the times of the
// background events (drawn per hour from the diurnal curve and sorted), and
// a heap of pending events (story events and the later steps of workflows
// and sessions started earlier). Each emitted event that is not a story
// event consumes one slot, so exactly Count events come out, spread over the
// whole window.
type gen struct {
	opt     Options
	w       *world
	rng     *rand.Rand
	nowMS   int64
	startMS int64
	count   int
	emitted int

	idBase, wfBase uint64
	idSeq, wfSeq   uint64

	// slots
	hourW   []int64 // cumulative weight per hour bucket
	nslots  int
	hour    int   // current bucket
	given   int64 // slots handed out through the end of the previous bucket
	buf     []int64
	bufPos  int
	nstory  int
	inStory bool
	pending pq

	// scratch buffers, reused for every event
	p, c, bf, af, raw, d, id []byte
}

type item struct {
	t     int64
	seq   uint64
	story bool
	e     *audit.Event
}

type pq []item

func (q pq) Len() int { return len(q) }
func (q pq) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q pq) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x any)   { *q = append(*q, x.(item)) }
func (q *pq) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// schedule queues e (already built, with e.Time set) for emission at its
// time. Events at or after Now are dropped: the workflow or session is still
// under way when the data ends.
func (g *gen) schedule(e *audit.Event, ms int64, story bool) {
	story = story || g.inStory
	if ms >= g.nowMS || ms < g.startMS {
		return
	}
	heap.Push(&g.pending, item{t: ms, seq: g.idSeq, story: story, e: e})
	if story {
		g.nstory++
	}
}

// Next returns the next event, io.EOF after Count.
func (g *gen) Next() (*audit.Event, error) {
	if g.emitted >= g.count {
		return nil, io.EOF
	}
	s, ok := g.peekSlot()
	if len(g.pending) > 0 && (!ok || g.pending[0].t <= s) {
		it := heap.Pop(&g.pending).(item)
		if !it.story && ok {
			g.bufPos++ // a follow-up step takes the place of a background event
		}
		g.emitted++
		return it.e, nil
	}
	if !ok {
		g.emitted = g.count
		return nil, io.EOF
	}
	g.bufPos++
	g.emitted++
	return g.background(s), nil
}

// --- slots: the diurnal curve ---

// Relative activity per hour of the day (UTC) and per weekday.
var (
	hourCurve = [24]int64{3, 2, 2, 2, 2, 3, 5, 9, 16, 22, 25, 26, 24, 25, 26, 25, 22, 17, 12, 9, 7, 6, 5, 4}
	dayCurve  = [7]int64{2, 10, 10, 10, 10, 9, 3} // Sunday..Saturday
)

func (g *gen) initSlots() {
	hours := g.opt.Days * 24
	g.hourW = make([]int64, hours)
	var sum int64
	for h := 0; h < hours; h++ {
		mid := g.startMS + int64(h)*3600000 + 1800000
		t := msTime(mid)
		sum += hourCurve[t.Hour()] * dayCurve[t.Weekday()]
		g.hourW[h] = sum
	}
}

func (g *gen) planSlots(n int) {
	g.nslots = n
	g.hour = -1
	g.buf = g.buf[:0]
	g.bufPos = 0
}

// peekSlot returns the time of the next background slot.
func (g *gen) peekSlot() (int64, bool) {
	for g.bufPos >= len(g.buf) {
		if !g.fillHour() {
			return 0, false
		}
	}
	return g.buf[g.bufPos], true
}

// fillHour draws the slots of the next hour bucket, sorted.
func (g *gen) fillHour() bool {
	g.hour++
	if g.hour >= len(g.hourW) {
		return false
	}
	total := g.hourW[len(g.hourW)-1]
	upto := int64(g.nslots) * g.hourW[g.hour] / total
	k := int(upto - g.given)
	g.given = upto
	g.buf = g.buf[:0]
	g.bufPos = 0
	lo := g.startMS + int64(g.hour)*3600000
	hi := lo + 3600000
	if hi > g.nowMS {
		hi = g.nowMS
	}
	if hi <= lo {
		return true
	}
	span := uint64(hi - lo)
	for i := 0; i < k; i++ {
		g.buf = append(g.buf, lo+int64(g.rng.Uint64N(span)))
	}
	slices.Sort(g.buf)
	return true
}

// failScale scales every per-type failure rate (tenths): about 5% of all
// events end up failures.
const failScale = 17

// --- randomness helpers ---

func (g *gen) n(k int) int { return g.rng.IntN(k) }

// pm reports true with probability p per mille.
func (g *gen) pm(p int) bool { return g.rng.IntN(1000) < p }

func pick[T any](g *gen, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// weighted picks an index from cumulative weights.
func (g *gen) weighted(cum []int) int {
	x := g.rng.IntN(cum[len(cum)-1])
	i, _ := slices.BinarySearch(cum, x+1)
	return i
}

func cumulative(ws []int) []int {
	out := make([]int, len(ws))
	s := 0
	for i, w := range ws {
		s += w
		out[i] = s
	}
	return out
}

// Duration profiles, in ms, with a heavy tail.
const (
	durFast   = iota // reads: mostly 5-120 ms
	durNormal        // writes: mostly 20-300 ms
	durSlow          // exports, downloads, connections: often seconds
)

func (g *gen) dur(profile int) int64 {
	x := g.rng.IntN(1000)
	switch profile {
	case durSlow:
		switch {
		case x < 500:
			return int64(200 + g.n(800))
		case x < 900:
			return int64(1000 + g.n(5000))
		default:
			return int64(6000 + g.n(24000))
		}
	case durNormal:
		switch {
		case x < 880:
			return int64(20 + g.n(60) + g.n(1+g.n(220)))
		case x < 975:
			return int64(300 + g.n(700))
		case x < 995:
			return int64(1000 + g.n(9000))
		default:
			return int64(10000 + g.n(20000))
		}
	default:
		switch {
		case x < 900:
			return int64(5 + g.n(30) + g.n(1+g.n(90)))
		case x < 980:
			return int64(120 + g.n(500))
		case x < 996:
			return int64(1000 + g.n(4000))
		default:
			return int64(5000 + g.n(25000))
		}
	}
}

// --- the world, seen from a moment ---

// actor picks a person or service account active at ms (deleted users no
// longer act).
func (g *gen) actor(ms int64) *user {
	for {
		u := g.w.users[g.weighted(g.w.userW)]
		if u.deletedAt == 0 || ms < u.deletedAt {
			return u
		}
	}
}

// person picks a human user of t active at ms.
func (g *gen) person(t *tenant, ms int64) *user {
	us := g.w.byTenant[t]
	for i := 0; i < 20; i++ {
		u := us[g.n(len(us))]
		if !u.service && (u.deletedAt == 0 || ms < u.deletedAt) {
			return u
		}
	}
	return g.w.admins[t][0]
}

// admin picks an admin of t.
func (g *gen) admin(t *tenant) *user { return pick(g, g.w.admins[t]) }

// where returns the address u acts from now: office most of the day, home
// or VPN otherwise.
func (g *gen) where(u *user, ms int64, public bool) *addr {
	if u.service {
		return u.home
	}
	x := g.n(100)
	h := msTime(ms).Hour()
	office := h >= 8 && h < 18
	switch {
	case office && x < 70, !office && x < 15:
		return u.t.office[int(fnv(u.username)%uint64(len(u.t.office)))]
	case !public && x < 85:
		return u.vpn
	default:
		return u.home
	}
}

// browser returns the user agent u uses for a request of the given client.
func (g *gen) browser(u *user, client string) *agent {
	switch client {
	case "cli":
		if u.cli != nil {
			return u.cli
		}
	case "api":
		if u.service {
			return u.ua
		}
		return pick(g, apiAgents)
	}
	if g.pm(80) {
		return u.mobile
	}
	return u.ua
}

var apiAgents = []*agent{uaCurl, uaPython, uaGo}

// client picks web, cli or api for u.
func (g *gen) client(u *user) string {
	if u.service {
		return "api"
	}
	x := g.n(100)
	switch {
	case u.cli != nil && x < 22:
		return "cli"
	case x < 25:
		return "api"
	}
	return "web"
}

// tempAccount invents a short-lived account name (contractors, test users)
// for the create/delete churn that does not touch the named people.
func (g *gen) tempAccount(t *tenant) (name, email, id string) {
	n := g.n(90) + 10
	name = pick(g, tempFirst) + "." + pick(g, tempLast) + itoa(int64(n))
	email = name + "@" + t.domain
	id = staticOID("tmp:" + t.slug + name)
	return
}

// --- building events ---

// reset clears the scratch buffers for a new event.
func (g *gen) reset() {
	g.p, g.c, g.bf, g.af, g.raw, g.d = g.p[:0], g.c[:0], g.bf[:0], g.af[:0], g.raw[:0], g.d[:0]
}

// ID shapes.
const (
	idOID = iota
	idUUID
	idEvt
)

// newEvent starts an event at ms with a fresh unique id of the given shape.
func (g *gen) newEvent(ms int64, source string, shape int) *audit.Event {
	g.reset()
	g.idSeq++
	in := g.idBase + g.idSeq
	h1, h2 := mix(in), mix(in^0x2545f4914f6cdd1d)
	b := g.id[:0]
	switch shape {
	case idOID:
		b = appendHex64(b, uint64(ms/1000)&0xffffffff, 8)
		b = appendHex64(b, h1, 16)
	case idUUID:
		b = appendUUID(b, h1, h2)
	default:
		b = append(b, "evt_"...)
		b = appendHex64(b, h1, 16)
	}
	g.id = b
	return &audit.Event{Time: msTime(ms), Source: source}
}

// setDur sets e's duration.
func setDur(e *audit.Event, ms int64) { e.DurationMS = audit.Ms(ms) }

// workflowID returns a fresh UUID for a workflow or session.
func (g *gen) workflowID() string {
	g.wfSeq++
	in := g.wfBase + g.wfSeq
	return string(appendUUID(nil, mix(in), mix(in^0x6a09e667f3bcc909)))
}

// finish copies the scratch documents into one allocation owned by e.
func (g *gen) finish(e *audit.Event) *audit.Event {
	n := len(g.p) + len(g.c) + len(g.bf) + len(g.af) + len(g.raw)
	arena := make([]byte, 0, n)
	e.ID = string(g.id)
	e.Description = string(g.d)
	take := func(b []byte) []byte {
		if len(b) == 0 {
			return nil
		}
		i := len(arena)
		arena = append(arena, b...)
		return arena[i:len(arena):len(arena)]
	}
	e.Params = take(g.p)
	e.Custom = take(g.c)
	e.Before = take(g.bf)
	e.After = take(g.af)
	e.Raw = take(g.raw)
	return e
}

// desc appends parts to the description.
func (g *gen) desc(parts ...string) {
	for _, s := range parts {
		g.d = append(g.d, s...)
	}
}

func itoa(n int64) string {
	var b [20]byte
	return string(appendInt(b[:0], n))
}

func appendInt(b []byte, n int64) []byte {
	if n >= 0 && n < 10 {
		return append(b, byte('0'+n))
	}
	var tmp [20]byte
	i := len(tmp)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		tmp[i] = '-'
	}
	return append(b, tmp[i:]...)
}

// --- background traffic ---

// Share of background roots per family, per mille. Workflows and sessions
// add follow-up events, so the event shares end up about 36% jumpcloud, 31%
// vault, 14% demo:platform and 19% demo:kaseya.
var familyCum = cumulative([]int{400, 280, 140, 90})

func (g *gen) background(ms int64) *audit.Event {
	switch g.weighted(familyCum) {
	case 0:
		return g.di(ms)
	case 1:
		return g.vault(ms)
	case 2:
		return g.platform(ms)
	default:
		return g.kaseya(ms)
	}
}
