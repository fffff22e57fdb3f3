package paywall

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/caddy-x402/x402/policies"
	"github.com/ethereum/go-ethereum/common"
	"go.uber.org/zap"
)

// ExactScheme verifies exact (EIP-3009) payments in-process: the EIP-712
// digest and ECDSA recovery, amount, payee, asset, network and window, with
// no network call. Only contract-wallet signatures go to the facilitator.
type ExactScheme struct {
	prep *exact.Prepared
}

// Accept implements Scheme.
func (s *ExactScheme) Accept(ctx context.Context, e *Engine, _ *http.Request, p *facilitator.PaymentPayload, o *Offer) (Claim, *Rejection) {
	c, xerr := exact.Check(p, s.prep, e.now(), e.MaxValidity)
	if xerr != nil {
		return nil, &Rejection{Status: http.StatusPaymentRequired, Err: xerr}
	}
	if c.NeedsChain {
		vr, err := e.Facilitator.Verify(ctx, p, &o.Requirements)
		if err != nil {
			return nil, &Rejection{Status: http.StatusServiceUnavailable, Err: facilitator.Wrap(facilitator.CodeUnexpectedVerifyError, "cannot verify the contract-wallet signature now; retry later", err)}
		}
		if !vr.IsValid {
			return nil, reject(http.StatusPaymentRequired, vr.InvalidReason, "%s", vr.InvalidMessage)
		}
	}
	key := replayKey(s.prep.ChainID, s.prep.Asset, &c.Auth)
	// Remember the nonce a little past validBefore: until then the
	// signature could still be settled, so it must not buy a second response.
	until := time.Unix(int64(c.Auth.ValidBefore.Uint64()), 0).Add(time.Minute)
	if err := e.Guard.Claim(ctx, key, until); err != nil {
		switch {
		case errors.Is(err, ErrReplay):
			return nil, reject(http.StatusPaymentRequired, facilitator.CodeExactNonceUsed, "this payment was already used; sign a new one (replay refused)")
		case errors.Is(err, ErrGuardFull):
			return nil, reject(http.StatusServiceUnavailable, facilitator.CodeServiceBusy, "too many payments in flight; retry shortly")
		case errors.Is(err, ErrStoreRecovering):
			return nil, reject(http.StatusServiceUnavailable, facilitator.CodeServiceBusy, "the payment store is recovering from a data loss; retry in a few seconds")
		default:
			return nil, &Rejection{Status: http.StatusServiceUnavailable, Err: facilitator.Wrap(facilitator.CodeServiceBusy, "replay guard unavailable; retry shortly", err)}
		}
	}
	e.live.add(key, until)
	return &exactClaim{e: e, req: &o.Requirements, reqJSON: o.requirementsJSON(), payload: p, key: key, payer: c.Payer(), deadline: until,
		token: s.prep.Asset, from: c.Auth.From, amount: c.Auth.Value.ToBig(), symbol: o.Symbol, decimals: o.Decimals}, nil
}

// replayKey identifies an EIP-3009 authorization: the token contract keeps
// one nonce space per (token, authorizer), on one chain.
func replayKey(chainID uint64, token common.Address, a *evm.Authorization) [32]byte {
	var buf [8 + 20 + 20 + 32]byte
	binary.BigEndian.PutUint64(buf[:8], chainID)
	copy(buf[8:28], token[:])
	copy(buf[28:48], a.From[:])
	copy(buf[48:80], a.Nonce[:])
	return evm.Keccak256(buf[:])
}

type exactClaim struct {
	e   *Engine
	req *facilitator.PaymentRequirements
	// reqJSON is req as JSON (the offer's, encoded once); payloadJSON the
	// payment as the client sent it (its decoded header). The journal
	// entry is made of them, without encoding either again.
	reqJSON     []byte
	payloadJSON []byte
	payload     *facilitator.PaymentPayload
	key         [32]byte
	payer       string
	deadline    time.Time

	token, from common.Address
	amount      *big.Int
	funds       func(settled bool) // set when the funds check reserved the amount
	// txs are the transactions already sent for this payment (earlier
	// attempts, the broadcasts of this one, or the journal's record after
	// a restart): a settlement found on chain under another hash is a
	// replay incident. Guarded by txMu (broadcasts are reported from the
	// facilitator's goroutines).
	txMu sync.Mutex
	txs  []string
	// symbol and decimals describe the asset for logs; decimals is -1 when
	// unknown (a claim restored from the journal).
	symbol   string
	decimals int
}

// AmountText is the payment's amount for operators, e.g. "0.01 USDC (10000
// units)".
func (c *exactClaim) AmountText() string {
	units := c.amount
	if units == nil {
		units, _ = new(big.Int).SetString(c.req.Amount, 10)
	}
	return policies.FormatAmount(units, c.decimals, c.symbol)
}

// reserveFunds checks the payer's balance for a settlement that comes
// after the response ("after" mode).
func (c *exactClaim) reserveFunds(ctx context.Context) *Rejection {
	f := c.e.Funds
	if f == nil {
		return nil
	}
	x := &Exposure{Key: c.exposureKey(), ID: c.key, Amount: c.amount, Until: c.deadline}
	release, err := f.Reserve(ctx, x)
	var insufficient *InsufficientFunds
	switch {
	case errors.As(err, &insufficient):
		amount := func(u *big.Int) string { return policies.FormatAmount(u, c.decimals, c.symbol) }
		return reject(http.StatusPaymentRequired, facilitator.CodeExactInsufficientBalance,
			"the payer's balance covers %s after the payments still settling; this payment needs %s", amount(insufficient.Available), amount(insufficient.Amount))
	case errors.Is(err, ErrStoreRecovering):
		return reject(http.StatusServiceUnavailable, facilitator.CodeServiceBusy, "the payment store is recovering from a data loss; retry in a few seconds")
	case err != nil:
		return &Rejection{Status: http.StatusServiceUnavailable, Err: facilitator.Wrap(facilitator.CodeServiceBusy, "cannot check the payer's balance now; retry shortly", err)}
	}
	c.funds = release
	c.e.live.expose(c.key, x)
	return nil
}

func (c *exactClaim) exposureKey() ExposureKey {
	return ExposureKey{Network: c.req.Network, Asset: c.token, Payer: c.from}
}

// fundsDone reports the final outcome to the funds check.
func (c *exactClaim) fundsDone(settled bool) {
	if c.funds != nil {
		c.funds(settled)
	}
}

func (c *exactClaim) Payer() string       { return c.payer }
func (c *exactClaim) Scheme() string      { return facilitator.SchemeExact }
func (c *exactClaim) Deadline() time.Time { return c.deadline }
func (c *exactClaim) Deferred() bool      { return true }

func (c *exactClaim) Settle(ctx context.Context) (facilitator.SettleResponse, error) {
	ctx = facilitator.WithOwnTransactions(ctx, c.ownTxs()...)
	ctx = facilitator.WithBroadcastHook(ctx, c.broadcast)
	resp, err := c.e.Facilitator.Settle(ctx, c.payload, c.req)
	resp.Network = wireNetwork(c.payload.X402Version, c.req.Network)
	if resp.Payer == "" {
		resp.Payer = c.payer
	}
	switch {
	case err == nil && resp.Success:
		c.fundsDone(true)
		c.e.live.remove(c.key)
	case err == nil && resp.ErrorReason != facilitator.CodeSettlementPending:
		if facilitator.IsReplayIncident(resp) {
			c.e.replayIncident(c.req.Network, c.payer, resp)
		}
		c.fundsDone(false) // a final failure
		c.e.live.remove(c.key)
	case resp.Transaction != "":
		// Sent, outcome not known yet: the next attempt must find it ours.
		c.addTx(resp.Transaction)
	}
	return resp, err
}

// broadcast is the facilitator's broadcast hook: a transaction carrying
// this payment is about to go out. It becomes one of the payment's own, in
// memory and in the journal (written ahead of the broadcast), so that a
// restart after a crash finds the settlement on chain to be this payment's.
func (c *exactClaim) broadcast(tx string) {
	if !c.addTx(tx) || c.e.Journal == nil {
		return
	}
	if err := c.e.Journal.Broadcast(hex.EncodeToString(c.key[:]), tx); err != nil {
		c.e.logger().Error("journal: recording a settlement broadcast", zap.String("tx", tx), zap.Error(err))
	}
}

// addTx adds tx to the payment's own transactions; false if it was there.
func (c *exactClaim) addTx(tx string) bool {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	if slices.Contains(c.txs, tx) {
		return false
	}
	c.txs = append(c.txs, tx)
	return true
}

func (c *exactClaim) ownTxs() []string {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	return slices.Clone(c.txs)
}

func (c *exactClaim) Release(ctx context.Context) {
	c.fundsDone(false)
	_ = c.e.Guard.Release(context.WithoutCancel(ctx), c.key)
	c.e.live.remove(c.key)
}

var queuedExtension = json.RawMessage(`{"settlement":{"status":"queued"}}`)

func (c *exactClaim) Queued() facilitator.SettleResponse {
	return facilitator.SettleResponse{
		Success: true, Payer: c.payer, Network: wireNetwork(c.payload.X402Version, c.req.Network),
		Extensions: queuedExtension,
	}
}

func (c *exactClaim) keepPayloadJSON(raw []byte) { c.payloadJSON = raw }

func (c *exactClaim) Entry() *Entry {
	raw := c.payloadJSON
	if raw == nil {
		raw, _ = json.Marshal(c.payload)
	}
	return &Entry{ID: hex.EncodeToString(c.key[:]), Scheme: facilitator.SchemeExact, Payload: raw, Requirements: *c.req, reqJSON: c.reqJSON, Deadline: c.deadline}
}

// restoreExact rebuilds a claim from its journal entry after a restart.
func restoreExact(e *Engine, en *Entry) (Claim, error) {
	var p facilitator.PaymentPayload
	if err := json.Unmarshal(en.Payload, &p); err != nil {
		return nil, fmt.Errorf("journal entry %s: %w", en.ID, err)
	}
	var ep evm.ExactPayload
	if err := json.Unmarshal(p.Payload, &ep); err != nil || ep.Authorization == nil {
		return nil, fmt.Errorf("journal entry %s: not an exact payload", en.ID)
	}
	key, err := hex.DecodeString(en.ID)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("journal entry %s: bad id", en.ID)
	}
	req := en.Requirements
	c := &exactClaim{e: e, req: &req, payload: &p, payer: ep.Authorization.From, deadline: en.Deadline, decimals: -1}
	copy(c.key[:], key)
	for _, tx := range append(slices.Clone(en.Sent), en.Tx) {
		if tx != "" {
			c.addTx(tx)
		}
	}
	if a, err := ep.Authorization.Parse(); err == nil {
		c.from, c.amount = a.From, a.Value.ToBig()
		c.token, _ = evm.ParseAddress(req.Asset)
		if en.State == StateQueued && e.Funds != nil {
			// Served before the restart: its reservation in the shared
			// store (or the one re-armed after a store loss) ends with it.
			c.funds = e.Funds.Finisher(c.exposureKey(), c.key)
		}
	}
	return c, nil
}

// wireNetwork spells a network the way the payment's protocol version does.
func wireNetwork(version int, network string) string {
	if version == facilitator.V1 {
		return facilitator.V1NetworkName(network)
	}
	return network
}
