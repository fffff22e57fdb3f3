package caddymodule

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/facilitator/exact"
	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/paywall/redisstore"
	"github.com/caddyserver/caddy/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"go.uber.org/zap"
)

// appRuntime is the live state behind an App configuration.
type appRuntime struct {
	app      *App
	log      *zap.Logger
	networks map[string]*network // by CAIP-2 id
	order    []*network
	router   *facilitator.Router
	// apiRouter serves the x402_facilitator API: its exact facilitators
	// check nonces on chain and settle each authorization once, since its
	// callers have no replay guard of ours.
	apiRouter *facilitator.Router
	engine    *paywall.Engine
	devKeys   []string // pool keys of dev chains this runtime holds
	clients   []*ethclient.Client
	journal   string // pool key (path) of the journal this runtime holds
	// guardKey is the pool key of the shared memory store this runtime
	// holds; guardFresh says this runtime created it.
	guardKey   string
	guardFresh bool
	// store holds the replay set and the funds exposure (its Redis
	// connection also holds shared escrow sessions).
	store paywall.Store
	// stop ends background work of this runtime.
	stop chan struct{}
	// gate closes the priced routes while on-chain checks are pending;
	// checks is their state (checks.go).
	gate   *paywall.Gate
	checks chainChecks
	// senderKeys and operatorKeys are the pooled senders and escrow
	// operators this runtime holds.
	senderKeys, operatorKeys []string
	// batchers batch the exact settlements of the networks that batch.
	batchers []*exact.Batcher
	// devEscrow is the dev chain's escrow and collector address.
	devEscrow [2]string
	// files are the journal's and the escrow ledger's paths.
	files dataFiles
	// mon holds the readings of the runtime monitor (monitor.go).
	mon monitor
}

// network is one configured chain at run time.
type network struct {
	id      string // CAIP-2
	chainID uint64
	backend evm.Backend
	assets  []asset
	exact   *exact.Facilitator // embedded mode
	escrow  *escrow.Operator   // embedded mode, escrow enabled
	dev     bool
	devKey  string // pool key of the dev chain
	rpcURL  string // expanded rpc URL (not for dev)
}

// asset is a resolved token.
type asset struct {
	Symbol   string
	Address  string
	Name     string
	Version  string
	Decimals int
}

func newAppRuntime(a *App, log *zap.Logger) (*appRuntime, error) {
	if len(a.Networks) == 0 {
		return nil, errNoNetworks
	}
	rt := &appRuntime{app: a, log: log, networks: map[string]*network{}, router: facilitator.NewRouter(), apiRouter: facilitator.NewRouter(),
		stop: make(chan struct{}), gate: &paywall.Gate{}}
	ok := false
	defer func() {
		if !ok {
			_ = rt.Destruct()
		}
	}()
	repl := caddy.NewReplacer()
	fc := a.Facilitator
	if fc == nil {
		fc = &FacilitatorConfig{}
	}
	mode := fc.Mode
	if mode == "" {
		mode = "embedded"
	}
	var key *ecdsa.PrivateKey
	if mode == "embedded" && (fc.Key != "" || fc.KeyFile != "") {
		k, err := loadFacilitatorKey(repl, fc.Key, fc.KeyFile)
		if err != nil {
			return nil, err
		}
		key = k
	}
	settler, devOnly := "", true
	if key != nil {
		settler = newKeyPair(key).addr
	}
	for _, nc := range a.Networks {
		devOnly = devOnly && nc.Name == "dev"
	}
	files, err := a.dataFiles(settler, devOnly, log)
	if err != nil {
		return nil, err
	}
	rt.files = files
	store, err := rt.newStore(repl)
	if err != nil {
		return nil, err
	}
	rt.store = store
	for _, nc := range a.Networks {
		n, err := rt.addNetwork(repl, nc)
		if err != nil {
			return nil, err
		}
		var gasPayer *common.Address
		if mode == "embedded" && key != nil {
			addr := crypto.PubkeyToAddress(key.PublicKey)
			gasPayer = &addr
		}
		if err := rt.checkNetwork(nc, n, gasPayer); err != nil {
			return nil, err
		}
		if mode == "embedded" && n.backend != nil {
			k := key
			if k == nil && n.dev {
				k = devSettlementKey()
			}
			if k == nil {
				return nil, fmt.Errorf("x402 network %s: the embedded facilitator needs a key (facilitator embedded { key {env.X402_FACILITATOR_KEY} } or key_file)", nc.Name)
			}
			sender, sk, err := rt.loadSender(n, n.rpcURL, newKeyPair(k), nc.senderConfig())
			if err != nil {
				return nil, err
			}
			rt.senderKeys = append(rt.senderKeys, sk)
			batcher := rt.newBatcher(nc, n, sender)
			f, err := exact.New(exact.Config{
				ChainID: n.chainID, Backend: n.backend, Sender: sender, Simulate: nc.Simulate, Batcher: batcher, Observer: txObserver{},
				MaxValidity: time.Duration(a.MaxValidity), ReceiptTimeout: time.Duration(nc.ReceiptTimeout), Logger: log,
			})
			if err != nil {
				return nil, err
			}
			n.exact = f
			rt.router.Handle(facilitator.SchemeExact, n.id, f)
			api, err := exact.New(exact.Config{
				ChainID: n.chainID, Backend: n.backend, Sender: sender, Simulate: nc.Simulate, SettleOnce: true, CheckNonce: true,
				Batcher: batcher, Observer: txObserver{},
				MaxValidity: time.Duration(a.MaxValidity), ReceiptTimeout: time.Duration(nc.ReceiptTimeout), Logger: log,
			})
			if err != nil {
				return nil, err
			}
			rt.apiRouter.Handle(facilitator.SchemeExact, n.id, api)
			if err := rt.startEscrow(nc, n, sender); err != nil {
				return nil, err
			}
		}
	}
	if mode == "remote" {
		remoteF, err := newRemote(repl, fc, log)
		if err != nil {
			return nil, err
		}
		for _, n := range rt.order {
			rt.router.Handle(facilitator.SchemeExact, n.id, remoteF)
			rt.apiRouter.Handle(facilitator.SchemeExact, n.id, remoteF)
		}
	} else if mode != "embedded" {
		return nil, fmt.Errorf("x402 facilitator mode %q: want embedded or remote", mode)
	}
	metrics := newObserver()
	funds := paywall.NewFunds(rt.readBalance, store, 0)
	funds.OnChange = observeExposure
	rt.engine = &paywall.Engine{
		Funds:       funds,
		Facilitator: rt.router,
		Guard:       store,
		Logger:      log,
		Observer:    metrics,
		MaxValidity: time.Duration(a.MaxValidity),
		Gate:        rt.gate,
	}
	fresh := false
	if path := rt.files.journal; path != "" {
		j, isNew, err := openJournal(path)
		if err != nil {
			return nil, err
		}
		rt.journal, fresh = path, isNew
		if isNew {
			j.SetLogger(log)
		}
		rt.engine.Journal = j
	}
	rt.engine.Queue = paywall.NewSettlementQueue(paywall.QueueConfig{
		Capacity: a.QueueCapacity, Workers: rt.settleWorkers(), Logger: log, Journal: rt.engine.Journal,
		OnResult: func(j *paywall.Job, resp facilitator.SettleResponse, err error) {
			metrics.Settled(j.Route, j.Claim.Scheme(), err == nil && resp.Success, resp.ErrorReason, 0)
		},
	})
	rt.startRechecks()
	if rs, ok := store.(*redisstore.Store); ok {
		// The Redis store re-arms from the journal itself, on start and
		// after every loss of Redis data.
		rt.startStore(rs)
	} else if fresh || rt.guardFresh {
		// A new memory store (first start, or a reload that changed it)
		// must hold the payments the journal knows as spent, and count the
		// amounts still settling against their payers.
		if _, err := rt.engine.Rearm(context.Background()); err != nil {
			return nil, err
		}
		if _, err := rt.engine.RestoreExposures(); err != nil {
			return nil, err
		}
	}
	if fresh {
		// First open in this process: whatever is pending was left by a crash
		// or a stop that could not drain in time.
		if _, err := rt.engine.Resume(context.Background()); err != nil {
			return nil, err
		}
	}
	initSeries(rt)
	if !validating() {
		rt.startMonitor()
	}
	ok = true
	return rt, nil
}

func (rt *appRuntime) addNetwork(repl *caddy.Replacer, nc *NetworkConfig) (*network, error) {
	n := &network{}
	if nc.Name == "dev" {
		dc, err := loadDevChain(nc, rt.log)
		if err != nil {
			return nil, err
		}
		rt.devKeys = append(rt.devKeys, dc.key)
		n.devKey = dc.key
		rt.devEscrow = [2]string{dc.chain.Escrow.Hex(), dc.chain.ERC3009Collector.Hex()}
		n.dev, n.chainID, n.backend = true, dc.chainID(), dc.backend()
		n.id = facilitator.CAIP2(fmt.Sprintf("eip155:%d", n.chainID))
		n.assets = []asset{dc.asset()}
	} else {
		n.id = facilitator.CAIP2(nc.Name)
		if n.id == "" {
			return nil, fmt.Errorf("x402 network %q: unknown network (use dev, a v1 name such as base-sepolia, or eip155:<chainId>)", nc.Name)
		}
		n.chainID, _ = facilitator.ChainID(n.id)
		if nc.RPC != "" {
			url, err := repl.ReplaceOrErr(nc.RPC, true, true)
			if err != nil {
				return nil, fmt.Errorf("x402 network %s rpc: %w", nc.Name, err)
			}
			c, err := dialRPC(url)
			if err != nil {
				return nil, fmt.Errorf("x402 network %s: connecting to rpc: %w", nc.Name, err)
			}
			rt.clients = append(rt.clients, c)
			n.backend, n.rpcURL = c, url
		}
	}
	if _, dup := rt.networks[n.id]; dup {
		return nil, fmt.Errorf("x402 network %s is configured twice", n.id)
	}
	if len(nc.Assets) > 0 {
		n.assets = nil
		for _, ac := range nc.Assets {
			as, err := resolveAsset(n, ac)
			if err != nil {
				return nil, fmt.Errorf("x402 network %s: %w", nc.Name, err)
			}
			n.assets = append(n.assets, as)
		}
	} else if !n.dev {
		u, ok := facilitator.USDC(n.id)
		if !ok {
			return nil, fmt.Errorf("x402 network %s: no known USDC; configure an asset with address, name and version", nc.Name)
		}
		n.assets = []asset{{Symbol: u.Symbol, Address: u.Address, Name: u.Name, Version: u.Version, Decimals: u.Decimals}}
	}
	rt.networks[n.id] = n
	rt.order = append(rt.order, n)
	return n, nil
}

func resolveAsset(n *network, ac *AssetConfig) (asset, error) {
	as := asset{Symbol: ac.Symbol, Address: ac.Address, Name: ac.Name, Version: ac.Version, Decimals: ac.Decimals}
	if as.Decimals == 0 {
		as.Decimals = 6
	}
	if as.Address == "" {
		if strings.EqualFold(as.Symbol, "USDC") {
			if n.dev {
				return n.assets[0], nil
			}
			u, ok := facilitator.USDC(n.id)
			if !ok {
				return as, fmt.Errorf("no known USDC on %s; give the asset address", n.id)
			}
			return asset{Symbol: "USDC", Address: u.Address, Name: u.Name, Version: u.Version, Decimals: u.Decimals}, nil
		}
		return as, fmt.Errorf("asset %q: give a token address (or USDC)", as.Symbol)
	}
	if _, err := evm.ParseAddress(as.Address); err != nil {
		return as, fmt.Errorf("asset address %w", err)
	}
	if as.Name == "" || as.Version == "" {
		if u, ok := facilitator.USDC(n.id); ok && strings.EqualFold(u.Address, as.Address) {
			as.Name, as.Version = u.Name, u.Version
		} else {
			return as, fmt.Errorf("asset %s: name and version (the token's EIP-712 domain) are required", as.Address)
		}
	}
	if as.Symbol == "" {
		as.Symbol = "tokens"
	}
	return as, nil
}

// readBalance reads a payer's token balance on a configured network.
func (rt *appRuntime) readBalance(ctx context.Context, network string, token, owner common.Address) (*big.Int, error) {
	n := rt.networks[network]
	if n == nil || n.backend == nil {
		return nil, fmt.Errorf("network %s has no rpc to read balances from", network)
	}
	b, err := evm.BalanceOf(ctx, n.backend, token, owner)
	if err != nil {
		return nil, err
	}
	return b.ToBig(), nil
}

// requirementsExtra is the EIP-712 domain sent in requirements.extra.
func (as asset) extra() json.RawMessage {
	b, _ := json.Marshal(evm.Extra{Name: as.Name, Version: as.Version})
	return b
}

// Destruct drains the settlement queue and closes chain connections.
func (rt *appRuntime) Destruct() error {
	if rt.stop != nil {
		close(rt.stop)
	}
	if c, ok := rt.store.(interface{ Close() error }); ok && rt.engine == nil {
		_ = c.Close() // the engine closes it once it exists
	}
	if rt.engine != nil {
		rt.closeEngine()
	}
	for _, b := range rt.batchers {
		b.Close()
	}
	for _, c := range rt.clients {
		c.Close()
	}
	for _, k := range rt.operatorKeys {
		_, _ = operators.Delete(k)
	}
	for _, k := range rt.senderKeys {
		_, _ = senders.Delete(k)
	}
	if rt.journal != "" {
		_, _ = journals.Delete(rt.journal)
	}
	if rt.guardKey != "" {
		_, _ = memStores.Delete(rt.guardKey)
	}
	for _, k := range rt.devKeys {
		_, _ = devChains.Delete(k)
	}
	rt.files.releaseTempDir()
	return nil
}
