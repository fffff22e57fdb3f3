package caddymodule

import (
	"fmt"
	"net/http"
	"testing"
)

// The keyless dev chain keeps its journal and escrow ledger in the
// process's temporary directory: a reload that replaces the runtime finds
// the same ledger, so the pooled escrow operator and its open sessions go
// on (a directory per runtime would lose them at the reload).
func TestCaddyKeylessDevReloadKeepsSessions(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	payee := freshPayee(t, "keyless")
	config := func(workers int) string {
		port := newSite()
		return fmt.Sprintf(`{
	admin localhost:%d
	http_port %d
	skip_install_trust
	x402 {
		network dev
		settle_workers %d
	}
}
:%d {
	x402 /session/* {
		price 1000 units
		pay_to %s
		scheme escrow
	}
	reverse_proxy %s
}
`, adminPort, port, workers, port, payee.Hex(), u.addr())
	}
	startCaddy(t, config(2))
	c, _ := escrowPayer(devKey(t, 8), 200_000)
	paidGet(t, c, siteURL+"/session/open")
	s := stored(t, c)
	var tempDir string
	runtimes.Range(func(_, v any) bool {
		tempDir = v.(*appRuntime).files.tempDir
		return false
	})
	if tempDir == "" {
		t.Fatal("the keyless dev runtime's files are not in the process's temporary directory")
	}
	startCaddy(t, config(3)) // an app change: a new runtime
	req := escrowRequirement(t, siteURL+"/session/x")
	status, code, sr := send(t, siteURL+"/session/after", usageHeader(t, req, s, "", "after"))
	if status != http.StatusOK || sr == nil || sr.Session == nil {
		t.Fatalf("the session after the reload: %d %s", status, code)
	}
	if want := fmt.Sprint(200_000 - 2*1000); sr.Session.Balance != want {
		t.Fatalf("balance after the reload %s, want %s", sr.Session.Balance, want)
	}
	runtimes.Range(func(_, v any) bool {
		if d := v.(*appRuntime).files.tempDir; d != tempDir {
			t.Errorf("the new runtime's directory %s, want %s", d, tempDir)
		}
		return true
	})
}
