package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/crypto"
)

// pendingSession is the stored form of a session whose opening request got
// no token: its id is the hash of the payment the creation deposits into.
func pendingSession(c *Client, x *exchange, cp *escrow.CreationPayload) Session {
	s := Session{Status: SessionPending}
	r := x.Requirement
	ex, err := escrowExtra(r)
	if err != nil {
		return s
	}
	op, err1 := evm.ParseAddress(ex.Facilitator)
	esc, err2 := evm.ParseAddress(ex.EscrowContract)
	to, err3 := evm.ParseAddress(r.PayTo)
	token, err4 := evm.ParseAddress(r.Asset)
	chainID, ok := facilitator.ChainID(r.Network)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || !ok {
		return s
	}
	pi, err := cp.Payment(op, to, token)
	if err != nil {
		return s
	}
	id := escrow.GetHash(chainID, esc, &pi)
	s = openedSession(c, x, cp, &facilitator.SettleResponse{Session: &facilitator.SessionInfo{ID: fmt.Sprintf("0x%x", id)}})
	s.Status, s.Balance = SessionPending, s.Deposit
	return s
}

// RecoverSession gets a new token for the stored session id (the full id or
// a unique prefix) from the server that operates it: the client's key
// signs a recovery for this session and now (never the deposit signature),
// which the server accepts once and only from the session's payer. Use it
// when the answer that carried the token was lost (the session is
// SessionPending) or the token leaked (the old one stops working).
func (c *Client) RecoverSession(ctx context.Context, id string) (*Session, error) {
	if c.Key == nil {
		return nil, fmt.Errorf("x402 client: recovering a session needs the payer's key")
	}
	store := c.Sessions()
	s, err := store.Get(id)
	if err != nil {
		return nil, err
	}
	if s.Payer != "" && !strings.EqualFold(s.Payer, crypto.PubkeyToAddress(c.Key.PublicKey).Hex()) {
		return nil, fmt.Errorf("x402 client: session %s was paid by %s, not by this key", s.ID, s.Payer)
	}
	sid, err := evm.ParseBytes32(s.ID)
	if err != nil {
		return nil, fmt.Errorf("x402 client: session id %q: %w", s.ID, err)
	}
	chainID, ok := facilitator.ChainID(s.Network)
	esc, err2 := evm.ParseAddress(s.Escrow)
	if !ok || err2 != nil {
		return nil, fmt.Errorf("x402 client: session %s has no network or escrow to sign a recovery for", s.ID)
	}
	method := s.Method
	if method == "" {
		method = http.MethodGet
	}
	r, version := c.closeRequirement(ctx, &s, method)
	if r == nil {
		return nil, fmt.Errorf("x402 client: no escrow requirement for session %s at %s", s.ID, s.URL)
	}
	rc, err := escrow.SignRecovery(c.Key, chainID, esc, sid, uint64(c.now().Unix()))
	if err != nil {
		return nil, err
	}
	rid, err := newRequestID()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(escrow.UsagePayload{Session: &escrow.SessionRef{ID: s.ID}, Action: "recover", Recovery: rc, RequestID: rid})
	if err != nil {
		return nil, err
	}
	p, err := wrapPayload(r, nil, version, raw)
	if err != nil {
		return nil, err
	}
	value, err := facilitator.EncodeHeader(p)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("x402 client: %w", err)
	}
	name := facilitator.HeaderPaymentSignature
	if version == facilitator.V1 {
		name = facilitator.HeaderXPayment
	}
	req.Header.Set(name, value)
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("x402 client: recovering session %s: %w", s.ID, err)
	}
	defer drain(resp)
	sr := settleResponse(resp.Header)
	if pe := refusal(resp, sr); pe != nil {
		return nil, fmt.Errorf("x402 client: recovering session %s: %w", s.ID, pe)
	}
	if resp.StatusCode/100 != 2 || sr == nil || !sr.Success || sr.Session == nil || sr.Session.Token == "" {
		return nil, fmt.Errorf("x402 client: recovering session %s: HTTP %d without a token", s.ID, resp.StatusCode)
	}
	var out Session
	if _, err := store.Update(s.ID, func(x *Session) {
		x.Token, x.Status, x.UpdatedAt = sr.Session.Token, SessionActive, time.Now().Unix()
		if sr.Session.Balance != "" {
			x.Balance = sr.Session.Balance
		}
		if sr.Session.ExpiresAt > 0 {
			x.ExpiresAt = sr.Session.ExpiresAt
		}
		out = *x
	}); err != nil {
		return nil, err
	}
	return &out, nil
}
