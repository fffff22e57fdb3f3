package caddymodule

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"sync"

	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/paywall/redisstore"
	"github.com/caddyserver/caddy/v2"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// What must outlive a config reload lives in process-wide pools, each entry
// owning what it uses. Two of a kind would be a bug: two transaction
// senders for one account collide on nonces, and two escrow operators over
// one ledger each count only their own commits (lost use, overdraft).

// senders holds one transaction sender per (chain, account), with its own
// RPC connection: the runtime that created it may be gone while the next
// one still settles through it.
var senders = caddy.NewUsagePool()

type pooledSender struct {
	sender     *evm.Sender
	client     *ethclient.Client // nil on the dev chain
	devKey     string            // dev chain pool reference held, if any
	watcherKey string            // receipt watcher pool reference held
}

func (p *pooledSender) Destruct() error {
	if p.sender != nil {
		p.sender.Close()
	}
	if p.client != nil {
		p.client.Close()
	}
	if p.watcherKey != "" {
		_, _ = watchers.Delete(p.watcherKey)
	}
	if p.devKey != "" {
		_, _ = devChains.Delete(p.devKey)
	}
	return nil
}

func senderKey(n *network, addr string) string { return fmt.Sprintf("sender:%d:%s", n.chainID, addr) }

// loadSender returns the pooled sender of key k on network n (the caller
// holds a reference until its Destruct) and its pool key.
func (rt *appRuntime) loadSender(n *network, rpcURL string, k keyPair, cfg evm.SenderConfig) (*evm.Sender, string, error) {
	pk := senderKey(n, k.addr)
	val, _, err := senders.LoadOrNew(pk, func() (caddy.Destructor, error) {
		ps := &pooledSender{}
		backend := n.backend
		if n.dev {
			// Hold the dev chain for as long as the sender lives.
			if _, _, err := devChains.LoadOrNew(n.devKey, func() (caddy.Destructor, error) {
				return nil, fmt.Errorf("dev chain %s is gone", n.devKey)
			}); err != nil {
				return nil, err
			}
			ps.devKey = n.devKey
		} else {
			c, err := dialRPC(rpcURL)
			if err != nil {
				return nil, fmt.Errorf("x402 network %s: connecting the settlement sender: %w", n.id, err)
			}
			ps.client, backend = c, c
		}
		w, wk, err := rt.loadWatcher(n, rpcURL)
		if err != nil {
			_ = ps.Destruct()
			return nil, err
		}
		ps.watcherKey = wk
		cfg.Watcher, cfg.Logger = w, rt.log
		ps.sender = evm.NewSender(backend, k.key, new(big.Int).SetUint64(n.chainID), cfg)
		return ps, nil
	})
	if err != nil {
		return nil, "", err
	}
	return val.(*pooledSender).sender, pk, nil
}

// watchers holds one receipt watcher per chain, shared by the chain's
// senders: each new block's receipts are read once, whatever the number of
// accounts and transactions in flight.
var watchers = caddy.NewUsagePool()

type pooledWatcher struct {
	w      *evm.ReceiptWatcher
	client *ethclient.Client // nil on the dev chain
	devKey string            // dev chain pool reference held, if any
}

func (p *pooledWatcher) Destruct() error {
	p.w.Close()
	if p.client != nil {
		p.client.Close()
	}
	if p.devKey != "" {
		_, _ = devChains.Delete(p.devKey)
	}
	return nil
}

// loadWatcher returns the chain's pooled watcher (the caller holds a
// reference until it deletes the returned key), with a connection of its
// own.
func (rt *appRuntime) loadWatcher(n *network, rpcURL string) (*evm.ReceiptWatcher, string, error) {
	key := fmt.Sprintf("watcher:%d", n.chainID)
	val, _, err := watchers.LoadOrNew(key, func() (caddy.Destructor, error) {
		pw := &pooledWatcher{}
		var b evm.HeadReader
		if n.dev {
			if _, _, err := devChains.LoadOrNew(n.devKey, func() (caddy.Destructor, error) {
				return nil, fmt.Errorf("dev chain %s is gone", n.devKey)
			}); err != nil {
				return nil, err
			}
			pw.devKey, b = n.devKey, n.backend
		} else {
			c, err := dialRPC(rpcURL)
			if err != nil {
				return nil, fmt.Errorf("x402 network %s: connecting the receipt watcher: %w", n.id, err)
			}
			pw.client, b = c, c
		}
		pw.w = evm.NewReceiptWatcher(b, evm.WatcherConfig{Logger: rt.log})
		return pw, nil
	})
	if err != nil {
		return nil, "", err
	}
	return val.(*pooledWatcher).w, key, nil
}

// operators holds one escrow operator per (chain, escrow, ledger file).
var operators = caddy.NewUsagePool()

type pooledOperator struct {
	op        *escrow.Operator
	senderKey string // sender pool reference held
	ledger    string // ledger pool reference held

	mu      sync.Mutex        // guards the store fields (a reload may move it)
	shared  *redisstore.Store // own Redis connection, when sessions are shared
	storeID string            // where the sessions live ("" in memory); see storeID
}

func (p *pooledOperator) Destruct() error {
	if p.op != nil {
		p.op.Stop()
	}
	p.mu.Lock()
	if p.shared != nil {
		_ = p.shared.Close()
	}
	p.mu.Unlock()
	_, _ = senders.Delete(p.senderKey)
	_, _ = ledgers.Delete(p.ledger)
	return nil
}

// keyPair is a settlement key and its address.
type keyPair struct {
	key  *ecdsa.PrivateKey
	addr string
}

func newKeyPair(k *ecdsa.PrivateKey) keyPair {
	return keyPair{key: k, addr: crypto.PubkeyToAddress(k.PublicKey).Hex()}
}
