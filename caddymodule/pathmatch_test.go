package caddymodule

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddyserver/caddy/v2"
)

// rawGet sends a request line exactly as given (no client-side cleaning of
// the target) and returns the status and, for x402 refusals, the code.
func rawGet(t *testing.T, target string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", sitePort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost:%d\r\nConnection: close\r\n\r\n", target, sitePort)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	code := ""
	if v := resp.Header.Get(facilitator.HeaderPaymentRequired); v != "" {
		var pr facilitator.PaymentRequired
		if err := facilitator.DecodeHeader(v, 0, &pr); err == nil {
			code = pr.Error
		}
	}
	return resp.StatusCode, code
}

// The path-spelling matrix through real Caddy in front of a counting
// upstream: every way of writing a priced path that an upstream could read
// as that path gets the paywall (402, or 400 when it cannot be read one way
// only), none reaches the upstream unpaid; the free paths beside them still
// do.
func TestCaddyPricedPathSpellings(t *testing.T) {
	u := newUpstream(t, nil)
	startCaddy(t, siteConfig("", fmt.Sprintf(`	x402 /paid/* {
		price 0.01
		pay_to %[1]s
		settle header
	}
	x402 /exact/hello {
		price 0.01
		pay_to %[1]s
		settle header
	}
	@reports x402_path /reports/*.pdf
	x402 @reports {
		price 0.01
		pay_to %[1]s
		settle header
	}
	reverse_proxy %[2]s`, payee, u.addr())))
	priced := []string{
		// the three
		"/paid;x=1/hello", "/paid%5Chello", "/exact/hello/",
		// case, encoding
		"/PAID/hello", "/Paid/x", "/%70aid/hello", "/%50AID/hello", "/%2570aid/hello", "/paid%2Fhello", "/paid%2fhello",
		"/paid%252Fhello", "/paid%EF%BC%8Fhello", "/paid%E2%88%95hello",
		// slashes and dots
		"//paid/hello", "/paid//hello", "///paid", "/./paid/hello", "/paid/./hello", "/x/../paid/hello", "/x/%2e%2e/paid/hello",
		"/x/%2E%2E%2Fpaid/hello", "/x/..;/paid/hello", "/x/..%3B/paid/hello", `/x/..%5Cpaid/hello`,
		// params, trailing forms
		"/paid;/hello", "/paid%3Bx/hello", "/paid/hello;jsessionid=1", "/paid", "/paid/", "/paid.", "/paid%20/hello", "/paid./hello",
		// the exact route
		"/exact/hello", "/EXACT/HELLO", "/exact/hello;x", "/exact//hello", "/exact/./hello", "/exact/x/../hello", "/exact%2Fhello",
		"/exact/hello%2F", "/exact/hello.", "/exact/hello%20", "/exact%5Chello",
		// a named x402_path matcher with a glob
		"/reports/q3.pdf", "/REPORTS/Q3.PDF", "/reports/q3.pdf;x", "/reports//q3.pdf/", "/x/../reports/q3.pdf",
	}
	ambiguous := []string{"/paid%00.css", "/exact/hello%00", "/paid%0d%0a", "/paid%C0%AFhello", "/%25252570aid/hello"}
	for _, target := range priced {
		if status, code := rawGet(t, target); status != http.StatusPaymentRequired || code != facilitator.CodePaymentRequired {
			t.Errorf("%s: %d %q, want 402 payment_required", target, status, code)
		}
	}
	for _, target := range ambiguous {
		status, code := rawGet(t, target)
		if status != http.StatusBadRequest {
			t.Errorf("%s: %d %q, want 400", target, status, code)
		}
		if code != facilitator.CodeAmbiguousPath {
			t.Errorf("%s: code %q, want %s", target, code, facilitator.CodeAmbiguousPath)
		}
	}
	if n := u.hits.Load(); n != 0 {
		t.Fatalf("%d unpaid requests reached the upstream", n)
	}
	// The free paths next to the priced ones are served.
	for _, target := range []string{"/free/hello", "/paidx/hello", "/exact/hello2", "/reports/q3.txt", "/paid/../free"} {
		if status, _ := rawGet(t, target); status != http.StatusOK {
			t.Errorf("free %s: %d, want 200", target, status)
		}
	}
	if n := u.hits.Load(); n != 5 {
		t.Fatalf("upstream hits %d, want the 5 free requests", n)
	}
	// A paid request through a respelled path is served and settled once.
	name, value := payHeader(t, devKey(t, 6), siteURL+"/paid/hello")
	resp := get(t, siteURL+"/PAID;v=2/hello", name, value)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !settleResponse(t, resp).Success {
		t.Fatalf("paid respelled request: %d", resp.StatusCode)
	}
}

// The x402 directive's path matcher becomes x402_path; a shared named
// matcher set is copied, not changed.
func TestWithPricedPath(t *testing.T) {
	named := map[string][]byte{"path": []byte(`["/a/*"]`), "method": []byte(`["GET"]`)}
	set := withPricedPath(toModuleMap(named))
	if _, ok := set["path"]; ok || string(set["x402_path"]) != `["/a/*"]` || string(set["method"]) != `["GET"]` {
		t.Fatalf("rewritten set %v", set)
	}
	if _, ok := toModuleMap(named)["path"]; !ok || len(named) != 2 {
		t.Fatal("the named matcher was changed")
	}
	if strings.Contains(fmt.Sprint(withPricedPath(toModuleMap(map[string][]byte{"host": []byte(`["a"]`)}))), "x402_path") {
		t.Fatal("a set without a path matcher gained one")
	}
}

func toModuleMap(m map[string][]byte) caddy.ModuleMap {
	out := caddy.ModuleMap{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
