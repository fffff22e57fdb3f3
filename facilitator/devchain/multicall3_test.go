package devchain

import (
	"bytes"
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/internal/testsvc"
)

// Multicall3 answers at its canonical address on the dev chain (genesis)
// and, after PlaceMulticall3, on anvil; a second PlaceMulticall3 leaves it.
// aggregate3 reports each call's own outcome.
func TestMulticall3AtCanonicalAddress(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := startChain(t, Options{Accounts: 2})
	checkAggregate3(t, ctx, c.Client, c.Token)

	a := testsvc.StartAnvil(t)
	ec, err := ethclient.Dial(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	placed, err := PlaceMulticall3(ctx, ec.Client())
	if err != nil || !placed {
		t.Fatalf("placing on anvil: %v %v", placed, err)
	}
	if placed, err = PlaceMulticall3(ctx, ec.Client()); err != nil || placed {
		t.Fatalf("placing again: %v %v; want left as it is", placed, err)
	}
	accts, err := DevAccounts(1)
	if err != nil {
		t.Fatal(err)
	}
	token, err := Deploy(ctx, ec, accts[0].Key, big.NewInt(84532))
	if err != nil {
		t.Fatal(err)
	}
	checkAggregate3(t, ctx, ec, token)
}

// checkAggregate3 calls token.decimals() (succeeds) and a missing function
// (fails) in one aggregate3 with allowFailure, and then without it.
func checkAggregate3(t *testing.T, ctx context.Context, b interface {
	CallContract(context.Context, ethereum.CallMsg, *big.Int) ([]byte, error)
}, token common.Address) {
	t.Helper()
	mc := contracts.NewMulticall3()
	calls := []contracts.Multicall3Call3{
		{Target: token, AllowFailure: true, CallData: common.FromHex("0x313ce567")}, // decimals()
		{Target: token, AllowFailure: true, CallData: common.FromHex("0xdeadbeef")},
	}
	to := contracts.Multicall3Address
	out, err := b.CallContract(ctx, ethereum.CallMsg{To: &to, Data: mc.PackAggregate3(calls)}, nil)
	if err != nil {
		t.Fatalf("aggregate3: %v", err)
	}
	res, err := mc.UnpackAggregate3(out)
	if err != nil || len(res) != 2 {
		t.Fatalf("aggregate3 results %v %v", res, err)
	}
	if !res[0].Success || !bytes.Equal(res[0].ReturnData, common.LeftPadBytes([]byte{6}, 32)) || res[1].Success {
		t.Fatalf("aggregate3 results %+v; want decimals 6 and a failure", res)
	}
	calls[1].AllowFailure = false
	if _, err := b.CallContract(ctx, ethereum.CallMsg{To: &to, Data: mc.PackAggregate3(calls)}, nil); err == nil {
		t.Fatal("aggregate3 with a failing call not allowed to fail did not revert")
	}
}
