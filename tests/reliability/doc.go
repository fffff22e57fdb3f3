// Package reliability holds integration tests with real processes: the
// Caddy binary built from ./cmd/caddy, an anvil node (npm package
// @foundry-rs/anvil-linux-amd64, installed by `npm ci` in this directory)
// with the project's TestUSDC deployed by `caddy x402 devchain deploy`, and
// redis-server. They crash, stop and reload Caddy and the node while
// payments are being settled, and assert on chain that every served payment
// was charged exactly once. Without anvil or redis-server they skip, except
// under CI=true, where they fail. scripts/test installs both.
package reliability
