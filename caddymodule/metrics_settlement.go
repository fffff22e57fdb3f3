package caddymodule

import (
	"errors"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Metrics of the settlement pipeline: settlement transactions (payments
// and gas per transaction) and the senders' transactions in flight.
var settlementMetrics = struct {
	once        sync.Once
	txPayments  *prometheus.HistogramVec
	gasPer      *prometheus.HistogramVec
	gasTotal    *prometheus.CounterVec
	settledTx   *prometheus.CounterVec
	senderStats prometheus.Collector
}{}

func initSettlementMetrics() {
	settlementMetrics.once.Do(func() {
		const ns, sub = "caddy", "x402"
		settlementMetrics.txPayments = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "settlement_tx_payments", Help: "Payments carried by each mined exact settlement transaction (1 unbatched); _sum/_count is payments per transaction.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}}, []string{"network"})
		settlementMetrics.gasPer = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "settlement_gas_per_payment", Help: "Gas used by each mined exact settlement transaction divided by the payments it settled.",
			Buckets: []float64{20000, 30000, 40000, 50000, 60000, 70000, 80000, 100000, 150000, 250000}}, []string{"network"})
		settlementMetrics.gasTotal = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "settlement_gas_total", Help: "Gas used by mined exact settlement transactions."}, []string{"network"})
		settlementMetrics.settledTx = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "settlement_tx_settled_payments_total", Help: "Payments settled by mined exact settlement transactions (a payment whose call failed in its batch is not counted)."}, []string{"network"})
		// The pending count and oldest age are gauges of runtimeCollector
		// (caddy_x402_pending_transactions, …_oldest_age_seconds).
		settlementMetrics.senderStats = senderCollector{
			sent:    prometheus.NewDesc("caddy_x402_transactions_sent_total", "Transactions (nonces) the settlement key broadcast.", []string{"network", "address"}, nil),
			replace: prometheus.NewDesc("caddy_x402_transactions_replaced_total", "Stuck transactions replaced with the same nonce and a higher fee.", []string{"network", "address"}, nil),
			stuck:   prometheus.NewDesc("caddy_x402_transactions_stuck_max_fee_total", "Stuck transactions whose replacement needed a fee above max_fee_per_gas.", []string{"network", "address"}, nil),
		}
	})
}

// registerSettlementMetrics registers them into a config's registry.
func registerSettlementMetrics(reg *prometheus.Registry, log *zap.Logger) {
	initSettlementMetrics()
	m := &settlementMetrics
	for _, c := range []prometheus.Collector{m.txPayments, m.gasPer, m.gasTotal, m.settledTx, m.senderStats} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				log.Warn("registering x402 settlement metrics", zap.Error(err))
			}
		}
	}
}

// txObserver feeds mined settlement transactions into the metrics
// (exact.TxObserver).
type txObserver struct{}

func (txObserver) SettlementMined(chainID uint64, payments, settled int, gasUsed uint64) {
	initSettlementMetrics()
	network := "eip155:" + strconv.FormatUint(chainID, 10)
	m := &settlementMetrics
	m.txPayments.WithLabelValues(network).Observe(float64(payments))
	m.gasTotal.WithLabelValues(network).Add(float64(gasUsed))
	m.settledTx.WithLabelValues(network).Add(float64(settled))
	if settled > 0 {
		m.gasPer.WithLabelValues(network).Observe(float64(gasUsed) / float64(settled))
	}
}

// senderCollector reads every pooled sender's counters at scrape time.
type senderCollector struct {
	sent, replace, stuck *prometheus.Desc
}

func (c senderCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.sent, c.replace, c.stuck} {
		ch <- d
	}
}

func (c senderCollector) Collect(ch chan<- prometheus.Metric) {
	senders.Range(func(k, v any) bool {
		ps, ok := v.(*pooledSender)
		if !ok || ps.sender == nil {
			return true
		}
		st := ps.sender.Stats()
		network, addr := senderLabels(k.(string))
		ch <- prometheus.MustNewConstMetric(c.sent, prometheus.CounterValue, float64(st.Sent), network, addr)
		ch <- prometheus.MustNewConstMetric(c.replace, prometheus.CounterValue, float64(st.Replaced), network, addr)
		ch <- prometheus.MustNewConstMetric(c.stuck, prometheus.CounterValue, float64(st.StuckAtMaxFee), network, addr)
		return true
	})
}
