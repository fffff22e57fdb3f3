package escrow

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
)

// submitMargin is the least time an authorization must have left (by chain
// time) for authorize to be sent: it has to be mined before validBefore.
const submitMargin = 30 * time.Second

// Opened is the result of a session creation.
type Opened struct {
	Session *Session
	// Token is the new session token, returned to the client once.
	Token string
	// Tx is the authorize transaction.
	Tx common.Hash
	// Reservation holds the price of the creating request itself; nil when
	// the deposit was taken but the request cannot be served now (Unserved
	// says why): its answer must still carry the token.
	Reservation *Reservation
	Unserved    error
}

// Open verifies a session creation against the server's own requirements
// (req; price is its per-request amount) and opens the session: the
// payment is rebuilt from configuration plus the payer's choices, every
// term the signature commits to is checked in-process (collector, window,
// expiries, session length, deposit bounds, the payer-agnostic nonce, the
// signer), then the chain (nonce unused, balance ≥ deposit, not collected),
// then authorize is sent and mined before anything is served. The price of
// this first request is reserved under requestId.
//
// An *facilitator.Error refuses the payment (402); a plain error is an
// infrastructure failure (503, retry).
func (o *Operator) Open(ctx context.Context, c *CreationPayload, req *facilitator.PaymentRequirements, price *big.Int) (*Opened, *facilitator.Error, error) {
	pi, auth, sig, xe := o.rebuild(c, req)
	if xe != nil {
		return nil, xe, nil
	}
	id := GetHash(o.cfg.ChainID, o.cfg.Escrow, &pi)
	lock := o.openLock(id)
	lock.Lock()
	defer lock.Unlock()
	// A creation payload opens its session at most once. Presented again it
	// never spends the session, whatever its signature: every field of it is
	// public once authorize is mined (the signature is in the calldata), so
	// only the session's token proves the right to spend.
	if xe, err := o.refuseExisting(ctx, id); xe != nil || err != nil {
		return nil, xe, err
	}
	if xe, err := o.checkCreation(ctx, &pi, auth, sig, price); err != nil || xe != nil {
		return nil, xe, err
	}
	return o.authorize(ctx, id, &pi, sig, c.RequestID, price, req)
}

// refuseExisting refuses a creation for a session this operator knows in
// any state but failed (nothing held; the payer may try again): in memory,
// in its ledger (an authorize under way) or in the shared store (opened by
// another instance).
func (o *Operator) refuseExisting(ctx context.Context, id [32]byte) (*facilitator.Error, error) {
	status := Status("")
	if s, ok := o.Session(id); ok {
		s.mu.Lock()
		status = s.status
		s.mu.Unlock()
	} else if rec, err := o.ledger.Get(id); err != nil {
		return nil, err
	} else if rec != nil {
		status = rec.Status
	} else if o.cfg.Shared != nil {
		sctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		rec, err := o.cfg.Shared.Load(sctx, id)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("escrow: shared store: %w", err)
		}
		if rec != nil {
			status = rec.Status
		}
	}
	switch status {
	case "", StatusFailed:
		return nil, nil
	case StatusOpening:
		return facilitator.Errorf(facilitator.CodeEscrowSessionOpened,
			"this deposit is already opening session 0x%x; its token comes with the answer to the request that opened it", id), nil
	}
	return facilitator.Errorf(facilitator.CodeEscrowSessionOpened,
		"this deposit already opened session 0x%x; spend it with its token", id), nil
}

// rebuild makes the PaymentInfo from configuration and the payload, and
// checks every term that needs no chain.
func (o *Operator) rebuild(c *CreationPayload, req *facilitator.PaymentRequirements) (PaymentInfo, evm.Authorization, []byte, *facilitator.Error) {
	var pi PaymentInfo
	bad := func(code, format string, args ...any) (PaymentInfo, evm.Authorization, []byte, *facilitator.Error) {
		return pi, evm.Authorization{}, nil, facilitator.Errorf(code, format, args...)
	}
	a, err := c.Authorization.Parse()
	if err != nil {
		return bad(facilitator.CodeEscrowPayload, "%v", err)
	}
	salt, err := parseSalt(c.SessionParams.Salt)
	if err != nil {
		return bad(facilitator.CodeEscrowPayload, "sessionParams.salt %v", err)
	}
	authExp, err1 := strconv.ParseUint(string(c.SessionParams.AuthorizationExpiry), 10, 64)
	refundExp, err2 := strconv.ParseUint(string(c.SessionParams.RefundExpiry), 10, 64)
	if err1 != nil || err2 != nil || authExp > MaxUint48 || refundExp > MaxUint48 {
		return bad(facilitator.CodeEscrowPayload, "sessionParams.authorizationExpiry and refundExpiry must be Unix seconds (uint48)")
	}
	if !a.ValidBefore.IsUint64() || a.ValidBefore.Uint64() > MaxUint48 {
		return bad(facilitator.CodeEscrowWindow, "authorization.validBefore does not fit uint48")
	}
	sig, err := evm.DecodeHexBytes(c.Signature, evm.MaxSignatureBytes)
	if err != nil {
		return bad(facilitator.CodeEscrowSignature, "signature: %v", err)
	}
	receiver, err1 := evm.ParseAddress(req.PayTo)
	token, err2 := evm.ParseAddress(req.Asset)
	if err1 != nil || err2 != nil {
		return bad(facilitator.CodeInvalidPaymentRequirements, "route payTo or asset is not an address")
	}
	pi = PaymentInfo{Operator: o.Address(), Payer: a.From, Receiver: receiver, Token: token,
		MaxAmount: a.Value.ToBig(), PreApprovalExpiry: a.ValidBefore.Uint64(), AuthorizationExpiry: authExp,
		RefundExpiry: refundExp, Salt: salt}
	switch {
	case a.To != o.cfg.Collector:
		return bad(facilitator.CodeEscrowCollector, "authorization pays %s; deposits go to the collector %s", a.To.Hex(), o.cfg.Collector.Hex())
	case !a.ValidAfter.IsZero():
		return bad(facilitator.CodeEscrowWindow, "authorization.validAfter must be 0 (the collector signs for 0)")
	case !(pi.PreApprovalExpiry <= pi.AuthorizationExpiry && pi.AuthorizationExpiry <= pi.RefundExpiry):
		return bad(facilitator.CodeEscrowExpiries, "need validBefore (%d) ≤ authorizationExpiry (%d) ≤ refundExpiry (%d)", pi.PreApprovalExpiry, authExp, refundExp)
	case time.Duration(refundExp-authExp)*time.Second > o.cfg.MaxRefundWindow:
		return bad(facilitator.CodeEscrowRefundWindow, "refundExpiry is %ds after authorizationExpiry; at most %s", refundExp-authExp, o.cfg.MaxRefundWindow)
	case pi.MaxAmount.Cmp(o.cfg.MinDeposit) < 0 || pi.MaxAmount.Cmp(o.cfg.MaxDeposit) > 0:
		return bad(facilitator.CodeEscrowDeposit, "deposit %s is outside [%s, %s]", pi.MaxAmount, o.cfg.MinDeposit, o.cfg.MaxDeposit)
	}
	if err := pi.Validate(); err != nil {
		return bad(facilitator.CodeEscrowDeposit, "%v", err)
	}
	want := PayerAgnosticNonce(o.cfg.ChainID, o.cfg.Escrow, &pi)
	if a.Nonce != want {
		return bad(facilitator.CodeEscrowNonce, "authorization.nonce is not the payment's hash for this operator, escrow, receiver and token (want 0x%x)", want)
	}
	return pi, a, sig, nil
}

// checkCreation verifies the signer and the chain-side preconditions.
func (o *Operator) checkCreation(ctx context.Context, pi *PaymentInfo, a evm.Authorization, sig []byte, price *big.Int) (*facilitator.Error, error) {
	if pi.MaxAmount.Cmp(price) < 0 {
		return facilitator.Errorf(facilitator.CodeEscrowDeposit, "deposit %s does not cover one request (%s)", pi.MaxAmount, price), nil
	}
	b := o.cfg.Sender.Backend()
	nameVersion, err := o.domainOf(ctx, pi.Token)
	if err != nil {
		return nil, err
	}
	digest := a.Digest(evm.ReceiveWithAuthorizationTypeHash, nameVersion.Separator())
	_, _, inner, _, err := evm.Unwrap6492(sig)
	if err != nil {
		return facilitator.Errorf(facilitator.CodeEscrowSignature, "signature: %v", err), nil
	}
	if signer, err := evm.RecoverSigner(digest, inner); err != nil || signer != a.From {
		ok, err := evm.IsValidSignature1271(ctx, b, a.From, digest, inner)
		if err != nil {
			return nil, err
		}
		if !ok {
			return facilitator.Errorf(facilitator.CodeEscrowSignature, "signature is not %s's ReceiveWithAuthorization for this deposit", a.From.Hex()), nil
		}
	}
	now, err := evm.ChainNow(ctx, b)
	if err != nil {
		return nil, err
	}
	length := time.Unix(int64(pi.AuthorizationExpiry), 0).Sub(now)
	switch {
	case length < o.cfg.MinSession || length > o.cfg.MaxSession:
		return facilitator.Errorf(facilitator.CodeEscrowSessionLength, "session would last %s; allowed %s to %s", length.Round(time.Second), o.cfg.MinSession, o.cfg.MaxSession), nil
	case time.Unix(int64(pi.PreApprovalExpiry), 0).Sub(now) < submitMargin:
		return facilitator.Errorf(facilitator.CodeEscrowWindow, "authorization.validBefore leaves less than %s to authorize", submitMargin), nil
	}
	used, err := evm.AuthorizationState(ctx, b, pi.Token, a.From, a.Nonce)
	if err != nil {
		return nil, err
	}
	if used {
		return facilitator.Errorf(facilitator.CodeEscrowNonceUsed, "this deposit authorization was already used or cancelled"), nil
	}
	bal, err := evm.BalanceOf(ctx, b, pi.Token, a.From)
	if err != nil {
		return nil, err
	}
	if bal.ToBig().Cmp(pi.MaxAmount) < 0 {
		return facilitator.Errorf(facilitator.CodeEscrowInsufficientFunds, "payer holds %s, the deposit is %s", bal.Dec(), pi.MaxAmount), nil
	}
	return nil, nil
}

// domainOf returns the EIP-712 domain of token as configured by the route's
// requirements; the operator reads name/version from the chain once.
func (o *Operator) domainOf(ctx context.Context, token common.Address) (evm.Domain, error) {
	b := o.cfg.Sender.Backend()
	name, err := evm.TokenName(ctx, b, token)
	if err != nil {
		return evm.Domain{}, err
	}
	version, err := evm.TokenVersion(ctx, b, token)
	if err != nil {
		return evm.Domain{}, err
	}
	return evm.Domain{Name: name, Version: version, ChainID: o.cfg.ChainID, VerifyingContract: token}, nil
}

func (o *Operator) openLock(id [32]byte) *sync.Mutex {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := o.opening[id]
	if !ok {
		m = &sync.Mutex{}
		o.opening[id] = m
	}
	return m
}

// parseSalt reads a uint256 salt as 0x-hex or decimal.
func parseSalt(s string) (*big.Int, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		if len(s) < 3 || len(s) > 66 {
			return nil, fmt.Errorf("must be a 0x-hex uint256")
		}
		v, ok := new(big.Int).SetString(s[2:], 16)
		if !ok {
			return nil, fmt.Errorf("must be a 0x-hex uint256")
		}
		return v, nil
	}
	u, err := evm.ParseUint256(s)
	if err != nil {
		return nil, err
	}
	return u.ToBig(), nil
}
