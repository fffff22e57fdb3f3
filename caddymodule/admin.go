package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(Admin{})
}

// Admin is the `admin.api.x402` module: GET /x402/stats on Caddy's admin
// endpoint reports each live x402 runtime (networks, facilitator addresses,
// settlement queue depth, replay guard size). It exposes no secrets.
type Admin struct{}

// CaddyModule returns the Caddy module information.
func (Admin) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.x402", New: func() caddy.Module { return new(Admin) }}
}

// Routes implements caddy.AdminRouter.
func (Admin) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/x402/stats", Handler: caddy.AdminHandlerFunc(serveStats)}}
}

// RuntimeStats is one runtime's entry in /x402/stats.
type RuntimeStats struct {
	Key      string         `json:"key"`
	Networks []NetworkStats `json:"networks"`
	// QueueLength and QueueOldestSeconds describe the after-mode
	// settlement queue.
	QueueLength        int     `json:"settlement_queue_length"`
	QueueOldestSeconds float64 `json:"settlement_queue_oldest_age_seconds"`
	// GuardedClaims is the replay guard's size (-1 when a Redis count is
	// not available yet).
	GuardedClaims int `json:"replay_guard_entries"`
	// Store is the guard's store type (memory or redis); StoreUp whether it
	// answered the last probe.
	Store   string `json:"store"`
	StoreUp bool   `json:"store_up"`
	// Journal and EscrowLedger are the data files ("" when the journal is
	// off).
	Journal      string `json:"journal"`
	EscrowLedger string `json:"escrow_ledger"`
}

// NetworkStats describes one configured chain.
type NetworkStats struct {
	Network     string   `json:"network"`
	Assets      []string `json:"assets"`
	Facilitator string   `json:"facilitator,omitempty"`
	Dev         bool     `json:"dev,omitempty"`
	// RPCUp is the last probe of the network's RPC (absent for the dev
	// chain and networks without an rpc).
	RPCUp *bool `json:"rpc_up,omitempty"`
	// GasBalanceETH and GasSettlementsLeft are the facilitator's balance
	// and about how many settlements it pays (read every 30 s).
	GasBalanceETH      string `json:"facilitator_gas_balance_eth,omitempty"`
	GasSettlementsLeft *int64 `json:"facilitator_gas_settlements_left,omitempty"`
	// PendingTransactions are the facilitator's broadcast, unmined ones.
	PendingTransactions *int `json:"pending_transactions,omitempty"`
}

func serveStats(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed", r.Method)}
	}
	var out []RuntimeStats
	runtimes.Range(func(key, value any) bool {
		rt := value.(*appRuntime)
		s := RuntimeStats{Key: key.(string), GuardedClaims: rt.guardLen(), Store: rt.storeType(), StoreUp: true,
			Journal: rt.files.journal, EscrowLedger: rt.files.ledger}
		if rt.engine.Queue != nil {
			s.QueueLength = rt.engine.Queue.Len()
			s.QueueOldestSeconds = rt.engine.Queue.OldestAge().Seconds()
		}
		rt.mon.mu.Lock()
		if st := rt.mon.store; st != nil {
			s.StoreUp = st.up
		}
		for _, n := range rt.order {
			ns := NetworkStats{Network: n.id, Dev: n.dev}
			for _, a := range n.assets {
				ns.Assets = append(ns.Assets, a.Symbol+" "+a.Address)
			}
			if n.exact != nil {
				ns.Facilitator = n.exact.Address().Hex()
				want := senderKey(n, ns.Facilitator)
				senders.Range(func(k, v any) bool {
					if k.(string) != want {
						return true
					}
					pending := v.(*pooledSender).sender.Stats().Pending
					ns.PendingTransactions = &pending
					return false
				})
			}
			if r := rt.mon.rpc[n.id]; r != nil {
				up := r.up
				ns.RPCUp = &up
			}
			if g := rt.mon.gas[n.id]; g != nil {
				ns.GasBalanceETH = formatWei(g.balance)
				if g.left >= 0 {
					left := g.left
					ns.GasSettlementsLeft = &left
				}
			}
			s.Networks = append(s.Networks, ns)
		}
		rt.mon.mu.Unlock()
		out = append(out, s)
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]any{"runtimes": out})
}

var _ caddy.AdminRouter = Admin{}
