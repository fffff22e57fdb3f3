package caddymodule

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddyserver/caddy/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// escrowConfig is siteConfig with an escrow ledger of the test's own and
// the dev network's escrow block.
func escrowConfig(t *testing.T, escrowBlock, globalExtra, site string) (string, string) {
	t.Helper()
	ledger := filepath.Join(t.TempDir(), "escrow.db")
	return escrowConfigAt(ledger, escrowBlock, globalExtra, site), ledger
}

func escrowConfigAt(ledger, escrowBlock, globalExtra, site string) string {
	port := newSite()
	return fmt.Sprintf(`{
	admin localhost:%d
	http_port %d
	skip_install_trust
	x402 {
		network dev {
			escrow {
				%s
			}
		}
		facilitator embedded
		journal %s
		escrow_ledger %s
		%s
	}
}
:%d {
%s
}
`, adminPort, port, escrowBlock, testJournal, ledger, globalExtra, port, site)
}

// freshPayee is an address of the test's own that holds nothing, so its
// balance is exactly what the test paid it.
func freshPayee(t *testing.T, label string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte(t.Name() + "/" + label + "/" + fmt.Sprint(time.Now().UnixNano())))[:20])
}

// payloadCounter counts the escrow payloads a client sends, by kind.
type payloadCounter struct {
	creations, usages atomic.Int64
}

func (pc *payloadCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if v := r.Header.Get(facilitator.HeaderPaymentSignature); v != "" {
		var p facilitator.PaymentPayload
		if facilitator.DecodeHeader(v, 0, &p) == nil {
			if pl, err := escrow.ParsePayload(p.Payload); err == nil && pl.Creation != nil {
				pc.creations.Add(1)
			} else if err == nil && pl.Usage != nil {
				pc.usages.Add(1)
			}
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// escrowPayer is a Go client paying with escrow sessions kept in memory.
func escrowPayer(key *ecdsa.PrivateKey, deposit int64) (*client.Client, *payloadCounter) {
	pc := &payloadCounter{}
	return &client.Client{HTTP: &http.Client{Transport: pc, Timeout: 2 * time.Minute}, Key: key, Scheme: facilitator.SchemeEscrow,
		Escrow: &client.EscrowOptions{Sessions: client.NewMemorySessionStore(), Deposit: big.NewInt(deposit)}}, pc
}

// paidGet pays for url with c and wants a 200.
func paidGet(t *testing.T, c *client.Client, url string) *client.Result {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body, _ := io.ReadAll(io.LimitReader(res.Response.Body, 4096))
	res.Response.Body.Close()
	if res.Response.StatusCode != 200 || !res.Paid || res.PaymentResponse == nil || !res.PaymentResponse.Success {
		t.Fatalf("GET %s: %d paid=%v %+v: %s", url, res.Response.StatusCode, res.Paid, res.PaymentResponse, body)
	}
	return res
}

// stored returns the client's only stored session.
func stored(t *testing.T, c *client.Client) client.Session {
	t.Helper()
	list, err := c.Sessions().List()
	if err != nil || len(list) != 1 {
		t.Fatalf("stored sessions: %d, %v", len(list), err)
	}
	return list[0]
}

// testOperator is the running runtime's escrow operator.
func testOperator(t *testing.T) *escrow.Operator {
	t.Helper()
	var op *escrow.Operator
	runtimes.Range(func(_, v any) bool {
		for _, n := range v.(*appRuntime).order {
			if n.escrow != nil {
				op = n.escrow
			}
		}
		return op == nil
	})
	if op == nil {
		t.Fatal("no escrow operator running")
	}
	return op
}

func sessionID(t *testing.T, hex string) [32]byte {
	t.Helper()
	id, err := evm.ParseBytes32(hex)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// paymentState reads the session's payment on the escrow.
func paymentState(t *testing.T, c *devchain.Chain, id string) escrow.PaymentState {
	t.Helper()
	st, err := escrow.NewContract(c.Client, c.Escrow).PaymentState(context.Background(), sessionID(t, id))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// operatorNonce is the pending nonce of the operator (dev account 0).
func operatorNonce(t *testing.T, c *devchain.Chain) uint64 {
	t.Helper()
	n, err := c.Client.PendingNonceAt(context.Background(), c.Accounts[0].Address)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// escrowRequirement is url's escrow requirement (from its 402).
func escrowRequirement(t *testing.T, url string) facilitator.PaymentRequirements {
	t.Helper()
	resp := get(t, url)
	defer resp.Body.Close()
	var pr facilitator.PaymentRequired
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentRequired), 0, &pr); err != nil {
		t.Fatalf("%s: PAYMENT-REQUIRED: %v", url, err)
	}
	for _, r := range pr.Accepts {
		if r.Scheme == facilitator.SchemeEscrow {
			return r
		}
	}
	t.Fatalf("%s offers no escrow: %+v", url, pr.Accepts)
	return facilitator.PaymentRequirements{}
}

func encodePayment(t *testing.T, r facilitator.PaymentRequirements, payload any) string {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	v, err := facilitator.EncodeHeader(facilitator.PaymentPayload{X402Version: 2, Accepted: &r, Payload: raw})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// usageHeader is a PAYMENT-SIGNATURE value spending from a session.
func usageHeader(t *testing.T, r facilitator.PaymentRequirements, s client.Session, amount, requestID string) string {
	t.Helper()
	return encodePayment(t, r, escrow.UsagePayload{Session: &escrow.SessionRef{ID: s.ID, Token: s.Token}, Amount: amount, RequestID: requestID})
}

func randomID(t *testing.T) string {
	t.Helper()
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("req-%x", b)
}

// creationHeader signs a deposit for r with key; edit may change the terms
// before signing, and auth the signed authorization (re-signed after).
func creationHeader(t *testing.T, key *ecdsa.PrivateKey, r facilitator.PaymentRequirements, deposit int64, length time.Duration,
	edit func(*escrow.DepositTerms), auth func(*evm.Authorization)) string {
	t.Helper()
	salt, err := escrow.RandomSalt()
	if err != nil {
		t.Fatal(err)
	}
	authExp := uint64(time.Now().Add(length).Unix())
	terms, err := escrow.TermsFromRequirements(&r, big.NewInt(deposit), salt, authExp, authExp+86400)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&terms)
	}
	d, err := escrow.SignDeposit(key, &terms)
	if err != nil {
		t.Fatal(err)
	}
	sig := d.Signature
	if auth != nil {
		auth(&d.Authorization)
		dom := terms.Domain()
		if sig, err = evm.SignAuthorization(key, evm.ReceiveWithAuthorizationTypeHash, &dom, &d.Authorization); err != nil {
			t.Fatal(err)
		}
	}
	aj := d.Authorization.JSON()
	return encodePayment(t, r, map[string]any{
		"signature":     fmt.Sprintf("0x%x", sig),
		"authorization": aj,
		"sessionParams": map[string]any{"salt": fmt.Sprintf("0x%064x", salt), "authorizationExpiry": authExp, "refundExpiry": authExp + 86400},
		"requestId":     randomID(t),
	})
}

// send sends a GET with a payment header and returns the status, the x402
// error code (of a refusal) and the decoded PAYMENT-RESPONSE (if any).
func send(t *testing.T, url, header string) (int, string, *facilitator.SettleResponse) {
	t.Helper()
	resp := get(t, url, facilitator.HeaderPaymentSignature, header)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	code := ""
	if v := resp.Header.Get(facilitator.HeaderPaymentRequired); v != "" {
		var pr facilitator.PaymentRequired
		if facilitator.DecodeHeader(v, 0, &pr) == nil {
			code = pr.Error
		}
	}
	var sr *facilitator.SettleResponse
	if v := resp.Header.Get(facilitator.HeaderPaymentResponse); v != "" {
		sr = &facilitator.SettleResponse{}
		if err := facilitator.DecodeHeader(v, 0, sr); err != nil {
			t.Fatalf("PAYMENT-RESPONSE: %v", err)
		}
	}
	return resp.StatusCode, code, sr
}

// holdDevChain keeps the dev chain alive while no config uses it (a restart
// of Caddy that keeps the chain), until the test ends.
func holdDevChain(t *testing.T) {
	t.Helper()
	key := fmt.Sprintf("devchain:%d:", devchain.DefaultChainID)
	_, loaded, err := devChains.LoadOrNew(key, func() (caddy.Destructor, error) {
		return nil, fmt.Errorf("no dev chain running under %s", key)
	})
	if err != nil || !loaded {
		t.Fatalf("holding the dev chain: loaded %v, %v", loaded, err)
	}
	t.Cleanup(func() { _, _ = devChains.Delete(key) })
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
