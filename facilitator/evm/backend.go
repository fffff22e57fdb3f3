package evm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Backend is what the schemes need from a chain: go-ethereum's ethclient and
// the simulated backend's client both satisfy it.
type Backend interface {
	bind.ContractBackend
	ethereum.ChainIDReader
	TransactionReceipt(ctx context.Context, txHash common.Hash) (*types.Receipt, error)
}

// RevertError is a call or gas estimate that the EVM reverted. Reason is the
// revert string when the contract gave one; Data holds the raw revert data
// (a custom error selector and its arguments) when the node returned it.
type RevertError struct {
	Reason string
	Data   []byte
	Err    error
}

func (e *RevertError) Error() string {
	if e.Reason != "" {
		return "execution reverted: " + e.Reason
	}
	if len(e.Data) >= 4 {
		return fmt.Sprintf("execution reverted: custom error 0x%x", e.Data[:4])
	}
	return "execution reverted"
}

func (e *RevertError) Unwrap() error { return e.Err }

// Selector returns the 4-byte custom error selector of the revert, if any.
func (e *RevertError) Selector() [4]byte {
	var s [4]byte
	if len(e.Data) >= 4 {
		copy(s[:], e.Data[:4])
	}
	return s
}

// asRevert recognises the node's "execution reverted" errors (both the
// simulated backend and JSON-RPC nodes spell it this way) and extracts the
// reason and revert data; other errors are returned unchanged.
func asRevert(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	i := strings.Index(msg, "execution reverted")
	if i < 0 {
		return err
	}
	re := &RevertError{Err: err}
	rest := strings.TrimPrefix(msg[i+len("execution reverted"):], ":")
	re.Reason = strings.TrimSpace(rest)
	var de interface{ ErrorData() interface{} }
	if errors.As(err, &de) {
		switch d := de.ErrorData().(type) {
		case string:
			if b, err := DecodeHexBytes(d, 1<<16); err == nil {
				re.Data = b
			}
		case []byte:
			re.Data = d
		}
	}
	if re.Reason == "" || strings.HasPrefix(re.Reason, "0x") {
		re.Reason = ""
	}
	return re
}

// IsRetryableReceiptError reports errors a receipt poller should retry: not
// found yet, and geth's "transaction indexing is in progress" after start.
func IsRetryableReceiptError(err error) bool {
	return errors.Is(err, ethereum.NotFound) || strings.Contains(err.Error(), "indexing is in progress")
}

// ReceiptReader reads transaction receipts.
type ReceiptReader interface {
	TransactionReceipt(ctx context.Context, txHash common.Hash) (*types.Receipt, error)
}

// WaitReceipt polls for the receipt of tx until ctx ends. It starts at
// 2 ms and backs off to maxPoll (default 500 ms), so a fast local chain
// answers in milliseconds and a real one is not hammered. Transport errors
// are retried too: only ctx decides when to give up.
func WaitReceipt(ctx context.Context, b ReceiptReader, tx common.Hash, maxPoll time.Duration) (*types.Receipt, error) {
	if maxPoll <= 0 {
		maxPoll = 500 * time.Millisecond
	}
	poll := 2 * time.Millisecond
	var lastErr error
	for {
		r, err := b.TransactionReceipt(ctx, tx)
		if err == nil && r != nil {
			return r, nil
		}
		if err != nil && !IsRetryableReceiptError(err) {
			lastErr = err
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			if lastErr != nil {
				return nil, fmt.Errorf("waiting for receipt of %s: %w (last error: %v)", tx.Hex(), ctx.Err(), lastErr)
			}
			return nil, fmt.Errorf("waiting for receipt of %s: %w", tx.Hex(), ctx.Err())
		case <-t.C:
		}
		if poll *= 2; poll > maxPoll {
			poll = maxPoll
		}
	}
}

// Call runs an eth_call against the latest block and maps reverts to
// *RevertError.
func Call(ctx context.Context, b Backend, from, to common.Address, data []byte) ([]byte, error) {
	out, err := b.CallContract(ctx, ethereum.CallMsg{From: from, To: &to, Data: data}, nil)
	return out, asRevert(err)
}

// ChainNow returns the timestamp of the latest block.
func ChainNow(ctx context.Context, b Backend) (time.Time, error) {
	h, err := b.HeaderByNumber(ctx, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading latest header: %w", err)
	}
	return time.Unix(int64(h.Time), 0), nil
}

// CheckDomain compares the token's on-chain DOMAIN_SEPARATOR with the one
// computed from d, so that a wrong EIP-712 name or version in the
// configuration fails at start-up instead of rejecting every payment.
func CheckDomain(ctx context.Context, b Backend, d Domain) error {
	got, err := DomainSeparatorOf(ctx, b, d.VerifyingContract)
	if err != nil {
		return fmt.Errorf("checking EIP-712 domain of %s: %w", d.VerifyingContract.Hex(), err)
	}
	if want := d.Separator(); got != want {
		name, _ := TokenName(ctx, b, d.VerifyingContract)
		version, _ := TokenVersion(ctx, b, d.VerifyingContract)
		return fmt.Errorf("token %s: configured EIP-712 domain (name %q, version %q, chain %d) does not match the contract's DOMAIN_SEPARATOR (token reports name %q, version %q)",
			d.VerifyingContract.Hex(), d.Name, d.Version, d.ChainID, name, version)
	}
	return nil
}
