package escrow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"go.uber.org/zap"
)

// Config configures the embedded escrow operator of one chain. Durations
// and amounts left zero take the defaults noted.
type Config struct {
	// ChainID and Network (CAIP-2) of the chain.
	ChainID uint64
	Network string
	// Sender sends authorize, capture and void from the operator key. It
	// should be the same Sender as the exact facilitator's when both use one
	// key. Required.
	Sender *evm.Sender
	// Escrow and Collector are the AuthCaptureEscrow v1.0 and its ERC-3009
	// payment collector. Required.
	Escrow, Collector common.Address
	// Ledger stores sessions and committed debits. Required.
	Ledger *Ledger
	// MinDeposit and MaxDeposit bound a session's deposit, in token units.
	// Defaults: 100000 (0.10 of a 6-decimal token) and 100000000 (100).
	MinDeposit, MaxDeposit *big.Int
	// MinSession and MaxSession bound authorizationExpiry − chain time at
	// creation. Defaults: 10 min and 7 days. A short session could be
	// reclaimed by the payer before it is captured.
	MinSession, MaxSession time.Duration
	// MaxRefundWindow bounds refundExpiry − authorizationExpiry. Default: 30 days.
	MaxRefundWindow time.Duration
	// ServeMargin: no new use within this of authorizationExpiry. Default: 5 min.
	ServeMargin time.Duration
	// CaptureMargin: the final capture runs this long before
	// authorizationExpiry (it must land before it). Default: 2 min; must be
	// below ServeMargin.
	CaptureMargin time.Duration
	// AlertMargin: a session this close to authorizationExpiry with use not
	// yet captured is logged at error level and reported to the Observer.
	// Default: CaptureMargin / 2.
	AlertMargin time.Duration
	// CaptureThreshold captures once this much is committed and not yet
	// captured. Default: 1000000 (1 unit of a 6-decimal token).
	CaptureThreshold *big.Int
	// NearExpiry captures whatever is pending once a session is this close
	// to expiry. Default: 15 min.
	NearExpiry time.Duration
	// CaptureInterval is how often sessions are checked. Default: 10 s.
	CaptureInterval time.Duration
	// CaptureWorkers bounds how many sessions are captured, closed or
	// reconciled at once (most urgent deadline first). Default: 8.
	CaptureWorkers int
	// CloseWait bounds how long a close waits for requests already in
	// flight on the session (on every instance) before sealing it; a
	// request that ends later is refused, not charged. Default: 30 s.
	CloseWait time.Duration
	// RecoveryWindow: a session whose authorize only the capture worker saw
	// mined (the opening answer with its token was lost) stays open this
	// long for its payer to recover the token; then it is closed and the
	// deposit voided back. Default: 15 min.
	RecoveryWindow time.Duration
	// RecoverySkew bounds how far a token recovery's issuedAt may be from
	// now. Default: 5 min.
	RecoverySkew time.Duration
	// ReceiptTimeout bounds the wait for authorize/capture/void receipts.
	// Default: 60 s.
	ReceiptTimeout time.Duration
	// Shared, when set, keeps session spending in a store that several
	// instances share (Redis); nil keeps it in this process (with the
	// ledger for what is committed). SetShared changes it later.
	Shared SharedSessions
	// Observer receives the operator's session metrics. Default: none.
	Observer Observer
	// Now is the clock for serving decisions. Default: time.Now.
	Now func() time.Time
	// Logger; default none. Session tokens are never logged.
	Logger *zap.Logger
}

// Operator is the embedded facilitator acting as the escrow operator: it
// opens sessions (verifying the payer's one signature, then authorize mined
// before anything is served), meters use against the deposit in its ledger,
// captures what was used, and voids the rest on close.
type Operator struct {
	cfg      Config
	contract *Contract
	ledger   *Ledger
	log      *zap.Logger

	mu       sync.RWMutex
	sessions map[[32]byte]*Session
	opening  map[[32]byte]*sync.Mutex
	store    SharedSessions // guarded by mu; see shared()

	worker
}

// NewOperator loads the ledger's sessions and starts the capture worker.
func NewOperator(cfg Config) (*Operator, error) {
	if cfg.Sender == nil || cfg.Ledger == nil || cfg.Escrow == (common.Address{}) || cfg.Collector == (common.Address{}) || cfg.ChainID == 0 {
		return nil, errors.New("escrow operator: chain id, sender, escrow, collector and ledger are required")
	}
	setDefaults(&cfg)
	o := &Operator{cfg: cfg, contract: NewContract(cfg.Sender.Backend(), cfg.Escrow), ledger: cfg.Ledger, log: cfg.Logger,
		sessions: map[[32]byte]*Session{}, opening: map[[32]byte]*sync.Mutex{}, store: cfg.Shared}
	o.worker.init(cfg.CaptureWorkers)
	cfg.Ledger.setLogger(cfg.Logger)
	recs, debits, err := cfg.Ledger.Load()
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		id, err := parseID(rec.ID)
		if err != nil || rec.Escrow != cfg.Escrow.Hex() || (rec.Network != "" && rec.Network != cfg.Network) {
			continue // another chain's or escrow's session
		}
		s := newSession(id, rec)
		for req, amt := range debits[id] {
			s.requests[req] = true
			s.committed.Add(s.committed, amt)
		}
		// A session from the shared store (or moved to it) is spent there;
		// one of our own that is not there yet is moved by the worker.
		s.shared = rec.Shared && o.store != nil
		o.sessions[id] = s
	}
	go o.captureLoop()
	return o, nil
}

func setDefaults(c *Config) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.MinSession, 10*time.Minute)
	def(&c.MaxSession, 7*24*time.Hour)
	def(&c.MaxRefundWindow, 30*24*time.Hour)
	def(&c.ServeMargin, 5*time.Minute)
	def(&c.CaptureMargin, 2*time.Minute)
	def(&c.NearExpiry, 15*time.Minute)
	def(&c.CaptureInterval, 10*time.Second)
	def(&c.ReceiptTimeout, 60*time.Second)
	def(&c.CloseWait, 30*time.Second)
	def(&c.RecoveryWindow, 15*time.Minute)
	def(&c.RecoverySkew, 5*time.Minute)
	if c.CaptureMargin >= c.ServeMargin {
		c.CaptureMargin = c.ServeMargin / 2
	}
	def(&c.AlertMargin, c.CaptureMargin/2)
	if c.CaptureWorkers <= 0 {
		c.CaptureWorkers = 8
	}
	if c.MinDeposit == nil {
		c.MinDeposit = big.NewInt(100_000)
	}
	if c.MaxDeposit == nil {
		c.MaxDeposit = big.NewInt(100_000_000)
	}
	if c.CaptureThreshold == nil {
		c.CaptureThreshold = big.NewInt(1_000_000)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	if c.Network == "" {
		c.Network = fmt.Sprintf("eip155:%d", c.ChainID)
	}
}

// Address is the operator's address (PaymentInfo.operator).
func (o *Operator) Address() common.Address { return o.cfg.Sender.Address() }

// Extra is the requirements' extra for escrow on a token with the given
// EIP-712 domain, as @agentokratia/x402-escrow reads it.
func (o *Operator) Extra(name, version string) json.RawMessage {
	b, _ := json.Marshal(Extra{Name: name, Version: version, EscrowContract: o.cfg.Escrow.Hex(),
		Facilitator: o.Address().Hex(), TokenCollector: o.cfg.Collector.Hex(),
		MinDeposit: evm.NumString(o.cfg.MinDeposit.String()), MaxDeposit: evm.NumString(o.cfg.MaxDeposit.String())})
	return b
}

// Sessions lists the sessions, newest expiry first.
func (o *Operator) Sessions() []SessionInfo {
	o.mu.RLock()
	out := make([]SessionInfo, 0, len(o.sessions))
	for _, s := range o.sessions {
		out = append(out, s.Info())
	}
	o.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ExpiresAt.After(out[j].ExpiresAt) })
	return out
}

// Session returns a session this process holds, by id.
func (o *Operator) Session(id [32]byte) (*Session, bool) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	s, ok := o.sessions[id]
	return s, ok
}

// lookup returns the session from this process, or else from the shared
// store (any instance serves any session of it); nil when unknown.
func (o *Operator) lookup(ctx context.Context, id [32]byte) (*Session, error) {
	if s, ok := o.Session(id); ok {
		return s, nil
	}
	if o.shared() == nil {
		return nil, nil
	}
	return o.loadShared(ctx, id)
}

// Reserve authenticates a usage request against its session, checks that
// the session is for these requirements (network, token, receiver) and
// reserves amount for requestID. No signature, no chain access.
func (o *Operator) Reserve(ctx context.Context, ref *SessionRef, requestID string, amount *big.Int, req *facilitator.PaymentRequirements) (*Reservation, *facilitator.Error, error) {
	id, err := parseID(ref.ID)
	if err != nil {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "session.id is not a 32-byte 0x-hex id"), nil
	}
	s, err := o.lookup(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionUnknown, "no session %s here", ref.ID), nil
	}
	// A shared session's token is checked by the shared store, atomically
	// with the reservation (a recovery on any instance replaces it).
	th := hashToken(ref.Token)
	if !s.shared && !s.tokenHashMatches(th) {
		return nil, errToken(), nil
	}
	return o.reserveIn(ctx, s, th, requestID, amount, req)
}

func errToken() *facilitator.Error {
	return facilitator.Errorf(facilitator.CodeEscrowSessionToken, "session token does not match")
}

func (o *Operator) reserveIn(ctx context.Context, s *Session, tokenHash [32]byte, requestID string, amount *big.Int, req *facilitator.PaymentRequirements) (*Reservation, *facilitator.Error, error) {
	// A session is bound to the network, token and receiver it was opened
	// for, and to our operator (or, with a shared store, to the instance of
	// ours that opened it).
	ours := s.pi.Operator == o.Address() || s.shared
	if !facilitator.SameNetwork(req.Network, o.cfg.Network) || !sameAddr(s.pi.Token, req.Asset) || !sameAddr(s.pi.Receiver, req.PayTo) || !ours {
		return nil, facilitator.Errorf(facilitator.CodeEscrowSessionBinding, "session %s pays %s in %s on %s; this route is %s in %s on %s",
			s.IDHex(), s.pi.Receiver.Hex(), s.pi.Token.Hex(), o.cfg.Network, req.PayTo, req.Asset, req.Network), nil
	}
	switch sh := o.shared(); {
	case sh != nil && s.shared:
		if xe, err := o.reserveShared(ctx, sh, s, tokenHash, requestID, amount); xe != nil || err != nil {
			return nil, xe, err
		}
	case sh != nil:
		// Ours, not yet in the shared store (a publish failed, or the store
		// was just configured): the capture worker moves it within
		// CaptureInterval.
		return nil, nil, fmt.Errorf("escrow: session %s is being moved to the shared store", s.IDHex())
	default:
		if xe := s.reserve(requestID, amount, o.cfg.Now(), o.cfg.ServeMargin); xe != nil {
			return nil, xe, nil
		}
	}
	o.ledger.expect() // its debit is on its way (Commit or Release ends it)
	return &Reservation{Session: s, RequestID: requestID, Amount: new(big.Int).Set(amount), op: o}, nil, nil
}

var errDone = errors.New("escrow: reservation already committed or released")

func parseID(s string) ([32]byte, error) {
	var id [32]byte
	b, err := evm.ParseBytes32(s)
	if err != nil {
		return id, err
	}
	return b, nil
}

func parseAddr(s string) (common.Address, error) { return evm.ParseAddress(s) }

// newToken returns a fresh session token: "sess_" and 32 random bytes in hex.
func newToken() (string, [32]byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", [32]byte{}, fmt.Errorf("escrow: session token: %w", err)
	}
	tok := "sess_" + hex.EncodeToString(b[:])
	return tok, hashToken(tok), nil
}
