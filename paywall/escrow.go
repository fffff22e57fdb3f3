package paywall

import (
	"context"
	"errors"
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
		switch u.Action {
		case "close":
			res, xe, err := s.op.Close(ctx, u.Session)
			if rej := refusal(xe, err, facilitator.CodeUnexpectedSettleError, "closing the session failed; retry"); rej != nil {
				return nil, rej
			}
			return &closedSession{escrowClaim: base, res: res}, nil
		case "recover":
			rec, xe, err := s.op.Recover(ctx, u.Session.ID, u.Recovery)
			if rej := refusal(xe, err, facilitator.CodeServiceBusy, "recovering the session token failed; retry shortly"); rej != nil {
				return nil, rej
			}
			base.session = rec.Session
			return &recoveredSession{escrowClaim: base, rec: rec}, nil
		}
		resv, xe, err := s.op.Reserve(ctx, u.Session, u.RequestID, s.price, &o.Requirements)
		if rej := refusal(xe, err, facilitator.CodeServiceBusy, "the session store is unavailable; retry shortly"); rej != nil {
			return nil, rej
		}
		base.resv, base.session = resv, resv.Session
		return &base, nil
	}
	opened, xe, err := s.op.Open(ctx, pl.Creation, &o.Requirements, s.price)
	if rej := refusal(xe, err, facilitator.CodeUnexpectedVerifyError,
		"opening the session failed; if the deposit was taken, recover the session's token with a signed recovery, else sign a new deposit"); rej != nil {
		return nil, rej
	}
	base.resv, base.session, base.token, base.tx = opened.Reservation, opened.Session, opened.Token, opened.Tx.Hex()
	if opened.Reservation == nil {
		// The deposit is taken but this call cannot be served now: the
		// answer still carries the token.
		return &openedUnserved{escrowClaim: base, why: opened.Unserved}, nil
	}
	return &base, nil
}

// refusal turns an operator's refusal (402) or failure (503) into a
// Rejection; nil when there was neither.
func refusal(xe *facilitator.Error, err error, code, msg string) *Rejection {
	switch {
	case err != nil:
		return &Rejection{Status: http.StatusServiceUnavailable, Err: facilitator.Wrap(code, msg, err)}
	case xe != nil:
		return &Rejection{Status: http.StatusPaymentRequired, Err: xe}
	}
	return nil
}

// escrowClaim is a reservation on a session for one request.
type escrowClaim struct {
	req     *facilitator.PaymentRequirements
	version int
	resv    *escrow.Reservation
	session *escrow.Session
	token   string // set on the request that opened the session
	tx      string // the authorize transaction, on that request
	charge  *big.Int
}

func (c *escrowClaim) Payer() string       { return c.session.PaymentInfo().Payer.Hex() }
func (c *escrowClaim) Scheme() string      { return facilitator.SchemeEscrow }
func (c *escrowClaim) Deferred() bool      { return false }
func (c *escrowClaim) Deadline() time.Time { return c.session.ExpiresAt() }
func (c *escrowClaim) Entry() *Entry       { return nil } // the escrow ledger is durable itself

// SetCharge implements Metered: the upstream reported what the request cost.
func (c *escrowClaim) SetCharge(units *big.Int) { c.charge = units }

// Settle commits the reservation (the actual charge if metered) to the
// durable ledger; the capture worker later captures it on chain. A commit
// refused because the session was closed meanwhile (or a reservation that
// expired with the balance spent) is a failed settlement with its code:
// the request is not charged and not served as paid.
func (c *escrowClaim) Settle(context.Context) (facilitator.SettleResponse, error) {
	bal, err := c.resv.Commit(c.charge)
	switch {
	case errors.Is(err, escrow.ErrSessionClosed):
		return c.failed(facilitator.CodeEscrowSessionClosed, err), nil
	case errors.Is(err, escrow.ErrSessionBalance):
		return c.failed(facilitator.CodeEscrowSessionBalance, err), nil
	case err != nil:
		return facilitator.SettleResponse{}, err
	}
	return c.response(bal), nil
}

func (c *escrowClaim) failed(code string, err error) facilitator.SettleResponse {
	resp := c.response(c.session.Balance())
	resp.Success, resp.ErrorReason, resp.ErrorMessage = false, code, err.Error()
	return resp
}

func (c *escrowClaim) response(bal *big.Int) facilitator.SettleResponse {
	s := c.session
	info := &facilitator.SessionInfo{ID: s.IDHex(), Token: c.token, Balance: bal.String()}
	if c.token != "" {
		info.ExpiresAt = s.ExpiresAt().Unix()
	}
	return facilitator.SettleResponse{Success: true, Payer: c.Payer(), Transaction: c.tx,
		Network: wireNetwork(c.version, c.req.Network), Receiver: c.req.PayTo, Session: info}
}

func (c *escrowClaim) Release(context.Context) { c.resv.Release() }

func (c *escrowClaim) Queued() facilitator.SettleResponse {
	return c.response(c.session.Balance())
}

// Uncharged implements Opener: the request that opened a session carries
// the token even when its upstream answer is not charged (the deposit is
// taken; this call costs nothing).
func (c *escrowClaim) Uncharged() (facilitator.SettleResponse, bool) {
	if c.token == "" {
		return facilitator.SettleResponse{}, false
	}
	bal := c.session.Balance()
	if c.resv != nil {
		bal.Add(bal, c.resv.Amount) // released right after the answer
	}
	resp := c.response(bal)
	resp.Amount = "0"
	return resp, true
}

// openedUnserved answers the request that opened a session when it cannot
// be served now (the shared store is unavailable): 503 with the token.
type openedUnserved struct {
	escrowClaim
	why error
}

// Answer implements Answerer.
func (c *openedUnserved) Answer() (int, facilitator.SettleResponse) {
	resp := c.response(c.session.Balance())
	resp.Success, resp.ErrorReason = false, facilitator.CodeServiceBusy
	resp.ErrorMessage = "the session is open (its token is in session.token); this call was not served and not charged, retry it with the token"
	if c.why != nil {
		resp.ErrorMessage += ": " + c.why.Error()
	}
	return http.StatusServiceUnavailable, resp
}

// recoveredSession answers a token recovery: the session with its new token.
type recoveredSession struct {
	escrowClaim
	rec *escrow.Recovered
}

// Answer implements Answerer.
func (c *recoveredSession) Answer() (int, facilitator.SettleResponse) {
	s := c.rec.Session
	return http.StatusOK, facilitator.SettleResponse{Success: true, Payer: s.PaymentInfo().Payer.Hex(),
		Network: wireNetwork(c.version, c.req.Network), Receiver: c.req.PayTo,
		Session: &facilitator.SessionInfo{ID: s.IDHex(), Token: c.rec.Token, Balance: c.rec.Balance.String(), ExpiresAt: s.ExpiresAt().Unix()}}
}

func (c *recoveredSession) Payer() string { return c.rec.Session.PaymentInfo().Payer.Hex() }

// closedSession answers a close request directly; nothing reaches the
// upstream.
type closedSession struct {
	escrowClaim
	res *escrow.CloseResult
}

// Answer implements Answerer: transaction is the void (empty when nothing
// was left to return) and amount what the receiver got in total (captured),
// so the client can tell captured from returned (deposit − amount). When
// another instance is still closing the session, amount is empty and the
// session's status says closing.
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
