package caddymodule

import (
	"net/url"
	"strings"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/paywall"
	"go.uber.org/zap"
)

// logRoute writes one info line per offer of a route, when its config is
// loaded: what an operator checks before taking money (route, price in
// token and units, payee, network, asset, scheme, settle mode, who
// settles). No secrets: the facilitator is named by its address or its
// remote host.
func (rt *appRuntime) logRoute(route *paywall.Route) {
	for _, o := range route.Offers {
		r := &o.Requirements
		rt.log.Info("x402 route",
			zap.String("route", route.Name),
			zap.String("price", o.Price()),
			zap.String("units", r.Amount),
			zap.String("pay_to", r.PayTo),
			zap.String("network", r.Network),
			zap.String("asset", o.Symbol+" "+r.Asset),
			zap.String("scheme", r.Scheme),
			zap.String("settle", string(route.Mode)),
			zap.String("facilitator", rt.facilitatorName(r.Network, r.Scheme)),
		)
	}
}

// facilitatorName is who settles a scheme on a network: the embedded
// facilitator's (or escrow operator's) address, else the remote
// facilitators' scheme://host.
func (rt *appRuntime) facilitatorName(network, scheme string) string {
	if n := rt.networks[network]; n != nil {
		switch {
		case scheme == facilitator.SchemeEscrow && n.escrow != nil:
			return n.escrow.Address().Hex()
		case n.exact != nil:
			return n.exact.Address().Hex()
		}
	}
	if fc := rt.app.Facilitator; fc != nil && fc.Mode == "remote" {
		hosts := make([]string, 0, len(fc.URLs))
		for _, s := range fc.URLs {
			if u, err := url.Parse(s); err == nil && u.Host != "" {
				hosts = append(hosts, u.Scheme+"://"+u.Host)
			} else {
				hosts = append(hosts, "remote")
			}
		}
		return "remote " + strings.Join(hosts, " ")
	}
	return "none"
}
