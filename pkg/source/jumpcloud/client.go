package jumpcloud

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// MaxLimit is the largest page the API serves.
const MaxLimit = 10000

// DefaultRequestTimeout bounds one attempt of a request when the settings
// do not say.
const DefaultRequestTimeout = 30 * time.Second

// Client calls the Directory Insights API. It is safe for concurrent use.
type Client struct {
	base    string
	key     string
	oauth   *oauth        // service account credentials, when there is no key
	timeout time.Duration // of one attempt
	http    *http.Client

	// total and deadline bound all the client's work (Settings.Timeout);
	// a zero deadline is none.
	total    time.Duration
	deadline time.Time

	// MaxAttempts is how many times a request is tried (default 8).
	MaxAttempts int
	// Backoff is the first retry delay, doubled on each retry up to
	// MaxBackoff, with jitter (defaults 500ms and 30s).
	Backoff, MaxBackoff time.Duration
	// MaxRetryAfter caps a server's Retry-After (default 2m).
	MaxRetryAfter time.Duration
	// Debug, when set, receives a trace of every request (key redacted).
	Debug io.Writer
	// Notify, when set, is told of every retry before its wait: what
	// failed and when the next try is (one line, key redacted).
	Notify func(msg string)
	// MaxEventSize is the largest event accepted, in bytes (0: the
	// importer's default, 1 MiB); a larger one fails the sync (EINVALID).
	MaxEventSize int

	dmu sync.Mutex
}

// NewClient returns a client for resolved settings.
func NewClient(s Settings) (*Client, error) {
	base, err := s.BaseURL()
	if err != nil {
		return nil, err
	}
	if s.APIKey == "" && (s.ClientID == "" || s.ClientSecret == "") {
		return nil, audit.Errorf(audit.EUSAGE, "no JumpCloud API key: set %s", EnvAPIKey)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	timeout := s.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	c := &Client{
		base: base, key: s.APIKey, timeout: timeout, total: s.Timeout,
		http: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			// Never send the key on to another place.
			return http.ErrUseLastResponse
		}},
		MaxAttempts: 8, Backoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second, MaxRetryAfter: 2 * time.Minute,
	}
	if s.APIKey == "" {
		tokenURL := DefaultTokenURL
		if s.TokenURL != "" {
			if tokenURL, err = checkURL(s.TokenURL); err != nil {
				return nil, err
			}
		}
		c.oauth = &oauth{url: tokenURL, id: s.ClientID, secret: s.ClientSecret}
	}
	if s.Timeout > 0 {
		c.deadline = time.Now().Add(s.Timeout)
	}
	return c, nil
}

// SetTimeout sets the timeout of each request (attempt).
func (c *Client) SetTimeout(d time.Duration) { c.timeout = d }

// Base is the API base URL.
func (c *Client) Base() string { return c.base }

// Request is the body of the API's endpoints (each uses its part).
type Request struct {
	Service       []string        `json:"service"`
	StartTime     time.Time       `json:"-"`
	EndTime       time.Time       `json:"-"`
	Limit         int             `json:"limit,omitempty"`
	Sort          string          `json:"sort,omitempty"`
	SearchAfter   json.RawMessage `json:"search_after,omitempty"`
	SearchTerm    Term            `json:"search_term,omitempty"`
	Q             string          `json:"q,omitempty"`
	Fields        []string        `json:"fields,omitempty"`
	Field         string          `json:"field,omitempty"`
	IntervalUnit  string          `json:"interval_unit,omitempty"`
	IntervalValue string          `json:"interval_value,omitempty"`
}

// MarshalJSON writes the times in RFC 3339 with their full precision.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request
	out := struct {
		plain
		Start string `json:"start_time"`
		End   string `json:"end_time,omitempty"`
	}{plain: plain(r), Start: r.StartTime.UTC().Format(time.RFC3339Nano)}
	if !r.EndTime.IsZero() {
		out.End = r.EndTime.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(out)
}

// Term is a search_term: {"and"|"or"|"not": [{field: value|[values]}…]}.
type Term map[string]any

// redact removes the key (or the client secret and access tokens) from s.
func (c *Client) redact(s string) string {
	if c.key != "" {
		s = strings.ReplaceAll(s, c.key, "[REDACTED]")
	}
	if c.oauth != nil {
		s = c.oauth.redact(s)
	}
	return s
}

func (c *Client) debugf(format string, args ...any) {
	if c.Debug == nil {
		return
	}
	c.dmu.Lock()
	defer c.dmu.Unlock()
	fmt.Fprintf(c.Debug, "jumpcloud: %s\n", sanitize.String(c.redact(fmt.Sprintf(format, args...))))
}

// Debugf writes a line to the debug trace (key redacted).
func (c *Client) Debugf(format string, args ...any) { c.debugf(format, args...) }

// statusError is a response status the client does not retry.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// retryable is a failure worth another attempt, with the server's
// Retry-After when it sent one.
type retryable struct {
	err   error
	after time.Duration
}

func (e *retryable) Error() string { return e.err.Error() }
func (e *retryable) Unwrap() error { return e.err }

// errDeadline is the cause of a context ended by the client's deadline.
var errDeadline = errors.New("jumpcloud: --timeout reached")

// post sends body to path and hands the 200 response to handle; handle's
// error (a cut-short body) is retried like a network error. Retries follow
// exponential backoff with jitter, or the server's Retry-After; each is
// announced to Notify. Failures that no retry can mend (a refused
// credential, a bad request, an unknown host, a TLS error) end at once,
// and nothing waits past the client's deadline.
func (c *Client) post(ctx context.Context, path, org string, req any, handle func(body []byte, h http.Header) error) error {
	payload, err := json.Marshal(req)
	if err != nil {
		return err
	}
	parent := ctx
	if !c.deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadlineCause(ctx, c.deadline, errDeadline)
		defer cancel()
	}
	attempts := max(c.MaxAttempts, 1)
	var last error
	refreshed := false
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			wait := c.backoff(attempt)
			var r *retryable
			if errors.As(last, &r) && r.after > 0 {
				wait = min(r.after, c.MaxRetryAfter)
			}
			if !c.deadline.IsZero() && time.Now().Add(wait).After(c.deadline) {
				return audit.Errorf(audit.EREMOTE, "jumpcloud: %s failed: %s; giving up: the next try (in %s) would pass --timeout %s",
					path, c.redact(last.Error()), roundWait(wait), c.total)
			}
			c.debugf("retry %d/%d of %s in %s: %v", attempt, attempts-1, path, wait.Round(time.Millisecond), last)
			if c.Notify != nil {
				c.Notify(sanitize.String(c.redact(fmt.Sprintf("jumpcloud: %s failed: %v; try %d of %d in %s",
					path, last, attempt+1, attempts, roundWait(wait)))))
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return c.ended(parent, ctx, path, last)
			case <-t.C:
			}
		}
		err := c.once(ctx, path, org, payload, handle)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.ended(parent, ctx, path, err)
		}
		var ae *audit.Error
		if errors.As(err, &ae) {
			return err
		}
		var se *statusError
		if errors.As(err, &se) {
			if se.code == http.StatusUnauthorized && c.oauth != nil && !refreshed {
				// an access token can expire early: get a new one, once
				c.oauth.drop()
				refreshed = true
				last = err
				continue
			}
			return audit.Errorf(audit.EREMOTE, "%s", c.redact(se.msg))
		}
		last = err
	}
	return audit.Errorf(audit.EREMOTE, "jumpcloud: %s failed after %d attempts: %s", path, attempts, c.redact(last.Error()))
}

// ended is the error of a request whose context ended: the caller's
// (interrupted), or the client's deadline (--timeout), with the last
// failure when there was one.
func (c *Client) ended(parent, ctx context.Context, path string, last error) error {
	if parent.Err() != nil || !errors.Is(context.Cause(ctx), errDeadline) {
		return parent.Err()
	}
	msg := fmt.Sprintf("jumpcloud: %s: no answer within --timeout %s", path, c.total)
	if last != nil && !errors.Is(last, context.DeadlineExceeded) {
		msg += ": last error: " + last.Error()
	}
	return audit.Errorf(audit.EREMOTE, "%s", c.redact(msg))
}

// roundWait rounds a retry wait for people: tenths under ten seconds.
func roundWait(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.Backoff << min(attempt-1, 20)
	if c.MaxBackoff > 0 && (d > c.MaxBackoff || d <= 0) {
		d = c.MaxBackoff
	}
	// full jitter over the upper half: [d/2, d)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (c *Client) once(ctx context.Context, path, org string, payload []byte, handle func([]byte, http.Header) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/insights/directory/v1"+path, bytes.NewReader(payload))
	if err != nil {
		return &statusError{msg: fmt.Sprintf("jumpcloud: %v", err)}
	}
	auth := "x-api-key: [REDACTED]"
	if c.oauth != nil {
		tok, err := c.oauth.token(ctx, c)
		if err != nil {
			return err
		}
		hreq.Header.Set("Authorization", "Bearer "+tok)
		auth = "Authorization: Bearer [REDACTED]"
	} else {
		hreq.Header.Set("x-api-key", c.key)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	if org != "" {
		hreq.Header.Set("x-org-id", org)
	}
	start := time.Now()
	if c.Debug != nil {
		c.debugf("POST %s %s x-org-id: %q body: %s", hreq.URL, auth, org, payload)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return transportError("request", hreq.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPageBytes+1))
	c.debugf("%s %d in %s, %d bytes, X-Result-Count %q X-Limit %q X-Search_after %q", path, resp.StatusCode,
		time.Since(start).Round(time.Millisecond), len(body), resp.Header.Get("X-Result-Count"), resp.Header.Get("X-Limit"), resp.Header.Get("X-Search_after"))
	if err != nil {
		return &retryable{err: fmt.Errorf("read response: %w", err)}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK && len(body) > MaxPageBytes:
		return audit.Errorf(audit.EINVALID, "jumpcloud: %s: a response larger than %d MiB: lower --page-limit", path, MaxPageBytes>>20)
	case code == http.StatusOK:
		if err := handle(body, resp.Header); err != nil {
			var ae *audit.Error
			if errors.As(err, &ae) {
				return err // the data is bad: asking again gets the same
			}
			return &retryable{err: err}
		}
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		what := EnvAPIKey + " (and --org for a multi-tenant key)"
		if c.oauth != nil {
			what = EnvClientID + ", " + EnvClientSecret + " and --org"
		}
		return &statusError{code: code, msg: fmt.Sprintf("jumpcloud: %s: the API refused the credentials: check %s", resp.Status, what)}
	case code == http.StatusTooManyRequests || code == 500 || code == 502 || code == 503 || code == 504:
		return &retryable{err: fmt.Errorf("%s", resp.Status), after: retryAfter(resp.Header.Get("Retry-After"))}
	default:
		return &statusError{code: code, msg: fmt.Sprintf("jumpcloud: %s: %s", resp.Status, apiMessage(body))}
	}
}

// transportError classifies a failure to get a response: a host that
// does not exist, a TLS certificate or handshake error, or a refused
// connection to this very machine (nothing listens there) end the request
// at once, as no retry would mend them; anything else (a reset, a timeout,
// a refused connection to a remote host that may be restarting) is
// retried.
func transportError(what, host string, err error) error {
	err = unwrapURL(err)
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return &statusError{msg: fmt.Sprintf("jumpcloud: %s: cannot resolve %s: no such host (check --region, --endpoint or JUMPCLOUD_API_URL)", what, dns.Name)}
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return &statusError{msg: fmt.Sprintf("jumpcloud: %s: TLS certificate not accepted: %v", what, err)}
	case errors.As(err, &record):
		return &statusError{msg: fmt.Sprintf("jumpcloud: %s: TLS handshake failed (is %s speaking https?): %v", what, host, err)}
	case errors.Is(err, syscall.ECONNREFUSED) && isLoopback(hostOnly(host)):
		return &statusError{msg: fmt.Sprintf("jumpcloud: %s: connection refused: nothing listens at %s", what, host)}
	}
	return &retryable{err: fmt.Errorf("%s: %w", what, err)}
}

// hostOnly is host without its port.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// unwrapURL drops *url.Error's method and URL (the URL is known; this keeps
// messages short).
func unwrapURL(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Post ") {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// apiMessage is the message of an error response, short.
func apiMessage(body []byte) string {
	var m struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil {
		if m.Message != "" {
			return m.Message
		}
		if m.Error != "" {
			return m.Error
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// MaxPageBytes is the largest response body read: a page of 10,000 events
// of 2 KB is 20 MB. The sync holds a few pages at once (docs/jumpcloud.md).
const MaxPageBytes = 32 << 20

// Page is one page of events and the cursor to the next.
type Page struct {
	Events []*audit.Event
	// Next is the X-Search_after value; nil when this was the last page.
	Next json.RawMessage
}

// ParsePage reads a page of the events endpoint: the JSON array body and
// the paging headers. Each event is mapped as `import --format jumpcloud`
// maps it. The body is kept: the events alias it.
func ParsePage(body []byte, h http.Header, m *importer.DIMapper) (Page, error) {
	var p Page
	err := m.MapArray(body, func(e *audit.Event) error {
		p.Events = append(p.Events, e)
		return nil
	})
	if err != nil {
		var ae *audit.Error
		if errors.As(err, &ae) {
			return p, audit.Errorf(ae.Code, "jumpcloud: response: %s", ae.Message)
		}
		return p, fmt.Errorf("response: %v", err)
	}
	count, limit := h.Get("X-Result-Count"), h.Get("X-Limit")
	n, err1 := strconv.Atoi(count)
	l, err2 := strconv.Atoi(limit)
	if err1 != nil || err2 != nil || n < 0 || l < 1 {
		return p, fmt.Errorf("response: bad paging headers X-Result-Count %q, X-Limit %q", count, limit)
	}
	if n != len(p.Events) {
		return p, fmt.Errorf("response: X-Result-Count %d but %d events", n, len(p.Events))
	}
	if n > l {
		return p, fmt.Errorf("response: %d events, more than X-Limit %d", n, l)
	}
	if n == l && n > 0 {
		after := h.Get("X-Search_after")
		if after == "" || !json.Valid([]byte(after)) {
			return p, fmt.Errorf("response: a full page without a valid X-Search_after")
		}
		p.Next = json.RawMessage(after)
	}
	return p, nil
}

// Pages fetches every page of events req selects, in order, calling fn with
// each until the last page (X-Result-Count < X-Limit).
func (c *Client) Pages(ctx context.Context, org string, req Request, fn func(Page) error) error {
	if req.Limit <= 0 || req.Limit > MaxLimit {
		req.Limit = MaxLimit
	}
	m := &importer.DIMapper{MaxEventSize: c.MaxEventSize}
	for {
		var page Page
		err := c.post(ctx, "/events", org, req, func(body []byte, h http.Header) error {
			var err error
			page, err = ParsePage(body, h, m)
			return err
		})
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if page.Next == nil {
			return nil
		}
		req.SearchAfter = page.Next
	}
}

// Count returns how many events req selects (/events/count).
func (c *Client) Count(ctx context.Context, org string, req Request) (int64, error) {
	req.Limit, req.Sort, req.SearchAfter = 0, "", nil
	var n int64
	err := c.post(ctx, "/events/count", org, req, func(body []byte, _ http.Header) error {
		var v struct {
			Count *int64 `json:"count"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.Count == nil || *v.Count < 0 {
			return fmt.Errorf("response: want {\"count\": N}")
		}
		n = *v.Count
		return nil
	})
	return n, err
}

// Bucket is a group of /events/distinct or /events/interval.
type Bucket struct {
	Key   json.RawMessage `json:"key"`
	Count int64           `json:"doc_count"`
}

// Distinct counts events per value of the field at a dot path
// (/events/distinct), largest first.
func (c *Client) Distinct(ctx context.Context, org string, req Request, field string) ([]Bucket, error) {
	req.Limit, req.Sort, req.SearchAfter, req.Field = 0, "", nil, field
	return c.buckets(ctx, "/events/distinct", org, req)
}

// Interval counts events per interval of seconds (/events/interval); keys
// are the bucket starts in Unix milliseconds.
func (c *Client) Interval(ctx context.Context, org string, req Request, seconds int64) ([]Bucket, error) {
	req.Limit, req.Sort, req.SearchAfter = 0, "", nil
	req.IntervalUnit, req.IntervalValue = "s", strconv.FormatInt(seconds, 10)
	return c.buckets(ctx, "/events/interval", org, req)
}

func (c *Client) buckets(ctx context.Context, path, org string, req Request) ([]Bucket, error) {
	var out []Bucket
	err := c.post(ctx, path, org, req, func(body []byte, _ http.Header) error {
		var v struct {
			Buckets []Bucket `json:"buckets"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("response: want {\"buckets\": […]}: %v", err)
		}
		out = v.Buckets
		return nil
	})
	return out, err
}
