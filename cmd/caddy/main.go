// Command caddy is Caddy with its standard modules and the x402 paywall,
// so `go run ./cmd/caddy run` works without xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddy-x402/x402"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
