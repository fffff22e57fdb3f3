package escrow

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
)

// The escrow scheme's payloads, compatible with @agentokratia/x402-escrow
// 2.x: the first request of a session carries the signed deposit
// (CreationPayload); later ones carry the session's id and bearer token
// (UsagePayload) and no signature. A usage payload with Action "close"
// closes the session.

// SessionParams are the payer's choices for a new session.
type SessionParams struct {
	// Salt makes the payment unique: 0x-hex or decimal of a uint256.
	Salt string `json:"salt"`
	// AuthorizationExpiry and RefundExpiry are Unix seconds (JSON numbers;
	// strings are accepted too).
	AuthorizationExpiry evm.NumString `json:"authorizationExpiry"`
	RefundExpiry        evm.NumString `json:"refundExpiry"`
}

// CreationPayload opens a session: one ERC-3009 ReceiveWithAuthorization to
// the collector, over the payer-agnostic PaymentInfo hash.
type CreationPayload struct {
	Signature     string                 `json:"signature"`
	Authorization *evm.AuthorizationJSON `json:"authorization"`
	SessionParams *SessionParams         `json:"sessionParams"`
	RequestID     string                 `json:"requestId"`
}

// NewCreationPayload is the creation payload of payment pi on the escrow
// at escrowAddr (chain chainID) through collector, with the given
// signature and requestID: the authorization the collector executes
// (ReceiveAuthorization) and the payer's session parameters.
func NewCreationPayload(chainID uint64, escrowAddr, collector common.Address, pi *PaymentInfo, signature []byte, requestID string) *CreationPayload {
	a := ReceiveAuthorization(chainID, escrowAddr, collector, pi)
	aj := a.JSON()
	return &CreationPayload{
		Signature:     "0x" + hex.EncodeToString(signature),
		Authorization: &aj,
		SessionParams: &SessionParams{Salt: fmt.Sprintf("0x%064x", pi.Salt),
			AuthorizationExpiry: evm.NumString(strconv.FormatUint(pi.AuthorizationExpiry, 10)),
			RefundExpiry:        evm.NumString(strconv.FormatUint(pi.RefundExpiry, 10))},
		RequestID: requestID,
	}
}

// Payment is the PaymentInfo a creation payload deposits into, for the
// operator, receiver (payTo) and token (asset) of the requirements it pays:
// its GetHash is the session id.
func (c *CreationPayload) Payment(operator, receiver, token common.Address) (PaymentInfo, error) {
	if c.Authorization == nil || c.SessionParams == nil {
		return PaymentInfo{}, fmt.Errorf("creation payload needs authorization and sessionParams")
	}
	a, err := c.Authorization.Parse()
	if err != nil {
		return PaymentInfo{}, err
	}
	salt, err := parseSalt(c.SessionParams.Salt)
	if err != nil {
		return PaymentInfo{}, fmt.Errorf("sessionParams.salt %w", err)
	}
	authExp, err1 := strconv.ParseUint(string(c.SessionParams.AuthorizationExpiry), 10, 64)
	refundExp, err2 := strconv.ParseUint(string(c.SessionParams.RefundExpiry), 10, 64)
	if err1 != nil || err2 != nil || !a.ValidBefore.IsUint64() {
		return PaymentInfo{}, fmt.Errorf("creation payload expiries are not Unix seconds")
	}
	pi := PaymentInfo{Operator: operator, Payer: a.From, Receiver: receiver, Token: token, MaxAmount: a.Value.ToBig(),
		PreApprovalExpiry: a.ValidBefore.Uint64(), AuthorizationExpiry: authExp, RefundExpiry: refundExp, Salt: salt}
	return pi, pi.Validate()
}

// SessionRef names a session and proves the right to spend it.
type SessionRef struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// UsagePayload spends from an open session.
type UsagePayload struct {
	Session   *SessionRef `json:"session"`
	Amount    string      `json:"amount,omitempty"`
	RequestID string      `json:"requestId"`
	// Action is "" (use), "close" (final capture, return the rest) or
	// "recover" (a new token for the payer, who signs Recovery; session.token
	// is not needed).
	Action string `json:"action,omitempty"`
	// Recovery is the payer's signed token recovery (action "recover").
	Recovery *Recovery `json:"recovery,omitempty"`
}

// Payload is a decoded escrow payload: exactly one of Creation and Usage.
type Payload struct {
	Creation *CreationPayload
	Usage    *UsagePayload
}

// MaxRequestIDLength bounds a requestId (the reference clients send UUIDs).
const MaxRequestIDLength = 128

// ParsePayload tells creation from usage by shape, as the reference
// facilitator does (signature+authorization+sessionParams, or session).
func ParsePayload(raw json.RawMessage) (*Payload, error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("payload is missing or not a JSON object")
	}
	var probe struct {
		Session       json.RawMessage `json:"session"`
		Authorization json.RawMessage `json:"authorization"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("payload is not valid JSON: %v", err)
	}
	switch {
	case len(probe.Session) > 0 && len(probe.Authorization) == 0:
		var u UsagePayload
		if err := json.Unmarshal(raw, &u); err != nil {
			return nil, fmt.Errorf("usage payload: %v", err)
		}
		switch {
		case u.Action == "recover":
			if u.Session == nil || u.Session.ID == "" || u.Recovery == nil || u.Recovery.Signature == "" || u.Recovery.IssuedAt == "" {
				return nil, fmt.Errorf("a session recovery needs session.id and recovery {issuedAt, signature}")
			}
		case u.Action != "" && u.Action != "close":
			return nil, fmt.Errorf("usage payload action %q is not supported (want close or recover)", u.Action)
		case u.Session == nil || u.Session.ID == "" || u.Session.Token == "":
			return nil, fmt.Errorf("usage payload needs session.id and session.token")
		}
		if err := checkRequestID(u.RequestID); err != nil {
			return nil, err
		}
		return &Payload{Usage: &u}, nil
	case len(probe.Authorization) > 0 && len(probe.Session) == 0:
		var c CreationPayload
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("creation payload: %v", err)
		}
		if c.Authorization == nil || c.Signature == "" || c.SessionParams == nil {
			return nil, fmt.Errorf("creation payload needs signature, authorization and sessionParams")
		}
		if err := checkRequestID(c.RequestID); err != nil {
			return nil, err
		}
		return &Payload{Creation: &c}, nil
	}
	return nil, fmt.Errorf("payload is neither a session creation (authorization, signature, sessionParams) nor a session use (session)")
}

func checkRequestID(id string) error {
	if id == "" {
		return fmt.Errorf("requestId is required (a fresh one per request)")
	}
	if len(id) > MaxRequestIDLength {
		return fmt.Errorf("requestId is longer than %d bytes", MaxRequestIDLength)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c < 0x21 || c > 0x7e {
			return fmt.Errorf("requestId must be printable ASCII without spaces")
		}
	}
	return nil
}
