// Package devchain runs caddy-x402's embedded development chain: go-ethereum's
// simulated backend in-process, with chain ID, accounts and gas rules chosen
// for x402, the project's TestUSDC and escrow contracts deployed at fixed
// addresses, every dev account funded with ETH and USDC, blocks mined automatically as soon as
// transactions arrive (from Go or over HTTP JSON-RPC), and block timestamps
// kept close to the wall clock that x402 clients sign their windows with.
//
// Dev accounts come from the public test mnemonic (DevMnemonic). Their keys
// are public knowledge; this package never logs or prints them.
//
// # Mining
//
// A block is mined as soon as a transaction enters the pool: the Client's
// SendTransaction and the pool's newPendingTransactions subscription (which
// sees transactions sent over HTTP too) wake the miner, which waits about a
// millisecond for more and seals one block with everything pending. Nothing
// polls, and no empty blocks are mined. Sequential payments take about 6 ms
// from submission to receipt in-process and 9 ms over HTTP.
//
// # Block timestamps
//
// go-ethereum stamps a block with the wall clock's second, or its parent's
// timestamp + 1 when that is later: timestamps are whole seconds and must
// increase. A chain that mines more than one block a second therefore runs
// ahead of the wall clock, a second per extra block, and x402 authorizations
// signed from the wall clock (validBefore = now + 60 s) start failing as
// expired. The miner bounds this: when the next block would be more than
// Options.MaxAhead (default 4 s) ahead of the wall clock, it waits for the
// clock and mines everything that arrived meanwhile in that one block. Bursts
// of a few blocks stay fast; beyond that, blocks come once a second, each
// holding all pending transactions. AdjustTime moves the bound along, so a
// test that shifts the chain into the future is not held back.
package devchain

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"

	"github.com/caddy-x402/x402/facilitator/contracts"
)

// DevTokenAddress is where TestUSDC lands when dev account 0 deploys it as
// its first transaction: CREATE(0xf39F…2266, nonce 0). Start always puts it
// there; so does Deploy on a fresh anvil or hardhat node.
var DevTokenAddress = common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")

// Defaults used by Start for zero Options fields.
const (
	DefaultChainID  = 1337
	DefaultAccounts = 10
	DefaultGasLimit = 60_000_000
	// DefaultMaxAhead is how far block timestamps may run ahead of the wall
	// clock. Kept below the 6 s margin that facilitators demand between now
	// and an authorization's validBefore.
	DefaultMaxAhead = 4 * time.Second
)

var (
	// DefaultUSDCPerAccount is 1,000,000 USDC in 6-decimal units.
	DefaultUSDCPerAccount = big.NewInt(1_000_000_000_000)
	// DefaultETHPerAccount is 1,000,000 ETH in wei.
	DefaultETHPerAccount = new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(params.Ether))
)

// Options configures Start. The zero value gives the defaults.
type Options struct {
	// ChainID defaults to 1337. Use 84532 to look like Base Sepolia.
	ChainID int64
	// Accounts is how many dev accounts to derive and fund (default 10).
	Accounts int
	// USDCPerAccount is minted to every account at start (nil: 1,000,000
	// USDC; zero: none).
	USDCPerAccount *big.Int
	// ETHPerAccount is every account's genesis balance in wei (nil: 1e6 ETH).
	ETHPerAccount *big.Int
	// GasLimit is the block gas limit (default 60,000,000).
	GasLimit uint64
	// RPCAddr, when set, serves JSON-RPC over HTTP (modules eth, net, web3,
	// txpool) on this loopback address; port 0 picks a free port. The URL is
	// in Chain.RPCURL. Transactions sent there are mined like local ones.
	RPCAddr string
	// MaxAhead bounds how far block timestamps may run ahead of the wall
	// clock (default DefaultMaxAhead; negative: no bound). Block timestamps
	// are whole seconds and must increase, so more than one block per second
	// pushes the chain ahead; once it is MaxAhead ahead, the miner waits for
	// the clock and puts everything pending into the next block. A larger
	// value allows longer fast bursts of blocks at the price of a chain that
	// runs further ahead of the time clients sign their windows with.
	MaxAhead time.Duration
}

func (o Options) withDefaults() Options {
	if o.ChainID == 0 {
		o.ChainID = DefaultChainID
	}
	if o.Accounts == 0 {
		o.Accounts = DefaultAccounts
	}
	if o.USDCPerAccount == nil {
		o.USDCPerAccount = DefaultUSDCPerAccount
	}
	if o.ETHPerAccount == nil {
		o.ETHPerAccount = DefaultETHPerAccount
	}
	if o.GasLimit == 0 {
		o.GasLimit = DefaultGasLimit
	}
	if o.MaxAhead == 0 {
		o.MaxAhead = DefaultMaxAhead
	}
	return o
}

// Chain is a running dev chain. Close it when done.
type Chain struct {
	// Backend is the underlying simulated backend. Produce blocks through
	// Chain.Commit and Chain.AdjustTime rather than Backend's own methods,
	// which are not safe to call while the auto-miner runs.
	Backend *simulated.Backend
	// Client talks to the chain in-process. It satisfies bind.ContractBackend,
	// ethereum.TransactionReader and ethereum.ChainIDReader (and Backend in
	// this package); transactions sent through it are mined within about a
	// millisecond.
	Client simulated.Client
	// ChainID is the chain's EIP-155 ID.
	ChainID *big.Int
	// Token is the TestUSDC address, always DevTokenAddress.
	Token common.Address
	// Escrow is the AuthCaptureEscrow, always DevEscrowAddress; the other
	// escrow contracts are below (all of them: EscrowContracts).
	Escrow common.Address
	// ERC3009Collector is the ERC3009PaymentCollector that escrow deposits
	// are signed to, always DevERC3009CollectorAddress.
	ERC3009Collector common.Address
	// RefundCollector is the OperatorRefundCollector, always
	// DevRefundCollectorAddress.
	RefundCollector common.Address
	// EscrowContracts are all the escrow addresses, DevEscrowContracts.
	EscrowContracts EscrowContracts
	// Accounts are the funded dev accounts, index i = m/44'/60'/0'/0/i.
	Accounts []Account
	// Deployer is account 0: it deployed Token and is its minter.
	Deployer Account
	// RPCURL is the HTTP JSON-RPC endpoint ("" without Options.RPCAddr).
	RPCURL string

	miner     *miner
	closeOnce sync.Once
	closeErr  error
}

// Start starts a dev chain: genesis with ETH for every dev account and our
// Multicall3 at contracts.Multicall3Address, TestUSDC
// deployed by account 0 at DevTokenAddress, the escrow contracts deployed by
// account 0 next (nonces 1 to 4, DevEscrowContracts), USDC minted to every
// account, and the auto-miner running. It takes about 0.2 s.
func Start(opts Options) (*Chain, error) {
	opts = opts.withDefaults()
	if opts.Accounts < 1 {
		return nil, fmt.Errorf("devchain: need at least one account, got %d", opts.Accounts)
	}
	if opts.ChainID < 1 {
		return nil, fmt.Errorf("devchain: invalid chain ID %d", opts.ChainID)
	}
	accounts, err := DevAccounts(opts.Accounts)
	if err != nil {
		return nil, err
	}
	alloc := types.GenesisAlloc{
		// Multicall3 where public chains have it: settlements are batched
		// through its aggregate3.
		contracts.Multicall3Address: {Code: contracts.Multicall3RuntimeCode(), Balance: new(big.Int)},
	}
	for _, a := range accounts {
		alloc[a.Address] = types.Account{Balance: new(big.Int).Set(opts.ETHPerAccount)}
	}
	backend, rpcURL, err := startBackend(alloc, opts)
	if err != nil {
		return nil, err
	}
	m, err := startMiner(backend, opts.MaxAhead)
	if err != nil {
		backend.Close()
		return nil, err
	}
	c := &Chain{
		Backend:  backend,
		Client:   &minedClient{Client: backend.Client(), miner: m},
		ChainID:  big.NewInt(opts.ChainID),
		Accounts: accounts,
		Deployer: accounts[0],
		RPCURL:   rpcURL,
		miner:    m,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.setup(ctx, opts.USDCPerAccount); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// setup deploys the token, then the escrow contracts and mints to every
// account (in one block).
func (c *Chain) setup(ctx context.Context, usdc *big.Int) error {
	token, err := Deploy(ctx, c.Client, c.Deployer.Key, c.ChainID)
	if err != nil {
		return err
	}
	if token != DevTokenAddress {
		return fmt.Errorf("devchain: TestUSDC deployed at %s, not %s", token.Hex(), DevTokenAddress.Hex())
	}
	c.Token = token
	to := make([]common.Address, len(c.Accounts))
	for i, a := range c.Accounts {
		to[i] = a.Address
	}
	// Hold the miner while the escrow deployments and the mints go out, so
	// that they share one block (the chain stays two blocks and well within
	// MaxAhead of the wall clock).
	c.miner.mu.Lock()
	esc, txs, err := SendEscrowDeploys(ctx, c.Client, c.Deployer.Key, c.ChainID, EscrowOptions{})
	if err == nil && usdc.Sign() > 0 {
		// The mints take the nonces after the deployments'; the pool's
		// pending nonce may not show those yet.
		var mints []*types.Transaction
		next := txs[len(txs)-1].Nonce() + 1
		mints, err = sendMintsFrom(ctx, c.Client, c.Deployer.Key, c.ChainID, next, token, usdc, to...)
		txs = append(txs, mints...)
	}
	if err == nil {
		// The pool promotes new transactions asynchronously; a block sealed
		// before that would leave some for a third block.
		waitPending(ctx, c.Client, c.Deployer.Address, txs[len(txs)-1].Nonce()+1)
	}
	c.miner.mu.Unlock()
	if err != nil {
		return err
	}
	if err := waitAll(ctx, c.Client, txs); err != nil {
		return err
	}
	if esc != DevEscrowContracts {
		return fmt.Errorf("devchain: escrow contracts deployed at %+v, not %+v", esc, DevEscrowContracts)
	}
	// Seen once under load: every receipt was in, yet the latest state
	// did not show the contracts yet. Give the head a moment to catch up.
	for attempt := 0; ; attempt++ {
		err := CheckEscrow(ctx, c.Client, esc)
		if err == nil {
			break
		}
		if attempt == 50 || ctx.Err() != nil {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.EscrowContracts = esc
	c.Escrow, c.ERC3009Collector, c.RefundCollector = esc.Escrow, esc.ERC3009Collector, esc.RefundCollector
	return nil
}

// waitPending waits, for up to a second, until the pool counts the
// transactions of from up to nonce next-1 as pending (executable).
func waitPending(ctx context.Context, b interface {
	PendingNonceAt(context.Context, common.Address) (uint64, error)
}, from common.Address, next uint64) {
	for i := 0; i < 1000; i++ {
		if n, err := b.PendingNonceAt(ctx, from); err != nil || n >= next {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// Close stops the miner and the chain. It is safe to call more than once.
func (c *Chain) Close() error {
	c.closeOnce.Do(func() {
		c.miner.stop()
		c.closeErr = c.Backend.Close()
	})
	return c.closeErr
}

// Commit mines a block now with whatever is pending (possibly nothing),
// without the auto-miner's batching or clock bound, and returns the number
// of transactions it included.
func (c *Chain) Commit() int {
	return c.miner.commit()
}

// AdjustTime mines an empty block whose timestamp is d (whole seconds, at
// least one) past the head's, for tests of expiry. Pending transactions are
// mined first. The auto-miner's clock bound moves along by d, so later
// blocks are not held back: the chain simply stays d ahead.
func (c *Chain) AdjustTime(d time.Duration) error {
	if d < 0 {
		return errors.New("devchain: AdjustTime cannot go back in time")
	}
	return c.miner.adjustTime(d)
}

// WaitReceipt waits for the receipt of tx (see the package-level WaitReceipt)
// with DefaultReceiptTimeout.
func (c *Chain) WaitReceipt(ctx context.Context, tx common.Hash) (*types.Receipt, error) {
	return WaitReceipt(ctx, c.Client, tx, 0)
}

// BalanceOf returns the TestUSDC balance of owner.
func (c *Chain) BalanceOf(ctx context.Context, owner common.Address) (*big.Int, error) {
	return BalanceOf(ctx, c.Client, c.Token, owner)
}

// startBackend creates the simulated backend, retrying with another port
// when an automatically chosen RPC port was taken in the meantime.
func startBackend(alloc types.GenesisAlloc, opts Options) (*simulated.Backend, string, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		host, port, auto, err := rpcListenAddr(opts.RPCAddr)
		if err != nil {
			return nil, "", err
		}
		b, err := newBackend(alloc, configure(opts, host, port), simulated.WithBlockGasLimit(opts.GasLimit))
		if err == nil {
			url := ""
			if host != "" {
				url = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
			}
			return b, url, nil
		}
		lastErr = err
		if !auto {
			break
		}
	}
	return nil, "", lastErr
}

// newBackend turns the simulated backend's start-up panics (a port in use,
// for one) into errors.
func newBackend(alloc types.GenesisAlloc, opts ...func(*node.Config, *ethconfig.Config)) (b *simulated.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("devchain: starting the simulated backend: %v", r)
		}
	}()
	return simulated.NewBackend(alloc, opts...), nil
}

// configure sets the chain ID, Osaka rules without the Bogota fork (whose gas
// schedule makes an EIP-3009 transfer cost 171k instead of 68k, unlike any
// live chain) and the optional HTTP endpoint.
func configure(opts Options, host string, port int) func(*node.Config, *ethconfig.Config) {
	return func(nc *node.Config, ec *ethconfig.Config) {
		cfg := *params.AllDevChainProtocolChanges
		cfg.ChainID = big.NewInt(opts.ChainID)
		cfg.BogotaTime = nil
		ec.Genesis.Config = &cfg
		ec.Genesis.Timestamp = uint64(time.Now().Unix()) - 1
		ec.NetworkId = uint64(opts.ChainID)
		if host != "" {
			nc.HTTPHost = host
			nc.HTTPPort = port
			nc.HTTPModules = []string{"eth", "net", "web3", "txpool"}
		}
	}
}

// rpcListenAddr splits Options.RPCAddr, insists on a loopback host and picks
// a free port for port 0 (auto is then true).
func rpcListenAddr(addr string) (host string, port int, auto bool, err error) {
	if addr == "" {
		return "", 0, false, nil
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, false, fmt.Errorf("devchain: RPC address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", 0, false, fmt.Errorf("devchain: RPC address %q is not on loopback", addr)
	}
	if port, err = strconv.Atoi(p); err != nil || port < 0 || port > 65535 {
		return "", 0, false, fmt.Errorf("devchain: RPC address %q: bad port", addr)
	}
	if port != 0 {
		return host, port, false, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", 0, false, fmt.Errorf("devchain: finding a free port on %s: %w", host, err)
	}
	port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	return host, port, true, nil
}
