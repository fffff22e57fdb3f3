package paywall

import (
	"net/http"
)

// Middleware returns net/http middleware that puts the route's paywall in
// front of next, for Go servers without Caddy. Errors from next cannot occur
// with a plain http.Handler, so every paid request that reaches next is
// settled or released according to the status it writes.
func (rt *Route) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = rt.Serve(w, r, func(w http.ResponseWriter, r *http.Request) error {
			next.ServeHTTP(w, r)
			return nil
		})
	})
}
