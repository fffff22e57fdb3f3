package caddymodule

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/policies"
	"github.com/caddyserver/caddy/v2"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"
)

// EscrowConfig enables escrow sessions on a network: the embedded
// facilitator becomes the operator of an AuthCaptureEscrow v1.0 (ours on the
// dev chain; Base's deployment elsewhere unless configured). Its key pays
// the gas of authorize, capture and void.
type EscrowConfig struct {
	// Contract and Collector are the escrow and its ERC-3009 payment
	// collector. Defaults: the dev chain's, or Base's v1.0 deployment on
	// base and base-sepolia.
	Contract  string `json:"contract,omitempty"`
	Collector string `json:"collector,omitempty"`
	// MinDeposit and MaxDeposit bound a session's deposit, as prices
	// ("0.10", "100000 units"). Defaults: 0.10 and 100.
	MinDeposit string `json:"min_deposit,omitempty"`
	MaxDeposit string `json:"max_deposit,omitempty"`
	// MinSession and MaxSession bound a session's length. Defaults: 10m, 168h.
	MinSession caddy.Duration `json:"min_session,omitempty"`
	MaxSession caddy.Duration `json:"max_session,omitempty"`
	// ServeMargin stops use this long before a session expires (default
	// 5m); CaptureMargin runs the final capture this long before (default 2m).
	ServeMargin   caddy.Duration `json:"serve_margin,omitempty"`
	CaptureMargin caddy.Duration `json:"capture_margin,omitempty"`
	// CaptureThreshold captures once this much is used and not captured, as
	// a price. Default: 1.00.
	CaptureThreshold string `json:"capture_threshold,omitempty"`
	// CaptureInterval is how often sessions are checked. Default: 10s.
	CaptureInterval caddy.Duration `json:"capture_interval,omitempty"`
	// CaptureWorkers bounds how many sessions are captured, closed or
	// reconciled at once, most urgent expiry first. Default: 8.
	CaptureWorkers int `json:"capture_workers,omitempty"`
	// CloseWait bounds how long a close waits for requests in flight on
	// the session (on every instance) before sealing it; a request that
	// ends later is refused and not charged. Default: 30s.
	CloseWait caddy.Duration `json:"close_wait,omitempty"`
	// RecoveryWindow: a session whose opening answer (with its token) was
	// lost stays open this long for its payer to recover the token with a
	// signed recovery; then it is closed and the deposit voided back.
	// Default: 15m.
	RecoveryWindow caddy.Duration `json:"recovery_window,omitempty"`
	// AlertMargin: a session this close to its expiry with use not yet
	// captured is logged at error level and counted in
	// caddy_x402_escrow_near_expiry_alerts_total. Default: half of
	// capture_margin.
	AlertMargin caddy.Duration `json:"alert_margin,omitempty"`
}

// Base's AuthCaptureEscrow v1.0 deployment (same addresses on base and
// base-sepolia; reference/escrow.md §3.1).
var baseEscrowV10 = [2]string{"0xBdEA0D1bcC5966192B070Fdf62aB4EF5b4420cff", "0x0E3dF9510de65469C4518D7843919c0b8C7A7757"}

// ledgers keeps escrow ledger files open once per process.
var ledgers = caddy.NewUsagePool()

type pooledLedger struct{ *escrow.Ledger }

func (p pooledLedger) Destruct() error { return p.Ledger.Close() }

// escrowDeployment is the escrow contract and collector of network n: as
// configured, else the dev chain's, else Base's v1.0 deployment on base and
// base-sepolia.
func escrowDeployment(nc *NetworkConfig, n *network, devEscrow [2]string) (contract, collector string, err error) {
	if ec := nc.Escrow; ec != nil && ec.Contract != "" && ec.Collector != "" {
		return ec.Contract, ec.Collector, nil
	}
	switch {
	case n.dev:
		return devEscrow[0], devEscrow[1], nil
	case n.id == "eip155:8453" || n.id == "eip155:84532":
		return baseEscrowV10[0], baseEscrowV10[1], nil
	}
	return "", "", fmt.Errorf("x402 network %s: escrow needs contract and collector addresses", nc.Name)
}

// startEscrow builds the escrow operator of network n.
func (rt *appRuntime) startEscrow(nc *NetworkConfig, n *network, sender *evm.Sender) error {
	ec := nc.Escrow
	if ec == nil {
		if !n.dev {
			return nil
		}
		ec = &EscrowConfig{}
	}
	contract, collector, err := escrowDeployment(nc, n, rt.devEscrow)
	if err != nil {
		return err
	}
	esc, err1 := evm.ParseAddress(contract)
	col, err2 := evm.ParseAddress(collector)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("x402 network %s: escrow contract and collector must be addresses", nc.Name)
	}
	decimals := 6
	if len(n.assets) > 0 {
		decimals = n.assets[0].Decimals
	}
	amount := func(s, def string) (*big.Int, error) {
		if s == "" {
			s = def
		}
		return policies.ParsePrice(s, decimals)
	}
	minDep, err := amount(ec.MinDeposit, "0.10")
	if err != nil {
		return fmt.Errorf("x402 network %s escrow min_deposit: %w", nc.Name, err)
	}
	maxDep, err := amount(ec.MaxDeposit, "100")
	if err != nil {
		return fmt.Errorf("x402 network %s escrow max_deposit: %w", nc.Name, err)
	}
	threshold, err := amount(ec.CaptureThreshold, "1.00")
	if err != nil {
		return fmt.Errorf("x402 network %s escrow capture_threshold: %w", nc.Name, err)
	}
	path := rt.files.ledger
	key := fmt.Sprintf("escrow:%d:%s:%s", n.chainID, esc.Hex(), path)
	val, loaded, err := operators.LoadOrNew(key, func() (caddy.Destructor, error) {
		po := &pooledOperator{senderKey: senderKey(n, sender.Address().Hex()), ledger: path}
		// Hold the sender and the ledger for as long as the operator lives.
		if _, _, err := senders.LoadOrNew(po.senderKey, func() (caddy.Destructor, error) {
			return nil, fmt.Errorf("settlement sender is gone")
		}); err != nil {
			return nil, err
		}
		lv, _, err := ledgers.LoadOrNew(path, func() (caddy.Destructor, error) {
			if err := checkFree("escrow ledger", path, "escrow_ledger"); err != nil {
				return nil, err
			}
			l, err := escrow.OpenLedger(path)
			if errors.Is(err, bolterrors.ErrTimeout) {
				return nil, checkFreeOrBusy("escrow ledger", path, "escrow_ledger")
			}
			if err != nil {
				return nil, err
			}
			return pooledLedger{l}, nil
		})
		if err != nil {
			_, _ = senders.Delete(po.senderKey)
			return nil, fmt.Errorf("x402 escrow ledger: %w", err)
		}
		shared, err := po.connectStore(rt.app.Store)
		if err != nil {
			_ = po.Destruct()
			return nil, err
		}
		op, err := escrow.NewOperator(escrow.Config{
			Shared:  shared,
			ChainID: n.chainID, Network: n.id, Sender: sender, Escrow: esc, Collector: col, Ledger: lv.(pooledLedger).Ledger,
			MinDeposit: minDep, MaxDeposit: maxDep, CaptureThreshold: threshold,
			MinSession: time.Duration(ec.MinSession), MaxSession: time.Duration(ec.MaxSession),
			ServeMargin: time.Duration(ec.ServeMargin), CaptureMargin: time.Duration(ec.CaptureMargin),
			CaptureInterval: time.Duration(ec.CaptureInterval), ReceiptTimeout: time.Duration(nc.ReceiptTimeout), Logger: rt.log,
			CaptureWorkers: ec.CaptureWorkers, CloseWait: time.Duration(ec.CloseWait), RecoveryWindow: time.Duration(ec.RecoveryWindow),
			AlertMargin: time.Duration(ec.AlertMargin), Observer: newEscrowObserver(n.id),
		})
		if err != nil {
			_ = po.Destruct()
			return nil, fmt.Errorf("x402 network %s: %w", nc.Name, err)
		}
		po.op = op
		return po, nil
	})
	if err != nil {
		return err
	}
	rt.operatorKeys = append(rt.operatorKeys, key)
	po := val.(*pooledOperator)
	op := po.op
	if loaded {
		rt.log.Debug("reusing the escrow operator across a config reload (its settings change once no config uses it)", zap.String("network", n.id))
		if err := po.followStore(rt.app.Store); err != nil {
			return fmt.Errorf("x402 network %s: %w", nc.Name, err)
		}
	}
	n.escrow = op
	rt.log.Info("escrow sessions enabled", zap.String("network", n.id), zap.String("escrow", esc.Hex()),
		zap.String("collector", col.Hex()), zap.String("operator", op.Address().Hex()))
	return nil
}
