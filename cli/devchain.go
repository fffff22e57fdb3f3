package cli

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/policies"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/spf13/cobra"
)

// The devchain commands put the project's test contracts on an external
// development node (anvil, hardhat, geth --dev), where the embedded dev
// chain is not used: `caddy x402 devchain deploy --rpc URL` deploys TestUSDC,
// mints it to the dev accounts and prints the addresses as JSON, ready for a
// Caddyfile's `network … { rpc …; asset 0x… { name "USD Coin"; version 2 } }`.

// devchainContract is a group of contracts deployed after TestUSDC by
// `caddy x402 devchain deploy`. Deploy gets the token's address and returns
// the deployed contracts by name, which become keys of the JSON output's
// "contracts" object.
type devchainContract struct {
	Name   string
	Deploy func(ctx context.Context, b devchain.Backend, key *ecdsa.PrivateKey, chainID *big.Int, token common.Address) (map[string]common.Address, error)
}

// devchainContracts are deployed, in order, after TestUSDC (unless
// --escrow=false). This is the extension point for further test contracts:
// append an entry, and its addresses appear under "contracts".
var devchainContracts = []devchainContract{
	{Name: "escrow", Deploy: deployEscrow},
}

// deployEscrow deploys the escrow contracts (AuthCaptureEscrow with its
// TokenStore implementation, the ERC-3009 and refund collectors, and a
// Multicall3Lite for the ERC-3009 collector). From dev account 0 on a fresh
// node, right after TestUSDC, they land at devchain.DevEscrowContracts.
func deployEscrow(ctx context.Context, b devchain.Backend, key *ecdsa.PrivateKey, chainID *big.Int, _ common.Address) (map[string]common.Address, error) {
	c, err := devchain.DeployEscrow(ctx, b, key, chainID, devchain.EscrowOptions{})
	if err != nil {
		return nil, err
	}
	return map[string]common.Address{
		"AuthCaptureEscrow":        c.Escrow,
		"TokenStoreImplementation": c.TokenStoreImplementation,
		"ERC3009PaymentCollector":  c.ERC3009Collector,
		"OperatorRefundCollector":  c.RefundCollector,
		"Multicall3Lite":           c.Multicall3,
	}, nil
}

// devchainDeployOptions are the flags of `caddy x402 devchain deploy`.
type devchainDeployOptions struct {
	rpc        string
	devAccount int
	keyFile    string
	mintTo     []string
	amount     string
	escrow     bool
	multicall3 bool
	timeout    time.Duration
}

// devchainOutput is what `caddy x402 devchain deploy` prints.
type devchainOutput struct {
	ChainID   uint64            `json:"chainId"`
	Network   string            `json:"network"`
	Deployer  string            `json:"deployer"`
	Token     devchainToken     `json:"token"`
	Contracts map[string]string `json:"contracts"`
	Minted    devchainMinted    `json:"minted"`
}

// devchainToken describes the deployed TestUSDC, with the EIP-712 domain a
// Caddyfile's asset block needs.
type devchainToken struct {
	Address  string `json:"address"`
	Symbol   string `json:"symbol"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Decimals int    `json:"decimals"`
}

// devchainMinted lists the mints: Amount in token units to each of To.
type devchainMinted struct {
	Amount string   `json:"amount"`
	To     []string `json:"to"`
}

func devchainCommand(exit exitFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:                   "devchain <deploy> [flags]",
		Short:                 "Deploys the project's test contracts on an external dev node (anvil, hardhat, geth --dev)",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				fmt.Fprintf(c.ErrOrStderr(), "caddy x402 devchain: unknown subcommand %q (want deploy)\n", args[0])
				return exit(c, exitUsage)
			}
			return c.Help()
		},
	}
	cmd.AddCommand(devchainDeployCommand(exit))
	return cmd
}

func devchainDeployCommand(exit exitFunc) *cobra.Command {
	o := &devchainDeployOptions{}
	cmd := &cobra.Command{
		Use:   "deploy --rpc URL [--dev-account N | --key-file F] [--mint-to ADDR,...] [--amount 1000000] [--escrow=false] [--multicall3=false] [--timeout 60s]",
		Short: "Deploys TestUSDC and the escrow contracts, mints test USDC and prints the addresses as JSON",
		Long: `Deploys the project's TestUSDC (EIP-712 domain "USD Coin", version "2",
6 decimals; the deployer becomes its minter) on the node at --rpc, then the
escrow contracts (AuthCaptureEscrow, its TokenStore implementation, the
ERC-3009 and refund collectors and a Multicall3Lite; --escrow=false skips
them), places our Multicall3 at its canonical address
0xcA11bde05977b3631167028862bE2a173976CA11 when the node has no code there
(anvil_setCode or hardhat_setCode; settlements are batched through its
aggregate3; --multicall3=false leaves it out), mints
--amount (default 1000000 tokens; "N units" for raw units; 0 for none) to each
--mint-to address (default: the 10 dev accounts of the public test
mnemonic, which anvil and hardhat fund with ETH), and prints
{"chainId","network","deployer","token","contracts","minted"} as JSON.
The deployer pays gas: --dev-account N (public test mnemonic, default 0)
or --key-file F (hex private key). Keys are never printed. On a fresh
anvil, dev account 0's contracts land where the embedded dev chain has
them: TestUSDC at 0x5FbDB2315678afecb367f032d93F642f64180aa3,
AuthCaptureEscrow at 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512.`,
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exit(cmd, usagef(cmd, "takes no arguments, got %q", args[0]))
			}
			return exit(cmd, runDevchainDeploy(cmd, o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rpc, "rpc", "", "JSON-RPC `URL` of the node (required)")
	f.IntVar(&o.devAccount, "dev-account", -1, "deploy from dev account `N` of the public test mnemonic (default 0 unless --key-file)")
	f.StringVar(&o.keyFile, "key-file", "", "deploy with the hex private key in `FILE` (0x optional)")
	f.StringSliceVar(&o.mintTo, "mint-to", nil, "comma-separated `ADDRESSES` to mint to (default: the 10 dev accounts)")
	f.StringVar(&o.amount, "amount", "1000000", "`AMOUNT` minted to each address, in tokens (6 decimals) or \"N units\"")
	f.BoolVar(&o.escrow, "escrow", true, "also deploy the escrow contracts (--escrow=false: TestUSDC only)")
	f.BoolVar(&o.multicall3, "multicall3", true, "place Multicall3 at its canonical address when the node has none there")
	f.DurationVar(&o.timeout, "timeout", 60*time.Second, "overall `TIMEOUT` of the deployment")
	return cmd
}

func runDevchainDeploy(cmd *cobra.Command, o *devchainDeployOptions) int {
	if o.rpc == "" {
		return usagef(cmd, "--rpc URL is required")
	}
	u, err := url.Parse(o.rpc)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ws" && u.Scheme != "wss") {
		return usagef(cmd, "--rpc: want an http(s):// or ws(s):// URL")
	}
	if o.timeout <= 0 {
		return usagef(cmd, "--timeout must be positive")
	}
	amount := new(big.Int) // --amount 0: deploy only
	if a := strings.TrimSpace(o.amount); a != "0" && a != "0 units" {
		if amount, err = policies.ParsePrice(a, 6); err != nil {
			return usagef(cmd, "--amount: %v", err)
		}
	}
	devAccount := o.devAccount
	if devAccount < 0 && o.keyFile == "" {
		devAccount = 0
	}
	key, err := loadKey(devAccount, o.keyFile, cmd.ErrOrStderr())
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	recipients, err := devchainRecipients(o.mintTo)
	if err != nil {
		return usagef(cmd, "%v", err)
	}

	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// The URL may carry credentials (an API key in the path or query): errors
	// name only its scheme and host.
	where := u.Scheme + "://" + u.Host
	ec, err := ethclient.DialContext(ctx, o.rpc)
	if err != nil {
		return failf(cmd, "connecting to %s: %v", where, redact(err, o.rpc))
	}
	defer ec.Close()
	chainID, err := ec.ChainID(ctx)
	if err != nil {
		return failf(cmd, "reading the chain id from %s: %v", where, redact(err, o.rpc))
	}

	deployer := crypto.PubkeyToAddress(key.PublicKey)
	token, err := devchain.Deploy(ctx, ec, key, chainID)
	if err != nil {
		return failf(cmd, "%v (does %s have ETH for gas on %s?)", redact(err, o.rpc), deployer.Hex(), where)
	}
	out := devchainOutput{
		ChainID:   chainID.Uint64(),
		Network:   fmt.Sprintf("eip155:%d", chainID.Uint64()),
		Deployer:  deployer.Hex(),
		Token:     devchainToken{Address: token.Hex(), Symbol: "USDC", Name: "USD Coin", Version: "2", Decimals: 6},
		Contracts: map[string]string{"TestUSDC": token.Hex()},
		Minted:    devchainMinted{Amount: amount.String(), To: make([]string, 0, len(recipients))},
	}
	// The domain the token reports must be the one printed: a Caddyfile built
	// from this output would otherwise reject every signature.
	d := evm.Domain{Name: out.Token.Name, Version: out.Token.Version, ChainID: out.ChainID, VerifyingContract: token}
	if err := evm.CheckDomain(ctx, ec, d); err != nil {
		return failf(cmd, "TestUSDC at %s: %v", token.Hex(), redact(err, o.rpc))
	}
	if o.multicall3 {
		switch _, err := devchain.PlaceMulticall3(ctx, ec.Client()); {
		case err == nil:
			out.Contracts["Multicall3"] = contracts.Multicall3Address.Hex()
		case errors.Is(err, devchain.ErrNoSetCode):
			fmt.Fprintf(cmd.ErrOrStderr(), "caddy x402 devchain deploy: no Multicall3 at %s and the node cannot place one; settlements there will not be batched\n", contracts.Multicall3Address.Hex())
		default:
			return failf(cmd, "%v", redact(err, o.rpc))
		}
	}
	for _, c := range devchainContracts {
		if c.Name == "escrow" && !o.escrow {
			continue
		}
		addrs, err := c.Deploy(ctx, ec, key, chainID, token)
		if err != nil {
			return failf(cmd, "deploying the %s contracts: %v", c.Name, redact(err, o.rpc))
		}
		for name, addr := range addrs {
			out.Contracts[name] = addr.Hex()
		}
	}
	if amount.Sign() > 0 && len(recipients) > 0 {
		if err := devchain.Mint(ctx, ec, key, chainID, token, amount, recipients...); err != nil {
			return failf(cmd, "%v", redact(err, o.rpc))
		}
	}
	for _, r := range recipients {
		out.Minted.To = append(out.Minted.To, r.Hex())
	}
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return failf(cmd, "writing the output: %v", err)
	}
	return 0
}

// devchainRecipients parses --mint-to, defaulting to the 10 dev accounts.
func devchainRecipients(list []string) ([]common.Address, error) {
	if len(list) == 0 {
		accounts, err := devchain.DevAccounts(devchain.DefaultAccounts)
		if err != nil {
			return nil, err
		}
		out := make([]common.Address, len(accounts))
		for i, a := range accounts {
			out[i] = a.Address
		}
		return out, nil
	}
	out := make([]common.Address, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		a, err := evm.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("--mint-to %q: %v", s, err)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--mint-to: no address given")
	}
	return out, nil
}

// redact removes the RPC URL (which may embed an API key) from an error
// text.
func redact(err error, rpc string) string {
	s := err.Error()
	if rpc != "" {
		s = strings.ReplaceAll(s, rpc, "<rpc>")
	}
	return s
}
