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
	Key           string         `json:"key"`
	Networks      []NetworkStats `json:"networks"`
	QueueLength   int            `json:"settlement_queue_length"`
	GuardedClaims int            `json:"replay_guard_entries"`
}

// NetworkStats describes one configured chain.
type NetworkStats struct {
	Network     string   `json:"network"`
	Assets      []string `json:"assets"`
	Facilitator string   `json:"facilitator,omitempty"`
	Dev         bool     `json:"dev,omitempty"`
}

func serveStats(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed", r.Method)}
	}
	var out []RuntimeStats
	runtimes.Range(func(key, value any) bool {
		rt := value.(*appRuntime)
		s := RuntimeStats{Key: key.(string), GuardedClaims: rt.engine.Guard.Len()}
		if rt.engine.Queue != nil {
			s.QueueLength = rt.engine.Queue.Len()
		}
		for _, n := range rt.order {
			ns := NetworkStats{Network: n.id, Dev: n.dev}
			for _, a := range n.assets {
				ns.Assets = append(ns.Assets, a.Symbol+" "+a.Address)
			}
			if n.exact != nil {
				ns.Facilitator = n.exact.Address().Hex()
			}
			s.Networks = append(s.Networks, ns)
		}
		out = append(out, s)
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]any{"runtimes": out})
}

var _ caddy.AdminRouter = Admin{}
