package caddymodule

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
	"go.uber.org/zap"
)

// The settlement pipeline's options of a network: batching of exact
// settlements and the pricing of stuck transactions.

// BatchConfig is how exact settlements are batched on a network: the due
// settlements of the facilitator key go out together, one Multicall3
// aggregate3 transaction carrying many payments.
type BatchConfig struct {
	// Off settles one transaction per payment. Default: false (batched).
	Off bool `json:"off,omitempty"`
	// Size is the most payments in one transaction; a full batch is sent
	// at once. Default: 200 (about 9 million gas with USDC-like tokens,
	// under the 16.7 million per-transaction cap of Ethereum's Osaka rules).
	Size int `json:"size,omitempty"`
	// Wait is the longest a due settlement waits for others before its
	// batch is sent (a duration). Default: 100ms.
	Wait caddy.Duration `json:"wait,omitempty"`
	// Multicall3 is the address of the Multicall3 contract. Default:
	// 0xcA11bde05977b3631167028862bE2a173976CA11, where Base, Ethereum and
	// most chains have it (the dev chain too; `caddy x402 devchain deploy`
	// places ours there on anvil). Without code there, settlements go one
	// transaction each.
	Multicall3 string `json:"multicall3,omitempty"`
}

// DefaultBatchedSettleWorkers is the default number of settlements in
// flight when a network batches: enough to fill several batches of the
// default size while earlier ones wait for their block.
const DefaultBatchedSettleWorkers = 1024

// batching reports whether exact settlements on nc are batched.
func (nc *NetworkConfig) batching() bool { return nc.Batch == nil || !nc.Batch.Off }

// batchConfig is the exact.BatchConfig of nc (its observer and logger are
// the runtime's).
func (nc *NetworkConfig) batchConfig() exact.BatchConfig {
	var bc exact.BatchConfig
	if b := nc.Batch; b != nil {
		bc.MaxSize, bc.MaxWait = b.Size, time.Duration(b.Wait)
		if b.Multicall3 != "" {
			bc.Multicall3 = common.HexToAddress(b.Multicall3)
		}
	}
	return bc
}

// senderConfig is the evm.SenderConfig of nc (watcher and logger are
// filled in by the pool).
func (nc *NetworkConfig) senderConfig() evm.SenderConfig {
	sc := evm.SenderConfig{ReplaceAfter: nc.ReplaceAfter}
	if nc.MaxFeePerGas != "" {
		sc.MaxFeePerGas, _ = parseGasPrice(nc.MaxFeePerGas)
	}
	return sc
}

// checkSettlement validates the settlement options of nc.
func (nc *NetworkConfig) checkSettlement() error {
	if b := nc.Batch; b != nil {
		if b.Size < 0 || b.Size > 1000 {
			return fmt.Errorf("batch size %d out of range (1 to 1000)", b.Size)
		}
		if b.Wait < 0 || time.Duration(b.Wait) > time.Minute {
			return fmt.Errorf("batch wait %s out of range (up to 1m)", time.Duration(b.Wait))
		}
		if b.Multicall3 != "" {
			if err := checkAddress(b.Multicall3); err != nil {
				return fmt.Errorf("batch multicall3 %w", err)
			}
		}
	}
	if nc.MaxFeePerGas != "" {
		if _, err := parseGasPrice(nc.MaxFeePerGas); err != nil {
			return fmt.Errorf("max_fee_per_gas %w", err)
		}
	}
	return nil
}

// parseGasPrice reads a gas price: "<n>" in wei, "<n> wei" or "<x> gwei"
// (up to 9 decimals).
func parseGasPrice(s string) (*big.Int, error) {
	fields := strings.Fields(s)
	unit := "wei"
	switch len(fields) {
	case 1:
	case 2:
		unit = strings.ToLower(fields[1])
	default:
		return nil, fmt.Errorf("%q is not a gas price (<n> wei or <x> gwei)", s)
	}
	num := fields[0]
	var v *big.Int
	switch unit {
	case "wei":
		n, ok := new(big.Int).SetString(num, 10)
		if !ok || strings.HasPrefix(num, "+") {
			return nil, fmt.Errorf("%q is not a whole number of wei", num)
		}
		v = n
	case "gwei":
		whole, frac, _ := strings.Cut(num, ".")
		if len(frac) > 9 || whole == "" || strings.Trim(whole+frac, "0123456789") != "" {
			return nil, fmt.Errorf("%q is not an amount of gwei (up to 9 decimals)", num)
		}
		n, _ := new(big.Int).SetString(whole+frac+strings.Repeat("0", 9-len(frac)), 10)
		v = n
	default:
		return nil, fmt.Errorf("unknown unit %q (wei or gwei)", fields[1])
	}
	if v.Sign() <= 0 {
		return nil, fmt.Errorf("%q must be positive", s)
	}
	if v.Cmp(new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.GWei))) > 0 {
		return nil, fmt.Errorf("%q is above 1,000,000 gwei", s)
	}
	return v, nil
}

// parseBatch reads `batch off` or `batch { size <n>; wait <d>; multicall3 <addr> }`.
func parseBatch(d *caddyfile.Dispenser, nc *NetworkConfig) error {
	bc := &BatchConfig{}
	if d.NextArg() {
		if d.Val() != "off" || d.NextArg() {
			return d.Errf("x402 network %s: batch takes `off` or a block", nc.Name)
		}
		bc.Off = true
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if bc.Off {
			return d.Errf("x402 network %s: batch off takes no block", nc.Name)
		}
		if seen[opt] {
			return d.Errf("x402 network %s batch: duplicate option %q", nc.Name, opt)
		}
		seen[opt] = true
		switch opt {
		case "size":
			if err := intArg(d, &bc.Size); err != nil {
				return err
			}
			if bc.Size == 0 {
				return d.Errf("x402 network %s batch: size must be at least 1 (use `batch off` to settle one by one)", nc.Name)
			}
		case "wait":
			if err := durationArg(d, &bc.Wait); err != nil {
				return err
			}
		case "multicall3":
			if err := oneArg(d, &bc.Multicall3); err != nil {
				return err
			}
		default:
			return d.Errf("x402 network %s batch: unknown option %q", nc.Name, opt)
		}
	}
	nc.Batch = bc
	return nil
}

// parseReplaceAfter reads `replace_after <blocks>`.
func parseReplaceAfter(d *caddyfile.Dispenser, nc *NetworkConfig) error {
	var s string
	if !d.AllArgs(&s) {
		return d.ArgErr()
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return d.Errf("x402 network %s: replace_after %q is not a positive number of blocks", nc.Name, s)
	}
	nc.ReplaceAfter = n
	return nil
}

// parseMaxFee reads `max_fee_per_gas <n> [wei|gwei]`.
func parseMaxFee(d *caddyfile.Dispenser, nc *NetworkConfig) error {
	args := d.RemainingArgs()
	if len(args) == 0 || len(args) > 2 {
		return d.ArgErr()
	}
	nc.MaxFeePerGas = strings.Join(args, " ")
	if _, err := parseGasPrice(nc.MaxFeePerGas); err != nil {
		return d.Errf("x402 network %s: max_fee_per_gas %v", nc.Name, err)
	}
	return nil
}

// newBatcher returns the batcher of network n's exact settlements, or nil
// when the network settles one by one: batching is off, or the chain
// answers that the Multicall3 address holds no contract (an unreachable
// chain is not taken for that: the batcher then finds out at its first
// batch and falls back by itself).
func (rt *appRuntime) newBatcher(nc *NetworkConfig, n *network, sender *evm.Sender) *exact.Batcher {
	if !nc.batching() {
		return nil
	}
	bc := nc.batchConfig()
	bc.Observer, bc.Logger = txObserver{}, rt.log
	b := exact.NewBatcher(sender, n.chainID, bc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, err := n.backend.CodeAt(ctx, b.Config().Multicall3, nil)
	if err == nil && len(code) == 0 {
		rt.log.Warn("x402 network has no Multicall3 contract; settling one transaction per payment (set batch { multicall3 <address> } or batch off)",
			zap.String("network", n.id), zap.String("multicall3", b.Config().Multicall3.Hex()))
		return nil
	}
	rt.batchers = append(rt.batchers, b)
	return b
}

// settleWorkers is the number of settlements the queue runs at once: the
// configured settle_workers, else DefaultBatchedSettleWorkers when a
// network batches (settlements wait together for their batch), else 8.
func (rt *appRuntime) settleWorkers() int {
	if w := rt.app.SettleWorkers; w > 0 {
		return w
	}
	if len(rt.batchers) > 0 {
		return DefaultBatchedSettleWorkers
	}
	return 8
}
