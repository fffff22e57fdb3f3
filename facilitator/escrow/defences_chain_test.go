package escrow

import (
	"encoding/json"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
)

// TestCollectionChecks: a collector that under- or over-delivers fails
// with TokenCollectionFailed, one that calls back into the escrow with
// Reentrancy, and collectors and token stores refuse everyone but the escrow.
func TestCollectionChecks(t *testing.T) {
	e := newEnv(t)
	hostile := contracts.NewTestHostileCollector()
	addr, err := deployContract(e, contracts.TestHostileCollectorMetaData.Bin, hostile.PackConstructor(e.c.Escrow, uint8(CollectorPayment)))
	if err != nil {
		t.Fatal(err)
	}
	e.mint(10*usdcUnit, addr)
	setMode := func(m uint8) {
		t.Helper()
		if _, err := e.sendTo(e.other, addr, hostile.PackSetMode(m)); err != nil {
			t.Fatal(err)
		}
	}
	pi := e.payment(1 * usdcUnit)
	data := e.authorizeData(&pi, 1*usdcUnit, addr, nil)
	e.step("collector delivers nothing", &pi, func() {
		e.mustFail(e.operator, data, ErrTokenCollectionFailed, "nothing delivered")
	}, nil, &wantState{})
	setMode(1)
	e.step("collector delivers one unit more", &pi, func() {
		e.mustFail(e.operator, data, ErrTokenCollectionFailed, "extra delivered")
	}, nil, &wantState{})
	setMode(2)
	// Something to void, so that the re-entrant call would succeed if let in.
	victim := e.payment(1 * usdcUnit)
	e.authorize(&victim, 1*usdcUnit)
	e.mustSend(e.operator, e.captureData(&victim, 1, 0, common.Address{}), "create the store")
	e.step("collector re-enters", &pi, func() {
		e.mustFail(e.operator, data, ErrReentrancy, "re-entry")
	}, nil, &wantState{})

	// A Refund-type collector cannot serve authorize.
	refundish, err := deployContract(e, contracts.TestHostileCollectorMetaData.Bin, hostile.PackConstructor(e.c.Escrow, uint8(CollectorRefund)))
	if err != nil {
		t.Fatal(err)
	}
	e.mustFail(e.operator, e.authorizeData(&pi, 1*usdcUnit, refundish, nil), ErrInvalidCollector, "refund-type collector for authorize")

	// Only the escrow may drive a collector or a token store.
	sig := e.sign(&pi)
	collect := contracts.NewERC3009PaymentCollector().PackCollectTokens(pi.Tuple(), e.store, big.NewInt(1*usdcUnit), sig)
	_, err = e.sendTo(e.operator, e.c.ERC3009Collector, collect)
	e.checkErr(err, ErrOnlyEscrow, "collectTokens from an EOA")
	_, err = e.sendTo(e.operator, e.c.RefundCollector, collect)
	e.checkErr(err, ErrOnlyEscrow, "refund collectTokens from an EOA")
	send := contracts.NewTokenStore().PackSendTokens(e.c.Token, e.operator.Address, big.NewInt(1))
	_, err = e.sendTo(e.operator, e.store, send)
	e.checkErr(err, ErrOnlyEscrow, "sendTokens from the operator")
	_, err = e.sendTo(e.operator, e.c.EscrowContracts.TokenStoreImplementation, send)
	e.checkErr(err, ErrOnlyEscrow, "sendTokens on the implementation")
	// The signature is still good for the real thing.
	e.mustSend(e.operator, e.authorizeData(&pi, 1*usdcUnit, e.c.ERC3009Collector, sig), "authorize after all that")
}

// TestTokenStores: each operator has its own store at the predicted
// address; one operator's payouts never touch another's funds.
func TestTokenStores(t *testing.T) {
	e := newEnv(t)
	impl, err := e.esc.TokenStoreImplementation(e.ctx)
	if err != nil || impl != devchain.DevTokenStoreImplementationAddress {
		t.Fatalf("implementation %s (%v)", impl.Hex(), err)
	}
	op2 := e.c.Accounts[6]
	store2 := TokenStoreAddress(e.c.Escrow, impl, op2.Address)
	for _, op := range []common.Address{e.operator.Address, op2.Address} {
		onChain, err := e.esc.TokenStore(e.ctx, op)
		if err != nil || onChain != TokenStoreAddress(e.c.Escrow, impl, op) {
			t.Fatalf("getTokenStore(%s) = %s (%v)", op.Hex(), onChain.Hex(), err)
		}
	}
	if store2 == e.store {
		t.Fatal("two operators share a store")
	}
	pi1 := e.payment(2 * usdcUnit)
	e.authorize(&pi1, 2*usdcUnit)
	pi2 := e.payment(3 * usdcUnit)
	pi2.Operator = op2.Address
	e.mustSend(op2, e.authorizeData(&pi2, 3*usdcUnit, e.c.ERC3009Collector, e.sign(&pi2)), "authorize for operator 2")
	b := e.balances(e.store, store2)
	if b[e.store].Int64() != 2*usdcUnit || b[store2].Int64() != 3*usdcUnit {
		t.Fatalf("stores hold %s and %s", b[e.store], b[store2])
	}
	// Operator 1 cannot touch operator 2's payment.
	e.mustFail(e.operator, e.captureData(&pi2, 1, 0, common.Address{}), ErrInvalidSender, "capture of another operator's payment")
	r := e.mustSend(op2, e.captureData(&pi2, 3*usdcUnit, 0, common.Address{}), "operator 2 captures")
	if ev := logsOf(r, e.c.Escrow, eventTopic("TokenStoreCreated(address,address)")); len(ev) != 1 || common.BytesToAddress(ev[0].Data[12:32]) != store2 {
		t.Fatalf("TokenStoreCreated for operator 2: %v", ev)
	}
	b = e.balances(e.store, store2)
	if b[e.store].Int64() != 2*usdcUnit || b[store2].Sign() != 0 {
		t.Fatalf("after capture stores hold %s and %s", b[e.store], b[store2])
	}
}

// TestSignDepositFromRequirements: the client helper builds, from x402
// requirements, a deposit that the escrow accepts, whose ID is the
// contract's getHash.
func TestSignDepositFromRequirements(t *testing.T) {
	e := newEnv(t)
	extra, _ := json.Marshal(Extra{
		Name: "USD Coin", Version: "2", EscrowContract: e.c.Escrow.Hex(), Facilitator: e.operator.Address.Hex(),
		TokenCollector: e.c.ERC3009Collector.Hex(), MinDeposit: "1000000", MaxDeposit: "100000000",
	})
	req := &facilitator.PaymentRequirements{
		Scheme: "escrow", Network: "eip155:" + e.c.ChainID.String(), Amount: "10000", Asset: e.c.Token.Hex(),
		PayTo: e.receiver.Address.Hex(), MaxTimeoutSeconds: 60, Extra: extra,
	}
	salt, _ := RandomSalt()
	exp := e.now() + 3600
	terms, err := TermsFromRequirements(req, big.NewInt(7*usdcUnit), salt, exp, exp+86400)
	if err != nil {
		t.Fatal(err)
	}
	var x Extra
	if err := json.Unmarshal(extra, &x); err != nil {
		t.Fatal(err)
	}
	if x.CheckDeposit(big.NewInt(7*usdcUnit)) != nil || x.CheckDeposit(big.NewInt(999_999)) == nil || x.CheckDeposit(big.NewInt(100_000_001)) == nil {
		t.Fatal("CheckDeposit bounds")
	}
	d, err := SignDeposit(e.payer.Key, &terms)
	if err != nil {
		t.Fatal(err)
	}
	pi := d.PaymentInfo
	if pi.Payer != e.payer.Address || pi.Operator != e.operator.Address || pi.Receiver != e.receiver.Address || pi.Token != e.c.Token ||
		pi.PreApprovalExpiry != exp || pi.AuthorizationExpiry != exp || pi.RefundExpiry != exp+86400 || pi.MaxFeeBps != 0 {
		t.Fatalf("payment %+v", pi)
	}
	// The authorization is what the collector will execute, and it recovers to the payer.
	a := d.Authorization
	if a.To != e.c.ERC3009Collector || a.Value.Uint64() != 7*usdcUnit || !a.ValidAfter.IsZero() || a.ValidBefore.Uint64() != exp {
		t.Fatalf("authorization %+v", a)
	}
	dom := terms.Domain()
	if err := evm.CheckDomain(e.ctx, e.c.Client, dom); err != nil {
		t.Fatal(err)
	}
	signer, err := evm.RecoverSigner(a.Digest(evm.ReceiveWithAuthorizationTypeHash, dom.Separator()), d.Signature)
	if err != nil || signer != e.payer.Address {
		t.Fatalf("signature recovers to %s (%v)", signer.Hex(), err)
	}
	onChain, err := e.esc.GetHash(e.ctx, &pi)
	if err != nil || onChain != d.ID {
		t.Fatalf("getHash %x, deposit ID %x (%v)", onChain, d.ID, err)
	}
	anyPayer := pi.Copy()
	anyPayer.Payer = common.Address{}
	if n, err := e.esc.GetHash(e.ctx, &anyPayer); err != nil || n != a.Nonce {
		t.Fatalf("on-chain payer-agnostic hash %x, nonce %x (%v)", n, a.Nonce, err)
	}
	e.step("authorize the deposit", &pi, func() {
		e.mustSend(e.operator, e.must(PackAuthorize(&pi, big.NewInt(7*usdcUnit), e.c.ERC3009Collector, d.Signature)), "authorize")
	}, map[common.Address]int64{e.payer.Address: -7 * usdcUnit, e.store: 7 * usdcUnit}, &wantState{true, 7 * usdcUnit, 0})

	// Bad terms are refused before signing.
	for name, mut := range map[string]func(*DepositTerms){
		"zero amount":        func(t *DepositTerms) { t.Amount = big.NewInt(0) },
		"amount 2^120":       func(t *DepositTerms) { t.Amount = new(big.Int).Lsh(big.NewInt(1), 120) },
		"no salt":            func(t *DepositTerms) { t.Salt = nil },
		"refund before auth": func(t *DepositTerms) { t.RefundExpiry = t.AuthorizationExpiry - 1 },
		"no collector":       func(t *DepositTerms) { t.Collector = common.Address{} },
		"no domain name":     func(t *DepositTerms) { t.Name = "" },
		"expiry 2^48":        func(t *DepositTerms) { t.AuthorizationExpiry, t.RefundExpiry = 1<<48, 1<<48 },
	} {
		bad := terms
		mut(&bad)
		if _, err := SignDeposit(e.payer.Key, &bad); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	for name, r := range map[string]facilitator.PaymentRequirements{
		"no extra":      {Network: req.Network, Asset: req.Asset, PayTo: req.PayTo},
		"bad network":   {Network: "solana:x", Asset: req.Asset, PayTo: req.PayTo, Extra: extra},
		"bad escrow":    {Network: req.Network, Asset: req.Asset, PayTo: req.PayTo, Extra: json.RawMessage(`{"escrowContract":"0x12"}`)},
		"bad extra":     {Network: req.Network, Asset: req.Asset, PayTo: req.PayTo, Extra: json.RawMessage(`[1]`)},
		"bad asset":     {Network: req.Network, Asset: "USDC", PayTo: req.PayTo, Extra: extra},
		"bad recipient": {Network: req.Network, Asset: req.Asset, PayTo: "", Extra: extra},
	} {
		if _, err := TermsFromRequirements(&r, big.NewInt(1), salt, exp, exp); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestERC6492Deposit: a payer whose smart wallet is not deployed yet signs
// with an ERC-6492 wrapper; the collector runs the factory call through
// Multicall3Lite, then the token checks the signature with ERC-1271.
func TestERC6492Deposit(t *testing.T) {
	e := newEnv(t)
	factoryBinding := contracts.NewTestWalletFactory()
	factory, err := deployContract(e, contracts.TestWalletFactoryMetaData.Bin, nil)
	if err != nil {
		t.Fatal(err)
	}
	owner := e.other
	var wsalt [32]byte
	wsalt[31] = 7
	wallet := crypto.CreateAddress2(factory, wsalt, crypto.Keccak256(append(common.FromHex(contracts.TestWallet1271MetaData.Bin), contracts.NewTestWallet1271().PackConstructor(owner.Address)...)))
	out, err := evm.Call(e.ctx, e.c.Client, common.Address{}, factory, factoryBinding.PackWalletAddress(owner.Address, wsalt))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := factoryBinding.UnpackWalletAddress(out); got != wallet {
		t.Fatalf("factory predicts %s, we predict %s", got.Hex(), wallet.Hex())
	}
	e.mint(5*usdcUnit, wallet)
	wrap := func(pi *PaymentInfo) []byte {
		a := ReceiveAuthorization(e.c.ChainID.Uint64(), e.c.Escrow, e.c.ERC3009Collector, pi)
		dom := e.domain()
		digest := a.Digest(evm.ReceiveWithAuthorizationTypeHash, dom.Separator())
		inner, err := crypto.Sign(digest[:], owner.Key) // TestWallet1271 checks the owner's signature of the digest itself
		if err != nil {
			t.Fatal(err)
		}
		inner[64] += 27
		return wrap6492(t, factory, factoryBinding.PackDeploy(owner.Address, wsalt), inner)
	}

	pi := e.payment(2 * usdcUnit)
	pi.Payer = wallet
	sig := wrap(&pi)
	if code, _ := e.c.Client.CodeAt(e.ctx, wallet, nil); len(code) != 0 {
		t.Fatal("wallet deployed already")
	}
	r := e.mustSend(e.operator, e.authorizeData(&pi, 2*usdcUnit, e.c.ERC3009Collector, sig), "authorize from a counterfactual wallet")
	if code, _ := e.c.Client.CodeAt(e.ctx, wallet, nil); len(code) == 0 {
		t.Fatal("the 6492 factory call did not deploy the wallet")
	}
	e.expectState("6492 authorize", &pi, wantState{true, 2 * usdcUnit, 0})
	t.Logf("authorize with ERC-6492 wallet deployment: %d gas", r.GasUsed)

	// Again with the wallet deployed. The collector still runs the
	// wrapper's factory call, whose CREATE2 now collides and burns all the
	// gas it gets: the call needs more gas than a transaction may have.
	pi2 := e.payment(3 * usdcUnit)
	pi2.Payer = wallet
	wrapped := wrap(&pi2)
	gas, err := e.c.Client.EstimateGas(e.ctx, ethereum.CallMsg{From: e.operator.Address, To: &e.c.Escrow, Data: e.authorizeData(&pi2, 3*usdcUnit, e.c.ERC3009Collector, wrapped)})
	t.Logf("authorize with a 6492 wrapper for a deployed wallet: estimate %d gas (%v)", gas, err)
	if err == nil && gas < 5_000_000 {
		t.Fatalf("expected the colliding factory call to burn gas, estimate %d", gas)
	}
	// CollectorData strips the wrapper for a deployed wallet (and keeps it
	// otherwise), and the inner signature goes through normally.
	cd, err := CollectorData(e.ctx, e.c.Client, wallet, wrapped)
	if err != nil || len(cd) != 65 {
		t.Fatalf("CollectorData for a deployed wallet: %d bytes (%v)", len(cd), err)
	}
	if kept, err := CollectorData(e.ctx, e.c.Client, e.c.Accounts[7].Address, wrapped); err != nil || len(kept) != len(wrapped) {
		t.Fatalf("CollectorData for an address without code: %d bytes (%v)", len(kept), err)
	}
	if plain, err := CollectorData(e.ctx, e.c.Client, wallet, cd); err != nil || len(plain) != 65 {
		t.Fatalf("CollectorData of a plain signature: %d bytes (%v)", len(plain), err)
	}
	r = e.mustSend(e.operator, e.authorizeData(&pi2, 3*usdcUnit, e.c.ERC3009Collector, cd), "authorize from the deployed wallet")
	t.Logf("authorize from an ERC-1271 wallet: %d gas", r.GasUsed)
	e.expectState("6492 authorize 2", &pi2, wantState{true, 3 * usdcUnit, 0})
	if b := e.balances(wallet)[wallet]; b.Sign() != 0 {
		t.Fatalf("wallet holds %s", b)
	}
	// A wrapper around a wrong inner signature is refused by the token.
	pi3 := e.payment(1 * usdcUnit)
	pi3.Payer = wallet
	bad := wrap6492(t, factory, factoryBinding.PackDeploy(owner.Address, wsalt), make([]byte, 65))
	e.mustFail(e.operator, e.authorizeData(&pi3, 1*usdcUnit, e.c.ERC3009Collector, bad), ErrInvalidSignature, "6492 with a bad inner signature")
}

// wrap6492 returns abi.encode(factory, calldata, inner) ++ the ERC-6492 magic suffix.
func wrap6492(t *testing.T, factory common.Address, calldata, inner []byte) []byte {
	t.Helper()
	addrT, _ := abi.NewType("address", "", nil)
	bytesT, _ := abi.NewType("bytes", "", nil)
	enc, err := abi.Arguments{{Type: addrT}, {Type: bytesT}, {Type: bytesT}}.Pack(factory, calldata, inner)
	if err != nil {
		t.Fatal(err)
	}
	magic := common.FromHex("6492649264926492649264926492649264926492649264926492649264926492")
	return append(enc, magic...)
}

// TestCheckDeployment: the start-up check accepts the dev deployment and
// rejects wrong addresses.
func TestCheckDeployment(t *testing.T) {
	e := newEnv(t)
	if err := e.esc.CheckDeployment(e.ctx, e.c.ERC3009Collector, e.c.RefundCollector); err != nil {
		t.Fatal(err)
	}
	if err := e.esc.CheckDeployment(e.ctx, e.c.ERC3009Collector, common.Address{}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		escrow, pay, refund common.Address
	}{
		"swapped collectors":    {e.c.Escrow, e.c.RefundCollector, e.c.ERC3009Collector},
		"token as escrow":       {e.c.Token, e.c.ERC3009Collector, common.Address{}},
		"no code":               {e.other.Address, e.c.ERC3009Collector, common.Address{}},
		"EOA as collector":      {e.c.Escrow, e.other.Address, common.Address{}},
		"escrow as collector":   {e.c.Escrow, e.c.Escrow, common.Address{}},
		"another escrow's pair": {e.c.Escrow, e.c.ERC3009Collector, e.c.Token},
	} {
		err := NewContract(e.c.Client, c.escrow).CheckDeployment(e.ctx, c.pay, c.refund)
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A collector of another escrow.
	other, err := devchain.DeployEscrow(e.ctx, e.c.Client, e.c.Accounts[7].Key, e.c.ChainID, devchain.EscrowOptions{Multicall3: e.c.EscrowContracts.Multicall3})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.esc.CheckDeployment(e.ctx, other.ERC3009Collector, common.Address{}); err == nil {
		t.Error("accepted another escrow's collector")
	}
	if err := NewContract(e.c.Client, other.Escrow).CheckDeployment(e.ctx, other.ERC3009Collector, other.RefundCollector); err != nil {
		t.Error(err)
	}
}
