package evm

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/crypto"
)

// SignAuthorization signs the EIP-712 digest of a (under typeHash and the
// domain separator) and returns r ‖ s ‖ v with v in {27, 28}, the form
// ERC-3009 tokens and the x402 clients use.
func SignAuthorization(key *ecdsa.PrivateKey, typeHash [32]byte, d *Domain, a *Authorization) ([]byte, error) {
	digest := a.Digest(typeHash, d.Separator())
	sig, err := crypto.Sign(digest[:], key)
	if err != nil {
		return nil, fmt.Errorf("signing authorization: %w", err)
	}
	sig[64] += 27
	return sig, nil
}

// ExactOptions tunes NewExactPayment. Zero values pick the defaults.
type ExactOptions struct {
	// Version is the x402 protocol version of the payload. Default: 2.
	Version int
	// Now is the signing time. Default: time.Now().
	Now time.Time
	// ValidFor is how long the authorization stays valid after Now.
	// Default: the requirements' maxTimeoutSeconds (60 s when unset).
	ValidFor time.Duration
	// Skew backdates validAfter to tolerate clock skew. Default: 600 s, as
	// the reference clients do.
	Skew time.Duration
	// Nonce overrides the random 32-byte nonce (tests).
	Nonce *[32]byte
	// Resource is echoed in v2 payloads.
	Resource *facilitator.ResourceInfo
}

// NewExactPayment builds and signs an `exact` EIP-3009 payment that pays r
// from key: to = payTo, value = amount, a random nonce, and a validity
// window around Now. The payload is v1 or v2 according to opts.Version.
func NewExactPayment(key *ecdsa.PrivateKey, r *facilitator.PaymentRequirements, opts ExactOptions) (*facilitator.PaymentPayload, error) {
	if opts.Version == 0 {
		opts.Version = facilitator.V2
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.ValidFor <= 0 {
		opts.ValidFor = time.Duration(r.MaxTimeoutSeconds) * time.Second
		if opts.ValidFor <= 0 {
			opts.ValidFor = time.Minute
		}
	}
	if opts.Skew <= 0 {
		opts.Skew = 600 * time.Second
	}
	d, err := DomainFor(r)
	if err != nil {
		return nil, fmt.Errorf("building payment: %w", err)
	}
	var a Authorization
	a.From = crypto.PubkeyToAddress(key.PublicKey)
	if a.To, err = ParseAddress(r.PayTo); err != nil {
		return nil, fmt.Errorf("building payment: payTo %w", err)
	}
	if a.Value, err = ParseUint256(r.Amount); err != nil {
		return nil, fmt.Errorf("building payment: amount %w", err)
	}
	after := opts.Now.Add(-opts.Skew).Unix()
	if after < 0 {
		after = 0
	}
	a.ValidAfter.SetUint64(uint64(after))
	a.ValidBefore.SetUint64(uint64(opts.Now.Add(opts.ValidFor).Unix()))
	if opts.Nonce != nil {
		a.Nonce = *opts.Nonce
	} else if _, err := rand.Read(a.Nonce[:]); err != nil {
		return nil, fmt.Errorf("building payment: nonce: %w", err)
	}
	sig, err := SignAuthorization(key, TransferWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		return nil, err
	}
	aj := a.JSON()
	raw, err := json.Marshal(ExactPayload{Signature: "0x" + hex.EncodeToString(sig), Authorization: &aj})
	if err != nil {
		return nil, fmt.Errorf("building payment: %w", err)
	}
	p := &facilitator.PaymentPayload{X402Version: opts.Version, Payload: raw}
	switch opts.Version {
	case facilitator.V1:
		p.Scheme, p.Network = r.Scheme, facilitator.V1NetworkName(r.Network)
	case facilitator.V2:
		accepted := *r
		p.Accepted = &accepted
		p.Resource = opts.Resource
	default:
		return nil, fmt.Errorf("building payment: x402Version %d is not supported", opts.Version)
	}
	return p, nil
}
