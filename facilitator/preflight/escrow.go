package preflight

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/vm/runtime"
	"github.com/ethereum/go-ethereum/crypto"
)

// Canonical AuthCaptureEscrow v1.0 deployment of the Commerce Payments
// Protocol (CREATE2, the same addresses on Base and Base Sepolia;
// reference/escrow.md §3.1). Its code is not ours, so it is recognised by
// its v1.0 capture selector and its collector's wiring, not by a hash.
var (
	CanonicalEscrowV10    = common.HexToAddress("0xBdEA0D1bcC5966192B070Fdf62aB4EF5b4420cff")
	CanonicalCollectorV10 = common.HexToAddress("0x0E3dF9510de65469C4518D7843919c0b8C7A7757")
)

// captureV10 is the selector of v1.0's capture(PaymentInfo,uint256,uint16,address)
// (fees in basis points), pushed by the contract's dispatcher as PUSH4.
var captureV10 = []byte{0x63, 0x64, 0x4c, 0xd7, 0x9a}

// checkEscrow: both addresses hold code; the collector serves the
// configured escrow; and each is either this project's build (its runtime
// code, immutables included, hashes to what our compiled contract would
// have at that deployment) or the canonical v1.0 deployment.
func checkEscrow(ctx context.Context, c Chain, cfg Config, e Escrow) (problems []Problem, notes []string, err error) {
	escCode, err := c.CodeAt(ctx, e.Contract, nil)
	if err != nil {
		return nil, nil, &UnreachableError{fmt.Errorf("reading the code of %s: %w", e.Contract.Hex(), err)}
	}
	colCode, err := c.CodeAt(ctx, e.Collector, nil)
	if err != nil {
		return nil, nil, &UnreachableError{fmt.Errorf("reading the code of %s: %w", e.Collector.Hex(), err)}
	}
	noCode := func(field, what string) Problem {
		return Problem{Field: field, Message: fmt.Sprintf(
			"no contract at this address on %s: set it to the %s of this chain (caddy x402 devchain deploy prints ours)", cfg.Network, what)}
	}
	if len(escCode) == 0 {
		problems = append(problems, noCode("escrow contract "+e.Contract.Hex(), "AuthCaptureEscrow"))
	}
	if len(colCode) == 0 {
		problems = append(problems, noCode("escrow collector "+e.Collector.Hex(), "ERC3009PaymentCollector"))
	}
	if len(problems) > 0 {
		return problems, nil, nil
	}

	if e.Contract == CanonicalEscrowV10 {
		if !bytes.Contains(escCode, captureV10) {
			problems = append(problems, Problem{Field: "escrow contract " + e.Contract.Hex(), Message: fmt.Sprintf(
				"the code at the canonical v1.0 address on %s is not AuthCaptureEscrow v1.0 (no capture selector 0x644cd79a): configure escrow { contract … collector … } with a v1.0 deployment", cfg.Network)})
		} else {
			notes = append(notes, "escrow contract "+e.Contract.Hex()+" is the canonical AuthCaptureEscrow v1.0 deployment")
		}
	} else {
		impl, ok, err := callAddress(ctx, c, e.Contract, "tokenStoreImplementation()")
		if err != nil {
			return nil, nil, err
		}
		var want []byte
		if ok {
			want, err = ourEscrowCode(impl)
			if err != nil {
				return nil, nil, err
			}
		}
		if got := crypto.Keccak256Hash(escCode); want == nil || got != crypto.Keccak256Hash(want) {
			problems = append(problems, Problem{Field: "escrow contract " + e.Contract.Hex(), Message: fmt.Sprintf(
				"code hash %s is not this project's AuthCaptureEscrow nor the canonical v1.0 deployment (%s): set escrow { contract } to one of them (caddy x402 devchain deploy prints ours)",
				got.Hex(), CanonicalEscrowV10.Hex())})
		}
	}

	served, ok, err := callAddress(ctx, c, e.Collector, "authCaptureEscrow()")
	if err != nil {
		return nil, nil, err
	}
	if !ok || served != e.Contract {
		what := "has no authCaptureEscrow()"
		if ok {
			what = "serves the escrow " + served.Hex()
		}
		return append(problems, Problem{Field: "escrow collector " + e.Collector.Hex(), Message: fmt.Sprintf(
			"it %s, not the configured escrow contract %s: set escrow { collector } to that escrow's ERC3009PaymentCollector", what, e.Contract.Hex())}), notes, nil
	}
	if e.Collector == CanonicalCollectorV10 {
		return problems, append(notes, "escrow collector "+e.Collector.Hex()+" is the canonical v1.0 ERC3009PaymentCollector"), nil
	}
	mc, ok, err := callAddress(ctx, c, e.Collector, "multicall3()")
	if err != nil {
		return nil, nil, err
	}
	var want []byte
	if ok {
		if want, err = ourCollectorCode(e.Contract, mc); err != nil {
			return nil, nil, err
		}
	}
	if got := crypto.Keccak256Hash(colCode); want == nil || got != crypto.Keccak256Hash(want) {
		problems = append(problems, Problem{Field: "escrow collector " + e.Collector.Hex(), Message: fmt.Sprintf(
			"code hash %s is not this project's ERC3009PaymentCollector nor the canonical v1.0 one (%s): set escrow { collector } to one of them",
			got.Hex(), CanonicalCollectorV10.Hex())})
	}
	return problems, notes, nil
}

// ourEscrowCode is the runtime code of this project's AuthCaptureEscrow
// deployed with the given TokenStore implementation: the compiled creation
// code is run in an in-memory EVM, and the implementation address it
// created there (an immutable of the code) is replaced by the real one.
func ourEscrowCode(tokenStoreImpl common.Address) ([]byte, error) {
	base, err := escrowTemplate()
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(base.code, base.impl.Bytes(), tokenStoreImpl.Bytes()), nil
}

type escrowBuild struct {
	code []byte
	impl common.Address // the TokenStore implementation in code
}

var escrowTemplate = sync.OnceValues(func() (escrowBuild, error) {
	code, addr, err := create(contracts.AuthCaptureEscrowMetaData.Bin, nil)
	if err != nil {
		return escrowBuild{}, fmt.Errorf("building the expected AuthCaptureEscrow code: %w", err)
	}
	// The constructor's `new TokenStore` is the escrow's first creation.
	impl := crypto.CreateAddress(addr, 1)
	if !bytes.Contains(code, impl.Bytes()) {
		return escrowBuild{}, fmt.Errorf("building the expected AuthCaptureEscrow code: its TokenStore immutable was not found")
	}
	return escrowBuild{code: code, impl: impl}, nil
})

// ourCollectorCode is the runtime code of this project's
// ERC3009PaymentCollector built for escrow and multicall3 (its constructor
// arguments, kept as immutables).
func ourCollectorCode(escrow, multicall3 common.Address) ([]byte, error) {
	args := append(common.LeftPadBytes(escrow.Bytes(), 32), common.LeftPadBytes(multicall3.Bytes(), 32)...)
	code, _, err := create(contracts.ERC3009PaymentCollectorMetaData.Bin, args)
	if err != nil {
		return nil, fmt.Errorf("building the expected ERC3009PaymentCollector code: %w", err)
	}
	return code, nil
}

// create runs creation code (hex) with ABI-encoded constructor arguments in
// a fresh in-memory EVM and returns the deployed runtime code.
func create(binHex string, args []byte) ([]byte, common.Address, error) {
	bin, err := hexutil.Decode(strings.TrimSpace(binHex))
	if err != nil {
		return nil, common.Address{}, err
	}
	code, addr, _, err := runtime.Create(append(bin, args...), &runtime.Config{GasLimit: 30_000_000})
	return code, addr, err
}
