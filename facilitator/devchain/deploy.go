package devchain

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator/contracts"
)

// Backend is what Deploy, Mint and the other helpers need from a chain. The
// dev chain's Client, go-ethereum's ethclient.Client (anvil, geth, any node)
// and the simulated backend's client all satisfy it.
type Backend interface {
	bind.ContractBackend
	ReceiptReader
}

// ReceiptReader reads transaction receipts.
type ReceiptReader interface {
	TransactionReceipt(ctx context.Context, txHash common.Hash) (*types.Receipt, error)
}

// DefaultReceiptTimeout is how long the helpers wait for a receipt when the
// context has no deadline of its own.
const DefaultReceiptTimeout = 30 * time.Second

// WaitReceipt polls for the receipt of tx every 1 to 5 ms until it arrives,
// ctx ends or timeout passes (timeout <= 0 means DefaultReceiptTimeout).
// "not found" and geth's "transaction indexing is in progress" are retried;
// so are other errors, which are reported if the wait times out. Unlike
// bind.WaitMined (1 s polling), a local chain answers within milliseconds.
func WaitReceipt(ctx context.Context, b ReceiptReader, tx common.Hash, timeout time.Duration) (*types.Receipt, error) {
	if timeout <= 0 {
		timeout = DefaultReceiptTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := evm.WaitReceipt(ctx, b, tx, 5*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("devchain: %w", err)
	}
	return r, nil
}

// WaitSuccess waits for the receipt of tx like WaitReceipt and fails when the
// transaction reverted.
func WaitSuccess(ctx context.Context, b ReceiptReader, tx common.Hash, timeout time.Duration) (*types.Receipt, error) {
	r, err := WaitReceipt(ctx, b, tx, timeout)
	if err != nil {
		return nil, err
	}
	if r.Status != types.ReceiptStatusSuccessful {
		return r, fmt.Errorf("devchain: transaction %s reverted (gas used %d)", tx.Hex(), r.GasUsed)
	}
	return r, nil
}

// Transactor returns transact options that sign with key for chainID and use
// ctx for the node calls (nonce, gas estimate, fees).
func Transactor(ctx context.Context, key *ecdsa.PrivateKey, chainID *big.Int) *bind.TransactOpts {
	opts := bind.NewKeyedTransactor(key, chainID)
	opts.Context = ctx
	return opts
}

// Deploy deploys TestUSDC from deployer and waits until it is mined. The
// deploying account becomes the token's minter. On a fresh chain, where this
// is the deployer's first transaction, the address is CREATE(deployer, 0):
// 0x5FbDB2315678afecb367f032d93F642f64180aa3 for dev account 0. It works on
// any node (the dev chain, anvil, geth), which must mine the transaction.
func Deploy(ctx context.Context, b Backend, deployer *ecdsa.PrivateKey, chainID *big.Int) (common.Address, error) {
	addr, tx, err := bind.DeployContract(Transactor(ctx, deployer, chainID), common.FromHex(contracts.TestUSDCMetaData.Bin), b, nil)
	if err != nil {
		return common.Address{}, fmt.Errorf("devchain: deploying TestUSDC: %w", err)
	}
	r, err := WaitSuccess(ctx, b, tx.Hash(), 0)
	if err != nil {
		return common.Address{}, fmt.Errorf("devchain: deploying TestUSDC: %w", err)
	}
	if r.ContractAddress != addr {
		return common.Address{}, fmt.Errorf("devchain: TestUSDC landed at %s, expected %s", r.ContractAddress.Hex(), addr.Hex())
	}
	return addr, nil
}

// DeployWallet1271 deploys a TestWallet1271 owned by owner from deployer
// and waits until it is mined.
func DeployWallet1271(ctx context.Context, b Backend, deployer *ecdsa.PrivateKey, chainID *big.Int, owner common.Address) (common.Address, error) {
	w := contracts.NewTestWallet1271()
	addr, tx, err := bind.DeployContract(Transactor(ctx, deployer, chainID), common.FromHex(contracts.TestWallet1271MetaData.Bin), b, w.PackConstructor(owner))
	if err != nil {
		return common.Address{}, fmt.Errorf("devchain: deploying TestWallet1271: %w", err)
	}
	if _, err := WaitSuccess(ctx, b, tx.Hash(), 0); err != nil {
		return common.Address{}, fmt.Errorf("devchain: deploying TestWallet1271: %w", err)
	}
	return addr, nil
}

// SendMints sends token.mint(addr, amount) from minter for each address in
// to, with consecutive nonces, without waiting for them to be mined.
func SendMints(ctx context.Context, b bind.ContractBackend, minter *ecdsa.PrivateKey, chainID *big.Int, token common.Address, amount *big.Int, to ...common.Address) ([]*types.Transaction, error) {
	nonce, err := b.PendingNonceAt(ctx, crypto.PubkeyToAddress(minter.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("devchain: mint: reading the minter's nonce: %w", err)
	}
	return sendMintsFrom(ctx, b, minter, chainID, nonce, token, amount, to...)
}

// sendMintsFrom is SendMints with the first nonce given: the pool's pending
// nonce lags behind transactions sent a moment ago.
func sendMintsFrom(ctx context.Context, b bind.ContractBackend, minter *ecdsa.PrivateKey, chainID *big.Int, nonce uint64, token common.Address, amount *big.Int, to ...common.Address) ([]*types.Transaction, error) {
	c := contracts.NewTestUSDC()
	inst := c.Instance(b, token)
	txs := make([]*types.Transaction, 0, len(to))
	for i, addr := range to {
		opts := Transactor(ctx, minter, chainID)
		opts.Nonce = new(big.Int).SetUint64(nonce + uint64(i))
		tx, err := bind.Transact(inst, opts, c.PackMint(addr, amount))
		if err != nil {
			return txs, fmt.Errorf("devchain: mint %s to %s: %w", amount, addr.Hex(), err)
		}
		txs = append(txs, tx)
	}
	return txs, nil
}

// Mint mints amount token units to each address in to and waits until all
// are mined. Only the token's minter (its deployer) may mint.
func Mint(ctx context.Context, b Backend, minter *ecdsa.PrivateKey, chainID *big.Int, token common.Address, amount *big.Int, to ...common.Address) error {
	txs, err := SendMints(ctx, b, minter, chainID, token, amount, to...)
	if err != nil {
		return err
	}
	return waitAll(ctx, b, txs)
}

// waitAll waits for every transaction to succeed.
func waitAll(ctx context.Context, b ReceiptReader, txs []*types.Transaction) error {
	for _, tx := range txs {
		if _, err := WaitSuccess(ctx, b, tx.Hash(), 0); err != nil {
			return err
		}
	}
	return nil
}

// Fund sends amount wei of ETH from key to each address in to (consecutive
// nonces, EIP-1559 fees) and waits until all transfers are mined.
func Fund(ctx context.Context, b Backend, key *ecdsa.PrivateKey, chainID *big.Int, amount *big.Int, to ...common.Address) error {
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := b.PendingNonceAt(ctx, from)
	if err != nil {
		return fmt.Errorf("devchain: fund: reading the sender's nonce: %w", err)
	}
	head, err := b.HeaderByNumber(ctx, nil)
	if err != nil {
		return fmt.Errorf("devchain: fund: %w", err)
	}
	tip, err := b.SuggestGasTipCap(ctx)
	if err != nil {
		return fmt.Errorf("devchain: fund: %w", err)
	}
	feeCap := new(big.Int).Set(tip)
	if head.BaseFee != nil {
		feeCap.Add(feeCap, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	}
	signer := types.LatestSignerForChainID(chainID)
	txs := make([]*types.Transaction, 0, len(to))
	for i, addr := range to {
		gas, err := b.EstimateGas(ctx, ethereum.CallMsg{From: from, To: &addr, Value: amount})
		if err != nil {
			return fmt.Errorf("devchain: fund %s: %w", addr.Hex(), err)
		}
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{
			ChainID: chainID, Nonce: nonce + uint64(i), GasTipCap: tip, GasFeeCap: feeCap,
			Gas: gas, To: &addr, Value: amount,
		})
		if err != nil {
			return fmt.Errorf("devchain: fund %s: %w", addr.Hex(), err)
		}
		if err := b.SendTransaction(ctx, tx); err != nil {
			return fmt.Errorf("devchain: fund %s: %w", addr.Hex(), err)
		}
		txs = append(txs, tx)
	}
	return waitAll(ctx, b, txs)
}

// BalanceOf returns token.balanceOf(owner) at the latest block.
func BalanceOf(ctx context.Context, b bind.ContractCaller, token, owner common.Address) (*big.Int, error) {
	c := contracts.NewTestUSDC()
	bc := bind.NewBoundContract(token, c.GetABI(), b, nil, nil)
	return bind.Call(bc, &bind.CallOpts{Context: ctx}, c.PackBalanceOf(owner), c.UnpackBalanceOf)
}
