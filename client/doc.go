// Package client is an x402 paying HTTP client: it sends a request, and when
// the server answers 402 Payment Required it reads the challenge (the v2
// PAYMENT-REQUIRED header, or the v1 JSON body of older servers), picks the
// first requirement it is allowed to pay, signs a payment and retries the
// request once with the payment header (PAYMENT-SIGNATURE for v2, X-PAYMENT
// for v1).
//
// The CLI (`caddy x402 pay`), the integration tests, the load benchmark and
// the Go example use it. Callers that drive the exchange themselves (curl
// users, a benchmark that pre-signs payments) use ParseChallenge and
// Client.Sign.
//
// Safety: the client never pays more than MaxAmount token units per request,
// only on the allowed networks, and it reports a payment the server refused
// as a *PaymentError so that a refusal is never mistaken for success. It never
// logs or prints keys.
//
// Schemes are pluggable inside the package: each scheme is one file that
// implements the unexported scheme interface and registers itself in init.
// This file set holds `exact` (EIP-3009 on EVM chains) and `escrow`
// (sessions on an AuthCaptureEscrow: the first request signs a deposit, the
// next ones spend it with a bearer token and no signature; see
// EscrowOptions, SessionStore and CloseSession).
package client
