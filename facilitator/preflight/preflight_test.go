package preflight

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
)

func startChain(t *testing.T) *devchain.Chain {
	t.Helper()
	c, err := devchain.Start(devchain.Options{ChainID: 84532, Accounts: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// goodConfig is the dev chain as it is: every check passes.
func goodConfig(c *devchain.Chain) Config {
	payer := c.Deployer.Address
	return Config{
		Network: "eip155:84532", ChainID: 84532,
		Assets:   []Asset{{Address: c.Token, Name: "USD Coin", Version: "2"}},
		Escrow:   &Escrow{Contract: c.Escrow, Collector: c.ERC3009Collector},
		GasPayer: &payer,
	}
}

// sendETH moves wei from dev account 0 to to.
func sendETH(t *testing.T, c *devchain.Chain, to common.Address, wei int64) {
	t.Helper()
	ctx := testCtx(t)
	nonce, err := c.Client.PendingNonceAt(ctx, c.Deployer.Address)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(1e9)
	head, err := c.Client.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	tx, err := types.SignNewTx(c.Deployer.Key, types.LatestSignerForChainID(c.ChainID), &types.DynamicFeeTx{
		ChainID: c.ChainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: 21000, To: &to, Value: big.NewInt(wei)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Client.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitReceipt(ctx, tx.Hash()); err != nil {
		t.Fatal(err)
	}
}

func TestRunAllCorrect(t *testing.T) {
	c := startChain(t)
	r, err := Run(testCtx(t), c.Client, goodConfig(c))
	if err != nil || len(r.Problems) != 0 || len(r.Warnings) != 0 {
		t.Fatalf("err %v problems %v warnings %v", err, r.Problems, r.Warnings)
	}
	if r.GasBalance == nil || r.GasBalance.Sign() <= 0 {
		t.Fatalf("gas balance %v", r.GasBalance)
	}
}

// Each configuration mistake is one problem naming the field and saying
// what to set.
func TestRunProblems(t *testing.T) {
	c := startChain(t)
	empty := common.HexToAddress("0x00000000000000000000000000000000000000e1")
	fresh := crypto.PubkeyToAddress(mustKey(t).PublicKey)
	tests := []struct {
		name   string
		edit   func(*Config)
		field  string
		phrase string
	}{
		{"wrong version", func(cf *Config) { cf.Assets[0].Version = "1" },
			"asset " + c.Token.Hex(), `EIP-712 domain name "USD Coin", version "1" does not match the token's DOMAIN_SEPARATOR (the token's domain is name "USD Coin", version "2"): set version "2" in the asset block`},
		{"wrong name", func(cf *Config) { cf.Assets[0].Name = "USDC" },
			"asset " + c.Token.Hex(), `set name "USD Coin" in the asset block`},
		{"wrong name and version", func(cf *Config) { cf.Assets[0].Name, cf.Assets[0].Version = "USDC", "1" },
			"asset " + c.Token.Hex(), `set name "USD Coin" and version "2" in the asset block`},
		{"asset without code", func(cf *Config) { cf.Assets[0].Address = empty },
			"asset " + empty.Hex(), "no contract at this address on eip155:84532: set the asset to the token's address on this chain"},
		{"asset is not a token", func(cf *Config) { cf.Assets[0].Address = c.Escrow },
			"asset " + c.Escrow.Hex(), "the contract has no EIP-712 DOMAIN_SEPARATOR()"},
		{"another chain", func(cf *Config) { cf.Network, cf.ChainID = "eip155:8453", 8453 },
			"rpc", "the rpc serves chain id 84532, not eip155:8453: point rpc at a eip155:8453 node (or configure network eip155:84532)"},
		{"escrow without code", func(cf *Config) { cf.Escrow.Contract = empty },
			"escrow contract " + empty.Hex(), "no contract at this address on eip155:84532: set it to the AuthCaptureEscrow of this chain"},
		{"collector without code", func(cf *Config) { cf.Escrow.Collector = empty },
			"escrow collector " + empty.Hex(), "no contract at this address on eip155:84532: set it to the ERC3009PaymentCollector of this chain"},
		{"escrow is another contract", func(cf *Config) { cf.Escrow.Contract = c.Token },
			"escrow contract " + c.Token.Hex(), "is not this project's AuthCaptureEscrow nor the canonical v1.0 deployment"},
		{"collector is the refund collector", func(cf *Config) { cf.Escrow.Collector = c.RefundCollector },
			"escrow collector " + c.RefundCollector.Hex(), "is not this project's ERC3009PaymentCollector nor the canonical v1.0 one"},
		{"collector of another escrow", func(cf *Config) { cf.Escrow.Collector = c.Token },
			"escrow collector " + c.Token.Hex(), "it has no authCaptureEscrow(), not the configured escrow contract"},
		{"facilitator key without gas", func(cf *Config) { cf.GasPayer = &fresh },
			"facilitator key " + fresh.Hex(), "holds no ETH on eip155:84532, so it cannot pay the gas of any settlement: send it ETH"},
	}
	// Problems expected beside the first (which is checked): an escrow
	// that is another contract also makes its collector a mismatch.
	more := map[string]int{"escrow is another contract": 1}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := goodConfig(c)
			esc := *cfg.Escrow
			cfg.Escrow = &esc
			cfg.Assets = append([]Asset(nil), cfg.Assets...)
			tt.edit(&cfg)
			r, err := Run(testCtx(t), c.Client, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Problems) != 1+more[tt.name] {
				t.Fatalf("problems %v, want %d", r.Problems, 1+more[tt.name])
			}
			p := r.Problems[0]
			if p.Field != tt.field || !strings.Contains(p.Message, tt.phrase) || strings.Contains(p.Message, "\n") {
				t.Fatalf("problem %q: %q\nwant field %q and %q", p.Field, p.Message, tt.field, tt.phrase)
			}
			if r.Err() == nil || !strings.HasPrefix(r.Err().Error(), tt.field+": ") {
				t.Fatalf("Err() = %v", r.Err())
			}
		})
	}
}

func TestRunLowGasWarns(t *testing.T) {
	c := startChain(t)
	key := mustKey(t)
	addr := crypto.PubkeyToAddress(key.PublicKey)
	sendETH(t, c, addr, 1e9)
	cfg := goodConfig(c)
	cfg.GasPayer = &addr
	r, err := Run(testCtx(t), c.Client, cfg)
	if err != nil || len(r.Problems) != 0 {
		t.Fatalf("err %v problems %v", err, r.Problems)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "facilitator key "+addr.Hex()+" holds 0.000000001 ETH on eip155:84532, about 0 settlements") {
		t.Fatalf("warnings %q", r.Warnings)
	}
	if r.GasBalance.Int64() != 1e9 {
		t.Fatalf("gas balance %v", r.GasBalance)
	}
}

// A chain that does not answer is not a configuration problem.
func TestRunUnreachable(t *testing.T) {
	ec, err := ethclient.Dial("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := Run(ctx, ec, Config{Network: "eip155:84532", ChainID: 84532})
	var ue *UnreachableError
	if !errors.As(err, &ue) || len(r.Problems) != 0 {
		t.Fatalf("err %v problems %v", err, r.Problems)
	}
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A second deployment of our escrow, at other addresses (immutables
// differ), passes; its collector paired with the first escrow does not.
func TestRunSecondEscrowDeployment(t *testing.T) {
	c := startChain(t)
	ctx := testCtx(t)
	second, err := devchain.DeployEscrow(ctx, c.Client, c.Accounts[1].Key, c.ChainID, devchain.EscrowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := goodConfig(c)
	cfg.Escrow = &Escrow{Contract: second.Escrow, Collector: second.ERC3009Collector}
	if r, err := Run(ctx, c.Client, cfg); err != nil || len(r.Problems) != 0 {
		t.Fatalf("second deployment: err %v problems %v", err, r.Problems)
	}
	cfg.Escrow = &Escrow{Contract: c.Escrow, Collector: second.ERC3009Collector}
	r, err := Run(ctx, c.Client, cfg)
	if err != nil || len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Message, "it serves the escrow "+second.Escrow.Hex()+", not the configured escrow contract "+c.Escrow.Hex()) {
		t.Fatalf("mixed pair: err %v problems %v", err, r.Problems)
	}
}

// The canonical v1.0 addresses are recognised by the capture selector and
// the collector's wiring, not by our code hash.
func TestRunCanonicalDeployment(t *testing.T) {
	escCode, err := ourEscrowCode(common.HexToAddress("0x00000000000000000000000000000000000000aa"))
	if err != nil {
		t.Fatal(err)
	}
	colCode, err := ourCollectorCode(CanonicalEscrowV10, common.HexToAddress("0x00000000000000000000000000000000000000bb"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Network: "eip155:1337", ChainID: 1337, Escrow: &Escrow{Contract: CanonicalEscrowV10, Collector: CanonicalCollectorV10}}
	for _, tt := range []struct {
		name     string
		escrow   []byte
		problems int
	}{{"v1.0 code", escCode, 0}, {"code without the v1.0 capture", colCode, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			sim := simulated.NewBackend(types.GenesisAlloc{CanonicalEscrowV10: {Code: tt.escrow}, CanonicalCollectorV10: {Code: colCode}})
			defer sim.Close()
			r, err := Run(testCtx(t), sim.Client(), cfg)
			if err != nil || len(r.Problems) != tt.problems {
				t.Fatalf("err %v problems %v", err, r.Problems)
			}
			if tt.problems == 0 && len(r.Notes) != 2 {
				t.Fatalf("notes %q", r.Notes)
			}
			if tt.problems == 1 && !strings.Contains(r.Problems[0].Message, "is not AuthCaptureEscrow v1.0 (no capture selector 0x644cd79a)") {
				t.Fatalf("problem %v", r.Problems[0])
			}
		})
	}
}
