package client

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/caddy-x402/x402/facilitator"
)

// scheme is one x402 payment scheme as the client sees it. Adding a scheme is
// one file: a type implementing this interface and an init function calling
// registerScheme.
type scheme interface {
	// check returns nil when the client can pay r with this scheme (the
	// scheme-specific part: the generic checks of scheme name, network
	// allow-list and amount cap are done by the caller).
	check(r *facilitator.PaymentRequirements) error
	// pay builds and signs the payment for r in the given protocol version.
	// res is the resource of the challenge (echoed in v2 payloads), possibly
	// nil.
	pay(ctx context.Context, c *Client, r *facilitator.PaymentRequirements, res *facilitator.ResourceInfo, version int) (*facilitator.PaymentPayload, error)
	// settled is told how the server answered a paid request. Schemes with
	// client-side state (escrow sessions) update it here; stateless schemes
	// ignore it.
	settled(c *Client, x *exchange)
}

// exchange is one paid request as a scheme sees it afterwards.
type exchange struct {
	// Request is the paid request that was sent (its URL and method).
	Request *http.Request
	// Requirement is what was paid; Payment what was sent.
	Requirement *facilitator.PaymentRequirements
	Payment     *facilitator.PaymentPayload
	// Status is the HTTP status of the answer.
	Status int
	// Response is the decoded PAYMENT-RESPONSE, nil when absent.
	Response *facilitator.SettleResponse
	// Refused is set when the server refused the payment.
	Refused *PaymentError
}

var (
	schemesMu sync.RWMutex
	schemes   = map[string]scheme{}
)

// registerScheme makes a scheme available under name. It panics on a
// duplicate, which is a programming error.
func registerScheme(name string, s scheme) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	if _, dup := schemes[name]; dup {
		panic(fmt.Sprintf("client: scheme %q registered twice", name))
	}
	schemes[name] = s
}

// lookupScheme returns the scheme registered under name.
func lookupScheme(name string) (scheme, bool) {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	s, ok := schemes[name]
	return s, ok
}

// Schemes returns the names of the schemes this client can pay with.
func Schemes() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
