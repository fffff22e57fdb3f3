// Package remote implements facilitator.Facilitator over the facilitator
// HTTP API (GET /supported, POST /verify, POST /settle) of one or more
// remote facilitators, tried in order. It imports only the standard library,
// the facilitator package and zap: no go-ethereum.
//
// # What counts as an answer
//
// A response is an answer, returned without error and without trying another
// URL, when its status and body agree:
//
//	verify    200 or 400 with a VerifyResponse; isValid false needs an invalidReason,
//	          and a 400 must say isValid false. 200 {"isValid":false} (the TypeScript
//	          example facilitator's convention) is an answer too.
//	settle    200, 202 or 400 with a SettleResponse; success true needs a transaction
//	          and is not a 400; success false needs an errorReason. 202 is
//	          settlement_pending: broadcast, not confirmed; settle again later.
//	supported 200 with a kinds array whose entries all have x402Version, scheme
//	          and network.
//
// A 400 invalid answer is definitive: the next URL is never asked, because
// another facilitator would judge the same payment the same way.
//
// # Failover
//
// These failures of one URL make the client try the next one: connection
// errors (refused, reset, DNS, TLS), the per-attempt timeout, any 5xx, 404
// and 405 (a misrouted instance), 429, other statuses it does not expect
// (3xx, 413, other 4xx) and bodies that are not a valid answer (not JSON,
// inconsistent with the status, larger than MaxResponseBytes).
//
// 401 and 403 stop the call at once with an error: credentials are the
// operator's configuration, and silently moving to another facilitator would
// hide a wrong or expired token. A cancelled or expired caller context also
// stops the call.
//
// When no URL gives an answer the error is a *CallError that wraps one
// *URLError per URL tried (errors.Is/As see through both); URLs are named
// without user info or query, and configured header values never appear.
//
// # Settlement and double submission
//
// Failing over a settle after a timeout or a 5xx may submit the same payment
// to a second facilitator while the first one's transaction is still on its
// way. The facilitators behind one Client must therefore be idempotent per
// authorization. The embedded ones are: settling an authorization that is
// already settled returns the original transaction, and an ERC-3009 nonce can
// be used on chain only once, so the worst case is an error answer from the
// second facilitator for a payment the first one did settle. Connection
// errors before the request was sent are always safe to fail over.
//
// Timeouts are per attempt (per URL), so a call can last up to the timeout
// times the number of URLs; bound it with the caller's context.
package remote
