package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// `chargeable header X-Billable yes` charges a 2xx answer that carries the
// header, and nothing else: not a 503 with the header (status and header
// combine; status defaults to 2xx), not a 200 without it.
func TestCaddyChargeableStatusAndHeaderCombine(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/plain") {
			w.Header().Set("X-Billable", "yes")
		}
		if strings.HasSuffix(r.URL.Path, "/down") {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(w, "answer")
	})
	startCaddy(t, siteConfig("", fmt.Sprintf(`	x402 /paid/* {
		price 0.01
		pay_to %s
		settle header
		chargeable header X-Billable yes
	}
	reverse_proxy %s`, payee, u.addr())))
	c := testChain(t)
	before := balance(t, c, common.HexToAddress(payee))
	payer := devKey(t, 4)
	for _, tc := range []struct {
		path    string
		status  int
		charged bool
	}{
		{"/paid/down", 503, false},
		{"/paid/plain", 200, false},
		{"/paid/billable", 200, true},
	} {
		name, value := payHeader(t, payer, siteURL+tc.path)
		resp := get(t, siteURL+tc.path, name, value)
		resp.Body.Close()
		settled := resp.Header.Get("Payment-Response") != ""
		if resp.StatusCode != tc.status || settled != tc.charged {
			t.Fatalf("%s: status %d (want %d), settled %v (want %v)", tc.path, resp.StatusCode, tc.status, settled, tc.charged)
		}
		if !tc.charged {
			// Released: the same payment is still good for another request.
			resp = get(t, siteURL+"/paid/billable", name, value)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("%s: the released payment was not reusable: %d", tc.path, resp.StatusCode)
			}
		}
	}
	waitBalance(t, c, common.HexToAddress(payee), add(before, 3*10000), 10*time.Second)
}
