package paywall

import (
	"bufio"
	"context"
	"errors"
	"math/big"
	"net"
	"net/http"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
)

// paidWriter wraps the response of a paid request. At the upstream's status
// line it decides, once, whether the answer is chargeable; in header mode it
// settles right there, before any body byte, and turns a failed settlement
// into a 402 whose headers are the ones from before the upstream ran (so
// upstream cookies or lengths never leak into the refusal, while headers set
// earlier by the server's own config survive). The body streams: Flush
// reaches the client.
type paidWriter struct {
	rw         http.ResponseWriter
	req        *http.Request
	route      *Route
	mode       SettleMode
	claim      Claim
	headerName string
	ctx        context.Context
	snapshot   http.Header // headers before the upstream (header mode, journaled after mode, upgrades)

	decided    bool
	chargeable bool
	failed     bool // the client got a refusal instead; body swallowed
	settled    *facilitator.SettleResponse
	entryID    string // journal entry of an after-mode payment
	// expecting: the journal was told this request's Put is on its way
	// (expectPut); putCame tells it that it came, or will not.
	expecting journalExpecter
}

// journalExpecter is a Journal whose group commit waits for the Puts it is
// told are on their way (BoltJournal).
type journalExpecter interface{ Expect(delta int) }

// payloadKeeper is a claim that keeps the payment as the client sent it
// (the decoded header's JSON), for its journal entry.
type payloadKeeper interface{ keepPayloadJSON(raw []byte) }

// expectPut tells j, when it listens, that this request will journal its
// payment once the upstream's status line is in.
func (pw *paidWriter) expectPut(j Journal) {
	if x, ok := j.(journalExpecter); ok {
		x.Expect(1)
		pw.expecting = x
	}
}

// putCame ends expectPut: the Put is being made, or will not be.
func (pw *paidWriter) putCame() {
	if pw.expecting != nil {
		pw.expecting.Expect(-1)
		pw.expecting = nil
	}
}

func (pw *paidWriter) Header() http.Header { return pw.rw.Header() }

func (pw *paidWriter) WriteHeader(status int) {
	if pw.decided {
		return
	}
	if status >= 100 && status < 200 && status != http.StatusSwitchingProtocols {
		pw.rw.WriteHeader(status) // informational; the final status comes later
		return
	}
	pw.decided = true
	rt := pw.route
	h := pw.rw.Header()
	if status == http.StatusSwitchingProtocols {
		pw.switchProtocols(h)
		return
	}
	pw.chargeable = rt.Chargeable(status, h)
	pw.meter(h)
	if op, ok := pw.claim.(Opener); ok && !pw.chargeable {
		if resp, ok := op.Uncharged(); ok {
			pw.setResponse(resp)
		}
	}
	switch pw.mode {
	case SettleAfter:
		pw.putCame()
		if pw.chargeable {
			id, err := rt.record(pw.claim, StateQueued, rt.SettleDelay)
			if err != nil {
				pw.refuse(errJournal(err))
				return
			}
			pw.entryID = id
			pw.setResponse(pw.claim.Queued())
		}
	case SettleHeader:
		pw.putCame()
		if pw.chargeable {
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
			pw.setResponse(resp)
		}
	case SettleBefore:
		pw.setResponse(*pw.settled)
	}
	pw.rw.WriteHeader(status)
}

// meter reads (and removes) the upstream's reported charge.
func (pw *paidWriter) meter(h http.Header) {
	name := pw.route.ChargeHeader
	if name == "" {
		return
	}
	v := h.Get(name)
	h.Del(name)
	m, ok := pw.claim.(Metered)
	if !ok || v == "" {
		return
	}
	units, ok := new(big.Int).SetString(v, 10)
	if !ok || units.Sign() < 0 {
		pw.route.engine.logger().Warn("upstream reported an unreadable charge; charging the full price",
			zap.String("route", pw.route.Name), zap.String("header", name))
		return
	}
	m.SetCharge(units)
}

// refuse replaces the upstream's answer with a 503 (the payment could not
// be recorded): the pre-upstream headers come back and the body is dropped.
func (pw *paidWriter) refuse(xe *facilitator.Error) {
	pw.failed = true
	pw.chargeable = false
	restore(pw.rw.Header(), pw.snapshot)
	pw.route.challenge(pw.rw, pw.req, http.StatusServiceUnavailable, xe)
}

func (pw *paidWriter) setResponse(resp facilitator.SettleResponse) {
	h := pw.rw.Header()
	if enc, err := facilitator.EncodeHeader(resp); err == nil {
		h.Set(pw.headerName, enc)
	}
	setPrivate(h)
}

func (pw *paidWriter) Write(b []byte) (int, error) {
	if !pw.decided {
		pw.WriteHeader(http.StatusOK)
	}
	if pw.failed {
		return len(b), nil // the client already has its 402; drop the paid body
	}
	return pw.rw.Write(b)
}

// FlushError flushes the streamed body to the client.
func (pw *paidWriter) FlushError() error {
	if !pw.decided {
		pw.WriteHeader(http.StatusOK)
	}
	if pw.failed {
		return nil
	}
	return http.NewResponseController(pw.rw).Flush()
}

// Flush implements http.Flusher.
func (pw *paidWriter) Flush() { _ = pw.FlushError() }

// Hijack hands the connection over (a WebSocket after its 101, or a
// handler that takes the connection after a status line) only once that
// status line was charged: settled at the 101 (see switchProtocols) or
// chargeable and settled as the route's mode says. Never before, or on a
// refused or uncharged answer, or the connection would be free.
func (pw *paidWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if !pw.decided || pw.failed || !pw.chargeable {
		return nil, nil, errors.New("x402: the connection is handed over only after a charged status line")
	}
	return http.NewResponseController(pw.rw).Hijack()
}

// Unwrap gives http.ResponseController access to deadlines of the
// underlying writer.
func (pw *paidWriter) Unwrap() http.ResponseWriter {
	if !pw.decided || pw.failed {
		return nil
	}
	return pw.rw
}

// restore replaces the header map's content with snapshot.
func restore(h, snapshot http.Header) {
	for k := range h {
		delete(h, k)
	}
	for k, v := range snapshot {
		h[k] = v
	}
}
