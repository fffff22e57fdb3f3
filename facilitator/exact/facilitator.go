package exact

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"go.uber.org/zap"
)

// Config configures an exact facilitator for one EVM chain.
type Config struct {
	// ChainID of the chain served. Required.
	ChainID uint64
	// Backend is the chain. Without it the facilitator verifies offline only:
	// contract-wallet signatures are refused and Settle fails.
	Backend evm.Backend
	// Key settles payments (pays gas). Required for Settle; never logged.
	Key *ecdsa.PrivateKey
	// SettleOnce makes Settle answer success once per authorization: a
	// repeated or concurrent Settle of an authorization that was settled (or
	// is being settled) fails with invalid_exact_evm_nonce_already_used and
	// the original transaction, except a retry after settlement_pending,
	// which waits for the same transaction. Use it where callers have no
	// replay guard of their own (the facilitator HTTP API); the paywall's
	// queue relies on idempotent retries instead. Default: off.
	SettleOnce bool
	// CheckNonce makes Verify refuse an authorization that is already used
	// on chain (authorizationState) or being settled here; it needs Backend.
	// Default: off (the paywall verifies without network access and has its
	// own replay guard).
	CheckNonce bool
	// Sender, when set, sends settlements instead of a sender made from
	// Key: one account must have one Sender, so components settling from
	// the same key (exact and the escrow operator) share it.
	Sender *evm.Sender
	// Observer is told about each settlement transaction this facilitator
	// sends one by one, once mined (a Batcher has its own). Optional.
	Observer TxObserver
	// Batcher, when set, sends settlements in batches (one aggregate3
	// transaction carrying many payments) instead of one transaction each.
	// It must send through the same Sender; share one per key and chain.
	// Default: none (one transaction per payment).
	Batcher *Batcher
	// Simulate adds an eth_call of transferWithAuthorization to Verify, with
	// a diagnosis (nonce used, balance, token name/version) when it fails.
	// Default: off (the paywall's hot path makes no RPC).
	Simulate bool
	// MaxValidity is the longest accepted window from now to validBefore.
	// Default: DefaultMaxValidity (2 h), or the requirement's
	// maxTimeoutSeconds when larger.
	MaxValidity time.Duration
	// ReceiptTimeout bounds the wait for a settlement's receipt; past it the
	// answer is settlement_pending with the transaction hash. Default: 60 s.
	ReceiptTimeout time.Duration
	// LogLookback is how many blocks back to search for the transaction of an
	// authorization that is already used on chain (idempotent settle across
	// restarts). Default: 10000.
	LogLookback uint64
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Logger; default: no logging.
	Logger *zap.Logger
}

// Facilitator is the embedded exact facilitator for one chain.
type Facilitator struct {
	cfg     Config
	network string
	sender  *evm.Sender
	batcher *Batcher
	log     *zap.Logger

	// settled remembers authorizations this process settled or saw settled,
	// so a repeated Settle returns the original transaction.
	settled *expirable.LRU[authKey, settlement]
	// inflight deduplicates concurrent Settle calls of one authorization.
	mu       sync.Mutex
	inflight map[authKey]*flight
}

// authKey identifies one authorization. The EIP-712 digest covers the whole
// of it (payee, value, window), so that another authorization reusing the
// payer's nonce never matches the settlement of the first.
type authKey struct {
	asset, from common.Address
	nonce       [32]byte
	digest      [32]byte
}

type settlement struct {
	tx      common.Hash
	pending bool // broadcast, receipt not seen yet
}

type flight struct {
	done chan struct{}
	resp facilitator.SettleResponse
	err  error
}

var _ facilitator.Facilitator = (*Facilitator)(nil)

// New returns an exact facilitator. It does not touch the chain.
func New(cfg Config) (*Facilitator, error) {
	if cfg.ChainID == 0 {
		return nil, errors.New("exact facilitator: chain id is required")
	}
	if cfg.ReceiptTimeout <= 0 {
		cfg.ReceiptTimeout = 60 * time.Second
	}
	if cfg.LogLookback == 0 {
		cfg.LogLookback = 10000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	f := &Facilitator{
		cfg:      cfg,
		network:  "eip155:" + strconv.FormatUint(cfg.ChainID, 10),
		log:      cfg.Logger,
		settled:  expirable.NewLRU[authKey, settlement](100_000, nil, 24*time.Hour),
		inflight: make(map[authKey]*flight),
	}
	switch {
	case cfg.Sender != nil:
		f.sender = cfg.Sender
	case cfg.Backend != nil && cfg.Key != nil:
		f.sender = evm.NewSender(cfg.Backend, cfg.Key, new(big.Int).SetUint64(cfg.ChainID))
	}
	if cfg.Batcher != nil {
		if f.sender == nil || cfg.Batcher.sender != f.sender {
			return nil, errors.New("exact facilitator: the batcher must send through the facilitator's Sender")
		}
		f.batcher = cfg.Batcher
	}
	return f, nil
}

// Network is the CAIP-2 id of the chain served.
func (f *Facilitator) Network() string { return f.network }

// Address is the settlement account, or the zero address without a key.
func (f *Facilitator) Address() common.Address {
	if f.sender == nil {
		return common.Address{}
	}
	return f.sender.Address()
}

// Supported lists exact on this chain for v2 (CAIP-2) and v1 (the v1 name
// when the chain has one).
func (f *Facilitator) Supported(context.Context) (facilitator.SupportedResponse, error) {
	kinds := []facilitator.SupportedKind{{X402Version: facilitator.V2, Scheme: facilitator.SchemeExact, Network: f.network}}
	kinds = append(kinds, facilitator.SupportedKind{X402Version: facilitator.V1, Scheme: facilitator.SchemeExact, Network: facilitator.V1NetworkName(f.network)})
	resp := facilitator.SupportedResponse{Kinds: kinds}
	if f.sender != nil {
		resp.Signers = map[string][]string{"eip155:*": {f.sender.Address().Hex()}}
	}
	return resp, nil
}

// Verify checks a payment against the server's requirements: the offline
// checks, then ERC-1271 for contract wallets and, when configured, a
// simulation of the transfer.
func (f *Facilitator) Verify(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
	c, xerr, err := f.verify(ctx, p, r, f.cfg.Simulate)
	if err != nil {
		return facilitator.VerifyResponse{}, err
	}
	if xerr == nil && f.cfg.CheckNonce {
		xerr, err = f.checkNonce(ctx, c, r)
		if err != nil {
			return facilitator.VerifyResponse{}, err
		}
	}
	if xerr != nil {
		payer := ""
		if c != nil {
			payer = c.Payer()
		}
		return xerr.Invalid(payer), nil
	}
	return facilitator.VerifyResponse{IsValid: true, Payer: c.Payer()}, nil
}

// verify returns the checked payment, or an x402 rejection, or an
// infrastructure error.
func (f *Facilitator) verify(ctx context.Context, p *facilitator.PaymentPayload, r *facilitator.PaymentRequirements, simulate bool) (*Checked, *facilitator.Error, error) {
	prep, err := Prepare(r)
	if err != nil {
		return nil, facilitator.AsError(err, facilitator.CodeInvalidPaymentRequirements), nil
	}
	if prep.ChainID != f.cfg.ChainID {
		return nil, facilitator.Errorf(facilitator.CodeExactNetworkConfig, "this facilitator settles on %s, not %s", f.network, r.Network), nil
	}
	c, xerr := Check(p, prep, f.cfg.Now(), f.cfg.MaxValidity)
	if xerr != nil {
		return nil, xerr, nil
	}
	if c.NeedsChain {
		if xerr, err := f.checkContractSignature(ctx, c); err != nil || xerr != nil {
			return c, xerr, err
		}
	}
	if simulate {
		if xerr, err := f.simulate(ctx, c, prep); err != nil || xerr != nil {
			return c, xerr, err
		}
	}
	return c, nil, nil
}

// checkContractSignature verifies a non-ECDSA signature with ERC-1271 when
// the payer is a deployed contract.
func (f *Facilitator) checkContractSignature(ctx context.Context, c *Checked) (*facilitator.Error, error) {
	if f.cfg.Backend == nil {
		return facilitator.Errorf(facilitator.CodeExactSignature, "signature does not recover to %s and contract wallets need a chain connection", c.Payer()), nil
	}
	code, err := f.cfg.Backend.CodeAt(ctx, c.Auth.From, nil)
	if err != nil {
		return nil, fmt.Errorf("reading code of %s: %w", c.Payer(), err)
	}
	if len(code) == 0 {
		if c.Factory != (common.Address{}) {
			return facilitator.Errorf(facilitator.CodeExactUndeployedWallet, "payer %s is an undeployed smart wallet (ERC-6492); deploy it first", c.Payer()), nil
		}
		return facilitator.Errorf(facilitator.CodeExactSignature, "signature does not recover to %s", c.Payer()), nil
	}
	ok, err := evm.IsValidSignature1271(ctx, f.cfg.Backend, c.Auth.From, c.Digest, c.Inner)
	if err != nil {
		return nil, err
	}
	if !ok {
		return facilitator.Errorf(facilitator.CodeExactSignature, "contract wallet %s rejected the signature (ERC-1271)", c.Payer()), nil
	}
	return nil, nil
}

// checkNonce refuses an authorization that was used on chain or is being
// settled (or was settled) by this facilitator.
func (f *Facilitator) checkNonce(ctx context.Context, c *Checked, r *facilitator.PaymentRequirements) (*facilitator.Error, error) {
	if f.cfg.Backend == nil {
		return nil, nil
	}
	prep, err := Prepare(r)
	if err != nil {
		return facilitator.AsError(err, facilitator.CodeInvalidPaymentRequirements), nil
	}
	key := keyOf(prep, c)
	f.mu.Lock()
	_, busy := f.inflight[key]
	f.mu.Unlock()
	if _, done := f.settled.Get(key); busy || done {
		return facilitator.Errorf(facilitator.CodeExactNonceUsed, "this authorization is already being settled or was settled"), nil
	}
	used, err := evm.AuthorizationState(ctx, f.cfg.Backend, prep.Asset, c.Auth.From, c.Auth.Nonce)
	if err != nil {
		return nil, fmt.Errorf("checking the authorization nonce: %w", err)
	}
	if used {
		return facilitator.Errorf(facilitator.CodeExactNonceUsed, "authorization nonce is already used or cancelled on chain"), nil
	}
	return nil, nil
}
