package devchain

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator/contracts"
)

func TestStartDeploysEscrowAtFixedAddresses(t *testing.T) {
	start := time.Now()
	c := startChain(t, Options{})
	t.Logf("Start took %v", time.Since(start).Round(time.Millisecond))
	ctx := testCtx(t)

	// The constants are what CREATE gives for dev account 0's nonces 1..4
	// and the escrow's own first CREATE.
	d := c.Deployer.Address
	for _, w := range []struct {
		name      string
		got, want common.Address
	}{
		{"DevEscrowAddress", DevEscrowAddress, crypto.CreateAddress(d, 1)},
		{"DevERC3009CollectorAddress", DevERC3009CollectorAddress, crypto.CreateAddress(d, 2)},
		{"DevRefundCollectorAddress", DevRefundCollectorAddress, crypto.CreateAddress(d, 3)},
		{"DevMulticall3Address", DevMulticall3Address, crypto.CreateAddress(d, 4)},
		{"DevTokenStoreImplementationAddress", DevTokenStoreImplementationAddress, crypto.CreateAddress(DevEscrowAddress, 1)},
		{"Chain.Escrow", c.Escrow, DevEscrowAddress},
		{"Chain.ERC3009Collector", c.ERC3009Collector, DevERC3009CollectorAddress},
		{"Chain.RefundCollector", c.RefundCollector, DevRefundCollectorAddress},
		{"Chain.EscrowContracts.TokenStoreImplementation", c.EscrowContracts.TokenStoreImplementation, DevTokenStoreImplementationAddress},
		{"Chain.EscrowContracts.Multicall3", c.EscrowContracts.Multicall3, DevMulticall3Address},
	} {
		if w.got != w.want {
			t.Errorf("%s = %s, want %s", w.name, w.got.Hex(), w.want.Hex())
		}
	}
	if c.EscrowContracts != DevEscrowContracts {
		t.Errorf("EscrowContracts %+v", c.EscrowContracts)
	}
	if err := CheckEscrow(ctx, c.Client, c.EscrowContracts); err != nil {
		t.Fatal(err)
	}
	// The escrow went out before the mints, in the mints' block: the
	// token is still at nonce 0, the mints follow, two blocks in all.
	if n, err := c.Client.NonceAt(ctx, d, nil); err != nil || n != 5+uint64(len(c.Accounts)) {
		t.Errorf("deployer nonce %d (%v), want %d", n, err, 5+len(c.Accounts))
	}
	if n := headOf(t, c).Number.Uint64(); n != 2 {
		t.Errorf("head is block %d, want 2", n)
	}
	esc := contracts.NewAuthCaptureEscrow()
	th, err := bind.Call(esc.Instance(c.Client, c.Escrow), &bind.CallOpts{Context: ctx}, esc.PackPAYMENTINFOTYPEHASH(), esc.UnpackPAYMENTINFOTYPEHASH)
	if err != nil || common.Hash(th) != common.HexToHash("0xae68ac7ce30c86ece8196b61a7c486d8f0061f575037fbd34e7fe4e2820c6591") {
		t.Errorf("PAYMENT_INFO_TYPEHASH %x (%v)", th, err)
	}
	// CheckEscrow notices a wrong address.
	bad := c.EscrowContracts
	bad.RefundCollector, bad.ERC3009Collector = bad.ERC3009Collector, bad.RefundCollector
	if err := CheckEscrow(ctx, c.Client, bad); err == nil {
		t.Error("CheckEscrow accepted swapped collectors")
	}
	bad = c.EscrowContracts
	bad.Multicall3 = c.Token
	if err := CheckEscrow(ctx, c.Client, bad); err == nil {
		t.Error("CheckEscrow accepted a wrong Multicall3")
	}
}

func TestStartWithoutUSDCStillDeploysEscrow(t *testing.T) {
	c := startChain(t, Options{Accounts: 2, USDCPerAccount: new(big.Int)})
	if c.EscrowContracts != DevEscrowContracts {
		t.Fatalf("escrow %+v", c.EscrowContracts)
	}
	if err := CheckEscrow(testCtx(t), c.Client, c.EscrowContracts); err != nil {
		t.Fatal(err)
	}
}

// TestDeployEscrowGeneric deploys a second escrow through the generic
// function, as a CLI would on an external node: from another account,
// reusing an existing Multicall3.
func TestDeployEscrowGeneric(t *testing.T) {
	c := startChain(t, Options{Accounts: 3})
	ctx := testCtx(t)
	from := c.Accounts[2]
	nonce, err := c.Client.PendingNonceAt(ctx, from.Address)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DeployEscrow(ctx, c.Client, from.Key, c.ChainID, EscrowOptions{Multicall3: c.EscrowContracts.Multicall3})
	if err != nil {
		t.Fatal(err)
	}
	want := EscrowContracts{
		Escrow:                   crypto.CreateAddress(from.Address, nonce),
		TokenStoreImplementation: crypto.CreateAddress(crypto.CreateAddress(from.Address, nonce), 1),
		ERC3009Collector:         crypto.CreateAddress(from.Address, nonce+1),
		RefundCollector:          crypto.CreateAddress(from.Address, nonce+2),
		Multicall3:               DevMulticall3Address,
	}
	if got != want {
		t.Fatalf("deployed %+v, want %+v", got, want)
	}
	if n, _ := c.Client.PendingNonceAt(ctx, from.Address); n != nonce+3 {
		t.Fatalf("three deployments used nonces %d..%d", nonce, n-1)
	}
}
