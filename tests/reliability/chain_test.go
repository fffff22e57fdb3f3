package reliability

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
)

// On-chain reads of the tests: TestUSDC balances and authorization states.

// balance is addr's TestUSDC balance.
func (e *env) balance(addr common.Address) *big.Int {
	e.t.Helper()
	data := append(common.FromHex("0x70a08231"), common.LeftPadBytes(addr.Bytes(), 32)...)
	return new(big.Int).SetBytes(e.call(data))
}

// authUsed is the token's authorizationState(from, nonce).
func (e *env) authUsed(from common.Address, nonce [32]byte) bool {
	e.t.Helper()
	data := append(common.FromHex("0xe94a0102"), common.LeftPadBytes(from.Bytes(), 32)...)
	data = append(data, nonce[:]...)
	out := e.call(data)
	return len(out) == 32 && out[31] == 1
}

func (e *env) call(data []byte) []byte {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := e.ec.CallContract(ctx, ethereum.CallMsg{To: &e.token, Data: data}, nil)
	if err != nil {
		e.t.Fatalf("eth_call on the token: %v", err)
	}
	return out
}

// waitBalance waits (at most d) until the payee holds want, and fails if it
// ever holds more.
func (e *env) waitBalance(want *big.Int, d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := e.balance(e.payTo)
		switch c := got.Cmp(want); {
		case c == 0:
			return
		case c > 0:
			e.t.Fatalf("payee holds %s units, more than the %s paid for: a payment was charged twice", got, want)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("payee holds %s units after %s, want %s", got, d, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkSettled asserts the chain state after n payments: the payee got
// exactly n×price, the payer lost exactly that, and every authorization's
// nonce is used.
func (e *env) checkSettled(payerBefore *big.Int, ps []payment) {
	e.t.Helper()
	total := big.NewInt(int64(len(ps)) * price)
	if got := e.balance(e.payTo); got.Cmp(total) != 0 {
		e.t.Errorf("payee balance %s, want exactly %s", got, total)
	}
	if got := new(big.Int).Sub(payerBefore, e.balance(e.payer.Address)); got.Cmp(total) != 0 {
		e.t.Errorf("payer paid %s, want exactly %s", got, total)
	}
	for n, p := range ps {
		if !e.authUsed(p.from, p.nonce) {
			e.t.Errorf("payment %d: authorizationState is false (never settled)", n)
		}
	}
}

// nodeAnswers returns "" when the node cannot be reached, else a description
// of what it answered.
func (e *env) nodeAnswers() string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := e.ec.BlockNumber(ctx); err == nil {
		return fmt.Sprintf("block %d", n)
	}
	return ""
}
