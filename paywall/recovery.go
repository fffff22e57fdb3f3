package paywall

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
)

// A synchronous settlement (header and before modes, an upgrade) that a
// crash interrupted is journaled "settling": the client never got its
// answer, so it must not be charged unless the chain already charged it.
// Settling it again would charge for an undelivered response and refuse the
// client's retry as a replay. Instead the engine reads the outcome from the
// chain (facilitator.SettlementResolver) with the transactions the journal
// holds for it:
//
//   - the authorization is used: settled (the transaction recorded), and
//     the payment stays spent, so the retry is refused;
//   - nothing was broadcast, or nothing broadcast can use it any more:
//     released, and the replay guard forgets it, so the client's retry with
//     the same payment is served (and charged once);
//   - a broadcast transaction may still be mined: asked again (every
//     second, then up to every 10 s) until it is mined, its nonce is taken,
//     or the authorization expires; the payment stays claimed meanwhile.
//
// A facilitator that cannot resolve (a remote one) gets the settlement
// queued again as before.

// resolveFirstPass bounds the resolution done before Resume returns (the
// rest continues in the background), so that a restart that can read the
// chain serves the client's retry right away.
const resolveFirstPass = 10 * time.Second

// resolver runs the background resolution of interrupted settlements.
type resolver struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

// resolveInterrupted resolves the journal's settling entries: a first pass
// now (bounded by resolveFirstPass), then in the background until every one
// is decided or the engine closes. It returns how many it decided now.
func (e *Engine) resolveInterrupted(entries []*Entry) int {
	ctx, cancel := context.WithTimeout(context.Background(), resolveFirstPass)
	left := e.resolvePass(ctx, entries)
	cancel()
	decided := len(entries) - len(left)
	if len(left) == 0 {
		return decided
	}
	e.resolving.mu.Lock()
	defer e.resolving.mu.Unlock()
	if e.resolving.cancel != nil {
		e.resolving.cancel() // a second Resume supersedes the first
		<-e.resolving.done
	}
	bg, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	e.resolving.cancel, e.resolving.done = stop, done
	go func() {
		defer close(done)
		wait := time.Second
		for len(left) > 0 {
			select {
			case <-bg.Done():
				return
			case <-time.After(wait):
			}
			ctx, cancel := context.WithTimeout(bg, 30*time.Second)
			left = e.resolvePass(ctx, left)
			cancel()
			wait = min(2*wait, 10*time.Second)
		}
	}()
	return decided
}

// stopResolving ends the background resolution (Engine.Close).
func (e *Engine) stopResolving() {
	e.resolving.mu.Lock()
	defer e.resolving.mu.Unlock()
	if e.resolving.cancel != nil {
		e.resolving.cancel()
		<-e.resolving.done
		e.resolving.cancel = nil
	}
}

// resolvePass tries each entry once and returns those still undecided.
func (e *Engine) resolvePass(ctx context.Context, entries []*Entry) []*Entry {
	var left []*Entry
	for _, en := range entries {
		if !e.resolveEntry(ctx, en) {
			left = append(left, en)
		}
	}
	return left
}

// resolveEntry decides one interrupted settlement; false means ask again.
func (e *Engine) resolveEntry(ctx context.Context, en *Entry) bool {
	log := e.logger().With(zap.String("id", en.ID), zap.String("route", en.Route))
	claim, err := e.restore(en)
	if err != nil {
		log.Error("journal: cannot resolve an interrupted settlement", zap.Error(err))
		return true
	}
	res, ok := e.Facilitator.(facilitator.SettlementResolver)
	var r facilitator.Resolution
	if ok {
		r, err = res.ResolveSettlement(ctx, payloadOf(claim), &en.Requirements, txsOf(en))
	}
	if !ok || errors.Is(err, facilitator.ErrNoResolver) {
		// Nothing reads the chain for this facilitator: settle it again.
		if e.Queue == nil || e.Queue.Reserve() != nil {
			return false
		}
		log.Warn("an interrupted settlement is settled again: its facilitator cannot tell whether it was charged")
		e.Queue.Enqueue(claim, en.ID, en.Route, 0)
		return true
	}
	if err != nil {
		log.Warn("resolving an interrupted settlement: chain not readable; retrying", zap.Error(err))
		return false
	}
	switch r.State {
	case facilitator.SettlementSettled:
		if err := e.Journal.Finish(en.ID, StateSettled, r.Tx, ""); err != nil {
			log.Error("journal: recording a resolved settlement", zap.Error(err))
			return false
		}
		e.observer().Settled(en.Route, en.Scheme, true, "", 0)
		log.Info("interrupted settlement resolved: settled on chain; the payment stays spent", zap.String("tx", r.Tx), zap.String("payer", claim.Payer()))
		return true
	case facilitator.SettlementUnsettled:
		key, err := hex.DecodeString(en.ID)
		if err != nil || len(key) != 32 {
			log.Error("journal: bad entry id")
			return true
		}
		var k [32]byte
		copy(k[:], key)
		if err := e.Guard.Release(ctx, k); err != nil {
			log.Warn("resolving an interrupted settlement: freeing the payment in the replay guard; retrying", zap.Error(err))
			return false
		}
		if err := e.Journal.Finish(en.ID, StateReleased, "", r.Reason); err != nil {
			log.Error("journal: recording a released settlement", zap.Error(err))
			return false
		}
		e.observer().Released(en.Route, en.Scheme)
		log.Info("interrupted settlement resolved: nothing charged; the payment is released for the client's retry", zap.String("why", r.Reason), zap.String("payer", claim.Payer()))
		return true
	default:
		log.Info("interrupted settlement: a transaction may still be mined; waiting", zap.String("why", r.Reason))
		return false
	}
}

// txsOf lists the transactions the journal holds for an entry.
func txsOf(en *Entry) []string {
	txs := append([]string(nil), en.Sent...)
	if en.Tx != "" && !slices.Contains(txs, en.Tx) {
		txs = append(txs, en.Tx)
	}
	return txs
}

// payloadOf is the payment payload of a restored claim.
func payloadOf(c Claim) *facilitator.PaymentPayload {
	if ec, ok := c.(*exactClaim); ok {
		return ec.payload
	}
	return nil
}
