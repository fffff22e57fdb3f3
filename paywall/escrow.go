package paywall

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
)

// EscrowScheme verifies escrow payments in-process: a session creation (the
// payer's one signature; the operator authorizes the deposit on chain
// before anything is served) or a session use (bearer token, no signature,
// no chain access: the fast path).
type EscrowScheme struct {
	op    *escrow.Operator
	price *big.Int
}

// NewEscrowOffer builds an escrow offer: r's extra becomes the operator's
// (token domain, escrow, collector, operator, deposit bounds); r.Amount is
// the price per request (the most a metered request may cost).
func NewEscrowOffer(r facilitator.PaymentRequirements, name, version, symbol string, decimals int, op *escrow.Operator) (*Offer, error) {
	r.Scheme = facilitator.SchemeEscrow
	if r.MaxTimeoutSeconds <= 0 {
		r.MaxTimeoutSeconds = 60
	}
	price, ok := new(big.Int).SetString(r.Amount, 10)
	if !ok || price.Sign() <= 0 {
		return nil, fmt.Errorf("escrow offer: amount %q is not a positive integer", r.Amount)
	}
	r.Extra = op.Extra(name, version)
	o := &Offer{Requirements: r, Symbol: symbol, Decimals: decimals}
	o.Scheme = &EscrowScheme{op: op, price: price}
	return o, nil
}

// Accept implements Scheme.
func (s *EscrowScheme) Accept(ctx context.Context, e *Engine, _ *http.Request, p *facilitator.PaymentPayload, o *Offer) (Claim, *Rejection) {
	pl, err := escrow.ParsePayload(p.Payload)
	if err != nil {
		return nil, reject(http.StatusPaymentRequired, facilitator.CodeEscrowPayload, "%v", err)
	}
	base := escrowClaim{req: &o.Requirements, version: p.X402Version}
	if u := pl.Usage; u != nil {
		if u.Amount != "" && u.Amount != o.Requirements.Amount {
			return nil, reject(http.StatusPaymentRequired, facilitator.CodeEscrowAmount, "amount %q differs from this route's price %s", clipText(u.Amount), o.Requirements.Amount)
		}
		if u.Action == "close" {
			res, xe, err := s.op.Close(ctx, u.Session)
			if err != nil {
				return nil, &Rejection{Status: http.StatusServiceUnavailable, Err: facilitator.Wrap(facilitator.CodeUnexpectedSettleError, "closing the session failed; retry", err)}
			}
			if xe != nil {
				return nil, &Rejection{Status: http.StatusPaymentRequired, Err: xe}
			}
			return &closedSession{escrowClaim: base, res: res}, nil
		}
		resv, xe, err := s.op.Reserve(ctx, u.Session, u.RequestID, s.price, &o.Requirements)
		if err != nil {
			return nil, &Rejection{Status: http.StatusServiceUnavailable, Err: facilitator.Wrap(facilitator.CodeServiceBusy, "the session store is unavailable; retry shortly", err)}
		}
		if xe != nil {
			return nil, &Rejection{Status: http.StatusPaymentRequired, Err: xe}
		}
		base.resv = resv
		return &base, nil
	}
	opened, xe, err := s.op.Open(ctx, pl.Creation, &o.Requirements, s.price)
	if err != nil {
		return nil, &Rejection{Status: http.StatusServiceUnavailable, Err: facilitator.Wrap(facilitator.CodeUnexpectedVerifyError, "opening the session failed; retry with the same payment", err)}
	}
	if xe != nil {
		return nil, &Rejection{Status: http.StatusPaymentRequired, Err: xe}
	}
	base.resv, base.token, base.tx = opened.Reservation, opened.Token, opened.Tx.Hex()
	return &base, nil
}

// escrowClaim is a reservation on a session for one request.
type escrowClaim struct {
	req     *facilitator.PaymentRequirements
	version int
	resv    *escrow.Reservation
	token   string // set on the request that opened the session
	tx      string // the authorize transaction, on that request
	charge  *big.Int
}

func (c *escrowClaim) Payer() string       { return c.resv.Session.PaymentInfo().Payer.Hex() }
func (c *escrowClaim) Scheme() string      { return facilitator.SchemeEscrow }
func (c *escrowClaim) Deferred() bool      { return false }
func (c *escrowClaim) Deadline() time.Time { return c.resv.Session.ExpiresAt() }
func (c *escrowClaim) Entry() *Entry       { return nil } // the escrow ledger is durable itself

// SetCharge implements Metered: the upstream reported what the request cost.
func (c *escrowClaim) SetCharge(units *big.Int) { c.charge = units }

// Settle commits the reservation (the actual charge if metered) to the
// durable ledger; the capture worker later captures it on chain.
func (c *escrowClaim) Settle(context.Context) (facilitator.SettleResponse, error) {
	bal, err := c.resv.Commit(c.charge)
	if err != nil {
		return facilitator.SettleResponse{}, err
	}
	return c.response(bal), nil
}

func (c *escrowClaim) response(bal *big.Int) facilitator.SettleResponse {
	s := c.resv.Session
	info := &facilitator.SessionInfo{ID: s.IDHex(), Token: c.token, Balance: bal.String()}
	if c.token != "" {
		info.ExpiresAt = s.ExpiresAt().Unix()
	}
	return facilitator.SettleResponse{Success: true, Payer: c.Payer(), Transaction: c.tx,
		Network: wireNetwork(c.version, c.req.Network), Receiver: c.req.PayTo, Session: info}
}

func (c *escrowClaim) Release(context.Context) { c.resv.Release() }

func (c *escrowClaim) Queued() facilitator.SettleResponse {
	return c.response(c.resv.Session.Balance())
}

// closedSession answers a close request directly; nothing reaches the
// upstream.
type closedSession struct {
	escrowClaim
	res *escrow.CloseResult
}

// Answer implements Answerer: transaction is the void (empty when nothing
// was left to return) and amount what the receiver got in total (captured),
// so the client can tell captured from returned (deposit − amount).
func (c *closedSession) Answer() (int, facilitator.SettleResponse) {
	tx := ""
	if c.res.VoidTx != ([32]byte{}) {
		tx = c.res.VoidTx.Hex()
	}
	amount := ""
	if c.res.Captured != nil {
		amount = c.res.Captured.String()
	}
	return http.StatusOK, facilitator.SettleResponse{Success: true, Payer: c.res.Session.Payer, Transaction: tx,
		Network: wireNetwork(c.version, c.req.Network), Amount: amount, Receiver: c.req.PayTo,
		Session: &facilitator.SessionInfo{ID: c.res.Session.ID, Balance: "0"}}
}

func (c *closedSession) Payer() string { return c.res.Session.Payer }
