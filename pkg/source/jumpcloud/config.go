// Package jumpcloud is the JumpCloud Directory Insights API (SPEC §7) as a
// source of audit events: a client with paging, retries and redaction of the
// API key; an audit.EventService that runs filters against the API (live
// queries); and the incremental sync into the cache.
package jumpcloud

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/config"
)

// Environment variables.
const (
	EnvAPIKey = "JUMPCLOUD_API_KEY"
	EnvAPIURL = "JUMPCLOUD_API_URL"
	EnvOrgID  = "JUMPCLOUD_ORG_ID"
	// OAuth client credentials of a service account.
	EnvClientID     = "JUMPCLOUD_CLIENT_ID"
	EnvClientSecret = "JUMPCLOUD_CLIENT_SECRET"
	EnvTokenURL     = "JUMPCLOUD_TOKEN_URL"
)

// DefaultTokenURL is where service accounts get their access tokens.
const DefaultTokenURL = "https://admin-oauth.id.jumpcloud.com/oauth2/token"

// Regions and their API hosts.
var Regions = map[string]string{
	"us": "https://api.jumpcloud.com",
	"eu": "https://api.eu.jumpcloud.com",
	"in": "https://api.in.jumpcloud.com",
}

// Settings are what the flags, the environment and the config file say
// about the API. Flags fill it; Resolve completes it.
type Settings struct {
	APIKey string
	// ClientID and ClientSecret are a service account's OAuth client
	// credentials, used when there is no API key; TokenURL overrides
	// DefaultTokenURL (tests).
	ClientID, ClientSecret, TokenURL string
	Orgs                             []string // x-org-id values; none = the key's own organization
	Region                           string   // us, eu or in
	Endpoint                         string   // base URL overriding the region
	// Timeout is the deadline of all the client's remote work, counted
	// from NewClient (--timeout); 0 means none.
	Timeout time.Duration
	// RequestTimeout bounds each attempt of a request (--request-timeout;
	// default 30s).
	RequestTimeout time.Duration
	// ConfigPath is the config file; "" = config.DefaultPath()
	// (~/.config/auditctl/config.yaml, under XDG_CONFIG_HOME when set).
	ConfigPath string
}

// Resolve fills what the flags left empty from the environment and the
// config file, and checks the result: flags win over the environment, which
// wins over the file. A config file that holds an API key must be readable
// by its owner only (mode 0600).
func (s Settings) Resolve() (Settings, error) {
	if s.APIKey == "" {
		s.APIKey = os.Getenv(EnvAPIKey)
	}
	if s.Endpoint == "" {
		s.Endpoint = os.Getenv(EnvAPIURL)
	}
	if s.ClientID == "" {
		s.ClientID = os.Getenv(EnvClientID)
	}
	if s.ClientSecret == "" {
		s.ClientSecret = os.Getenv(EnvClientSecret)
	}
	if s.TokenURL == "" {
		s.TokenURL = os.Getenv(EnvTokenURL)
	}
	if len(s.Orgs) == 0 {
		if o := os.Getenv(EnvOrgID); o != "" {
			s.Orgs = strings.Split(o, ",")
		}
	}
	path := s.ConfigPath
	if path == "" {
		path = config.DefaultPath()
	}
	if err := s.readConfig(path); err != nil {
		return s, err
	}
	if s.APIKey == "" && (s.ClientID == "" || s.ClientSecret == "") {
		return s, audit.Errorf(audit.EUSAGE, "no JumpCloud API key: set %s (or api_key under jumpcloud: in %s, mode 0600), or a service account's %s and %s", EnvAPIKey, path, EnvClientID, EnvClientSecret)
	}
	if strings.ContainsAny(s.APIKey+s.ClientID+s.ClientSecret, "\r\n\x00") {
		return s, audit.Errorf(audit.EUSAGE, "the JumpCloud credentials hold control characters: check %s", EnvAPIKey)
	}
	if s.APIKey == "" && len(s.Orgs) == 0 {
		return s, audit.Errorf(audit.EUSAGE, "a service account needs --org (or %s): its token is sent with x-org-id", EnvOrgID)
	}
	if s.TokenURL != "" {
		if _, err := checkURL(s.TokenURL); err != nil {
			return s, err
		}
	}
	if s.Region == "" {
		s.Region = "us"
	}
	if _, ok := Regions[s.Region]; !ok {
		return s, audit.Errorf(audit.EUSAGE, "--region %q: want us, eu or in", s.Region)
	}
	for i, o := range s.Orgs {
		s.Orgs[i] = strings.TrimSpace(o)
		if s.Orgs[i] == "" || strings.ContainsAny(s.Orgs[i], "\r\n\x00") {
			return s, audit.Errorf(audit.EUSAGE, "--org %q is not an organization id", o)
		}
	}
	if _, err := s.BaseURL(); err != nil {
		return s, err
	}
	if s.RequestTimeout <= 0 {
		s.RequestTimeout = DefaultRequestTimeout
	}
	if s.Timeout < 0 {
		return s, audit.Errorf(audit.EUSAGE, "--timeout %s: want a duration such as 2m, or 0 for none", s.Timeout)
	}
	return s, nil
}

func (s *Settings) readConfig(path string) error {
	cf, err := config.Load(path)
	if err != nil {
		return err
	}
	jc := cf.JumpCloud
	if jc.APIKey != "" || jc.ClientSecret != "" {
		if err := cf.RequirePrivate("an API key or client secret"); err != nil {
			return err
		}
	}
	if s.APIKey == "" {
		s.APIKey = jc.APIKey
	}
	if s.ClientID == "" && s.ClientSecret == "" {
		s.ClientID, s.ClientSecret = jc.ClientID, jc.ClientSecret
	}
	if s.Endpoint == "" {
		s.Endpoint = jc.Endpoint
	}
	if s.Region == "" {
		s.Region = jc.Region
	}
	if len(s.Orgs) == 0 {
		s.Orgs = append(s.Orgs, jc.Orgs...)
		if jc.Org != "" {
			s.Orgs = append(s.Orgs, jc.Org)
		}
	}
	return nil
}

// BaseURL is the API's base: the endpoint when set, else the region's
// host. Plain http is refused except to a loopback address (tests, a local
// proxy): the key would cross the network in clear text.
func (s Settings) BaseURL() (string, error) {
	raw := s.Endpoint
	if raw == "" {
		region := s.Region
		if region == "" {
			region = "us"
		}
		return Regions[region], nil
	}
	return checkURL(raw)
}

// checkURL accepts https URLs, and http ones to a loopback address only.
func checkURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", audit.Errorf(audit.EUSAGE, "endpoint %q is not a URL like https://host[:port]", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", audit.Errorf(audit.EUSAGE, "endpoint %q: no user, query or fragment allowed", u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", audit.Errorf(audit.EUSAGE, "endpoint %s: plain http is only allowed to a loopback address; use https", u.Redacted())
		}
	default:
		return "", audit.Errorf(audit.EUSAGE, "endpoint %q: want an https:// URL", u.Redacted())
	}
	return strings.TrimRight(fmt.Sprintf("%s://%s%s", u.Scheme, u.Host, u.EscapedPath()), "/"), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
