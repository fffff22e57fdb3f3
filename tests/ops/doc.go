// Package ops holds the operator-facing tests of caddy-x402 that run the
// built Caddy binary as an operator would: configuration mistakes and
// secrets, data files shared by instances on one host, logs, metrics and
// the dashboard, and the README's commands run as written.
package ops
