package escrow

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"go.uber.org/zap"
)

// Token recovery: a client whose opening answer (the only one carrying the
// token) was lost gets a new token by proving it is the payer, with a
// fresh signature bound to the session: EIP-712
//
//	RecoverSession(bytes32 session,uint256 issuedAt)
//
// under the domain {name "x402 escrow session", version "1", chainId,
// verifyingContract: the escrow}. issuedAt (Unix seconds) must be within
// RecoverySkew of now and later than the last recovery accepted for the
// session, so a recovery message works once. The deposit signature is
// never accepted for this: it is public once authorize is mined.

// RecoveryTypeHash is keccak256 of the recovery message's EIP-712 type.
var RecoveryTypeHash = evm.Keccak256([]byte("RecoverSession(bytes32 session,uint256 issuedAt)"))

// Recovery is a payer's signed token recovery.
type Recovery struct {
	// IssuedAt is when the payer signed (Unix seconds; a JSON number or a
	// decimal string).
	IssuedAt evm.NumString `json:"issuedAt"`
	// Signature is the payer's 65-byte EIP-712 signature (or an ERC-1271
	// signature of a smart-wallet payer).
	Signature string `json:"signature"`
}

// RecoveryDigest is the EIP-712 digest a payer signs to recover the token
// of session id on the escrow at escrowAddr (chain chainID).
func RecoveryDigest(chainID uint64, escrowAddr common.Address, id [32]byte, issuedAt uint64) [32]byte {
	d := evm.Domain{Name: "x402 escrow session", Version: "1", ChainID: chainID, VerifyingContract: escrowAddr}
	var buf [3 * 32]byte
	copy(buf[0:32], RecoveryTypeHash[:])
	copy(buf[32:64], id[:])
	binary.BigEndian.PutUint64(buf[88:96], issuedAt)
	return evm.TypedDataDigest(d.Separator(), evm.Keccak256(buf[:]))
}

// SignRecovery signs a token recovery for session id with the payer's key.
func SignRecovery(key *ecdsa.PrivateKey, chainID uint64, escrowAddr common.Address, id [32]byte, issuedAt uint64) (*Recovery, error) {
	digest := RecoveryDigest(chainID, escrowAddr, id, issuedAt)
	sig, err := crypto.Sign(digest[:], key)
	if err != nil {
		return nil, fmt.Errorf("escrow: signing a recovery: %w", err)
	}
	sig[64] += 27
	return &Recovery{IssuedAt: evm.NumString(strconv.FormatUint(issuedAt, 10)), Signature: fmt.Sprintf("0x%x", sig)}, nil
}

// Recovered is a session with its new token.
type Recovered struct {
	Session *Session
	Token   string
	Balance *big.Int
}

// Recover checks a payer's signed recovery for session ref.ID and gives the
// session a new token (the old one stops working). An opening session is
// reconciled with the chain first; one whose authorize is not mined yet
// answers with a retryable error.
func (o *Operator) Recover(ctx context.Context, sessionID string, rc *Recovery) (*Recovered, *facilitator.Error, error) {
	bad := func(format string, args ...any) (*Recovered, *facilitator.Error, error) {
		return nil, facilitator.Errorf(facilitator.CodeEscrowRecovery, format, args...), nil
	}
	id, err := parseID(sessionID)
	if err != nil {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "session.id is not a 32-byte 0x-hex id"), nil
	}
	s, err := o.lookup(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "no session %s here", sessionID), nil
	}
	issuedAt, err := strconv.ParseUint(string(rc.IssuedAt), 10, 64)
	if err != nil || issuedAt > 1<<40 {
		return bad("recovery.issuedAt must be Unix seconds")
	}
	if skew := o.cfg.Now().Sub(time.Unix(int64(issuedAt), 0)); skew > o.cfg.RecoverySkew || skew < -o.cfg.RecoverySkew {
		return bad("recovery.issuedAt is %s from now; sign a fresh recovery (within %s)", skew.Round(time.Second), o.cfg.RecoverySkew)
	}
	sig, err := evm.DecodeHexBytes(rc.Signature, evm.MaxSignatureBytes)
	if err != nil {
		return bad("recovery.signature: %v", err)
	}
	digest := RecoveryDigest(o.cfg.ChainID, o.cfg.Escrow, id, issuedAt)
	if signer, err := evm.RecoverSigner(digest, sig); err != nil || signer != s.pi.Payer {
		ok, err := evm.IsValidSignature1271(ctx, o.cfg.Sender.Backend(), s.pi.Payer, digest, sig)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return bad("the recovery is not signed by the session's payer %s", s.pi.Payer.Hex())
		}
	}
	if s.Status() == StatusOpening && s.pi.Operator == o.Address() {
		o.reconcileOpening(ctx, s)
	}
	switch st := s.Status(); st {
	case StatusOpening:
		return nil, nil, fmt.Errorf("escrow: the authorize of session %s is not mined yet; retry the recovery shortly", s.IDHex())
	case StatusActive:
	default:
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionClosed, "session %s is %s; there is no token to recover", s.IDHex(), st), nil
	}
	if issuedAt <= s.record().RecoveredAt {
		return bad("this recovery (or a later one) was already used; sign a fresh one")
	}
	token, tokenHash, err := newToken()
	if err != nil {
		return nil, nil, err
	}
	if sh := o.shared(); sh != nil && s.shared {
		sctx, cancel := context.WithTimeout(ctx, sharedTimeout)
		err := sh.SetToken(sctx, id, tokenHash, issuedAt)
		cancel()
		switch {
		case errors.Is(err, ErrSharedStale):
			return bad("this recovery (or a later one) was already used; sign a fresh one")
		case err != nil:
			return nil, nil, fmt.Errorf("escrow: shared store: %w", err)
		}
	}
	s.mu.Lock()
	s.tokenHash = tokenHash
	s.mu.Unlock()
	if err := o.update(s, func(r *SessionRecord) {
		r.TokenHash, r.RecoveredAt, r.Orphan, r.OrphanSince = fmt.Sprintf("%x", tokenHash), issuedAt, false, 0
	}); err != nil {
		return nil, nil, err
	}
	o.log.Info("escrow session token recovered by its payer", zap.String("session", s.IDHex()), zap.String("payer", s.pi.Payer.Hex()))
	bal := s.Balance()
	if sh := o.shared(); sh != nil && s.shared {
		if c, err := o.committedTotal(ctx, s); err == nil {
			bal = new(big.Int).Sub(s.pi.MaxAmount, c)
		}
	}
	return &Recovered{Session: s, Token: token, Balance: bal}, nil, nil
}
