// Package server serves the x402 facilitator HTTP API over any
// facilitator.Facilitator, with net/http only (no Caddy):
//
//	GET  /supported  the kinds, extensions and signers of the facilitator
//	POST /verify     {x402Version, paymentPayload, paymentRequirements}
//	POST /settle     same body as /verify
//	GET  /health     {"status":"ok"}, never authenticated
//
// Routes may live under a path prefix (WithPrefix). Request bodies of both
// protocol versions are decoded with facilitator.DecodeRequest; v1
// requirements reach the Facilitator in the v2 shape and the scheme payload
// is passed through raw, so scheme-specific fields (numbers where strings are
// usual, escrow session data) are the scheme's business.
//
// # Status codes
//
// Both official SDK clients (Go and TypeScript) treat a non-2xx body that
// carries invalidReason / errorReason as a verification or settlement
// failure, while the Go client lets a 200 {"isValid":false} through. The
// server therefore answers:
//
//	/verify  valid                          200 VerifyResponse
//	/verify  invalid                        400 VerifyResponse (isValid false, invalidReason, invalidMessage)
//	/settle  success                        200 SettleResponse
//	/settle  settlement_pending             202 SettleResponse (transaction set; settle again later)
//	/settle  failure                        400 SettleResponse (success false, errorReason, errorMessage)
//	malformed body, missing fields,         400 VerifyResponse / SettleResponse shaped, with the
//	  v1/v2 mix-up                              x402 code of facilitator.DecodeRequest
//	body over the limit                     413 shaped as above, plus "error"
//	Facilitator returned an error           503 + Retry-After, {"error", invalidReason
//	  (RPC down, timeout)                       unexpected_verify_error / errorReason unexpected_settle_error}
//	missing or wrong credentials            401 {"error"}
//	wrong method                            405 {"error"} + Allow
//	unknown path                            404 {"error"}
//	panic in the Facilitator (a bug)        500 {"error"}
//
// Every response is application/json. Client input never causes a 5xx.
//
// Verify runs under the request's context. Settle does not stop when the
// HTTP client goes away: once a transaction may have been broadcast it is
// better seen through and recorded (a retry then finds it); WithSettleTimeout
// bounds it instead.
//
// A Caddy site, the embedded facilitator or a test mounts it the same way:
//
//	http.Handle("/facilitator/", server.New(router, server.WithPrefix("/facilitator")))
package server
