package client

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/crypto"
)

// The escrow scheme, as @agentokratia/x402-escrow 2.0 speaks it: the first
// payment to a receiver signs one ERC-3009 ReceiveWithAuthorization that
// deposits into the AuthCaptureEscrow (a creation payload); the server
// answers with a session id and a bearer token in PAYMENT-RESPONSE.session,
// which later payments send instead of a signature (usage payloads) until
// the balance or the time runs out. Closing the session (CloseSession) has
// the operator capture what was used and return the rest.

// Defaults of EscrowOptions.
const (
	// DefaultDeposit is 1.00 of a 6-decimal token, in units; it is moved
	// into the requirement's [minDeposit, maxDeposit] when outside.
	DefaultDeposit = 1_000_000
	// DefaultSessionLength is how long a new session lasts.
	DefaultSessionLength = time.Hour
	// DefaultRefundWindow is refundExpiry − authorizationExpiry.
	DefaultRefundWindow = 24 * time.Hour
	// DefaultExpiryMargin: a session is not used this close to its expiry
	// (the server stops serving 5 minutes before it by default).
	DefaultExpiryMargin = 6 * time.Minute
)

// EscrowOptions configures the escrow scheme of a Client.
type EscrowOptions struct {
	// Sessions keeps the open sessions (and their tokens). Default: one
	// in-memory store shared by the process.
	Sessions *SessionStore
	// Deposit is what a new session locks, in token units: the most this
	// client can lose to the receiver and operator. Default: DefaultDeposit
	// moved into the offered bounds. An explicit deposit outside
	// [extra.minDeposit, extra.maxDeposit] or below the price is an error.
	Deposit *big.Int
	// SessionLength is authorizationExpiry − now for a new session.
	// Default: 1 h (servers accept 10 min to 7 days by default).
	SessionLength time.Duration
	// RefundWindow is refundExpiry − authorizationExpiry. Default: 1 day.
	RefundWindow time.Duration
	// ExpiryMargin: sessions this close to expiry are not used; a new one
	// is opened instead. Default: 6 min.
	ExpiryMargin time.Duration
}

var processSessions = NewMemorySessionStore()

// Sessions is the store of escrow sessions this client uses.
func (c *Client) Sessions() *SessionStore {
	if c.Escrow != nil && c.Escrow.Sessions != nil {
		return c.Escrow.Sessions
	}
	return processSessions
}

func (c *Client) escrowOpts() EscrowOptions {
	var o EscrowOptions
	if c.Escrow != nil {
		o = *c.Escrow
	}
	if o.Sessions == nil {
		o.Sessions = processSessions
	}
	if o.SessionLength <= 0 {
		o.SessionLength = DefaultSessionLength
	}
	if o.RefundWindow <= 0 {
		o.RefundWindow = DefaultRefundWindow
	}
	if o.ExpiryMargin <= 0 {
		o.ExpiryMargin = DefaultExpiryMargin
	}
	return o
}

type escrowScheme struct{}

func init() { registerScheme(facilitator.SchemeEscrow, escrowScheme{}) }

// escrowExtra reads and checks the requirement's escrow extra.
func escrowExtra(r *facilitator.PaymentRequirements) (*escrow.Extra, error) {
	if len(r.Extra) == 0 {
		return nil, errors.New("no extra (escrowContract, facilitator, tokenCollector, name, version)")
	}
	var x escrow.Extra
	if err := json.Unmarshal(r.Extra, &x); err != nil {
		return nil, fmt.Errorf("extra: %v", err)
	}
	for _, f := range []struct{ name, v string }{{"escrowContract", x.EscrowContract}, {"facilitator", x.Facilitator}, {"tokenCollector", x.TokenCollector}} {
		if _, err := evm.ParseAddress(f.v); err != nil {
			return nil, fmt.Errorf("extra.%s %w", f.name, err)
		}
	}
	if x.Name == "" || x.Version == "" {
		return nil, errors.New("extra has no EIP-712 name and version of the token")
	}
	return &x, nil
}

func (escrowScheme) check(r *facilitator.PaymentRequirements) error {
	if _, err := escrowExtra(r); err != nil {
		return err
	}
	if _, err := evm.ParseAddress(r.PayTo); err != nil {
		return fmt.Errorf("payTo %w", err)
	}
	if _, err := evm.ParseAddress(r.Asset); err != nil {
		return fmt.Errorf("asset %w", err)
	}
	return nil
}

func termsFor(c *Client, r *facilitator.PaymentRequirements, x *escrow.Extra) *sessionTerms {
	return &sessionTerms{payer: crypto.PubkeyToAddress(c.Key.PublicKey).Hex(), receiver: r.PayTo, network: r.Network,
		asset: r.Asset, operator: x.Facilitator, escrow: x.EscrowContract}
}

func (escrowScheme) pay(_ context.Context, c *Client, r *facilitator.PaymentRequirements, res *facilitator.ResourceInfo, version int) (*facilitator.PaymentPayload, error) {
	x, err := escrowExtra(r)
	if err != nil {
		return nil, fmt.Errorf("escrow: %w", err)
	}
	price, err := parseUnits(r.Amount)
	if err != nil {
		return nil, fmt.Errorf("escrow: amount %w", err)
	}
	o := c.escrowOpts()
	s, err := o.Sessions.best(termsFor(c, r, x), price, c.now(), o.ExpiryMargin)
	if err != nil {
		return nil, err
	}
	var raw []byte
	if s != nil {
		raw, err = usagePayload(s, r.Amount, "")
	} else {
		raw, err = creationPayload(c, &o, r, x, price)
	}
	if err != nil {
		return nil, err
	}
	return wrapPayload(r, res, version, raw)
}

// wrapPayload puts a scheme payload into an x402 payment payload.
func wrapPayload(r *facilitator.PaymentRequirements, res *facilitator.ResourceInfo, version int, raw json.RawMessage) (*facilitator.PaymentPayload, error) {
	p := &facilitator.PaymentPayload{X402Version: version, Payload: raw}
	switch version {
	case facilitator.V1:
		p.Scheme, p.Network = r.Scheme, facilitator.V1NetworkName(r.Network)
	case facilitator.V2:
		accepted := *r
		p.Accepted, p.Resource = &accepted, res
	default:
		return nil, fmt.Errorf("escrow: x402Version %d is not supported", version)
	}
	return p, nil
}

// usagePayload spends from s (action "close" closes it; amount may be "").
func usagePayload(s *Session, amount, action string) ([]byte, error) {
	id, err := newRequestID()
	if err != nil {
		return nil, err
	}
	return json.Marshal(escrow.UsagePayload{Session: &escrow.SessionRef{ID: s.ID, Token: s.Token}, Amount: amount, RequestID: id, Action: action})
}

// creationJSON is the creation payload with the session expiries as JSON
// numbers and the salt as 0x-hex, exactly as @agentokratia/x402-escrow
// sends them.
type creationJSON struct {
	Signature     string                `json:"signature"`
	Authorization evm.AuthorizationJSON `json:"authorization"`
	SessionParams struct {
		Salt                string `json:"salt"`
		AuthorizationExpiry uint64 `json:"authorizationExpiry"`
		RefundExpiry        uint64 `json:"refundExpiry"`
	} `json:"sessionParams"`
	RequestID string `json:"requestId"`
}

// depositFor picks the deposit of a new session.
func depositFor(o *EscrowOptions, x *escrow.Extra, price *big.Int) (*big.Int, error) {
	bound := func(v evm.NumString) *big.Int {
		if v == "" {
			return nil
		}
		u, err := evm.ParseUint256(string(v))
		if err != nil {
			return nil
		}
		return u.ToBig()
	}
	lo, hi := bound(x.MinDeposit), bound(x.MaxDeposit)
	var d *big.Int
	if o.Deposit != nil {
		d = new(big.Int).Set(o.Deposit)
		if err := x.CheckDeposit(d); err != nil {
			return nil, fmt.Errorf("%v (the server takes deposits from %v to %v units)", err, lo, hi)
		}
	} else {
		d = big.NewInt(DefaultDeposit)
		if lo != nil && d.Cmp(lo) < 0 {
			d.Set(lo)
		}
		if hi != nil && d.Cmp(hi) > 0 {
			d.Set(hi)
		}
	}
	if d.Cmp(price) < 0 {
		return nil, fmt.Errorf("escrow: deposit %s units does not cover one request (%s units)", d, price)
	}
	return d, nil
}

func creationPayload(c *Client, o *EscrowOptions, r *facilitator.PaymentRequirements, x *escrow.Extra, price *big.Int) ([]byte, error) {
	deposit, err := depositFor(o, x, price)
	if err != nil {
		return nil, err
	}
	salt, err := escrow.RandomSalt()
	if err != nil {
		return nil, err
	}
	authExp := uint64(c.now().Add(o.SessionLength).Unix())
	refundExp := authExp + uint64(o.RefundWindow/time.Second)
	terms, err := escrow.TermsFromRequirements(r, deposit, salt, authExp, refundExp)
	if err != nil {
		return nil, err
	}
	d, err := escrow.SignDeposit(c.Key, &terms)
	if err != nil {
		return nil, err
	}
	id, err := newRequestID()
	if err != nil {
		return nil, err
	}
	var p creationJSON
	p.Signature = fmt.Sprintf("0x%x", d.Signature)
	p.Authorization = d.Authorization.JSON()
	p.SessionParams.Salt = fmt.Sprintf("0x%064x", salt)
	p.SessionParams.AuthorizationExpiry, p.SessionParams.RefundExpiry = authExp, refundExp
	p.RequestID = id
	return json.Marshal(p)
}

// newRequestID returns a random UUID (version 4), as the reference client
// sends.
func newRequestID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("escrow: request id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]), nil
}

// settled keeps the session store in step with the server: a new session
// (token in PAYMENT-RESPONSE) is stored, a used one gets its new balance,
// and one the server refused for good is marked so that it is not used
// again.
func (escrowScheme) settled(c *Client, x *exchange) {
	if x.Payment == nil {
		return
	}
	pl, err := escrow.ParsePayload(x.Payment.Payload)
	if err != nil {
		return
	}
	store := c.Sessions()
	sr := x.Response
	switch {
	case pl.Creation != nil:
		// The token comes once, with the answer to the request that opened
		// the session, whether or not that call was served or charged.
		if sr != nil && sr.Session != nil && sr.Session.Token != "" && sr.Session.ID != "" {
			_ = store.Put(openedSession(c, x, pl.Creation, sr))
			return
		}
		if x.Status >= 500 {
			// The server could not say whether the deposit was taken: keep
			// the session's id so that RecoverSession can ask for it.
			_ = store.Put(pendingSession(c, x, pl.Creation))
		}
	case pl.Usage != nil && pl.Usage.Session != nil:
		id := pl.Usage.Session.ID
		if x.Refused == nil && sr != nil && sr.Success && sr.Session != nil && strings.EqualFold(sr.Session.ID, id) {
			_, _ = store.Update(id, func(s *Session) {
				if sr.Session.Balance != "" {
					s.Balance = sr.Session.Balance
				}
				if sr.Session.ExpiresAt > 0 {
					s.ExpiresAt = sr.Session.ExpiresAt
				}
				s.Price = x.Requirement.Amount
			})
			return
		}
		if x.Refused == nil {
			return
		}
		status := ""
		switch x.Refused.Code {
		case facilitator.CodeEscrowSessionBalance:
			status = SessionExhausted
		case facilitator.CodeEscrowSessionExpiring:
			status = SessionExpiring
		case facilitator.CodeEscrowSessionClosed:
			status = SessionClosed
		case facilitator.CodeEscrowSessionUnknown, facilitator.CodeEscrowSessionToken:
			status = SessionGone
		}
		if status != "" {
			_, _ = store.Update(id, func(s *Session) { s.Status = status })
		}
	}
}

// openedSession is the stored form of a session the server just opened.
func openedSession(c *Client, x *exchange, cp *escrow.CreationPayload, sr *facilitator.SettleResponse) Session {
	r := x.Requirement
	ex, _ := escrowExtra(r)
	req := *r
	now := c.now().Unix()
	s := Session{ID: sr.Session.ID, Token: sr.Session.Token, Status: SessionActive, Receiver: r.PayTo, Network: r.Network,
		Asset: r.Asset, Requirement: &req, Balance: sr.Session.Balance, Price: r.Amount, ExpiresAt: sr.Session.ExpiresAt,
		AuthorizeTx: sr.Transaction, OpenedAt: now, UpdatedAt: now}
	if ex != nil {
		s.Operator, s.Escrow = ex.Facilitator, ex.EscrowContract
	}
	if c.Key != nil {
		s.Payer = crypto.PubkeyToAddress(c.Key.PublicKey).Hex()
	}
	if cp.Authorization != nil {
		s.Deposit = string(cp.Authorization.Value)
	}
	if cp.SessionParams != nil {
		if s.ExpiresAt == 0 {
			s.ExpiresAt, _ = strconv.ParseInt(string(cp.SessionParams.AuthorizationExpiry), 10, 64)
		}
		s.RefundExpiry, _ = strconv.ParseInt(string(cp.SessionParams.RefundExpiry), 10, 64)
	}
	if x.Request != nil {
		s.URL, s.Method = x.Request.URL.String(), x.Request.Method
	}
	return s
}

// SessionCloseResult is the outcome of CloseSession.
type SessionCloseResult struct {
	// Session is the stored session after closing.
	Session Session
	// Captured is what the receiver got in total; Returned what went back
	// to the payer (deposit − captured). Nil when the server did not say.
	Captured, Returned *big.Int
	// VoidTx returned the rest to the payer ("" when nothing was left).
	VoidTx string
	// Response is the server's decoded PAYMENT-RESPONSE.
	Response *facilitator.SettleResponse
}

// CloseSession closes the stored session id (the full id or a unique prefix)
// at the URL it was opened on: the operator captures what was used and
// returns the rest of the deposit to the payer. No signature is needed: the
// session's token authorises it. The store records the outcome.
func (c *Client) CloseSession(ctx context.Context, id string) (*SessionCloseResult, error) {
	store := c.Sessions()
	s, err := store.Get(id)
	if err != nil {
		return nil, err
	}
	if s.Token == "" {
		return nil, fmt.Errorf("session %s has no token in %s", s.ID, store.describe())
	}
	method := s.Method
	if method == "" {
		method = http.MethodGet
	}
	r, version := c.closeRequirement(ctx, &s, method)
	if r == nil {
		return nil, fmt.Errorf("x402 client: no escrow requirement for session %s: %s offers none and none was stored", s.ID, s.URL)
	}
	raw, err := usagePayload(&s, "", "close")
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
		return nil, fmt.Errorf("x402 client: closing session %s: %w", s.ID, err)
	}
	defer drain(resp)
	sr := settleResponse(resp.Header)
	if pe := refusal(resp, sr); pe != nil {
		switch pe.Code {
		case facilitator.CodeEscrowSessionUnknown, facilitator.CodeEscrowSessionToken:
			_, _ = store.Update(s.ID, func(x *Session) { x.Status = SessionGone })
		}
		return nil, fmt.Errorf("x402 client: closing session %s: %w", s.ID, pe)
	}
	if resp.StatusCode/100 != 2 || sr == nil || !sr.Success {
		return nil, fmt.Errorf("x402 client: closing session %s: HTTP %d without a successful PAYMENT-RESPONSE", s.ID, resp.StatusCode)
	}
	out := &SessionCloseResult{VoidTx: sr.Transaction, Response: sr}
	deposit, okDep := new(big.Int).SetString(s.Deposit, 10)
	if captured, ok := new(big.Int).SetString(sr.Amount, 10); ok {
		out.Captured = captured
		if okDep {
			out.Returned = new(big.Int).Sub(deposit, captured)
		}
	}
	_, err = store.Update(s.ID, func(x *Session) {
		x.Status, x.Balance, x.VoidTx = SessionClosed, "0", sr.Transaction
		if out.Captured != nil {
			x.Captured = out.Captured.String()
		}
		if out.Returned != nil {
			x.Returned = out.Returned.String()
		}
		out.Session = *x
	})
	return out, err
}

// closeRequirement is the route's current escrow requirement for s (from a
// fresh 402), or the stored one.
func (c *Client) closeRequirement(ctx context.Context, s *Session, method string) (*facilitator.PaymentRequirements, int) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL, nil)
	if err == nil {
		if resp, err := c.http().Do(req); err == nil {
			defer drain(resp)
			if resp.StatusCode == http.StatusPaymentRequired {
				if pr, version, err := parseChallenge(resp, c.preferVersion()); err == nil {
					for i := range pr.Accepts {
						r := &pr.Accepts[i]
						if r.Scheme == facilitator.SchemeEscrow && facilitator.SameNetwork(r.Network, s.Network) &&
							strings.EqualFold(r.PayTo, s.Receiver) && strings.EqualFold(r.Asset, s.Asset) {
							return r, version
						}
					}
				}
			}
		}
	}
	if s.Requirement != nil {
		return s.Requirement, facilitator.V2
	}
	return nil, 0
}
