package paywall

import (
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/caddy-x402/x402/facilitator"
)

// Gate holds every priced route of an engine closed while its
// configuration is not known to be right yet (the start-up checks against
// the chain have not passed: the RPC did not answer). A closed gate answers
// 503 with Retry-After before anything is decoded, verified or served: a
// 402 offer that might never settle is worse than a short wait. The zero
// Gate is open; a nil *Gate is always open.
type Gate struct {
	reason atomic.Pointer[string]
}

// GateRetryAfter is the Retry-After, in seconds, of a closed gate's 503.
const GateRetryAfter = 5

// Close closes the gate; reason is for operators (readiness, logs), never
// sent to clients.
func (g *Gate) Close(reason string) { g.reason.Store(&reason) }

// Open opens the gate.
func (g *Gate) Open() { g.reason.Store(nil) }

// Closed reports whether the gate is closed, and why.
func (g *Gate) Closed() (reason string, closed bool) {
	if g == nil {
		return "", false
	}
	if r := g.reason.Load(); r != nil {
		return *r, true
	}
	return "", false
}

// refuseClosed answers a request that met a closed gate.
func (rt *Route) refuseClosed(w http.ResponseWriter) {
	h := w.Header()
	setPrivate(h)
	h.Set("Retry-After", strconv.Itoa(GateRetryAfter))
	h.Set("Content-Type", "application/json")
	b := []byte(`{"x402Version":2,"error":"` + facilitator.CodeServiceBusy + `","message":"payments are not open yet: the server is checking its payment configuration against the chain; retry shortly"}`)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(b)
}
