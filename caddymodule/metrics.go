package caddymodule

import (
	"errors"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddyserver/caddy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Metrics are created once per process and registered into each config's
// registry (Caddy makes a new registry per config load; see
// mholt/caddy-ratelimit#102 for why re-registering is the fix).
var metrics = struct {
	once       sync.Once
	challenges *prometheus.CounterVec
	rejections *prometheus.CounterVec
	accepted   *prometheus.CounterVec
	released   *prometheus.CounterVec
	settled    *prometheus.CounterVec
	settleTime *prometheus.HistogramVec

	// The shared store (store.go) and the funds exposure.
	storeGenerations *prometheus.CounterVec
	storeRearmed     *prometheus.CounterVec
	storeRecovering  prometheus.Gauge
	replayIncidents  *prometheus.CounterVec
	exposure         *prometheus.GaugeVec

	escrowSessions   *prometheus.GaugeVec
	escrowDeposited  *prometheus.GaugeVec
	escrowUsed       *prometheus.GaugeVec
	escrowCaptured   *prometheus.GaugeVec
	escrowNearExpiry *prometheus.GaugeVec
	escrowAlerts     *prometheus.CounterVec
}{}

func initMetrics() {
	metrics.once.Do(func() {
		const ns, sub = "caddy", "x402"
		metrics.challenges = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "challenges_total", Help: "Unpaid requests answered with 402 payment requirements."}, []string{"route"})
		metrics.rejections = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "rejections_total", Help: "Payments refused, by HTTP status and x402 error code."}, []string{"route", "status", "code"})
		metrics.accepted = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "payments_accepted_total", Help: "Payments verified and claimed, passed to the upstream."}, []string{"route", "scheme"})
		metrics.released = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "payments_released_total", Help: "Payments given back because the upstream answer was not chargeable."}, []string{"route", "scheme"})
		metrics.settled = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "settlements_total", Help: "Settlements finished, by result (ok, or the x402 error code)."}, []string{"route", "scheme", "result"})
		metrics.settleTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "settle_duration_seconds", Help: "Duration of synchronous settlements.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)},
			[]string{"route", "scheme"})
		metrics.storeGenerations = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "store_generations_total", Help: "New generations of the shared store this instance entered after Redis lost data or changed server (origin: created = it detected the loss, joined = another instance did); one per part of the store."},
			[]string{"origin"})
		metrics.storeRearmed = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "store_rearmed_total", Help: "Payments this instance put back into the shared store from its journal and its requests in flight (kind: claims or exposures), on start and after a store loss."},
			[]string{"kind"})
		metrics.storeRecovering = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "store_recovering_parts", Help: "Parts of the shared store (of 16) in which this instance refuses paid requests now (503) because a recovery after a data loss is in progress or it has not re-armed yet."})
		metrics.replayIncidents = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "replay_incidents_total", Help: "Settlements that found their payment already used on chain by another request's transaction: one payment bought two responses (this one unpaid)."},
			[]string{"network"})
		metrics.exposure = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub,
			Name: "funds_exposure_units", Help: "Token units of after-mode payments this instance served and counted against their payers' balances in the store, not yet settled or released."},
			[]string{"network", "asset"})
		gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
			return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help}, labels)
		}
		metrics.escrowSessions = gauge("escrow_sessions", "Escrow sessions this instance operates, by status.", "network", "status")
		metrics.escrowDeposited = gauge("escrow_deposited_units", "Deposits of the open escrow sessions this instance operates (opening, active, closing), in token units.", "network")
		metrics.escrowUsed = gauge("escrow_used_units", "Use committed on those sessions (all instances), in token units.", "network")
		metrics.escrowCaptured = gauge("escrow_captured_units", "Use captured on chain of those sessions, in token units.", "network")
		metrics.escrowNearExpiry = gauge("escrow_uncaptured_near_expiry_units",
			"Committed use not yet captured of sessions within alert_margin of their authorizationExpiry (the payer can reclaim it after the expiry), in token units.", "network")
		metrics.escrowAlerts = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "escrow_near_expiry_alerts_total",
			Help: "Times a session was seen within alert_margin of its expiry with use not captured."}, []string{"network"})
	})
}

// registerMetrics registers the collectors into this config's registry.
func registerMetrics(ctx caddy.Context, log *zap.Logger) {
	initMetrics()
	reg := ctx.GetMetricsRegistry()
	if reg == nil {
		return
	}
	for _, c := range []prometheus.Collector{metrics.challenges, metrics.rejections, metrics.accepted, metrics.released, metrics.settled, metrics.settleTime,
		metrics.storeGenerations, metrics.storeRearmed, metrics.storeRecovering, metrics.replayIncidents, metrics.exposure, runtimeCollector{},
		metrics.escrowSessions, metrics.escrowDeposited, metrics.escrowUsed, metrics.escrowCaptured, metrics.escrowNearExpiry, metrics.escrowAlerts} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				log.Warn("registering x402 metrics", zap.Error(err))
			}
		}
	}
	registerSettlementMetrics(reg, log)
}

// observer feeds paywall events into the metrics.
type observer struct{}

func newObserver() paywall.Observer {
	initMetrics()
	return observer{}
}

func (observer) Challenged(route string) { metrics.challenges.WithLabelValues(route).Inc() }

func (observer) Rejected(route string, status int, code string) {
	metrics.rejections.WithLabelValues(route, strconv.Itoa(status), code).Inc()
}

func (observer) Accepted(route, scheme string) { metrics.accepted.WithLabelValues(route, scheme).Inc() }

func (observer) Released(route, scheme string) { metrics.released.WithLabelValues(route, scheme).Inc() }

func (observer) Settled(route, scheme string, ok bool, reason string, d time.Duration) {
	result := "ok"
	if !ok {
		result = reason
		if result == "" {
			result = "error"
		}
	}
	metrics.settled.WithLabelValues(route, scheme, result).Inc()
	if d > 0 {
		metrics.settleTime.WithLabelValues(route, scheme).Observe(d.Seconds())
	}
}

func (observer) ReplayIncident(network string) {
	metrics.replayIncidents.WithLabelValues(network).Inc()
}

// storeObserver feeds the shared store's recovery events into the metrics.
type storeObserver struct{}

var _ paywall.StoreObserver = storeObserver{}

func (storeObserver) StoreGeneration(created bool) {
	initMetrics()
	origin := "joined"
	if created {
		origin = "created"
	}
	metrics.storeGenerations.WithLabelValues(origin).Inc()
}

func (storeObserver) StoreRearmed(claims, exposures int) {
	initMetrics()
	metrics.storeRearmed.WithLabelValues("claims").Add(float64(claims))
	metrics.storeRearmed.WithLabelValues("exposures").Add(float64(exposures))
}

func (storeObserver) StoreRecovering(parts int) {
	initMetrics()
	metrics.storeRecovering.Set(float64(parts))
}

// observeExposure follows the after-mode amounts this instance counts
// against payer balances (paywall.Funds.OnChange).
func observeExposure(k paywall.ExposureKey, delta *big.Int) {
	initMetrics()
	f, _ := new(big.Float).SetInt(delta).Float64()
	metrics.exposure.WithLabelValues(k.Network, k.Asset.Hex()).Add(f)
}

// escrowObserver feeds an escrow operator's session metrics into the
// gauges (amounts are token units; float64 is exact up to 2^53).
type escrowObserver struct{}

var _ escrow.Observer = escrowObserver{}

// newEscrowObserver returns the observer of the operator on network, whose
// alert counter starts at 0 (a rare event is a series from the start).
func newEscrowObserver(network string) escrow.Observer {
	initMetrics()
	metrics.escrowAlerts.WithLabelValues(network).Add(0)
	return escrowObserver{}
}

var escrowStatuses = []escrow.Status{escrow.StatusOpening, escrow.StatusActive, escrow.StatusClosing, escrow.StatusClosed, escrow.StatusFailed}

func (escrowObserver) Sessions(network string, t escrow.Totals) {
	for _, st := range escrowStatuses {
		metrics.escrowSessions.WithLabelValues(network, string(st)).Set(float64(t.ByStatus[st]))
	}
	units := func(x *big.Int) float64 { f, _ := new(big.Float).SetInt(x).Float64(); return f }
	metrics.escrowDeposited.WithLabelValues(network).Set(units(t.Deposited))
	metrics.escrowUsed.WithLabelValues(network).Set(units(t.Used))
	metrics.escrowCaptured.WithLabelValues(network).Set(units(t.Captured))
	metrics.escrowNearExpiry.WithLabelValues(network).Set(units(t.NearExpiry))
}

func (escrowObserver) NearExpiry(network, _ string, _ *big.Int, _ time.Duration) {
	metrics.escrowAlerts.WithLabelValues(network).Inc()
}
