package escrow

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/devchain"
)

// TestAuthorizeRefusals: every check of authorize, in the contract's order,
// and the token's own refusals (signature, balance), each leaving balances
// and state untouched.
func TestAuthorizeRefusals(t *testing.T) {
	e := newEnv(t)

	// A second ERC-3009 collector for the same escrow: a signature names
	// exactly one collector.
	otherCollector, err := deployContract(e, contracts.ERC3009PaymentCollectorMetaData.Bin,
		contracts.NewERC3009PaymentCollector().PackConstructor(e.c.Escrow, e.c.EscrowContracts.Multicall3))
	if err != nil {
		t.Fatal(err)
	}

	type refusal struct {
		what      string
		from      devchain.Account
		mut       func(*PaymentInfo) // applied before signing
		amount    *big.Int
		collector common.Address
		sig       func(pi *PaymentInfo) []byte // default: the payer's signature of pi
		want      error
		args      func(pi *PaymentInfo) []any
	}
	now := e.now()
	cases := []refusal{
		{what: "not the operator", from: e.other, want: ErrInvalidSender,
			args: func(*PaymentInfo) []any { return []any{e.other.Address, e.operator.Address} }},
		{what: "the payer itself", from: e.payer, want: ErrInvalidSender},
		{what: "zero amount", amount: big.NewInt(0), want: ErrZeroAmount},
		{what: "amount 2^120", amount: new(big.Int).Lsh(big.NewInt(1), 120), want: ErrAmountOverflow,
			args: func(*PaymentInfo) []any { return []any{new(big.Int).Lsh(big.NewInt(1), 120), MaxAmountLimit} }},
		{what: "amount above maxAmount", amount: big.NewInt(5*usdcUnit + 1), want: ErrExceedsMaxAmount,
			args: func(*PaymentInfo) []any { return []any{big.NewInt(5*usdcUnit + 1), big.NewInt(5 * usdcUnit)} }},
		{what: "pre-approval expired", mut: func(p *PaymentInfo) { p.PreApprovalExpiry = now }, want: ErrAfterPreApprovalExpiry},
		{what: "authorization before pre-approval", mut: func(p *PaymentInfo) { p.AuthorizationExpiry = p.PreApprovalExpiry - 1 }, want: ErrInvalidExpiries,
			args: func(p *PaymentInfo) []any {
				return []any{big.NewInt(int64(p.PreApprovalExpiry)), big.NewInt(int64(p.AuthorizationExpiry)), big.NewInt(int64(p.RefundExpiry))}
			}},
		{what: "refund before authorization", mut: func(p *PaymentInfo) { p.RefundExpiry = p.AuthorizationExpiry - 1 }, want: ErrInvalidExpiries},
		{what: "maxFeeBps above 10000", mut: func(p *PaymentInfo) { p.MaxFeeBps = 10_001 }, want: ErrFeeBpsOverflow},
		{what: "minFeeBps above maxFeeBps", mut: func(p *PaymentInfo) { p.MinFeeBps, p.MaxFeeBps = 200, 100 }, want: ErrInvalidFeeBpsRange},
		// The amount is checked before the time, the time before the order.
		{what: "above max and expired", amount: big.NewInt(6 * usdcUnit), mut: func(p *PaymentInfo) { p.PreApprovalExpiry = now }, want: ErrExceedsMaxAmount},
		{what: "expired and disordered", mut: func(p *PaymentInfo) { p.PreApprovalExpiry, p.RefundExpiry = now, now-1 }, want: ErrAfterPreApprovalExpiry},
		{what: "refund collector", collector: e.c.RefundCollector, want: ErrInvalidCollector},
		// Signed to the dev collector, presented through another one.
		{what: "another payment collector", collector: otherCollector, want: ErrInvalidSignature,
			sig: func(pi *PaymentInfo) []byte { return e.sign(pi) }},
		{what: "signature for another salt (nonce)", want: ErrInvalidSignature, sig: func(pi *PaymentInfo) []byte {
			o := pi.Copy()
			o.Salt = new(big.Int).Add(o.Salt, big.NewInt(1))
			return e.sign(&o)
		}},
		{what: "signature for another receiver", want: ErrInvalidSignature, sig: func(pi *PaymentInfo) []byte {
			o := pi.Copy()
			o.Receiver = e.other.Address
			return e.sign(&o)
		}},
		{what: "signature by someone else", want: ErrInvalidSignature, sig: func(pi *PaymentInfo) []byte {
			return e.signFor(e.other.Key, pi, e.c.ERC3009Collector)
		}},
		{what: "garbage signature", want: ErrInvalidSignature, sig: func(*PaymentInfo) []byte { return make([]byte, 65) }},
	}
	for _, c := range cases {
		pi := e.payment(5 * usdcUnit)
		if c.mut != nil {
			c.mut(&pi)
		}
		from, amount, collector := e.operator, big.NewInt(4*usdcUnit), e.c.ERC3009Collector
		if c.from.Key != nil {
			from = c.from
		}
		if c.amount != nil {
			amount = c.amount
		}
		if c.collector != (common.Address{}) {
			collector = c.collector
		}
		sig := e.signFor(e.payer.Key, &pi, collector)
		if c.sig != nil {
			sig = c.sig(&pi)
		}
		e.step(c.what, &pi, func() {
			ee := e.mustFail(from, e.must(PackAuthorize(&pi, amount, collector, sig)), c.want, c.what)
			if c.args != nil {
				want := c.args(&pi)
				if len(ee.Args) != len(want) {
					t.Fatalf("%s: args %v, want %v", c.what, ee.Args, want)
				}
				for i := range want {
					if !equalArg(ee.Args[i], want[i]) {
						t.Fatalf("%s: arg %d is %v, want %v", c.what, i, ee.Args[i], want[i])
					}
				}
			}
		}, nil, &wantState{})
	}

	// A payer whose balance is below maxAmount cannot authorize even a
	// smaller amount: the collector pulls maxAmount.
	poorKey, _ := crypto.GenerateKey()
	poor := devchain.Account{Index: -1, Address: crypto.PubkeyToAddress(poorKey.PublicKey), Key: poorKey}
	e.mint(3*usdcUnit, poor.Address)
	pi := e.payment(5 * usdcUnit)
	pi.Payer = poor.Address
	sig := e.signFor(poorKey, &pi, e.c.ERC3009Collector)
	e.step("balance below maxAmount", &pi, func() {
		e.mustFail(e.operator, e.authorizeData(&pi, 1*usdcUnit, e.c.ERC3009Collector, sig), ErrInsufficientBalance, "poor payer")
	}, nil, &wantState{})
	// With the full maximum available it goes through.
	e.mint(2*usdcUnit, poor.Address)
	e.mustSend(e.operator, e.authorizeData(&pi, 1*usdcUnit, e.c.ERC3009Collector, sig), "payer with exactly maxAmount")
	if b := e.balances(poor.Address)[poor.Address]; b.Int64() != 4*usdcUnit {
		t.Fatalf("payer left with %s, want 4 USDC", b)
	}
	// The same signature cannot be used for a second payment, nor twice.
	e.mustFail(e.operator, e.authorizeData(&pi, 1*usdcUnit, e.c.ERC3009Collector, sig), ErrPaymentAlreadyCollected, "same payment again")
	pi2 := pi.Copy()
	pi2.Salt.Add(pi2.Salt, big.NewInt(1))
	e.mustFail(e.operator, e.authorizeData(&pi2, 1*usdcUnit, e.c.ERC3009Collector, sig), ErrInvalidSignature, "signature replayed on another salt")

	// The exact pre-approval boundary: authorize must be mined strictly
	// before preApprovalExpiry. With the head one second before it, the
	// next block is at the expiry.
	late := e.payment(5 * usdcUnit)
	late.PreApprovalExpiry = e.now() + 100
	lateSig := e.sign(&late)
	data := e.authorizeData(&late, 1*usdcUnit, e.c.ERC3009Collector, lateSig)
	e.setHead(late.PreApprovalExpiry - 1)
	if err := e.esc.Simulate(e.ctx, e.operator.Address, data); err != nil {
		t.Fatalf("authorize simulated one second before preApprovalExpiry: %v", err)
	}
	e.setHead(late.PreApprovalExpiry)
	ee := e.checkErr(e.esc.Simulate(e.ctx, e.operator.Address, data), ErrAfterPreApprovalExpiry, "authorize at preApprovalExpiry")
	if ee.Args[0].(*big.Int).Uint64() != late.PreApprovalExpiry || ee.Args[1].(*big.Int).Uint64() != late.PreApprovalExpiry {
		t.Fatalf("AfterPreApprovalExpiry args %v", ee.Args)
	}
	e.step("authorize after preApprovalExpiry", &late, func() {
		e.mustFail(e.operator, data, ErrAfterPreApprovalExpiry, "authorize after preApprovalExpiry")
	}, nil, &wantState{})
}

// equalArg compares a decoded error argument with an expected value.
func equalArg(got, want any) bool {
	switch w := want.(type) {
	case *big.Int:
		g, ok := got.(*big.Int)
		return ok && g.Cmp(w) == 0
	default:
		return got == want
	}
}

// deployContract deploys bin ++ args from the deployer and waits.
func deployContract(e *env, bin string, args []byte) (common.Address, error) {
	addr, tx, err := bind.DeployContract(devchain.Transactor(e.ctx, e.c.Deployer.Key, e.c.ChainID), append(common.FromHex(bin), args...), e.c.Client, nil)
	if err != nil {
		return common.Address{}, err
	}
	r, err := devchain.WaitSuccess(e.ctx, e.c.Client, tx.Hash(), 0)
	if err != nil {
		return common.Address{}, err
	}
	e.waitHead(r)
	return addr, nil
}
