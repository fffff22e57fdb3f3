// Package paywall is the x402 request engine, free of Caddy: the
// requirements of a priced route, the 402 challenge (v2 header, v1 body,
// browser page), payment intake and in-process verification, the replay
// guard, settlement modes and queue, and the response-writer wrapper that
// settles only when the upstream's answer is chargeable. Route.Serve is the
// whole request path; Middleware wraps it for plain net/http servers.
package paywall

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
)

// Engine is the state that routes share and that must outlive a single
// handler (a Caddy config reload builds new routes around the same Engine):
// the facilitator that settles, the replay guard and the settlement queue.
type Engine struct {
	// Facilitator settles payments and verifies what cannot be verified
	// in-process (contract-wallet signatures). Usually a facilitator.Router.
	Facilitator facilitator.Facilitator
	// Guard holds claimed payments. Required.
	Guard ReplayGuard
	// Queue runs "after"-mode settlements. Required for routes in that mode.
	Queue *SettlementQueue
	// Logger; default: none.
	Logger *zap.Logger
	// Observer receives events for metrics; default: none.
	Observer Observer
	// Now is the clock used for verification. Default: time.Now.
	Now func() time.Time
	// MaxHeaderBytes caps an encoded payment header. Default:
	// facilitator.MaxHeaderBytes (8 KiB).
	MaxHeaderBytes int
	// MaxValidity is the longest authorization window accepted for exact
	// payments (see exact.DefaultMaxValidity).
	MaxValidity time.Duration
	// Funds checks payer balances before an "after"-mode payment is served
	// (settlement comes later, so an empty wallet would be a free ride).
	// Required for exact routes in that mode.
	Funds *Funds
	// Journal makes served payments survive crashes; nil keeps them in
	// memory only. When set, the queue must record outcomes in it too
	// (QueueConfig.Journal).
	Journal Journal
	// Gate, when closed, answers every priced route with 503 (start-up
	// checks pending). Default: nil, always open.
	Gate *Gate

	// live are the claims in flight (see RearmSet).
	live liveClaims
	// resolving decides interrupted settlements in the background (see
	// recovery.go).
	resolving resolver
}

// Recover re-arms the replay guard with the journal's spent payments,
// requeues the queued ones (after mode), due at their original time (or at
// once), and resolves the synchronous settlements a crash interrupted from
// the chain (recovery.go). Settlement is idempotent and checks the chain
// first, so a payment settled just before a crash is not charged twice. It
// returns how many settlements were requeued.
func (e *Engine) Recover(ctx context.Context) (int, error) {
	if e.Journal == nil {
		return 0, nil
	}
	if _, err := e.Rearm(ctx); err != nil {
		return 0, err
	}
	return e.Resume(ctx)
}

// Resume requeues the journal's queued settlements and resolves its
// interrupted synchronous ones (see Recover) without re-arming the guard.
func (e *Engine) Resume(ctx context.Context) (int, error) {
	if e.Journal == nil {
		return 0, nil
	}
	pending, err := e.Journal.Pending()
	if err != nil {
		return 0, fmt.Errorf("journal: listing pending payments: %w", err)
	}
	resumed := 0
	var settling []*Entry
	for _, en := range pending {
		if en.State == StateSettling {
			settling = append(settling, en) // see recovery.go
			continue
		}
		claim, err := e.restore(en)
		if err != nil {
			e.logger().Error("journal: cannot resume payment", zap.String("id", en.ID), zap.Error(err))
			continue
		}
		if e.Queue == nil || e.Queue.Reserve() != nil {
			return resumed, fmt.Errorf("settlement queue unavailable for %d journaled payments", len(pending)-resumed)
		}
		delay := time.Until(en.Due)
		if en.State != StateQueued || delay < 0 {
			delay = 0
		}
		e.Queue.Enqueue(claim, en.ID, en.Route, delay)
		resumed++
	}
	if resumed > 0 {
		e.logger().Info("resumed journaled settlements", zap.Int("count", resumed))
	}
	if len(settling) > 0 {
		decided := e.resolveInterrupted(settling)
		e.logger().Info("interrupted synchronous settlements", zap.Int("count", len(settling)), zap.Int("decided", decided))
	}
	return resumed, nil
}

// Rearm claims in the replay guard every payment the journal holds as
// spent or pending, until its deadline, so that none of them buys a second
// response: on start (Recover calls it), and when a new, empty guard takes
// over from another one while the journal stays (a config reload that
// changes the guard). It returns how many payments it claimed.
func (e *Engine) Rearm(ctx context.Context) (int, error) {
	if e.Journal == nil {
		return 0, nil
	}
	spent, err := e.Journal.Spent(e.now())
	if err != nil {
		return 0, fmt.Errorf("journal: listing spent payments: %w", err)
	}
	n := 0
	for id, deadline := range spent {
		var key [32]byte
		if b, err := hex.DecodeString(id); err == nil && len(b) == 32 {
			copy(key[:], b)
			err := e.Guard.Claim(ctx, key, deadline)
			if err != nil && !errors.Is(err, ErrReplay) {
				return n, fmt.Errorf("re-arming the replay guard: %w", err)
			}
			if err == nil {
				n++
			}
		}
	}
	return n, nil
}

func (e *Engine) restore(en *Entry) (Claim, error) {
	switch en.Scheme {
	case facilitator.SchemeExact:
		return restoreExact(e, en)
	}
	return nil, fmt.Errorf("scheme %q cannot be resumed", en.Scheme)
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) logger() *zap.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return zap.NewNop()
}

func (e *Engine) observer() Observer {
	if e.Observer != nil {
		return e.Observer
	}
	return nopObserver{}
}

// Observer receives paywall events (the Caddy module turns them into
// Prometheus metrics). Labels must stay low-cardinality: route names and
// x402 codes, never payers.
type Observer interface {
	// Challenged: an unpaid request got a 402.
	Challenged(route string)
	// Rejected: a payment was refused with this status and code.
	Rejected(route string, status int, code string)
	// Accepted: a payment was verified and claimed.
	Accepted(route, scheme string)
	// Released: the upstream's answer was not chargeable; nothing charged.
	Released(route, scheme string)
	// Settled: a settlement ended (ok or with a reason) after d.
	Settled(route, scheme string, ok bool, reason string, d time.Duration)
	// ReplayIncident: a settlement found its payment already used on
	// chain by another request's transaction (one payment, two responses).
	ReplayIncident(network string)
}

type nopObserver struct{}

func (nopObserver) Challenged(string)                                   {}
func (nopObserver) Rejected(string, int, string)                        {}
func (nopObserver) Accepted(string, string)                             {}
func (nopObserver) Released(string, string)                             {}
func (nopObserver) Settled(string, string, bool, string, time.Duration) {}
func (nopObserver) ReplayIncident(string)                               {}

// Close drains the settlement queue (settling everything it holds at once)
// until ctx ends, and stops the guard's sweeper when it has one. The journal
// stays open: its owner closes it (it may outlive the engine across a
// config reload).
func (e *Engine) Close(ctx context.Context) {
	e.stopResolving()
	if e.Queue != nil {
		left := e.Queue.Close(ctx)
		for _, j := range left {
			e.logger().Error("settlement not finished at shutdown", zap.String("route", j.Route), zap.String("payer", j.Claim.Payer()))
		}
	}
	if c, ok := e.Guard.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}
