package facilitator

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Router is a Facilitator that dispatches to the facilitator registered for
// a requirement's (scheme, network): the embedded one of each chain, or a
// remote client. Supported merges all registered facilitators' answers.
type Router struct {
	mu     sync.RWMutex
	routes map[routeKey]Facilitator
	order  []Facilitator
}

type routeKey struct{ scheme, network string }

var _ Facilitator = (*Router)(nil)

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{routes: make(map[routeKey]Facilitator)} }

// Handle registers f for scheme on network (any spelling: v1 name or
// CAIP-2). A later registration for the same pair replaces the earlier one.
func (rt *Router) Handle(scheme, network string, f Facilitator) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.routes[routeKey{scheme, canonical(network)}] = f
	for _, g := range rt.order {
		if g == f {
			return
		}
	}
	rt.order = append(rt.order, f)
}

// Lookup returns the facilitator for a scheme and network.
func (rt *Router) Lookup(scheme, network string) (Facilitator, bool) {
	rt.mu.RLock()
	defer rt.mu.RUnlock()
	f, ok := rt.routes[routeKey{scheme, canonical(network)}]
	return f, ok
}

func canonical(network string) string {
	if c := CAIP2(network); c != "" {
		return c
	}
	return network
}

func (rt *Router) route(r *PaymentRequirements) (Facilitator, error) {
	f, ok := rt.Lookup(r.Scheme, r.Network)
	if !ok {
		return nil, Errorf(CodeUnsupportedScheme, "no facilitator for scheme %q on network %q", r.Scheme, r.Network)
	}
	return f, nil
}

// Supported merges the kinds, extensions and signers of every registered
// facilitator, without duplicates.
func (rt *Router) Supported(ctx context.Context) (SupportedResponse, error) {
	rt.mu.RLock()
	fs := append([]Facilitator(nil), rt.order...)
	rt.mu.RUnlock()
	var out SupportedResponse
	seenKind := map[string]bool{}
	seenExt := map[string]bool{}
	for _, f := range fs {
		s, err := f.Supported(ctx)
		if err != nil {
			return SupportedResponse{}, fmt.Errorf("collecting supported kinds: %w", err)
		}
		for _, k := range s.Kinds {
			id := fmt.Sprintf("%d/%s/%s", k.X402Version, k.Scheme, k.Network)
			if !seenKind[id] {
				seenKind[id] = true
				out.Kinds = append(out.Kinds, k)
			}
		}
		for _, e := range s.Extensions {
			if !seenExt[e] {
				seenExt[e] = true
				out.Extensions = append(out.Extensions, e)
			}
		}
		for fam, addrs := range s.Signers {
			if out.Signers == nil {
				out.Signers = map[string][]string{}
			}
			for _, a := range addrs {
				if !contains(out.Signers[fam], a) {
					out.Signers[fam] = append(out.Signers[fam], a)
				}
			}
		}
	}
	sort.Strings(out.Extensions)
	if out.Kinds == nil {
		out.Kinds = []SupportedKind{}
	}
	return out, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Verify dispatches to the facilitator for r; an unsupported pair is an
// invalid payment (unsupported_scheme), not an error.
func (rt *Router) Verify(ctx context.Context, p *PaymentPayload, r *PaymentRequirements) (VerifyResponse, error) {
	f, err := rt.route(r)
	if err != nil {
		return AsError(err, CodeUnsupportedScheme).Invalid(""), nil
	}
	return f.Verify(ctx, p, r)
}

// Settle dispatches to the facilitator for r.
func (rt *Router) Settle(ctx context.Context, p *PaymentPayload, r *PaymentRequirements) (SettleResponse, error) {
	f, err := rt.route(r)
	if err != nil {
		xe := AsError(err, CodeUnsupportedScheme)
		return SettleResponse{ErrorReason: xe.Code, ErrorMessage: xe.Message, Network: r.Network}, nil
	}
	return f.Settle(ctx, p, r)
}
