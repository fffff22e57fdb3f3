package caddymodule

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// x402_facilitator serves the facilitator API from a Caddy site, backed by
// the app's embedded facilitator.
func TestCaddyFacilitatorHandler(t *testing.T) {
	startCaddy(t, siteConfig("", `	handle_path /facilitator/* {
		x402_facilitator
	}
	respond "site"`))
	resp := get(t, siteURL+"/facilitator/supported")
	var sup facilitator.SupportedResponse
	err := json.NewDecoder(resp.Body).Decode(&sup)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(sup.Kinds) < 2 || sup.Kinds[0].Network != "eip155:1337" {
		t.Fatalf("supported: %d %+v %v", resp.StatusCode, sup, err)
	}
	if signers := sup.Signers["eip155:*"]; len(signers) != 1 || signers[0] != "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" {
		t.Fatalf("signers %v", sup.Signers)
	}
	resp = get(t, siteURL+"/other")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "site" {
		t.Fatalf("requests outside the prefix must reach the next handler, got %q", b)
	}
	// An invalid body gets a precise x402 code, not a 5xx.
	resp, err = http.Post(siteURL+"/facilitator/verify", "application/json", strings.NewReader(`{"x402Version":2,"paymentPayload":{"x402Version":2,"accepted":{"scheme":"exact","network":"eip155:1337","amount":"1","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"},"payload":{"authorization":{"from":"0xPAYER_ADDRESS"},"signature":"0x"}},"paymentRequirements":{"scheme":"exact","network":"eip155:1337","amount":"1","asset":"0x5FbDB2315678afecb367f032d93F642f64180aa3","payTo":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","extra":{"name":"USD Coin","version":"2"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var vr facilitator.VerifyResponse
	_ = json.NewDecoder(resp.Body).Decode(&vr)
	resp.Body.Close()
	if resp.StatusCode != 400 || vr.IsValid || vr.InvalidReason != facilitator.CodeExactPayload {
		t.Fatalf("verify placeholder: %d %+v", resp.StatusCode, vr)
	}
}

// Metrics count challenges, payments and settlements; the admin API reports
// the runtime without secrets.
func TestCaddyMetricsAndAdmin(t *testing.T) {
	u := newUpstream(t, nil)
	startCaddy(t, siteConfig("", paidSite(u, "header")))
	get(t, siteURL+"/paid/m").Body.Close()
	name, value := payHeader(t, devKey(t, 5), siteURL+"/paid/m")
	if resp := get(t, siteURL+"/paid/m", name, value); resp.StatusCode != 200 {
		t.Fatalf("paid: %d", resp.StatusCode)
	}
	get(t, siteURL+"/paid/m", name, value).Body.Close() // replay
	wanted := []string{
		`caddy_x402_challenges_total{route="/paid/*"}`,
		`caddy_x402_payments_accepted_total{route="/paid/*",scheme="exact"}`,
		`caddy_x402_settlements_total{result="ok",route="/paid/*",scheme="exact"}`,
		`caddy_x402_rejections_total{code="invalid_exact_evm_nonce_already_used",route="/paid/*",status="402"}`,
		`caddy_x402_settle_duration_seconds_bucket`,
		`caddy_x402_settlement_queue_length 0`,
		`caddy_x402_settlement_queue_oldest_age_seconds 0`,
		`caddy_x402_replay_guard_entries{store="memory"}`,
		`caddy_x402_store_up{store="memory"} 1`,
		`caddy_x402_pending_transactions{address="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",network="eip155:1337"}`,
		`caddy_x402_facilitator_gas_balance_wei{address="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",network="eip155:1337"}`,
		`caddy_x402_facilitator_gas_settlements_left{address="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",network="eip155:1337"}`,
		// The dev chain batches (the settlement transaction is counted
		// once mined, by a goroutine of its own: polled below).
		`caddy_x402_settlement_tx_payments_count{network="eip155:1337"}`,
		`caddy_x402_settlement_tx_settled_payments_total{network="eip155:1337"}`,
		`caddy_x402_settlement_gas_per_payment_bucket`,
		`caddy_x402_settlement_gas_total{network="eip155:1337"}`,
		`caddy_x402_transactions_sent_total{address="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",network="eip155:1337"}`,
		// Present from the start (at 0 on a healthy chain; a loaded machine
		// may leave a transaction out of replace_after blocks and replace it).
		`caddy_x402_transactions_replaced_total{address="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",network="eip155:1337"} `,
		`caddy_x402_transactions_stuck_max_fee_total{address="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",network="eip155:1337"} `,
	}
	var missing []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp := get(t, adminURL+"/metrics")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing = missing[:0]
		for _, want := range wanted {
			if !strings.Contains(string(b), want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, m := range missing {
		t.Errorf("metrics lack %s", m)
	}
	resp := get(t, adminURL+"/x402/stats")
	var stats struct{ Runtimes []RuntimeStats }
	err := json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil || len(stats.Runtimes) == 0 {
		t.Fatalf("stats %+v %v", stats, err)
	}
	rs := stats.Runtimes[0]
	n := rs.Networks[0]
	if n.Network != "eip155:1337" || rs.GuardedClaims == 0 || rs.Store != "memory" || !rs.StoreUp || rs.Journal != testJournal ||
		rs.EscrowLedger != testLedger || n.GasBalanceETH == "" || n.GasSettlementsLeft == nil || n.PendingTransactions == nil {
		t.Fatalf("stats %+v", stats)
	}
}

// A config reload while settlements wait in the queue loses nothing: the
// runtime (queue, guard, dev chain) is shared across the reload, and a
// payment used before the reload is still refused after it.
func TestCaddyReloadKeepsPendingSettlements(t *testing.T) {
	u := newUpstream(t, nil)
	site := func(price string) string {
		return fmt.Sprintf(`	x402 /paid/* {
		price %s
		pay_to %s
		settle_delay 1500ms
	}
	reverse_proxy %s`, price, payee, u.addr())
	}
	startCaddy(t, siteConfig("", site("0.01")))
	c := testChain(t)
	payer := devKey(t, 6)
	payerAddr := crypto.PubkeyToAddress(payer.PublicKey)
	before := balance(t, c, payerAddr)
	var headers [][2]string
	for i := 0; i < 3; i++ {
		name, value := payHeader(t, payer, siteURL+"/paid/r")
		resp := get(t, siteURL+"/paid/r", name, value)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("paid %d: %d", i, resp.StatusCode)
		}
		headers = append(headers, [2]string{name, value})
	}
	startCaddy(t, siteConfig("", site("0.02"))) // reload with settlements pending
	waitBalance(t, c, payerAddr, add(before, -30000), 15*time.Second)
	resp := get(t, siteURL+"/paid/r", headers[0][0], headers[0][1])
	resp.Body.Close()
	if resp.StatusCode != 402 {
		t.Fatalf("payment from before the reload accepted again: %d", resp.StatusCode)
	}
	if got := balance(t, c, common.HexToAddress(payee)); got.Sign() == 0 {
		t.Fatal("payee unpaid")
	}
}
