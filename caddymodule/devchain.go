package caddymodule

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// devChains keeps embedded dev chains alive across config reloads, keyed by
// chain id and RPC address: a reload that changes prices or even payment
// settings must not wipe the chain's balances and history.
var devChains = caddy.NewUsagePool()

// pooledDevChain is a dev chain in the pool.
type pooledDevChain struct {
	key   string
	chain *devchain.Chain
}

// Destruct implements caddy.Destructor.
func (p *pooledDevChain) Destruct() error { return p.chain.Close() }

func (p *pooledDevChain) chainID() uint64      { return p.chain.ChainID.Uint64() }
func (p *pooledDevChain) backend() evm.Backend { return p.chain.Client }

func (p *pooledDevChain) asset() asset {
	return asset{Symbol: "USDC", Address: p.chain.Token.Hex(), Name: "USD Coin", Version: "2", Decimals: 6}
}

func loadDevChain(nc *NetworkConfig, log *zap.Logger) (*pooledDevChain, error) {
	id := nc.ChainID
	if id == 0 {
		id = devchain.DefaultChainID
	}
	listen := nc.RPCListen
	if validating() {
		listen = "" // the running instance may hold the address; validation needs no RPC
	}
	key := fmt.Sprintf("devchain:%d:%s", id, listen)
	val, loaded, err := devChains.LoadOrNew(key, func() (caddy.Destructor, error) {
		c, err := devchain.Start(devchain.Options{ChainID: int64(id), RPCAddr: listen})
		if err != nil {
			return nil, fmt.Errorf("starting the embedded dev chain: %w", err)
		}
		log.Info("embedded dev chain started (test accounts from the public mnemonic; never use it for real money)",
			zap.Uint64("chain_id", id), zap.String("token", c.Token.Hex()), zap.String("rpc", c.RPCURL))
		return &pooledDevChain{chain: c}, nil
	})
	if err != nil {
		return nil, err
	}
	p := val.(*pooledDevChain)
	p.key = key
	if loaded {
		log.Debug("reusing embedded dev chain", zap.String("key", key))
	}
	return p, nil
}

// devSettlementKey is the dev chain's account 0, which settles on the dev
// chain when no facilitator key is configured. Its key is public (test
// mnemonic), which is fine only on the embedded chain.
func devSettlementKey() *ecdsa.PrivateKey {
	accts, err := devchain.DevAccounts(1)
	if err != nil {
		return nil
	}
	return accts[0].Key
}
