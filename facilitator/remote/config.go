package remote

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Defaults of Config.
const (
	DefaultVerifyTimeout    = 10 * time.Second
	DefaultSettleTimeout    = 60 * time.Second
	DefaultSupportedTimeout = 10 * time.Second
	DefaultMaxResponseBytes = 1 << 20 // 1 MiB
)

// Config configures a Client.
type Config struct {
	// URLs are the base URLs of the facilitators, tried in order, e.g.
	// "https://x402.example" or "https://pay.example/facilitator/". The
	// routes /verify, /settle and /supported are appended to each. Required:
	// at least one, http or https. User info in a URL is sent as basic auth
	// and never appears in errors or logs.
	URLs []string
	// Headers are added to every request, e.g. {"Authorization": "Bearer …"}.
	// Their values never appear in errors or logs. Optional.
	Headers map[string]string
	// VerifyTimeout bounds each /verify attempt (per URL). Default: 10 s.
	VerifyTimeout time.Duration
	// SettleTimeout bounds each /settle attempt (per URL); settlement waits
	// for a receipt, so keep it above the facilitator's receipt timeout.
	// Default: 60 s.
	SettleTimeout time.Duration
	// SupportedTimeout bounds each /supported attempt (per URL). Default: 10 s.
	SupportedTimeout time.Duration
	// MaxResponseBytes caps a response body; a larger one is a failure of
	// that URL. Default: 1 MiB.
	MaxResponseBytes int64
	// HTTPClient sends the requests. Default: a client on
	// http.DefaultTransport that does not follow redirects (a redirected
	// POST may lose its body). Timeouts come from the per-call contexts, so
	// a Timeout on a custom client is an extra bound.
	HTTPClient *http.Client
	// Logger receives a warning per failed attempt (URL redacted, no
	// headers, no payloads). Default: no logging.
	Logger *zap.Logger
}

// endpoint is one facilitator base URL.
type endpoint struct {
	base *url.URL
}

// route returns the absolute URL of a route and its printable form (no user
// info, no query).
func (e endpoint) route(name string) (full, printable string) {
	u := e.base.JoinPath(name)
	full = u.String()
	u.User, u.RawQuery, u.ForceQuery = nil, "", false
	return full, u.String()
}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, []endpoint, error) {
	if len(c.URLs) == 0 {
		return c, nil, errors.New("remote facilitator: at least one URL is required")
	}
	eps := make([]endpoint, 0, len(c.URLs))
	for i, raw := range c.URLs {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil {
			return c, nil, fmt.Errorf("remote facilitator: URL %d does not parse", i+1)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return c, nil, fmt.Errorf("remote facilitator: URL %d (%s://%s) must be http(s)://host[/path]", i+1, u.Scheme, u.Host)
		}
		if u.Fragment != "" {
			return c, nil, fmt.Errorf("remote facilitator: URL %d (%s) has a fragment", i+1, u.Host)
		}
		eps = append(eps, endpoint{base: u})
	}
	for name, value := range c.Headers {
		if name == "" || strings.ContainsAny(name, " \t\r\n:") {
			return c, nil, fmt.Errorf("remote facilitator: invalid header name %q", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return c, nil, fmt.Errorf("remote facilitator: header %s has an invalid value", name)
		}
	}
	if c.VerifyTimeout <= 0 {
		c.VerifyTimeout = DefaultVerifyTimeout
	}
	if c.SettleTimeout <= 0 {
		c.SettleTimeout = DefaultSettleTimeout
	}
	if c.SupportedTimeout <= 0 {
		c.SupportedTimeout = DefaultSupportedTimeout
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c, eps, nil
}
