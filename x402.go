// Package x402 registers the caddy-x402 Caddy modules and the `caddy x402 …`
// commands when imported, so that `xcaddy build --with
// github.com/caddy-x402/x402` works. The Caddy glue is in caddymodule, the
// commands in cli, the request engine in paywall, the protocol in
// facilitator.
package x402

import (
	// Register the x402 app, handlers and admin API.
	_ "github.com/caddy-x402/x402/caddymodule"
	// Register the `caddy x402 …` commands.
	_ "github.com/caddy-x402/x402/cli"
)
