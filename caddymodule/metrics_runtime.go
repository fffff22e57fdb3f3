package caddymodule

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/prometheus/client_golang/prometheus"
)

// runtimeCollector reports the state of the live runtimes as gauges, read
// at scrape time from what is in memory (queue, guard, senders) and from
// the monitor's latest readings (RPC, store, gas): a scrape never waits on
// a chain or a store. During a reload two runtimes may be alive; their
// queues add up, and a guard, sender or network they share is counted once.
type runtimeCollector struct{}

var (
	descQueueLength = prometheus.NewDesc("caddy_x402_settlement_queue_length",
		"Settlements waiting or running in the after-mode queue.", nil, nil)
	descQueueOldest = prometheus.NewDesc("caddy_x402_settlement_queue_oldest_age_seconds",
		"Age of the oldest settlement in the queue, since it was first queued (0 when empty).", nil, nil)
	descGuard = prometheus.NewDesc("caddy_x402_replay_guard_entries",
		"Live payments held by the replay guard (for Redis, counted by the monitor every monitor_interval).", []string{"store"}, nil)
	descStoreUp = prometheus.NewDesc("caddy_x402_store_up",
		"1 when the replay guard's store answers (always 1 for memory), 0 when it does not.", []string{"store"}, nil)
	descRPCUp = prometheus.NewDesc("caddy_x402_rpc_up",
		"1 when the network's RPC answered the monitor's last probe, 0 when it did not.", []string{"network"}, nil)
	descPendingTx = prometheus.NewDesc("caddy_x402_pending_transactions",
		"Transactions of the facilitator's key broadcast and not yet mined.", []string{"network", "address"}, nil)
	descPendingAge = prometheus.NewDesc("caddy_x402_pending_transaction_oldest_age_seconds",
		"Age of the facilitator's oldest unmined transaction, since its first broadcast (0 without any).", []string{"network", "address"}, nil)
	descGas = prometheus.NewDesc("caddy_x402_facilitator_gas_balance_wei",
		"The embedded facilitator's native balance (pays the gas of settlements), read by the monitor.", []string{"network", "address"}, nil)
	descGasLeft = prometheus.NewDesc("caddy_x402_facilitator_gas_settlements_left",
		"About how many settlements the facilitator's balance pays at the current gas price.", []string{"network", "address"}, nil)
)

// Describe implements prometheus.Collector.
func (runtimeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueueLength, descQueueOldest, descGuard, descStoreUp, descRPCUp, descPendingTx, descPendingAge, descGas, descGasLeft} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (runtimeCollector) Collect(ch chan<- prometheus.Metric) {
	var queued int
	var oldest float64
	guards := map[any]bool{}
	guardN := map[string]float64{}
	storeUp := map[string]float64{}
	rpcUp := map[string]float64{}
	type gas struct{ wei, left float64 }
	gasBy := map[[2]string]gas{}
	runtimes.Range(func(_, v any) bool {
		rt := v.(*appRuntime)
		if q := rt.engine.Queue; q != nil {
			queued += q.Len()
			oldest = max(oldest, q.OldestAge().Seconds())
		}
		store := rt.storeType()
		if !guards[rt.store] {
			guards[rt.store] = true
			if n := rt.guardLen(); n >= 0 {
				guardN[store] += float64(n)
			}
		}
		rt.mon.mu.Lock()
		up := 1.0
		if s := rt.mon.store; s != nil && !s.up {
			up = 0
		}
		storeUp[store] = up
		for id, r := range rt.mon.rpc {
			rpcUp[id] = boolGauge(r.up)
		}
		for id, g := range rt.mon.gas {
			wei, _ := new(big.Float).SetInt(g.balance).Float64()
			gasBy[[2]string{id, g.address.Hex()}] = gas{wei, float64(g.left)}
		}
		rt.mon.mu.Unlock()
		return true
	})
	ch <- prometheus.MustNewConstMetric(descQueueLength, prometheus.GaugeValue, float64(queued))
	ch <- prometheus.MustNewConstMetric(descQueueOldest, prometheus.GaugeValue, oldest)
	for store, n := range guardN {
		ch <- prometheus.MustNewConstMetric(descGuard, prometheus.GaugeValue, n, store)
	}
	for store, up := range storeUp {
		ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, up, store)
	}
	for id, up := range rpcUp {
		ch <- prometheus.MustNewConstMetric(descRPCUp, prometheus.GaugeValue, up, id)
	}
	for k, g := range gasBy {
		ch <- prometheus.MustNewConstMetric(descGas, prometheus.GaugeValue, g.wei, k[0], k[1])
		if g.left >= 0 {
			ch <- prometheus.MustNewConstMetric(descGasLeft, prometheus.GaugeValue, g.left, k[0], k[1])
		}
	}
	senders.Range(func(k, v any) bool {
		ps := v.(*pooledSender)
		network, addr := senderLabels(k.(string))
		st := ps.sender.Stats()
		ch <- prometheus.MustNewConstMetric(descPendingTx, prometheus.GaugeValue, float64(st.Pending), network, addr)
		ch <- prometheus.MustNewConstMetric(descPendingAge, prometheus.GaugeValue, st.OldestPending.Seconds(), network, addr)
		return true
	})
}

// senderLabels reads the network and address from a sender's pool key
// (senderKey: "sender:<chain id>:<address>").
func senderLabels(key string) (network, addr string) {
	parts := strings.SplitN(key, ":", 3)
	if len(parts) != 3 {
		return "unknown", key
	}
	if id, err := strconv.ParseUint(parts[1], 10, 64); err == nil {
		network = facilitator.CAIP2(fmt.Sprintf("eip155:%d", id))
	}
	return network, parts[2]
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// initSeries creates at 0 the series of the runtime's configured networks
// and store whose events are rare, so that a dashboard or an alert sees 0
// rather than no data: a replay incident, a store generation, a re-arm.
func initSeries(rt *appRuntime) {
	initMetrics()
	for _, n := range rt.order {
		metrics.replayIncidents.WithLabelValues(n.id)
	}
	if rt.storeType() == "redis" {
		for _, origin := range []string{"created", "joined"} {
			metrics.storeGenerations.WithLabelValues(origin)
		}
		for _, kind := range []string{"claims", "exposures"} {
			metrics.storeRearmed.WithLabelValues(kind)
		}
	}
}

var _ prometheus.Collector = runtimeCollector{}
