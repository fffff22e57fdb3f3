package contracts_test

import (
	"context"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/escrow"
)

// vectorInfo is the PaymentInfo of the reference vectors (escrow.md §3.3).
func vectorInfo() escrow.PaymentInfo {
	return escrow.PaymentInfo{
		Operator:            common.HexToAddress("0x1000000000000000000000000000000000000001"),
		Payer:               common.HexToAddress("0x2000000000000000000000000000000000000002"),
		Receiver:            common.HexToAddress("0x3000000000000000000000000000000000000003"),
		Token:               common.HexToAddress("0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"),
		MaxAmount:           big.NewInt(1_000_000),
		PreApprovalExpiry:   1_800_000_000,
		AuthorizationExpiry: 1_800_003_600,
		RefundExpiry:        1_800_090_000,
		Salt:                big.NewInt(1),
	}
}

var esc = contracts.NewAuthCaptureEscrow()

func getHash(t *testing.T, b bind.ContractCaller, at common.Address, pi escrow.PaymentInfo) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := bind.Call(bind.NewBoundContract(at, *mustParse(t), b, nil, nil), &bind.CallOpts{Context: ctx}, esc.PackGetHash(pi.Tuple()), esc.UnpackGetHash)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h[:])
}

func mustParse(t *testing.T) *abi.ABI {
	t.Helper()
	a, err := contracts.AuthCaptureEscrowMetaData.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestGetHashOnChainMatchesGo: our escrow's getHash, on the dev chain (chain
// 1337, escrow at its dev address), equals escrow.GetHash for the vector
// payment, its payer-agnostic variant and a few others.
func TestGetHashOnChainMatchesGo(t *testing.T) {
	c, err := devchain.Start(devchain.Options{Accounts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := c.ChainID.Uint64()
	base := vectorInfo()
	anyPayer := vectorInfo()
	anyPayer.Payer = common.Address{}
	fees := vectorInfo()
	fees.MinFeeBps, fees.MaxFeeBps, fees.FeeReceiver = 10, 10_000, common.HexToAddress("0x4000000000000000000000000000000000000004")
	extreme := vectorInfo()
	extreme.MaxAmount = escrow.MaxAmountLimit
	extreme.PreApprovalExpiry, extreme.AuthorizationExpiry, extreme.RefundExpiry = escrow.MaxUint48, escrow.MaxUint48, escrow.MaxUint48
	extreme.Salt = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for name, pi := range map[string]escrow.PaymentInfo{"vector": base, "payer 0": anyPayer, "fees": fees, "extremes": extreme} {
		want := escrow.GetHash(id, c.Escrow, &pi)
		if got := getHash(t, c.Client, c.Escrow, pi); got != hex.EncodeToString(want[:]) {
			t.Errorf("%s: on-chain getHash %s, Go %x", name, got, want)
		}
	}
	nonce := escrow.PayerAgnosticNonce(id, c.Escrow, &base)
	if got := getHash(t, c.Client, c.Escrow, anyPayer); got != hex.EncodeToString(nonce[:]) {
		t.Errorf("payer-agnostic: on-chain %s, Go %x", got, nonce)
	}
}

// TestGetHashReproducesReferenceVectors runs our escrow's runtime code at
// the two reference addresses on a chain with ID 8453 (Base) and asks it for
// the §3.3 vectors: the contract, not only the Go code, reproduces them.
func TestGetHashReproducesReferenceVectors(t *testing.T) {
	c, err := devchain.Start(devchain.Options{Accounts: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, err := c.Client.CodeAt(ctx, c.Escrow, nil)
	c.Close()
	if err != nil || len(code) == 0 {
		t.Fatalf("escrow runtime code: %d bytes (%v)", len(code), err)
	}
	v10 := common.HexToAddress("0xBdEA0D1bcC5966192B070Fdf62aB4EF5b4420cff")
	f968 := common.HexToAddress("0xf96815976523E00e65Be8f34cA5e64b4f41EB19c")
	sim := simulated.NewBackend(types.GenesisAlloc{v10: {Code: code}, f968: {Code: code}}, func(_ *node.Config, ec *ethconfig.Config) {
		cfg := *params.AllDevChainProtocolChanges
		cfg.ChainID = big.NewInt(8453)
		cfg.BogotaTime = nil
		ec.Genesis.Config = &cfg
		ec.NetworkId = 8453
	})
	defer sim.Close()
	if id, err := sim.Client().ChainID(ctx); err != nil || id.Uint64() != 8453 {
		t.Fatalf("chain ID %v (%v)", id, err)
	}
	pi := vectorInfo()
	anyPayer := vectorInfo()
	anyPayer.Payer = common.Address{}
	for _, v := range []struct {
		at             common.Address
		hash, agnostic string
	}{
		{v10, "9d4d7f75cc56cf34fed0728813b69b7dca3d2ac8ba54719322b3b1be7ec08de8", "a0c451c1a98edcc65f3ca2c3c1c9cd60f7c0c015fcf498317cc23aba40a32472"},
		{f968, "b8269854b120fcfefc58c50231dd88c7e764f203d2cce6ab4c2aa7c6e83dee83", "87e469b7dbe9917200c1a97e0279715bcd1d229650b860c10a61dc3d9110e230"},
	} {
		if got := getHash(t, sim.Client(), v.at, pi); got != v.hash {
			t.Errorf("%s: getHash %s, reference %s", v.at.Hex(), got, v.hash)
		}
		if got := getHash(t, sim.Client(), v.at, anyPayer); got != v.agnostic {
			t.Errorf("%s: payer-agnostic getHash %s, reference %s", v.at.Hex(), got, v.agnostic)
		}
		if got := escrow.GetHash(8453, v.at, &pi); hex.EncodeToString(got[:]) != v.hash {
			t.Errorf("%s: Go GetHash %x, reference %s", v.at.Hex(), got, v.hash)
		}
	}
}
