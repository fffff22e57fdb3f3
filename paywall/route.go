package paywall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/policies"
	"go.uber.org/zap"
)

// SettleMode says when a route's payments are settled.
type SettleMode string

const (
	// SettleAfter answers at once and settles from the queue after
	// SettleDelay, once the upstream answered with a chargeable status.
	SettleAfter SettleMode = "after"
	// SettleHeader settles synchronously when the upstream sends a
	// chargeable status, then streams the body; a failed settlement turns
	// the response into a 402 with the pre-upstream headers.
	SettleHeader SettleMode = "header"
	// SettleBefore settles before calling the upstream (for streams and
	// high-value routes); the payment is charged whatever the upstream does.
	SettleBefore SettleMode = "before"
)

// DefaultSettleDelay is the anti-race delay of the "after" mode.
const DefaultSettleDelay = 300 * time.Millisecond

// DefaultPayerHeader carries the verified payer to the upstream.
const DefaultPayerHeader = "X-Payer"

// Next is the rest of the handler chain (the upstream).
type Next func(http.ResponseWriter, *http.Request) error

// Route is one priced route: the offers it accepts and how it settles.
// Build it with the exported fields set, then call Init once.
type Route struct {
	// Name labels logs and metrics. Default: "default".
	Name string
	// Offers are the accepted ways to pay, in the order clients see them.
	Offers []*Offer
	// Description and MimeType describe the resource in the 402.
	Description string
	MimeType    string
	// ResourceURL fixes the resource URL; default: the request URL.
	ResourceURL string
	// Mode is when payments settle. Default: SettleAfter.
	Mode SettleMode
	// SettleDelay is the anti-race delay of SettleAfter. Default: 300 ms.
	SettleDelay time.Duration
	// SettleTimeout bounds a synchronous settlement (header and before
	// modes). Default: 30 s.
	SettleTimeout time.Duration
	// Chargeable decides which upstream answers are charged. Default: 2xx.
	Chargeable policies.Chargeable
	// PayerHeader names the request header that carries the verified payer
	// to the upstream; any client-sent copy is removed. Default: X-Payer.
	PayerHeader string
	// ChargeHeader names a response header in which the upstream may report
	// the actual cost of a metered (escrow) request in token units, capped
	// by the price. It is removed before the client sees the response.
	// Exact payments always cost the price. Default: none.
	ChargeHeader string
	// Upgrades decides whether a paid request may switch protocols
	// (WebSocket, CONNECT): UpgradesRefuse answers such requests 403 before
	// the upstream sees them; UpgradesAllow settles the payment before the
	// 101 goes out, whatever Mode is. Default: UpgradesRefuse.
	Upgrades UpgradePolicy

	engine  *Engine
	accepts []facilitator.PaymentRequirements
}

// Init validates the route and binds it to the engine.
func (rt *Route) Init(e *Engine) error {
	if e == nil || e.Guard == nil || e.Facilitator == nil {
		return errors.New("paywall route: engine with facilitator and replay guard required")
	}
	if len(rt.Offers) == 0 {
		return errors.New("paywall route: at least one offer is required")
	}
	if rt.Name == "" {
		rt.Name = "default"
	}
	switch rt.Mode {
	case "":
		rt.Mode = SettleAfter
	case SettleAfter, SettleHeader, SettleBefore:
	default:
		return fmt.Errorf("paywall route %s: unknown settle mode %q (want after, header or before)", rt.Name, rt.Mode)
	}
	if rt.Mode == SettleAfter && e.Queue == nil {
		return fmt.Errorf("paywall route %s: settle mode after needs a settlement queue", rt.Name)
	}
	if rt.Mode == SettleAfter && e.Funds == nil {
		for _, o := range rt.Offers {
			if _, ok := o.Scheme.(*ExactScheme); ok {
				return fmt.Errorf("paywall route %s: settle mode after serves before settling, so it needs a balance check of payers (Engine.Funds, i.e. an RPC for the network); use settle header or before otherwise", rt.Name)
			}
		}
	}
	if rt.SettleDelay <= 0 {
		rt.SettleDelay = DefaultSettleDelay
	}
	if rt.SettleTimeout <= 0 {
		rt.SettleTimeout = 30 * time.Second
	}
	if rt.Chargeable == nil {
		rt.Chargeable = policies.Charge2xx
	}
	if rt.PayerHeader == "" {
		rt.PayerHeader = DefaultPayerHeader
	}
	switch rt.Upgrades {
	case "":
		rt.Upgrades = UpgradesRefuse
	case UpgradesRefuse, UpgradesAllow:
	default:
		return fmt.Errorf("paywall route %s: unknown upgrade policy %q (want allow or refuse)", rt.Name, rt.Upgrades)
	}
	rt.accepts = make([]facilitator.PaymentRequirements, len(rt.Offers))
	for i, o := range rt.Offers {
		rt.accepts[i] = o.Requirements
	}
	rt.engine = e
	return nil
}

// Serve is the paywall's request path: challenge unpaid requests, verify
// and claim payments, call next, and settle or release according to the
// upstream's answer and the route's mode.
func (rt *Route) Serve(w http.ResponseWriter, r *http.Request, next Next) error {
	e := rt.engine
	obs := e.observer()
	if _, closed := e.Gate.Closed(); closed {
		obs.Rejected(rt.Name, http.StatusServiceUnavailable, facilitator.CodeServiceBusy)
		rt.refuseClosed(w)
		return nil
	}
	upgrade := isUpgradeRequest(r)
	if upgrade && rt.Upgrades != UpgradesAllow {
		rt.refuseUpgrade(w, r)
		return nil
	}
	p, raw, rej := rt.intake(r)
	if rej != nil {
		if rej.Err == nil {
			obs.Challenged(rt.Name)
		} else {
			obs.Rejected(rt.Name, rej.Status, rej.Err.Code)
		}
		rt.challenge(w, r, rej.Status, rej.Err)
		return nil
	}
	claim, rej := rt.accept(r, p)
	if rej != nil {
		obs.Rejected(rt.Name, rej.Status, rej.Err.Code)
		rt.challenge(w, r, rej.Status, rej.Err)
		return nil
	}
	obs.Accepted(rt.Name, claim.Scheme())
	if k, ok := claim.(payloadKeeper); ok {
		k.keepPayloadJSON(raw)
	}
	if a, ok := claim.(Answerer); ok {
		status, resp := a.Answer()
		rt.answer(w, p.X402Version, status, resp)
		return nil
	}
	mode := rt.Mode
	if !claim.Deferred() && mode == SettleAfter {
		mode = SettleHeader // a local commit needs no queue
	}
	if mode == SettleAfter {
		if fr, ok := claim.(interface {
			reserveFunds(context.Context) *Rejection
		}); ok {
			if rej := fr.reserveFunds(r.Context()); rej != nil {
				claim.Release(r.Context())
				obs.Rejected(rt.Name, rej.Status, rej.Err.Code)
				rt.challenge(w, r, rej.Status, rej.Err)
				return nil
			}
		}
		if err := e.Queue.Reserve(); err != nil {
			claim.Release(r.Context())
			obs.Rejected(rt.Name, http.StatusServiceUnavailable, facilitator.CodeServiceBusy)
			rt.challenge(w, r, http.StatusServiceUnavailable, facilitator.Errorf(facilitator.CodeServiceBusy, "settlement queue is full; retry shortly"))
			return nil
		}
	}

	headerName := facilitator.HeaderPaymentResponse
	if p.X402Version == facilitator.V1 {
		headerName = facilitator.HeaderXPaymentResponse
	}
	pw := &paidWriter{rw: w, req: r, route: rt, mode: mode, claim: claim, headerName: headerName, ctx: context.WithoutCancel(r.Context())}
	if mode != SettleBefore && claim.Deferred() {
		pw.expectPut(e.Journal)
	}
	if mode == SettleBefore {
		id, err := rt.record(claim, StateSettling, 0)
		if err != nil {
			claim.Release(r.Context())
			rt.challenge(w, r, http.StatusServiceUnavailable, errJournal(err))
			return nil
		}
		resp, ok := rt.settleNow(pw.ctx, claim)
		rt.recordOutcome(id, ok, resp)
		if !ok {
			rt.refuseSettlement(w, headerName, resp)
			claim.Release(r.Context())
			return nil
		}
		pw.settled = &resp
	}
	if mode == SettleHeader || (mode == SettleAfter && e.Journal != nil) || upgrade {
		pw.snapshot = w.Header().Clone()
	}

	rt.prepareUpstream(r, claim.Payer())
	finished := false
	defer func() {
		if finished {
			return
		}
		// next panicked (reverse_proxy aborts with http.ErrAbortHandler
		// when the client or the upstream drops mid-body) or ended its
		// goroutine: end the claim by the same rule, give back the queue
		// slot, then let the panic go on as before.
		v := recover()
		pw.putCame()
		rt.finish(r, pw)
		if v != nil {
			panic(v)
		}
	}()
	err := next(pw, r)
	if err == nil && !pw.decided {
		// The handler wrote nothing: net/http would send an empty 200.
		pw.WriteHeader(http.StatusOK)
	}
	pw.putCame()
	finished = true
	rt.finish(r, pw)
	return err
}

// Refuse answers a request that the route will not serve (the Caddy
// handler's refusal of an ambiguous path) with status and the x402 error,
// in the challenge's shape: PAYMENT-REQUIRED naming the error, JSON body
// with a message.
func (rt *Route) Refuse(w http.ResponseWriter, r *http.Request, status int, xe *facilitator.Error) {
	rt.engine.observer().Rejected(rt.Name, status, xe.Code)
	rt.challenge(w, r, status, xe)
}

// finish ends the claim once the upstream is done, whether it returned
// (with or without an error) or aborted: a response whose chargeable status
// line went out is charged, since the client holds a paid status (queued in
// after mode; already settled at the status line in header mode, for an
// upgrade, or before the upstream); anything else is released. An
// after-mode queue slot always comes back, as a job or unreserved.
func (rt *Route) finish(r *http.Request, pw *paidWriter) {
	e, claim := rt.engine, pw.claim
	switch {
	case pw.settled != nil:
		if pw.mode == SettleAfter {
			e.Queue.Unreserve() // an upgrade settled at its 101
		}
		return
	case pw.mode == SettleAfter && pw.decided && pw.chargeable && !pw.failed:
		e.Queue.Enqueue(claim, pw.entryID, rt.Name, rt.SettleDelay)
		return
	case pw.mode == SettleAfter:
		e.Queue.Unreserve()
		rt.recordOutcome(pw.entryID, false, facilitator.SettleResponse{ErrorReason: "released"})
	}
	claim.Release(r.Context())
	e.observer().Released(rt.Name, claim.Scheme())
}

// record writes the claim to the journal (when there is one) before its
// answer is released or its settlement starts, and returns the entry id.
func (rt *Route) record(claim Claim, state State, delay time.Duration) (string, error) {
	j := rt.engine.Journal
	if j == nil {
		return "", nil
	}
	en := claim.Entry()
	if en == nil {
		return "", nil
	}
	en.State, en.Route, en.Due = state, rt.Name, rt.engine.now().Add(delay)
	if err := j.Put(en); err != nil {
		rt.engine.logger().Error("journal write failed; refusing the paid request", zap.String("route", rt.Name), zap.Error(err))
		return "", err
	}
	return en.ID, nil
}

// recordOutcome finishes a synchronous settlement's journal entry: settled,
// or released (nothing was charged and the client got a refusal).
func (rt *Route) recordOutcome(id string, ok bool, resp facilitator.SettleResponse) {
	if id == "" {
		return
	}
	state := StateReleased
	if ok {
		state = StateSettled
	}
	if err := rt.engine.Journal.Finish(id, state, resp.Transaction, resp.ErrorReason); err != nil {
		rt.engine.logger().Error("journal: recording outcome", zap.String("id", id), zap.Error(err))
	}
}

func errJournal(err error) *facilitator.Error {
	return facilitator.Wrap(facilitator.CodeServiceBusy, "the payment could not be recorded; nothing was charged, retry shortly", err)
}

// settleNow settles synchronously for the header and before modes.
func (rt *Route) settleNow(ctx context.Context, claim Claim) (facilitator.SettleResponse, bool) {
	ctx, cancel := context.WithTimeout(ctx, rt.SettleTimeout)
	defer cancel()
	start := time.Now()
	resp, err := claim.Settle(ctx)
	ok := err == nil && resp.Success
	reason := resp.ErrorReason
	if err != nil {
		reason = facilitator.CodeUnexpectedSettleError
		resp.Success, resp.ErrorReason, resp.ErrorMessage = false, reason, "settlement failed: "+err.Error()
	}
	rt.engine.observer().Settled(rt.Name, claim.Scheme(), ok, reason, time.Since(start))
	if !ok {
		rt.engine.logger().Warn("synchronous settlement failed", zap.String("route", rt.Name), zap.String("scheme", claim.Scheme()),
			zap.String("payer", claim.Payer()), zap.String("reason", resp.ErrorReason), zap.String("message", resp.ErrorMessage))
	}
	return resp, ok
}

// refuseSettlement answers 402 with the failed settlement in the
// PAYMENT-RESPONSE header, as the reference servers do.
func (rt *Route) refuseSettlement(w http.ResponseWriter, headerName string, resp facilitator.SettleResponse) {
	h := w.Header()
	if enc, err := facilitator.EncodeHeader(resp); err == nil {
		h.Set(headerName, enc)
	}
	setPrivate(h)
	h.Set("Content-Type", "application/json")
	b := fmt.Appendf(nil, `{"x402Version":2,"error":%q,"message":%q}`, resp.ErrorReason, resp.ErrorMessage)
	h.Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(http.StatusPaymentRequired)
	_, _ = w.Write(b)
}

// answer writes a claim's own answer (no upstream).
func (rt *Route) answer(w http.ResponseWriter, version, status int, resp facilitator.SettleResponse) {
	name := facilitator.HeaderPaymentResponse
	if version == facilitator.V1 {
		name = facilitator.HeaderXPaymentResponse
	}
	h := w.Header()
	if enc, err := facilitator.EncodeHeader(resp); err == nil {
		h.Set(name, enc)
	}
	setPrivate(h)
	b, _ := json.Marshal(resp)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// prepareUpstream removes the payment headers (the upstream has no use for
// them and must not log them) and passes the verified payer, replacing any
// copy the client sent.
func (rt *Route) prepareUpstream(r *http.Request, payer string) {
	r.Header.Del(facilitator.HeaderPaymentSignature)
	r.Header.Del(facilitator.HeaderXPayment)
	r.Header.Del(rt.PayerHeader)
	r.Header.Set(rt.PayerHeader, payer)
}
