package exact

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
)

// validBeforeGrace is the margin the reference facilitators keep between now
// and validBefore, for the block the settlement will land in.
const validBeforeGrace = 6 * time.Second

// DefaultMaxValidity is the longest authorization window accepted by
// default, counted from now to validBefore. The Go reference client signs one
// hour; anything longer makes the replay guard remember nonces for longer.
const DefaultMaxValidity = 2 * time.Hour

// Checked is a payment that passed the offline checks.
type Checked struct {
	Auth      evm.Authorization
	Digest    [32]byte
	Signature []byte // as sent (possibly ERC-6492 wrapped)
	Inner     []byte // the signature without an ERC-6492 wrapper
	// Factory is set when the signature is ERC-6492 wrapped with deployment data.
	Factory common.Address
	// NeedsChain is true when the signature is not a plain ECDSA signature by
	// Auth.From (a contract wallet): it must be checked on chain (ERC-1271).
	NeedsChain bool
}

// transferCalldata is the transferWithAuthorization call that settles (or
// simulates) the payment. An ECDSA signature by the payer goes to the
// (v, r, s) overload. A contract wallet's signature goes to the `bytes`
// overload exactly as ERC-1271 accepted it in verification: without an
// ERC-6492 wrapper (settlement requires the wallet deployed, and the token
// would pass the wrapper to isValidSignature) and without repacking v.
func (c *Checked) transferCalldata() ([]byte, error) {
	if c.NeedsChain {
		return evm.PackTransferWithAuthorizationBytes(&c.Auth, c.Inner)
	}
	return evm.PackTransferWithAuthorization(&c.Auth, c.Inner)
}

// Payer is the paying address.
func (c *Checked) Payer() string { return c.Auth.From.Hex() }

// Check runs every verification step that needs no chain access, in the
// reference order (x402 Go facilitator) plus the checks it leaves out: the
// echoed requirements must equal the server's, and the window must not be
// longer than maxValidity. now is the verification time.
//
// It allocates little: one JSON decode of the scheme payload and the
// signature bytes.
func Check(p *facilitator.PaymentPayload, req *Prepared, now time.Time, maxValidity time.Duration) (*Checked, *facilitator.Error) {
	return check(p, req, now, maxValidity, true)
}

// check is Check; without window it skips the time checks (validAfter,
// validBefore, maximum validity) and only parses and checks the rest.
func check(p *facilitator.PaymentPayload, req *Prepared, now time.Time, maxValidity time.Duration, window bool) (*Checked, *facilitator.Error) {
	if p.X402Version != facilitator.V1 && p.X402Version != facilitator.V2 {
		return nil, facilitator.Errorf(facilitator.CodeInvalidX402Version, "x402Version %d is not supported", p.X402Version)
	}
	scheme, network := p.SchemeNetwork()
	if scheme != facilitator.SchemeExact {
		return nil, facilitator.Errorf(facilitator.CodeExactScheme, "payment is for scheme %q, this requirement is exact", clip(scheme))
	}
	if !facilitator.SameNetwork(network, req.Req.Network) {
		return nil, facilitator.Errorf(facilitator.CodeExactNetworkMismatch, "payment is for network %q, this requirement is %s", clip(network), req.Req.Network)
	}
	if p.X402Version == facilitator.V2 {
		if p.Accepted == nil {
			return nil, facilitator.Errorf(facilitator.CodeInvalidPayload, "v2 payment lacks the accepted requirements")
		}
		if !sameAddress(p.Accepted.Asset, req.Req.Asset) {
			return nil, facilitator.Errorf(facilitator.CodeExactAssetMismatch, "payment is for asset %q, this requirement is %s", clip(p.Accepted.Asset), req.Req.Asset)
		}
		if !sameAddress(p.Accepted.PayTo, req.Req.PayTo) {
			return nil, facilitator.Errorf(facilitator.CodeExactRecipientMismatch, "payment accepted payTo %q, this requirement pays %s", clip(p.Accepted.PayTo), req.Req.PayTo)
		}
		if p.Accepted.Amount != req.Req.Amount {
			return nil, facilitator.Errorf(facilitator.CodeExactValueMismatch, "payment accepted amount %q, this requirement costs %s", clip(p.Accepted.Amount), req.Req.Amount)
		}
	}
	var ep evm.ExactPayload
	if len(p.Payload) == 0 || p.Payload[0] != '{' {
		return nil, facilitator.Errorf(facilitator.CodeExactPayload, "payload is missing or not a JSON object")
	}
	if err := json.Unmarshal(p.Payload, &ep); err != nil {
		return nil, facilitator.Errorf(facilitator.CodeExactPayload, "payload is not a valid exact EVM payload: %v", err)
	}
	if ep.Authorization == nil {
		return nil, facilitator.Errorf(facilitator.CodeExactPayload, "payload.authorization is missing")
	}
	if ep.Signature == "" {
		return nil, facilitator.Errorf(facilitator.CodeExactMissingSignature, "payload.signature is missing")
	}
	c := &Checked{}
	var err error
	if c.Auth, err = ep.Authorization.Parse(); err != nil {
		return nil, facilitator.Errorf(fieldCode(err), "%v", err)
	}
	if c.Auth.To != req.PayTo {
		return nil, facilitator.Errorf(facilitator.CodeExactRecipientMismatch, "authorization pays %s, this requirement pays %s", c.Auth.To.Hex(), req.PayTo.Hex())
	}
	if !c.Auth.Value.Eq(&req.Amount) {
		return nil, facilitator.Errorf(facilitator.CodeExactValueMismatch, "authorization value %s differs from the price %s", c.Auth.Value.Dec(), req.Amount.Dec())
	}
	if window {
		if xerr := checkWindow(&c.Auth, req, now, maxValidity); xerr != nil {
			return nil, xerr
		}
	}
	if c.Signature, err = evm.DecodeHexBytes(ep.Signature, evm.MaxSignatureBytes); err != nil {
		return nil, facilitator.Errorf(facilitator.CodeExactSignatureFormat, "payload.signature: %v", err)
	}
	factory, calldata, inner, wrapped, err := evm.Unwrap6492(c.Signature)
	if err != nil {
		return nil, facilitator.Errorf(facilitator.CodeExactSignatureFormat, "payload.signature: %v", err)
	}
	c.Inner = inner
	if wrapped && len(calldata) > 0 {
		c.Factory = factory
	}
	c.Digest = c.Auth.Digest(evm.TransferWithAuthorizationTypeHash, req.Separator)
	if len(inner) == 65 {
		signer, err := evm.RecoverSigner(c.Digest, inner)
		if err == nil && signer == c.Auth.From {
			return c, nil
		}
	}
	c.NeedsChain = true
	return c, nil
}

// fieldCode is the x402 code for a malformed authorization field: the
// reference names for value, validAfter and validBefore, the generic
// payload code for the rest.
func fieldCode(err error) string {
	var fe *evm.FieldError
	if errors.As(err, &fe) {
		switch fe.Field {
		case evm.FieldValue:
			return facilitator.CodeExactAuthorizationValue
		case evm.FieldValidAfter:
			return facilitator.CodeExactValidAfter
		case evm.FieldValidBefore:
			return facilitator.CodeExactValidBefore
		}
	}
	return facilitator.CodeExactPayload
}

func checkWindow(a *evm.Authorization, req *Prepared, now time.Time, maxValidity time.Duration) *facilitator.Error {
	nowS := uint64(now.Unix())
	if !a.ValidBefore.IsUint64() {
		return facilitator.Errorf(facilitator.CodeExactValidBefore, "validBefore %s is beyond any usable time", a.ValidBefore.Dec())
	}
	before := a.ValidBefore.Uint64()
	if before < nowS+uint64(validBeforeGrace/time.Second) {
		return facilitator.Errorf(facilitator.CodeExactValidBefore, "authorization expired or expires within %s (validBefore %d, now %d)", validBeforeGrace, before, nowS)
	}
	if maxValidity <= 0 {
		maxValidity = DefaultMaxValidity
	}
	if t := time.Duration(req.Req.MaxTimeoutSeconds) * time.Second; t > maxValidity {
		maxValidity = t
	}
	if before-nowS > uint64(maxValidity/time.Second) {
		return facilitator.Errorf(facilitator.CodeExactValidBefore, "authorization is valid for %ds, longer than the %s this server accepts", before-nowS, maxValidity)
	}
	if !a.ValidAfter.IsUint64() || a.ValidAfter.Uint64() > nowS {
		return facilitator.Errorf(facilitator.CodeExactValidAfter, "authorization is not valid yet (validAfter %s, now %d)", a.ValidAfter.Dec(), nowS)
	}
	return nil
}
