package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/escrow"
)

func parseChallenge(resp *http.Response) (*facilitator.PaymentRequired, error) {
	pr, _, err := client.ParseChallenge(resp)
	return pr, err
}

// pick returns the first requirement of the challenge with the scheme.
func pick(pr *facilitator.PaymentRequired, scheme string) (*facilitator.PaymentRequirements, error) {
	for i := range pr.Accepts {
		if pr.Accepts[i].Scheme == scheme {
			r := pr.Accepts[i]
			return &r, nil
		}
	}
	return nil, fmt.Errorf("the 402 offers no %s requirement", scheme)
}

func payerKeys(list string) ([]devchain.Account, error) {
	idx, err := parsePayers(list)
	if err != nil {
		return nil, err
	}
	all, err := devchain.DevAccounts(slices.Max(idx) + 1)
	if err != nil {
		return nil, err
	}
	out := make([]devchain.Account, len(idx))
	for k, i := range idx {
		out[k] = all[i]
	}
	return out, nil
}

// presignExact reads the route's 402 and signs total distinct exact
// payments (EIP-3009 authorizations with random nonces) with Client.Sign,
// round robin over the payers, on every core.
func presignExact(hc *http.Client, rawURL, payers string, version, total int) (string, []string, error) {
	pr, err := challenge(hc, rawURL)
	if err != nil {
		return "", nil, err
	}
	req, err := pick(pr, facilitator.SchemeExact)
	if err != nil {
		return "", nil, err
	}
	accts, err := payerKeys(payers)
	if err != nil {
		return "", nil, err
	}
	clients := make([]*client.Client, len(accts))
	for k, a := range accts {
		clients[k] = &client.Client{Key: a.Key}
	}
	values := make([]string, total)
	names := make([]string, runtime.NumCPU())
	errs := make([]error, runtime.NumCPU())
	var wg sync.WaitGroup
	for w := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += len(names) {
				name, v, err := clients[i%len(clients)].Sign(req, pr.Resource, version)
				if err != nil {
					errs[w] = err
					return
				}
				names[w], values[i] = name, v
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", nil, err
		}
	}
	return names[0], values, nil
}

// creation is an escrow session creation payload as the reference client
// sends it (expiries as JSON numbers, salt as 0x-hex).
type creation struct {
	Signature     string `json:"signature"`
	Authorization any    `json:"authorization"`
	SessionParams struct {
		Salt                string `json:"salt"`
		AuthorizationExpiry uint64 `json:"authorizationExpiry"`
		RefundExpiry        uint64 `json:"refundExpiry"`
	} `json:"sessionParams"`
	RequestID string `json:"requestId"`
}

// escrowUsage opens sessions on the route (one deposit signature each; the
// operator's authorize is mined before the first answer) and returns total
// usage headers: a session id and bearer token with a fresh requestId each,
// round robin over the sessions.
func escrowUsage(hc *http.Client, rawURL, payers string, sessions int, depositUnits string, total int) (string, []string, error) {
	pr, err := challenge(hc, rawURL)
	if err != nil {
		return "", nil, err
	}
	req, err := pick(pr, facilitator.SchemeEscrow)
	if err != nil {
		return "", nil, err
	}
	accts, err := payerKeys(payers)
	if err != nil {
		return "", nil, err
	}
	if sessions <= 0 {
		sessions = len(accts)
	}
	deposit, ok := new(big.Int).SetString(depositUnits, 10)
	if !ok {
		return "", nil, fmt.Errorf("-deposit %q is not an integer", depositUnits)
	}
	var run [6]byte
	_, _ = rand.Read(run[:])
	runID := hex.EncodeToString(run[:])
	refs := make([]escrow.SessionRef, sessions)
	for k := range refs {
		ref, err := openSession(hc, rawURL, pr, req, accts[k%len(accts)], deposit, fmt.Sprintf("bench-%s-open-%d", runID, k))
		if err != nil {
			return "", nil, fmt.Errorf("opening session %d: %w", k, err)
		}
		refs[k] = ref
	}
	values := make([]string, total)
	for i := range values {
		ref := refs[i%len(refs)]
		raw, err := json.Marshal(escrow.UsagePayload{Session: &ref, Amount: req.Amount, RequestID: fmt.Sprintf("bench-%s-%d", runID, i)})
		if err != nil {
			return "", nil, err
		}
		p := facilitator.PaymentPayload{X402Version: facilitator.V2, Accepted: req, Resource: pr.Resource, Payload: raw}
		if values[i], err = facilitator.EncodeHeader(p); err != nil {
			return "", nil, err
		}
	}
	return facilitator.HeaderPaymentSignature, values, nil
}

func openSession(hc *http.Client, rawURL string, pr *facilitator.PaymentRequired, req *facilitator.PaymentRequirements, payer devchain.Account, deposit *big.Int, requestID string) (escrow.SessionRef, error) {
	var ref escrow.SessionRef
	salt, err := escrow.RandomSalt()
	if err != nil {
		return ref, err
	}
	authExp := uint64(time.Now().Add(time.Hour).Unix())
	refundExp := authExp + 24*3600
	terms, err := escrow.TermsFromRequirements(req, deposit, salt, authExp, refundExp)
	if err != nil {
		return ref, err
	}
	d, err := escrow.SignDeposit(payer.Key, &terms)
	if err != nil {
		return ref, err
	}
	var c creation
	c.Signature = fmt.Sprintf("0x%x", d.Signature)
	c.Authorization = d.Authorization.JSON()
	c.SessionParams.Salt = fmt.Sprintf("0x%064x", salt)
	c.SessionParams.AuthorizationExpiry, c.SessionParams.RefundExpiry = authExp, refundExp
	c.RequestID = requestID
	raw, err := json.Marshal(c)
	if err != nil {
		return ref, err
	}
	hdr, err := facilitator.EncodeHeader(facilitator.PaymentPayload{X402Version: facilitator.V2, Accepted: req, Resource: pr.Resource, Payload: raw})
	if err != nil {
		return ref, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return ref, err
	}
	hr.Header.Set(facilitator.HeaderPaymentSignature, hdr)
	resp, err := hc.Do(hr)
	if err != nil {
		return ref, err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return ref, fmt.Errorf("session creation answered %d: %s", resp.StatusCode, body)
	}
	var sr facilitator.SettleResponse
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentResponse), 64<<10, &sr); err != nil {
		return ref, fmt.Errorf("session creation: PAYMENT-RESPONSE: %w", err)
	}
	if !sr.Success || sr.Session == nil || sr.Session.Token == "" {
		return ref, fmt.Errorf("session creation: no session token in PAYMENT-RESPONSE (success %v, reason %q)", sr.Success, sr.ErrorReason)
	}
	return escrow.SessionRef{ID: sr.Session.ID, Token: sr.Session.Token}, nil
}
