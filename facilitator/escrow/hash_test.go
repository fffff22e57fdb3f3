package escrow

import (
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator/evm"
)

// Reference vectors: escrow.md §3.3 (Base mainnet, chain 8453).
var (
	vectorInfo = PaymentInfo{
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
	escrowV10       = common.HexToAddress("0xBdEA0D1bcC5966192B070Fdf62aB4EF5b4420cff")
	escrowF968      = common.HexToAddress("0xf96815976523E00e65Be8f34cA5e64b4f41EB19c")
	collectorV10    = common.HexToAddress("0x0E3dF9510de65469C4518D7843919c0b8C7A7757")
	baseChainID     = uint64(8453)
	vectorAgnostic  = "a0c451c1a98edcc65f3ca2c3c1c9cd60f7c0c015fcf498317cc23aba40a32472"
	vectorRWADigest = "a161d6ce0902378869d861fa7f93f5a30e08b5bbf697ad40dd6b537369081c84"
)

func hx(b [32]byte) string { return hex.EncodeToString(b[:]) }

func TestPaymentInfoTypeHash(t *testing.T) {
	if got := hx(PaymentInfoTypeHash); got != "ae68ac7ce30c86ece8196b61a7c486d8f0061f575037fbd34e7fe4e2820c6591" {
		t.Fatalf("PAYMENT_INFO_TYPEHASH = %s", got)
	}
}

func TestHashVectors(t *testing.T) {
	pi := vectorInfo.Copy()
	if got := hx(InnerHash(&pi)); got != "a4c667eb4db5efefc5320adbf7e6016116986ec6c858c82be5568c34f12ed9a9" {
		t.Errorf("inner(real payer) = %s", got)
	}
	anyPayer := pi.Copy()
	anyPayer.Payer = common.Address{}
	if got := hx(InnerHash(&anyPayer)); got != "be04303d123b15be59c98b0004abc23c073a68b3985d8d7315a022bad38698be" {
		t.Errorf("inner(payer=0) = %s", got)
	}
	for _, v := range []struct {
		escrow         common.Address
		hash, agnostic string
	}{
		{escrowV10, "9d4d7f75cc56cf34fed0728813b69b7dca3d2ac8ba54719322b3b1be7ec08de8", vectorAgnostic},
		{escrowF968, "b8269854b120fcfefc58c50231dd88c7e764f203d2cce6ab4c2aa7c6e83dee83", "87e469b7dbe9917200c1a97e0279715bcd1d229650b860c10a61dc3d9110e230"},
	} {
		if got := hx(GetHash(baseChainID, v.escrow, &pi)); got != v.hash {
			t.Errorf("%s: getHash = %s, want %s", v.escrow.Hex(), got, v.hash)
		}
		if got := hx(PayerAgnosticNonce(baseChainID, v.escrow, &pi)); got != v.agnostic {
			t.Errorf("%s: payer-agnostic = %s, want %s", v.escrow.Hex(), got, v.agnostic)
		}
	}
	// PayerAgnosticNonce leaves its argument alone.
	if pi.Payer != vectorInfo.Payer {
		t.Fatal("PayerAgnosticNonce changed the payer")
	}
}

// TestHashMatchesABIEncoding checks the hand-written encoding against
// go-ethereum's ABI encoder of the binding's tuple, for random values.
func TestHashMatchesABIEncoding(t *testing.T) {
	a, err := escrowABI()
	if err != nil {
		t.Fatal(err)
	}
	args := a.Methods["getHash"].Inputs
	for i := 0; i < 50; i++ {
		pi := PaymentInfo{
			Operator: randAddr(), Payer: randAddr(), Receiver: randAddr(), Token: randAddr(),
			MaxAmount:           randBig(120),
			PreApprovalExpiry:   randBig(48).Uint64(),
			AuthorizationExpiry: randBig(48).Uint64(),
			RefundExpiry:        randBig(48).Uint64(),
			MinFeeBps:           uint16(randBig(16).Uint64()),
			MaxFeeBps:           uint16(randBig(16).Uint64()),
			FeeReceiver:         randAddr(),
			Salt:                randBig(256),
		}
		enc, err := args.Pack(pi.Tuple())
		if err != nil {
			t.Fatal(err)
		}
		want := crypto.Keccak256(append(PaymentInfoTypeHash[:], enc...))
		if got := InnerHash(&pi); hex.EncodeToString(want) != hx(got) {
			t.Fatalf("InnerHash differs from keccak(abi.encode) for %+v", pi)
		}
	}
}

func randAddr() common.Address {
	k, _ := crypto.GenerateKey()
	return crypto.PubkeyToAddress(k.PublicKey)
}

func randBig(bits int) *big.Int {
	s, _ := RandomSalt()
	return s.Rsh(s, uint(256-bits))
}

// TestReceiveAuthorizationVector: the ERC-3009 digest the payer signs for
// the vector payment, on Base USDC with the v1.0 collector (escrow.md §3.3).
func TestReceiveAuthorizationVector(t *testing.T) {
	pi := vectorInfo.Copy()
	a := ReceiveAuthorization(baseChainID, escrowV10, collectorV10, &pi)
	if a.From != pi.Payer || a.To != collectorV10 || a.Value.Uint64() != 1_000_000 || !a.ValidAfter.IsZero() ||
		a.ValidBefore.Uint64() != 1_800_000_000 || hex.EncodeToString(a.Nonce[:]) != vectorAgnostic {
		t.Fatalf("authorization %+v", a)
	}
	d := evm.Domain{Name: "USD Coin", Version: "2", ChainID: baseChainID, VerifyingContract: pi.Token}
	if got := hx(d.Separator()); got != "02fa7265e7c5d81118673727957699e4d68f74cd74b7db77da710fe8a2c7834f" {
		t.Fatalf("domain separator %s", got)
	}
	if got := hx(a.Digest(evm.ReceiveWithAuthorizationTypeHash, d.Separator())); got != vectorRWADigest {
		t.Fatalf("digest %s, want %s", got, vectorRWADigest)
	}
}

func TestTokenStoreAddress(t *testing.T) {
	// CREATE2 of the EIP-1167 clone: checked on-chain in the chain tests;
	// here the salt layout (operator left-aligned) and determinism.
	impl := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	a := TokenStoreAddress(escrowV10, impl, vectorInfo.Operator)
	if a != TokenStoreAddress(escrowV10, impl, vectorInfo.Operator) || a == TokenStoreAddress(escrowV10, impl, vectorInfo.Payer) ||
		a == TokenStoreAddress(escrowF968, impl, vectorInfo.Operator) {
		t.Fatal("token store address does not depend on exactly escrow and operator")
	}
	code := append(append(common.FromHex("3d602d80600a3d3981f3363d3d373d3d3d363d73"), impl[:]...), common.FromHex("5af43d82803e903d91602b57fd5bf3")...)
	var salt [32]byte
	copy(salt[:], vectorInfo.Operator[:])
	if want := crypto.CreateAddress2(escrowV10, salt, crypto.Keccak256(code)); a != want {
		t.Fatalf("token store %s, CreateAddress2 says %s", a.Hex(), want.Hex())
	}
}

func TestValidate(t *testing.T) {
	ok := vectorInfo.Copy()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*PaymentInfo){
		"maxAmount 2^120":   func(p *PaymentInfo) { p.MaxAmount = new(big.Int).Lsh(big.NewInt(1), 120) },
		"negative amount":   func(p *PaymentInfo) { p.MaxAmount = big.NewInt(-1) },
		"preApproval 2^48":  func(p *PaymentInfo) { p.PreApprovalExpiry = 1 << 48 },
		"authorization big": func(p *PaymentInfo) { p.AuthorizationExpiry = 1 << 50 },
		"refund big":        func(p *PaymentInfo) { p.RefundExpiry = 1 << 63 },
		"salt 2^256":        func(p *PaymentInfo) { p.Salt = new(big.Int).Lsh(big.NewInt(1), 256) },
		"negative salt":     func(p *PaymentInfo) { p.Salt = big.NewInt(-5) },
	} {
		p := vectorInfo.Copy()
		mut(&p)
		if err := p.Validate(); !errors.Is(err, ErrPaymentInfo) {
			t.Errorf("%s: Validate = %v", name, err)
		}
		// A bad value never hashes like the valid vector.
		if GetHash(1, escrowV10, &p) == GetHash(1, escrowV10, &ok) {
			t.Errorf("%s: hash equals the valid one", name)
		}
	}
	// Nil amounts are zero, for hashing and for Tuple.
	var empty PaymentInfo
	tu := empty.Tuple()
	if tu.MaxAmount.Sign() != 0 || tu.Salt.Sign() != 0 {
		t.Fatal("nil amounts")
	}
	back, err := FromTuple(vectorInfo.Tuple())
	if err != nil || GetHash(1, escrowV10, &back) != GetHash(1, escrowV10, &ok) {
		t.Fatalf("FromTuple(Tuple()) round trip: %v", err)
	}
	bad := vectorInfo.Tuple()
	bad.RefundExpiry = new(big.Int).Lsh(big.NewInt(1), 48)
	if _, err := FromTuple(bad); !errors.Is(err, ErrPaymentInfo) {
		t.Fatalf("FromTuple accepted refundExpiry 2^48: %v", err)
	}
}

func TestCheckTermsAndFee(t *testing.T) {
	base := vectorInfo.Copy()
	now := base.PreApprovalExpiry - 10
	amt := big.NewInt(500)
	if err := base.CheckTerms(now, amt); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		mut    func(*PaymentInfo)
		now    uint64
		amount *big.Int
		want   error
	}{
		{"zero amount", nil, now, big.NewInt(0), ErrZeroAmount},
		{"nil amount", nil, now, nil, ErrZeroAmount},
		{"amount overflow", nil, now, new(big.Int).Lsh(big.NewInt(1), 120), ErrAmountOverflow},
		{"above max", nil, now, big.NewInt(1_000_001), ErrExceedsMaxAmount},
		{"at preApproval", nil, base.PreApprovalExpiry, amt, ErrAfterPreApprovalExpiry},
		{"order", func(p *PaymentInfo) { p.RefundExpiry = p.AuthorizationExpiry - 1 }, now, amt, ErrInvalidExpiries},
		{"order 2", func(p *PaymentInfo) { p.AuthorizationExpiry = p.PreApprovalExpiry - 1 }, now - 10, amt, ErrInvalidExpiries},
		{"fee overflow", func(p *PaymentInfo) { p.MaxFeeBps = 10_001 }, now, amt, ErrFeeBpsOverflow},
		{"fee range", func(p *PaymentInfo) { p.MinFeeBps, p.MaxFeeBps = 5, 4 }, now, amt, ErrInvalidFeeBpsRange},
		// The contract's order: the amount before the time.
		{"above max and late", nil, base.PreApprovalExpiry + 5, big.NewInt(2_000_000), ErrExceedsMaxAmount},
	}
	for _, c := range cases {
		p := base.Copy()
		if c.mut != nil {
			c.mut(&p)
		}
		if err := p.CheckTerms(c.now, c.amount); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}

	fee := base.Copy()
	fee.MinFeeBps, fee.MaxFeeBps = 10, 100
	pinned := common.HexToAddress("0x4000000000000000000000000000000000000004")
	fee.FeeReceiver = pinned
	for _, c := range []struct {
		bps  uint16
		to   common.Address
		want error
	}{
		{50, pinned, nil}, {9, pinned, ErrFeeBpsOutOfRange}, {101, pinned, ErrFeeBpsOutOfRange},
		{50, common.Address{}, ErrZeroFeeReceiver}, {50, vectorInfo.Operator, ErrInvalidFeeReceiver},
	} {
		if err := fee.CheckFee(c.bps, c.to); !errors.Is(err, c.want) {
			t.Errorf("CheckFee(%d, %s) = %v, want %v", c.bps, c.to.Hex(), err, c.want)
		}
	}
	// No fee with a pinned receiver still needs the pinned receiver.
	free := base.Copy()
	free.FeeReceiver = pinned
	if err := free.CheckFee(0, common.Address{}); !errors.Is(err, ErrInvalidFeeReceiver) {
		t.Errorf("zero fee to 0 with a pinned receiver: %v", err)
	}
	if got := Fee(big.NewInt(1_500_001), 100); got.Int64() != 15_000 {
		t.Errorf("fee of 1500001 at 1%% = %s", got)
	}
	if ReasonOf(ErrExceedsMaxAmount) != "escrow_exceeds_max_amount" || ReasonOf(errors.New("x")) != "" {
		t.Error("ReasonOf")
	}
}
