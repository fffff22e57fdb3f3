package devchain

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// The chain's client is what the facilitator packages expect of a backend.
var (
	_ Backend = (*minedClient)(nil)
	_ interface {
		bind.ContractBackend
		ethereum.TransactionReader
		ethereum.ChainIDReader
	} = (*minedClient)(nil)
)

func TestStartDeploysTokenAtFixedAddress(t *testing.T) {
	c := startChain(t, Options{})
	ctx := testCtx(t)

	if want := crypto.CreateAddress(c.Deployer.Address, 0); want != DevTokenAddress {
		t.Fatalf("CREATE(account 0, 0) = %s, DevTokenAddress = %s", want.Hex(), DevTokenAddress.Hex())
	}
	if c.Token != common.HexToAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3") {
		t.Fatalf("token at %s", c.Token.Hex())
	}
	if c.Deployer.Index != 0 || c.Deployer.Address != c.Accounts[0].Address {
		t.Fatalf("deployer is %v", c.Deployer)
	}
	id, err := c.Client.ChainID(ctx)
	if err != nil || id.Int64() != DefaultChainID || c.ChainID.Int64() != DefaultChainID {
		t.Fatalf("chain ID %v (%v), field %v", id, err, c.ChainID)
	}
	if len(c.Accounts) != DefaultAccounts {
		t.Fatalf("%d accounts", len(c.Accounts))
	}

	if got := call(t, c, usdc.PackName(), usdc.UnpackName); got != "USD Coin" {
		t.Errorf("name %q", got)
	}
	if got := call(t, c, usdc.PackSymbol(), usdc.UnpackSymbol); got != "USDC" {
		t.Errorf("symbol %q", got)
	}
	if got := call(t, c, usdc.PackVersion(), usdc.UnpackVersion); got != "2" {
		t.Errorf("version %q", got)
	}
	if got := call(t, c, usdc.PackDecimals(), usdc.UnpackDecimals); got != 6 {
		t.Errorf("decimals %d", got)
	}
	if got := call(t, c, usdc.PackMinter(), usdc.UnpackMinter); got != c.Deployer.Address {
		t.Errorf("minter %s", got.Hex())
	}

	// Every dev account holds 1,000,000 USDC and a large ETH balance.
	for _, a := range c.Accounts {
		if b := balance(t, c, a.Address); b.Cmp(big.NewInt(1_000_000_000_000)) != 0 {
			t.Errorf("%v holds %s USDC units", a, b)
		}
		eth, err := c.Client.BalanceAt(ctx, a.Address, nil)
		if err != nil || eth.Cmp(new(big.Int).Div(DefaultETHPerAccount, big.NewInt(2))) < 0 {
			t.Errorf("%v holds %s wei (%v)", a, eth, err)
		}
	}
	supply := call(t, c, usdc.PackTotalSupply(), usdc.UnpackTotalSupply)
	if supply.Cmp(big.NewInt(10*1_000_000_000_000)) != 0 {
		t.Errorf("total supply %s", supply)
	}
}

func TestDomainSeparatorAndTypehashes(t *testing.T) {
	c := startChain(t, Options{ChainID: 84532, Accounts: 1})
	td := apitypes.TypedData{
		Types:       apitypes.Types{"EIP712Domain": domainType},
		PrimaryType: "EIP712Domain",
		Domain:      domain(c.ChainID, c.Token),
	}
	want, err := td.HashStruct("EIP712Domain", td.Domain.Map())
	if err != nil {
		t.Fatal(err)
	}
	got := call(t, c, usdc.PackDOMAINSEPARATOR(), usdc.UnpackDOMAINSEPARATOR)
	if !bytes.Equal(got[:], want) {
		t.Fatalf("DOMAIN_SEPARATOR %x, computed %x", got, want)
	}
	if c.ChainID.Int64() != 84532 {
		t.Fatalf("chain ID %s", c.ChainID)
	}

	for _, tc := range []struct {
		got  [32]byte
		decl string
	}{
		{call(t, c, usdc.PackTRANSFERWITHAUTHORIZATIONTYPEHASH(), usdc.UnpackTRANSFERWITHAUTHORIZATIONTYPEHASH),
			"TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"},
		{call(t, c, usdc.PackRECEIVEWITHAUTHORIZATIONTYPEHASH(), usdc.UnpackRECEIVEWITHAUTHORIZATIONTYPEHASH),
			"ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"},
		{call(t, c, usdc.PackCANCELAUTHORIZATIONTYPEHASH(), usdc.UnpackCANCELAUTHORIZATIONTYPEHASH),
			"CancelAuthorization(address authorizer,bytes32 nonce)"},
	} {
		if want := crypto.Keccak256([]byte(tc.decl)); !bytes.Equal(tc.got[:], want) {
			t.Errorf("typehash of %s: contract %x, keccak %x", tc.decl, tc.got, want)
		}
	}
}

func TestMintOnlyByMinter(t *testing.T) {
	c := startChain(t, Options{Accounts: 2, USDCPerAccount: new(big.Int)})
	a1 := c.Accounts[1]
	if b := balance(t, c, a1.Address); b.Sign() != 0 {
		t.Fatalf("USDCPerAccount 0 still minted %s", b)
	}
	_, err := transact(t, c, a1.Key, usdc.PackMint(a1.Address, big.NewInt(1)))
	mustRevert(t, err, "FiatToken: caller is not a minter")

	if err := Mint(testCtx(t), c.Client, c.Deployer.Key, c.ChainID, c.Token, big.NewInt(5), a1.Address, c.Deployer.Address); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, c, a1.Address); b.Int64() != 5 {
		t.Fatalf("balance after mint %s", b)
	}

	fresh := common.HexToAddress("0x00000000000000000000000000000000000f00d1")
	if err := Fund(testCtx(t), c.Client, a1.Key, c.ChainID, big.NewInt(1e15), fresh); err != nil {
		t.Fatal(err)
	}
	if eth, err := c.Client.BalanceAt(testCtx(t), fresh, nil); err != nil || eth.Int64() != 1e15 {
		t.Fatalf("funded %v (%v)", eth, err)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{
		{Accounts: -1},
		{ChainID: -5},
		{RPCAddr: "0.0.0.0:0"},
		{RPCAddr: "example.com:8545"},
		{RPCAddr: "127.0.0.1"},
	} {
		if c, err := Start(o); err == nil {
			c.Close()
			t.Errorf("Start(%+v) succeeded", o)
		}
	}
}
