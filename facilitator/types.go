// Package facilitator holds the x402 wire types (protocol versions 1 and 2),
// the base64 JSON header codec, the network and asset tables, the x402 error
// codes and the Facilitator interface that the embedded schemes (exact,
// escrow) and the remote client implement.
//
// Amounts on the wire are decimal strings of token units; this package never
// turns them into floats. Unknown JSON fields are ignored on decode, so newer
// peers do not break older ones.
package facilitator

import (
	"encoding/json"
)

// Protocol versions.
const (
	V1 = 1
	V2 = 2
)

// HTTP header names of the x402 transport.
const (
	HeaderPaymentRequired  = "PAYMENT-REQUIRED"   // v2, 402 response
	HeaderPaymentSignature = "PAYMENT-SIGNATURE"  // v2, request
	HeaderPaymentResponse  = "PAYMENT-RESPONSE"   // v2, paid response
	HeaderXPayment         = "X-PAYMENT"          // v1, request
	HeaderXPaymentResponse = "X-PAYMENT-RESPONSE" // v1, paid response
)

// Scheme names.
const (
	SchemeExact  = "exact"
	SchemeEscrow = "escrow"
)

// ResourceInfo describes the paid resource (v2).
type ResourceInfo struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
	MimeType    string `json:"mimeType,omitempty"`
}

// PaymentRequirements is one way to pay for a resource, in the v2 wire shape.
// v1 requirements are converted to and from it (see PaymentRequirementsV1).
type PaymentRequirements struct {
	Scheme            string          `json:"scheme"`
	Network           string          `json:"network"`
	Amount            string          `json:"amount"`
	Asset             string          `json:"asset"`
	PayTo             string          `json:"payTo"`
	MaxTimeoutSeconds int             `json:"maxTimeoutSeconds"`
	Extra             json.RawMessage `json:"extra,omitempty"`
}

// PaymentRequirementsV1 is the v1 wire shape. Every field the v1 schema
// requires is always emitted, even when empty (the v1 TypeScript schema
// rejects a missing description).
type PaymentRequirementsV1 struct {
	Scheme            string          `json:"scheme"`
	Network           string          `json:"network"`
	MaxAmountRequired string          `json:"maxAmountRequired"`
	Resource          string          `json:"resource"`
	Description       string          `json:"description"`
	MimeType          string          `json:"mimeType"`
	OutputSchema      json.RawMessage `json:"outputSchema,omitempty"`
	PayTo             string          `json:"payTo"`
	MaxTimeoutSeconds int             `json:"maxTimeoutSeconds"`
	Asset             string          `json:"asset"`
	Extra             json.RawMessage `json:"extra,omitempty"`
}

// V1 converts requirements to the v1 wire shape for the given resource. The
// network becomes its v1 name when one exists.
func (r *PaymentRequirements) V1(res ResourceInfo) PaymentRequirementsV1 {
	return PaymentRequirementsV1{
		Scheme:            r.Scheme,
		Network:           V1NetworkName(r.Network),
		MaxAmountRequired: r.Amount,
		Resource:          res.URL,
		Description:       res.Description,
		MimeType:          res.MimeType,
		PayTo:             r.PayTo,
		MaxTimeoutSeconds: r.MaxTimeoutSeconds,
		Asset:             r.Asset,
		Extra:             r.Extra,
	}
}

// V2 converts v1 requirements to the v2 shape. The network keeps its wire
// spelling; compare networks with SameNetwork.
func (r *PaymentRequirementsV1) V2() PaymentRequirements {
	return PaymentRequirements{
		Scheme:            r.Scheme,
		Network:           r.Network,
		Amount:            r.MaxAmountRequired,
		Asset:             r.Asset,
		PayTo:             r.PayTo,
		MaxTimeoutSeconds: r.MaxTimeoutSeconds,
		Extra:             r.Extra,
	}
}

// PaymentRequired is the v2 402 challenge, sent base64-encoded in the
// PAYMENT-REQUIRED header.
type PaymentRequired struct {
	X402Version int                   `json:"x402Version"`
	Error       string                `json:"error,omitempty"`
	Resource    *ResourceInfo         `json:"resource,omitempty"`
	Accepts     []PaymentRequirements `json:"accepts"`
	Extensions  json.RawMessage       `json:"extensions,omitempty"`
}

// PaymentRequiredV1 is the v1 402 body (also read by v2 clients when the
// PAYMENT-REQUIRED header is absent).
type PaymentRequiredV1 struct {
	X402Version int                     `json:"x402Version"`
	Error       string                  `json:"error"`
	Accepts     []PaymentRequirementsV1 `json:"accepts"`
}

// PaymentPayload is what the client sends in PAYMENT-SIGNATURE (v2) or
// X-PAYMENT (v1). The two versions do not share field names, so one struct
// decodes both: v1 carries scheme and network at the top level, v2 carries
// the chosen requirements in Accepted. Payload is scheme-specific and kept raw
// so that scheme fields (escrow sessions, request ids) survive a round trip.
type PaymentPayload struct {
	X402Version int                  `json:"x402Version"`
	Scheme      string               `json:"scheme,omitempty"`  // v1
	Network     string               `json:"network,omitempty"` // v1
	Resource    *ResourceInfo        `json:"resource,omitempty"`
	Accepted    *PaymentRequirements `json:"accepted,omitempty"`
	Payload     json.RawMessage      `json:"payload"`
	Extensions  json.RawMessage      `json:"extensions,omitempty"`
}

// SchemeNetwork returns the scheme and network the client chose, from the top
// level (v1) or from Accepted (v2).
func (p *PaymentPayload) SchemeNetwork() (scheme, network string) {
	if p.X402Version == V1 || p.Accepted == nil {
		return p.Scheme, p.Network
	}
	return p.Accepted.Scheme, p.Accepted.Network
}

// VerifyResponse is the result of /verify.
type VerifyResponse struct {
	IsValid        bool            `json:"isValid"`
	InvalidReason  string          `json:"invalidReason,omitempty"`
	InvalidMessage string          `json:"invalidMessage,omitempty"`
	Payer          string          `json:"payer,omitempty"`
	Extensions     json.RawMessage `json:"extensions,omitempty"`
}

// SettleResponse is the result of /settle and the content of the
// PAYMENT-RESPONSE header. Receiver and Session are added by the escrow
// scheme (compatible with @agentokratia/x402-escrow clients).
type SettleResponse struct {
	Success      bool            `json:"success"`
	ErrorReason  string          `json:"errorReason,omitempty"`
	ErrorMessage string          `json:"errorMessage,omitempty"`
	Payer        string          `json:"payer"`
	Transaction  string          `json:"transaction"`
	Network      string          `json:"network"`
	Amount       string          `json:"amount,omitempty"`
	Receiver     string          `json:"receiver,omitempty"`
	Session      *SessionInfo    `json:"session,omitempty"`
	Extensions   json.RawMessage `json:"extensions,omitempty"`
}

// SessionInfo is the escrow session state returned in PAYMENT-RESPONSE. Token
// is present only on the response that opened the session.
type SessionInfo struct {
	ID        string `json:"id"`
	Token     string `json:"token,omitempty"`
	Balance   string `json:"balance,omitempty"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

// SupportedKind is one (version, scheme, network) a facilitator handles.
type SupportedKind struct {
	X402Version int             `json:"x402Version"`
	Scheme      string          `json:"scheme"`
	Network     string          `json:"network"`
	Asset       string          `json:"asset,omitempty"`
	Extra       json.RawMessage `json:"extra,omitempty"`
}

// SupportedResponse is the result of GET /supported.
type SupportedResponse struct {
	Kinds      []SupportedKind     `json:"kinds"`
	Extensions []string            `json:"extensions,omitempty"`
	Signers    map[string][]string `json:"signers,omitempty"`
}
