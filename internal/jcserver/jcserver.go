// Package jcserver is a local JumpCloud Directory Insights API for tests,
// benchmarks and demos: an http.Handler implementing the contract of
// SPEC §7 (POST /insights/directory/v1/events, /events/count,
// /events/distinct, /events/interval), with request validation,
// search_after paging, sort, search_term semantics on the documents it
// holds, x-api-key authentication, x-org-id tenancy, and fault injection.
//
// Run one with `go run ./internal/jcserver/cmd` (see docs/jumpcloud.md).
package jcserver

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxLimit is the largest page the API serves.
const MaxLimit = 10000

// Base is the path prefix of the API.
const Base = "/insights/directory/v1"

// Services are the service names the API accepts ("all" selects every one).
var Services = []string{"all", "alerts", "asset_management", "directory", "ldap", "mdm", "notifications",
	"object_storage", "password_manager", "radius", "reports", "saas_app_management", "software", "sso", "systems"}

// Event is one stored Directory Insights event.
type Event struct {
	MS      int64 // timestamp in Unix milliseconds: the sort and cursor key
	Time    time.Time
	ID      string
	Service string
	Org     string
	Raw     []byte

	once sync.Once
	doc  map[string]any // Raw decoded, on first use
}

// Doc returns the event decoded (numbers as json.Number), nil if Raw is
// not a JSON object. Do not modify it.
func (e *Event) Doc() map[string]any {
	e.once.Do(func() {
		d := json.NewDecoder(bytes.NewReader(e.Raw))
		d.UseNumber()
		if d.Decode(&e.doc) != nil {
			e.doc = nil
		}
	})
	return e.doc
}

// ParseEvent reads the fields the server indexes from a DI event document.
func ParseEvent(raw []byte) (*Event, error) {
	var head struct {
		ID           string `json:"id"`
		Service      string `json:"service"`
		Organization string `json:"organization"`
		Timestamp    string `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	if head.ID == "" || head.Service == "" {
		return nil, errors.New("event without id or service")
	}
	t, err := time.Parse(time.RFC3339Nano, head.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("event %s: timestamp: %w", head.ID, err)
	}
	return &Event{MS: t.UnixMilli(), Time: t.UTC(), ID: head.ID, Service: head.Service, Org: head.Organization,
		Raw: bytes.Clone(raw)}, nil
}

func less(a, b *Event) int {
	if a.MS != b.MS {
		if a.MS < b.MS {
			return -1
		}
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}

// Fault is a failure the server produces for one request.
type Fault int

// The injectable faults.
const (
	FaultNone    Fault = iota
	Fault429           // 429 Too Many Requests with Retry-After
	Fault503           // 503 Service Unavailable
	Fault500           // 500 Internal Server Error
	FaultReset         // the connection is cut halfway through the body
	FaultSlow          // the response waits SlowDelay (past a client's timeout)
	Fault401           // 401 Unauthorized even with the right key
	FaultBadJSON       // a 200 whose body is cut short JSON
	numFaults
	// Fault403 is 403 Forbidden (not drawn by Chaos).
	Fault403 = numFaults + 1
)

func (f Fault) String() string {
	return [...]string{"none", "429", "503", "500", "reset", "slow", "401", "badjson", "", "403"}[f]
}

// Server is the fake API. Its exported settings may be changed between
// requests; use the methods while it serves.
type Server struct {
	// APIKey is the accepted x-api-key.
	APIKey string
	// ClientID and ClientSecret are a service account's credentials: POST
	// /oauth2/token (client credentials grant, HTTP basic auth) gives an
	// access token, accepted as "Authorization: Bearer" with x-org-id.
	ClientID, ClientSecret string
	// TokenTTL is the lifetime of access tokens (default 1h).
	TokenTTL time.Duration
	// Now is the clock for a missing end_time (default time.Now).
	Now func() time.Time
	// RetryAfter is the Retry-After value sent with 429 (default "1").
	RetryAfter string
	// Latency delays every response (a remote API's round trip).
	Latency time.Duration
	// SlowDelay is how long FaultSlow waits (default 5s; the request's
	// cancellation ends it early).
	SlowDelay time.Duration

	mu       sync.RWMutex
	events   []*Event // sorted by (MS, ID)
	ids      map[string]bool
	faults   []Fault // consumed one per request
	chaos    float64
	rng      *rand.Rand
	requests int
	served   map[string]int // path → successful responses
	tokens   map[string]time.Time
	ntok     int
}

// New returns a server holding no events that accepts apiKey.
func New(apiKey string) *Server {
	return &Server{APIKey: apiKey, ids: map[string]bool{}, served: map[string]int{}, tokens: map[string]time.Time{}, rng: rand.New(rand.NewPCG(1, 2))}
}

// Add stores DI event documents (ignoring ids it already holds).
func (s *Server) Add(raws ...[]byte) error {
	evs := make([]*Event, 0, len(raws))
	for _, r := range raws {
		e, err := ParseEvent(r)
		if err != nil {
			return err
		}
		evs = append(evs, e)
	}
	s.AddEvents(evs...)
	return nil
}

// AddEvents stores parsed events (ignoring ids it already holds).
func (s *Server) AddEvents(evs ...*Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sorted := len(s.events) == 0 || slices.IsSortedFunc(evs, less) && (len(evs) == 0 || less(s.events[len(s.events)-1], evs[0]) < 0)
	for _, e := range evs {
		if s.ids[e.ID] {
			continue
		}
		s.ids[e.ID] = true
		s.events = append(s.events, e)
	}
	if !sorted || !slices.IsSortedFunc(s.events, less) {
		slices.SortFunc(s.events, less)
	}
}

// Events returns the stored events in (time, id) order.
func (s *Server) Events() []*Event {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.events)
}

// Inject queues faults: each of the next requests gets the next fault.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, faults...)
	s.mu.Unlock()
}

// Chaos makes a fraction of requests (after the queued faults) fail with a
// random fault other than 401, drawn from a generator seeded with seed.
func (s *Server) Chaos(rate float64, seed uint64) {
	s.mu.Lock()
	s.chaos = rate
	s.rng = rand.New(rand.NewPCG(seed, 7))
	s.mu.Unlock()
}

// Requests is how many requests the server has received.
func (s *Server) Requests() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.requests
}

// Served is how many requests to path (e.g. "/events") got a 200.
func (s *Server) Served(path string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.served[path]
}

func (s *Server) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		return f
	}
	if s.chaos > 0 && s.rng.Float64() < s.chaos {
		return Fault(1 + s.rng.IntN(int(numFaults)-1))
	}
	return FaultNone
}

// request is the body every endpoint takes (each uses its part).
type request struct {
	Service       []string          `json:"service"`
	StartTime     *string           `json:"start_time"`
	EndTime       *string           `json:"end_time"`
	Limit         *int              `json:"limit"`
	Sort          string            `json:"sort"`
	SearchAfter   []json.RawMessage `json:"search_after"`
	SearchTerm    json.RawMessage   `json:"search_term"`
	Q             string            `json:"q"`
	Fields        []string          `json:"fields"`
	Field         string            `json:"field"`
	IntervalUnit  string            `json:"interval_unit"`
	IntervalValue json.RawMessage   `json:"interval_value"`
	Timezone      string            `json:"timezone"`
}

// query is a validated request.
type query struct {
	all      bool
	services map[string]bool
	start    time.Time
	end      time.Time
	limit    int
	desc     bool
	after    *Event // cursor: (MS, ID)
	term     *term
	q        []string
	fields   []string
	org      string
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"message": msg})
}

// ServeHTTP implements the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/oauth2/token" {
		s.token(w, r)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, Base)
	if !ok || !slices.Contains([]string{"/events", "/events/count", "/events/distinct", "/events/interval"}, path) {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The body is read before any fault: then the server notices a client
	// that gives up (the request's context ends).
	if s.Latency > 0 {
		t := time.NewTimer(s.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	fault := s.nextFault()
	switch fault {
	case Fault401:
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	case Fault403:
		writeError(w, http.StatusForbidden, "Forbidden")
		return
	case Fault429:
		ra := s.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		writeError(w, http.StatusTooManyRequests, "Too Many Requests")
		return
	case Fault503:
		writeError(w, http.StatusServiceUnavailable, "Service Unavailable")
		return
	case Fault500:
		writeError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	case FaultSlow:
		d := s.SlowDelay
		if d == 0 {
			d = 5 * time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	var req request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request body: "+err.Error())
		return
	}
	q, err := s.parse(&req, r.Header.Get("x-org-id"))
	if err != nil {
		var he *httpError
		if errors.As(err, &he) {
			writeError(w, he.code, he.msg)
		} else {
			writeError(w, http.StatusBadRequest, err.Error())
		}
		return
	}
	var out []byte
	hdr := w.Header()
	switch path {
	case "/events":
		out, err = s.list(q, hdr)
	case "/events/count":
		out, err = s.count(q)
	case "/events/distinct":
		out, err = s.distinct(q, req.Field)
	case "/events/interval":
		out, err = s.interval(q, &req)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.Lock()
	s.served[path]++
	s.mu.Unlock()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	switch fault {
	case FaultReset:
		w.Write(out[:len(out)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // the connection is closed mid-body
	case FaultBadJSON:
		w.Write(out[:len(out)/2])
		w.Write(bytes.Repeat([]byte(" "), len(out)-len(out)/2))
		return
	}
	w.Write(out)
}

func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, 1<<20)); err != nil {
		return nil, fmt.Errorf("read body: %v", err)
	}
	return buf.Bytes(), nil
}

func parseTime(name string, v *string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return t, badRequest("%s: %q is not an RFC 3339 time", name, *v)
	}
	return t.UTC(), nil
}

func (s *Server) parse(req *request, org string) (*query, error) {
	q := &query{services: map[string]bool{}, org: org}
	if len(req.Service) == 0 {
		return nil, badRequest("service is required")
	}
	for _, sv := range req.Service {
		if !slices.Contains(Services, sv) {
			return nil, badRequest("service %q is not one of %s", sv, strings.Join(Services, ", "))
		}
		if sv == "all" {
			q.all = true
		}
		q.services[sv] = true
	}
	if req.StartTime == nil {
		return nil, badRequest("start_time is required")
	}
	var err error
	if q.start, err = parseTime("start_time", req.StartTime); err != nil {
		return nil, err
	}
	if req.EndTime != nil {
		if q.end, err = parseTime("end_time", req.EndTime); err != nil {
			return nil, err
		}
	} else {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		q.end = now().UTC()
	}
	if !q.start.Before(q.end) {
		return nil, badRequest("start_time must be before end_time")
	}
	q.limit = MaxLimit
	if req.Limit != nil {
		if *req.Limit < 1 || *req.Limit > MaxLimit {
			return nil, badRequest("limit must be between 1 and %d", MaxLimit)
		}
		q.limit = *req.Limit
	}
	switch strings.ToUpper(req.Sort) {
	case "", "DESC":
		q.desc = true
	case "ASC":
	default:
		return nil, badRequest("sort must be ASC or DESC")
	}
	if req.SearchAfter != nil {
		if len(req.SearchAfter) != 2 {
			return nil, badRequest("search_after must be the X-Search_after value of the previous page")
		}
		c := &Event{}
		if err := json.Unmarshal(req.SearchAfter[0], &c.MS); err != nil {
			return nil, badRequest("search_after: %v", err)
		}
		if err := json.Unmarshal(req.SearchAfter[1], &c.ID); err != nil {
			return nil, badRequest("search_after: %v", err)
		}
		q.after = c
	}
	if len(req.SearchTerm) > 0 && string(req.SearchTerm) != "null" {
		t, err := parseTerm(req.SearchTerm, true)
		if err != nil {
			return nil, badRequest("search_term: %v", err)
		}
		q.term = t
	}
	q.q = strings.Fields(strings.ToLower(req.Q))
	for _, f := range req.Fields {
		if !pathRE.MatchString(f) {
			return nil, badRequest("fields: %q is not a field path", f)
		}
	}
	q.fields = req.Fields
	return q, nil
}

// each calls fn with every matching event in the query's order, after the
// cursor, until fn returns false.
func (s *Server) each(q *query, fn func(e *Event, doc map[string]any) bool) error {
	s.mu.RLock()
	evs := s.events
	s.mu.RUnlock()
	// Sorted by whole milliseconds: take every event of the bounds' ms and
	// let match compare the full times.
	startMS, endMS := q.start.UnixMilli(), q.end.UnixMilli()
	lo, _ := slices.BinarySearchFunc(evs, startMS, func(e *Event, ms int64) int { return cmp.Compare(e.MS, ms) })
	hi, _ := slices.BinarySearchFunc(evs, endMS+1, func(e *Event, ms int64) int { return cmp.Compare(e.MS, ms) })
	match := func(e *Event) (map[string]any, bool) {
		if e.Time.Before(q.start) || !e.Time.Before(q.end) {
			return nil, false
		}
		if !q.all && !q.services[e.Service] {
			return nil, false
		}
		if q.org != "" && e.Org != q.org {
			return nil, false
		}
		if q.after != nil {
			c := less(e, q.after)
			if (!q.desc && c <= 0) || (q.desc && c >= 0) {
				return nil, false
			}
		}
		for _, w := range q.q {
			if !bytes.Contains(bytes.ToLower(e.Raw), []byte(w)) {
				return nil, false
			}
		}
		var doc map[string]any
		if q.term != nil || len(q.fields) > 0 {
			if doc = e.Doc(); doc == nil {
				return nil, false
			}
			if q.term != nil && !q.term.match(doc) {
				return nil, false
			}
		}
		return doc, true
	}
	if q.desc {
		for i := hi - 1; i >= lo; i-- {
			if doc, ok := match(evs[i]); ok && !fn(evs[i], doc) {
				return nil
			}
		}
		return nil
	}
	for i := lo; i < hi; i++ {
		if doc, ok := match(evs[i]); ok && !fn(evs[i], doc) {
			return nil
		}
	}
	return nil
}

func (s *Server) list(q *query, hdr http.Header) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	n := 0
	var last *Event
	err := s.each(q, func(e *Event, doc map[string]any) bool {
		if n > 0 {
			b.WriteByte(',')
		}
		if len(q.fields) > 0 {
			p, _ := json.Marshal(project(doc, q.fields))
			b.Write(p)
		} else {
			b.Write(e.Raw)
		}
		n++
		last = e
		return n < q.limit
	})
	if err != nil {
		return nil, err
	}
	b.WriteByte(']')
	hdr.Set("X-Limit", strconv.Itoa(q.limit))
	hdr.Set("X-Result-Count", strconv.Itoa(n))
	if last != nil {
		id, _ := json.Marshal(last.ID)
		hdr.Set("X-Search_after", fmt.Sprintf("[%d,%s]", last.MS, id))
	}
	return b.Bytes(), nil
}

func project(doc map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		parts := strings.Split(f, ".")
		src, dst := doc, out
		for i, p := range parts {
			v, ok := src[p]
			if !ok {
				break
			}
			if i == len(parts)-1 {
				dst[p] = v
				break
			}
			m, ok := v.(map[string]any)
			if !ok {
				break
			}
			sub, _ := dst[p].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				dst[p] = sub
			}
			src, dst = m, sub
		}
	}
	return out
}

func (s *Server) count(q *query) ([]byte, error) {
	n := 0
	s.each(q, func(*Event, map[string]any) bool { n++; return true })
	return json.Marshal(map[string]int{"count": n})
}

type bucket struct {
	Key         any    `json:"key"`
	KeyAsString string `json:"key_as_string,omitempty"`
	DocCount    int    `json:"doc_count"`
}

func (s *Server) distinct(q *query, field string) ([]byte, error) {
	if field == "" {
		return nil, badRequest("field is required")
	}
	if !pathRE.MatchString(field) {
		return nil, badRequest("field: %q is not a field path", field)
	}
	counts := map[string]int{}
	keys := map[string]any{}
	path := strings.Split(field, ".")
	s.each(q, func(e *Event, doc map[string]any) bool {
		if doc == nil {
			if doc = e.Doc(); doc == nil {
				return true
			}
		}
		for _, v := range lookup(doc, path) {
			k := scalarText(v)
			counts[k]++
			keys[k] = v
		}
		return true
	})
	out := make([]bucket, 0, len(counts))
	for k, n := range counts {
		out = append(out, bucket{Key: keys[k], DocCount: n})
	}
	slices.SortFunc(out, func(a, b bucket) int {
		if a.DocCount != b.DocCount {
			return b.DocCount - a.DocCount
		}
		return strings.Compare(scalarText(a.Key), scalarText(b.Key))
	})
	return json.Marshal(map[string]any{"buckets": out, "doc_count_error_upper_bound": 0, "sum_other_doc_count": 0})
}

var intervalUnits = map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}

func (s *Server) interval(q *query, req *request) ([]byte, error) {
	unit, ok := intervalUnits[req.IntervalUnit]
	if !ok {
		return nil, badRequest("interval_unit must be one of s, m, h, d, w")
	}
	n := 1
	if len(req.IntervalValue) > 0 {
		v := strings.Trim(string(req.IntervalValue), `"`)
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return nil, badRequest("interval_value must be a positive integer")
		}
	}
	if req.Timezone != "" && req.Timezone != "UTC" && req.Timezone != "Z" && req.Timezone != "+00:00" {
		return nil, badRequest("timezone: only UTC is supported")
	}
	step := (time.Duration(n) * unit).Milliseconds()
	counts := map[int64]int{}
	s.each(q, func(e *Event, _ map[string]any) bool {
		k := e.MS - ((e.MS%step)+step)%step
		counts[k]++
		return true
	})
	out := make([]bucket, 0, len(counts))
	for k, c := range counts {
		out = append(out, bucket{Key: k, KeyAsString: time.UnixMilli(k).UTC().Format(time.RFC3339), DocCount: c})
	}
	slices.SortFunc(out, func(a, b bucket) int { return int(a.Key.(int64) - b.Key.(int64)) })
	return json.Marshal(map[string]any{"buckets": out})
}

// --- search_term ---

var pathRE = regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_@-]*(\.[A-Za-z_@][A-Za-z0-9_@-]*)*$`)

// term is a node of a search_term: an and/or/not of terms, or a field
// matching one of values.
type term struct {
	op     string // "and", "or", "not", or "" for a field
	terms  []*term
	path   []string
	values []string // lowercase texts of the wanted values
}

func parseTerm(raw json.RawMessage, top bool) (*term, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errors.New("want an object")
	}
	if len(obj) != 1 {
		if top {
			return nil, errors.New("want exactly one of and, or, not")
		}
		return nil, errors.New("each term must have exactly one key")
	}
	for k, v := range obj {
		switch k {
		case "and", "or", "not":
			var list []json.RawMessage
			if err := json.Unmarshal(v, &list); err != nil {
				// a single object is accepted as a list of one
				list = []json.RawMessage{v}
			}
			if len(list) == 0 {
				return nil, fmt.Errorf("%s: empty list", k)
			}
			t := &term{op: k}
			for _, el := range list {
				sub, err := parseTerm(el, false)
				if err != nil {
					return nil, err
				}
				t.terms = append(t.terms, sub)
			}
			return t, nil
		}
		if top {
			return nil, errors.New("want exactly one of and, or, not")
		}
		if !pathRE.MatchString(k) {
			return nil, fmt.Errorf("%q is not a field path", k)
		}
		t := &term{path: strings.Split(k, ".")}
		var vals []any
		d := json.NewDecoder(bytes.NewReader(v))
		d.UseNumber()
		var one any
		if err := d.Decode(&one); err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
		if arr, ok := one.([]any); ok {
			vals = arr
		} else {
			vals = []any{one}
		}
		if len(vals) == 0 {
			return nil, fmt.Errorf("%s: empty list of values", k)
		}
		for _, x := range vals {
			switch x.(type) {
			case map[string]any, []any, nil:
				return nil, fmt.Errorf("%s: values must be strings, numbers or booleans", k)
			}
			t.values = append(t.values, scalarText(x))
		}
		return t, nil
	}
	return nil, errors.New("empty term")
}

// match: and = all, or = any, not = none; a field term matches when the
// document's value (lowercased, as the API indexes it), or one element of
// an array value, equals one of the values.
func (t *term) match(doc map[string]any) bool {
	switch t.op {
	case "and":
		for _, s := range t.terms {
			if !s.match(doc) {
				return false
			}
		}
		return true
	case "or":
		for _, s := range t.terms {
			if s.match(doc) {
				return true
			}
		}
		return false
	case "not":
		for _, s := range t.terms {
			if s.match(doc) {
				return false
			}
		}
		return true
	}
	for _, v := range lookup(doc, t.path) {
		got := strings.ToLower(scalarText(v))
		for _, want := range t.values {
			if got == want {
				return true
			}
		}
	}
	return false
}

// lookup returns the scalar values at path (elements of arrays flattened).
func lookup(doc map[string]any, path []string) []any {
	var cur any = doc
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[p]; !ok {
			return nil
		}
	}
	switch v := cur.(type) {
	case nil, map[string]any:
		return nil
	case []any:
		var out []any
		for _, x := range v {
			switch x.(type) {
			case nil, map[string]any, []any:
			default:
				out = append(out, x)
			}
		}
		return out
	}
	return []any{cur}
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// authorized accepts the API key, or a live access token with x-org-id.
func (s *Server) authorized(r *http.Request) bool {
	if key := r.Header.Get("x-api-key"); key != "" {
		return s.APIKey != "" && key == s.APIKey
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || r.Header.Get("x-org-id") == "" {
		return false
	}
	s.mu.RLock()
	exp, ok := s.tokens[tok]
	s.mu.RUnlock()
	return ok && time.Now().Before(exp)
}

// token is the OAuth token endpoint (client credentials grant).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	id, secret, ok := r.BasicAuth()
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	if !ok || s.ClientID == "" || id != s.ClientID || secret != s.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	ttl := s.TokenTTL
	if ttl == 0 {
		ttl = time.Hour
	}
	s.mu.Lock()
	s.ntok++
	tok := fmt.Sprintf("tok-%d-%x", s.ntok, s.rng.Uint64())
	s.tokens[tok] = time.Now().Add(ttl)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer", "expires_in": int(ttl.Seconds()), "scope": "api"})
}

// Revoke makes every access token issued so far invalid.
func (s *Server) Revoke() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}
