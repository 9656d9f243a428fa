package jumpcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// oauth gets and caches the access token of a service account (OAuth 2.0
// client credentials grant).
type oauth struct {
	url, id, secret string

	mu     sync.Mutex
	tok    string
	exp    time.Time
	issued []string // every token received, for redaction
}

func (o *oauth) redact(s string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range append([]string{o.secret}, o.issued...) {
		if t != "" {
			s = strings.ReplaceAll(s, t, "[REDACTED]")
		}
	}
	return s
}

// drop forgets the cached token.
func (o *oauth) drop() {
	o.mu.Lock()
	o.tok = ""
	o.mu.Unlock()
}

// token returns a valid access token, asking the token endpoint when the
// cached one is missing or about to expire.
func (o *oauth) token(ctx context.Context, c *Client) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tok != "" && time.Now().Before(o.exp) {
		return o.tok, nil
	}
	// (no debug trace in here: the trace redacts, which takes o.mu)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", &statusError{msg: fmt.Sprintf("jumpcloud: token: %v", err)}
	}
	req.SetBasicAuth(url.QueryEscape(o.id), url.QueryEscape(o.secret))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", transportError("token request", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", &retryable{err: fmt.Errorf("token response: %w", err)}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
	case code == 429 || code >= 500:
		return "", &retryable{err: fmt.Errorf("token: %s", resp.Status), after: retryAfter(resp.Header.Get("Retry-After"))}
	default:
		return "", &statusError{code: code, msg: fmt.Sprintf("jumpcloud: token: %s: the service account was refused: check %s and %s", resp.Status, EnvClientID, EnvClientSecret)}
	}
	var v struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.AccessToken == "" {
		return "", &retryable{err: fmt.Errorf("token response: no access_token")}
	}
	o.tok = v.AccessToken
	o.issued = append(o.issued, v.AccessToken)
	ttl := time.Duration(v.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour
	}
	// renew a minute early (or at half the lifetime of a short one)
	o.exp = time.Now().Add(max(ttl-time.Minute, ttl/2))
	return o.tok, nil
}
