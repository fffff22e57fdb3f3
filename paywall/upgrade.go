package paywall

import (
	"net/http"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
)

// UpgradePolicy says whether a paid request may switch protocols: a
// WebSocket (or other HTTP/1.1 Upgrade) answered 101 by the upstream, or a
// CONNECT tunnel. After the switch there is no status line left to charge
// at and the connection may last for hours, so the payment buys the
// connection and is settled before it is handed over.
type UpgradePolicy string

const (
	// UpgradesRefuse answers upgrade requests 403 upgrade_not_allowed before
	// the upstream sees them, and refuses a 101 the upstream sends anyway;
	// nothing is charged. The default.
	UpgradesRefuse UpgradePolicy = "refuse"
	// UpgradesAllow settles the payment when the upstream answers 101,
	// before the 101 reaches the client, whatever the route's settle mode;
	// a failed settlement answers 402 instead and the connection is never
	// handed over. The payment's nonce stays claimed, so a second upgrade
	// with the same payment is refused as a replay: one payment, one
	// connection.
	UpgradesAllow UpgradePolicy = "allow"
)

// isUpgradeRequest reports whether r asks to switch protocols: a
// Connection header naming "upgrade" with an Upgrade header, or CONNECT
// (HTTP/1.1 tunnels and HTTP/2 extended CONNECT WebSockets alike).
func isUpgradeRequest(r *http.Request) bool {
	if r.Method == http.MethodConnect {
		return true
	}
	if r.Header.Get("Upgrade") == "" {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// refuseUpgrade answers 403 upgrade_not_allowed (nothing charged).
func (rt *Route) refuseUpgrade(w http.ResponseWriter, r *http.Request) {
	xe := facilitator.Errorf(facilitator.CodeUpgradeNotAllowed, "this route does not switch protocols (WebSocket, CONNECT) for a payment; nothing was charged")
	rt.engine.observer().Rejected(rt.Name, http.StatusForbidden, xe.Code)
	rt.challenge(w, r, http.StatusForbidden, xe)
}

// switchProtocols decides an upstream's 101. A route that refuses upgrades,
// or a 101 to a request that did not ask for one, gets the refusal instead
// and the connection is never handed over. Otherwise the payment is settled
// here, before the 101 goes out (already settled in before mode), and the
// 101 carries PAYMENT-RESPONSE.
func (pw *paidWriter) switchProtocols(h http.Header) {
	rt := pw.route
	if rt.Upgrades != UpgradesAllow || !isUpgradeRequest(pw.req) {
		pw.failed = true
		restore(h, pw.snapshot)
		rt.refuseUpgrade(pw.rw, pw.req)
		return
	}
	pw.meter(h)
	if pw.settled == nil {
		id, err := rt.record(pw.claim, StateSettling, 0)
		if err != nil {
			pw.refuse(errJournal(err))
			return
		}
		resp, ok := rt.settleNow(pw.ctx, pw.claim)
		rt.recordOutcome(id, ok, resp)
		if !ok {
			pw.failed = true
			restore(h, pw.snapshot)
			rt.refuseSettlement(pw.rw, pw.headerName, resp)
			return
		}
		pw.settled = &resp
	}
	pw.chargeable = true
	pw.setResponse(*pw.settled)
	pw.rw.WriteHeader(http.StatusSwitchingProtocols)
}
