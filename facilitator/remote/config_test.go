package remote

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring of the error; "" means valid
	}{
		{"no URLs", Config{}, "at least one URL"},
		{"ftp", Config{URLs: []string{"ftp://x.example"}}, "must be http(s)"},
		{"no host", Config{URLs: []string{"https:///verify"}}, "must be http(s)"},
		{"relative", Config{URLs: []string{"/facilitator"}}, "must be http(s)"},
		{"unparseable", Config{URLs: []string{"http://a b:xx/%zz"}}, "does not parse"},
		{"fragment", Config{URLs: []string{"https://x.example/#frag"}}, "fragment"},
		{"second bad", Config{URLs: []string{"https://a.example", "nope"}}, "URL 2"},
		{"header CRLF", Config{URLs: []string{"https://a.example"}, Headers: map[string]string{"Authorization": "Bearer x\r\nX: y"}}, "invalid value"},
		{"header name", Config{URLs: []string{"https://a.example"}, Headers: map[string]string{"Bad Name": "x"}}, "invalid header name"},
		{"valid", Config{URLs: []string{" https://a.example/facilitator/ ", "http://127.0.0.1:4021"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "Bearer x") {
				t.Errorf("header value in error: %v", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := New(Config{URLs: []string{"https://a.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.VerifyTimeout != 10*time.Second || c.cfg.SettleTimeout != 60*time.Second ||
		c.cfg.SupportedTimeout != 10*time.Second || c.cfg.MaxResponseBytes != 1<<20 ||
		c.cfg.HTTPClient == nil || c.cfg.Logger == nil {
		t.Errorf("defaults %+v", c.cfg)
	}
	if err := c.cfg.HTTPClient.CheckRedirect(nil, nil); err != http.ErrUseLastResponse {
		t.Errorf("default client follows redirects")
	}
}

func TestRouteURLs(t *testing.T) {
	for _, tc := range []struct{ base, full, printable string }{
		{"https://a.example", "https://a.example/verify", "https://a.example/verify"},
		{"https://a.example/", "https://a.example/verify", "https://a.example/verify"},
		{"https://a.example/facilitator/", "https://a.example/facilitator/verify", "https://a.example/facilitator/verify"},
		{"https://u:p@a.example/f?key=k", "https://u:p@a.example/f/verify?key=k", "https://a.example/f/verify"},
	} {
		c, err := New(Config{URLs: []string{tc.base}})
		if err != nil {
			t.Fatal(err)
		}
		full, printable := c.endpoints[0].route(routeVerify)
		if full != tc.full || printable != tc.printable {
			t.Errorf("%s: %s %s, want %s %s", tc.base, full, printable, tc.full, tc.printable)
		}
	}
}
