package escrow

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// Extra is PaymentRequirements.extra of an `escrow` payment kind, as the
// Agentokratia facilitator advertises it and @agentokratia/x402-escrow reads
// it: the token's EIP-712 domain, the escrow and collector addresses, the
// operator (called facilitator there) and the deposit bounds (decimal
// strings; a bare JSON number is accepted too).
type Extra struct {
	Name           string        `json:"name"`
	Version        string        `json:"version"`
	EscrowContract string        `json:"escrowContract"`
	Facilitator    string        `json:"facilitator"`
	TokenCollector string        `json:"tokenCollector"`
	MinDeposit     evm.NumString `json:"minDeposit,omitempty"`
	MaxDeposit     evm.NumString `json:"maxDeposit,omitempty"`
}

// DepositTerms is everything a payer's deposit signature commits to.
type DepositTerms struct {
	// ChainID, Token and the token's EIP-712 Name and Version make the
	// signing domain.
	ChainID uint64
	Token   common.Address
	Name    string
	Version string
	// Escrow, Collector and Operator come from the requirements' extra;
	// Receiver is payTo.
	Escrow    common.Address
	Collector common.Address
	Operator  common.Address
	Receiver  common.Address
	// Amount is the deposit: PaymentInfo.maxAmount and the authorization's
	// value.
	Amount *big.Int
	// Salt makes the payment unique (uint256); see RandomSalt.
	Salt *big.Int
	// AuthorizationExpiry is both the preApprovalExpiry and the
	// authorizationExpiry of the payment, and the signature's validBefore.
	AuthorizationExpiry uint64
	// RefundExpiry is at or after AuthorizationExpiry.
	RefundExpiry uint64
}

// TermsFromRequirements reads the chain (network), token (asset), receiver
// (payTo) and the escrow fields of extra from r, and adds the payer's
// choices. It does not check deposit against extra's bounds; see
// Extra.CheckDeposit.
func TermsFromRequirements(r *facilitator.PaymentRequirements, deposit, salt *big.Int, authorizationExpiry, refundExpiry uint64) (DepositTerms, error) {
	var t DepositTerms
	chainID, ok := facilitator.ChainID(r.Network)
	if !ok {
		return t, fmt.Errorf("escrow: network %q is not an EVM network", r.Network)
	}
	var x Extra
	if len(r.Extra) == 0 {
		return t, errors.New("escrow: requirements have no extra")
	}
	if err := json.Unmarshal(r.Extra, &x); err != nil {
		return t, fmt.Errorf("escrow: extra: %w", err)
	}
	var err error
	if t.Token, err = evm.ParseAddress(r.Asset); err != nil {
		return t, fmt.Errorf("escrow: asset %w", err)
	}
	if t.Receiver, err = evm.ParseAddress(r.PayTo); err != nil {
		return t, fmt.Errorf("escrow: payTo %w", err)
	}
	if t.Escrow, err = evm.ParseAddress(x.EscrowContract); err != nil {
		return t, fmt.Errorf("escrow: extra.escrowContract %w", err)
	}
	if t.Collector, err = evm.ParseAddress(x.TokenCollector); err != nil {
		return t, fmt.Errorf("escrow: extra.tokenCollector %w", err)
	}
	if t.Operator, err = evm.ParseAddress(x.Facilitator); err != nil {
		return t, fmt.Errorf("escrow: extra.facilitator %w", err)
	}
	t.ChainID, t.Name, t.Version = chainID, x.Name, x.Version
	t.Amount, t.Salt = deposit, salt
	t.AuthorizationExpiry, t.RefundExpiry = authorizationExpiry, refundExpiry
	return t, nil
}

// CheckDeposit reports whether amount lies within the advertised
// [minDeposit, maxDeposit] (a missing bound is no bound).
func (x *Extra) CheckDeposit(amount *big.Int) error {
	for _, b := range []struct {
		name string
		v    evm.NumString
		sign int
	}{{"minDeposit", x.MinDeposit, -1}, {"maxDeposit", x.MaxDeposit, 1}} {
		if b.v == "" {
			continue
		}
		lim, err := evm.ParseUint256(string(b.v))
		if err != nil {
			return fmt.Errorf("escrow: extra.%s %w", b.name, err)
		}
		if amount.Cmp(lim.ToBig())*b.sign > 0 {
			return fmt.Errorf("escrow: deposit %s is outside extra.%s %s", amount, b.name, lim.Dec())
		}
	}
	return nil
}

// PaymentInfo is the payment the terms describe, for payer: no fees
// (minFeeBps = maxFeeBps = 0, feeReceiver = 0) and preApprovalExpiry =
// authorizationExpiry, as @agentokratia/x402-escrow builds it.
func (t *DepositTerms) PaymentInfo(payer common.Address) PaymentInfo {
	return PaymentInfo{
		Operator:            t.Operator,
		Payer:               payer,
		Receiver:            t.Receiver,
		Token:               t.Token,
		MaxAmount:           t.Amount,
		PreApprovalExpiry:   t.AuthorizationExpiry,
		AuthorizationExpiry: t.AuthorizationExpiry,
		RefundExpiry:        t.RefundExpiry,
		FeeReceiver:         common.Address{},
		Salt:                t.Salt,
	}
}

// Domain is the token's EIP-712 domain the deposit is signed under.
func (t *DepositTerms) Domain() evm.Domain {
	return evm.Domain{Name: t.Name, Version: t.Version, ChainID: t.ChainID, VerifyingContract: t.Token}
}

func (t *DepositTerms) check() error {
	zero := common.Address{}
	switch {
	case t.ChainID == 0:
		return errors.New("escrow: deposit: no chain ID")
	case t.Token == zero || t.Escrow == zero || t.Collector == zero || t.Operator == zero || t.Receiver == zero:
		return errors.New("escrow: deposit: token, escrow, collector, operator and receiver are all required")
	case t.Name == "" || t.Version == "":
		return errors.New("escrow: deposit: the token's EIP-712 name and version are required")
	case t.Amount == nil || t.Amount.Sign() <= 0 || t.Amount.Cmp(MaxAmountLimit) > 0:
		return fmt.Errorf("escrow: deposit: amount %v is not in [1, 2^120)", t.Amount)
	case t.Salt == nil:
		return errors.New("escrow: deposit: no salt")
	case t.AuthorizationExpiry == 0 || t.AuthorizationExpiry > t.RefundExpiry:
		return fmt.Errorf("escrow: deposit: need 0 < authorizationExpiry (%d) <= refundExpiry (%d)", t.AuthorizationExpiry, t.RefundExpiry)
	}
	pi := t.PaymentInfo(common.Address{})
	return pi.Validate()
}

// ReceiveAuthorization is the ERC-3009 ReceiveWithAuthorization that
// ERC3009PaymentCollector executes for pi on the escrow at escrowAddr: from
// the payer to the collector, value maxAmount, validAfter 0, validBefore
// preApprovalExpiry, nonce PayerAgnosticNonce. A payer signs exactly this
// (under the token's domain and evm.ReceiveWithAuthorizationTypeHash); a
// facilitator checks a presented authorization against it.
func ReceiveAuthorization(chainID uint64, escrowAddr, collector common.Address, pi *PaymentInfo) evm.Authorization {
	a := evm.Authorization{
		From:  pi.Payer,
		To:    collector,
		Nonce: PayerAgnosticNonce(chainID, escrowAddr, pi),
	}
	if pi.MaxAmount != nil {
		a.Value.SetFromBig(pi.MaxAmount)
	}
	a.ValidBefore.SetUint64(pi.PreApprovalExpiry)
	return a
}

// Deposit is a signed session deposit: the payment, the authorization the
// collector will execute and the payer's signature over it.
type Deposit struct {
	PaymentInfo   PaymentInfo
	Authorization evm.Authorization
	// Signature is r ‖ s ‖ v (v = 27/28): the authorize call's collectorData.
	Signature []byte
	// ID is GetHash(PaymentInfo): the payment's (and session's) identity.
	ID [32]byte
}

// SignDeposit builds the payment for the key's address and signs its
// ReceiveWithAuthorization, as @agentokratia/x402-escrow's client does.
func SignDeposit(key *ecdsa.PrivateKey, t *DepositTerms) (*Deposit, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	pi := t.PaymentInfo(crypto.PubkeyToAddress(key.PublicKey))
	a := ReceiveAuthorization(t.ChainID, t.Escrow, t.Collector, &pi)
	d := t.Domain()
	sig, err := evm.SignAuthorization(key, evm.ReceiveWithAuthorizationTypeHash, &d, &a)
	if err != nil {
		return nil, err
	}
	return &Deposit{PaymentInfo: pi, Authorization: a, Signature: sig, ID: GetHash(t.ChainID, t.Escrow, &pi)}, nil
}

// RandomSalt returns a uniformly random uint256 salt.
func RandomSalt() (*big.Int, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("escrow: salt: %w", err)
	}
	return new(uint256.Int).SetBytes32(b[:]).ToBig(), nil
}
