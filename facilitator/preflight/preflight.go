// Package preflight checks, before any money moves, that a chain
// configuration matches the chain: the RPC serves the configured chain id,
// each asset is a contract whose EIP-712 domain (DOMAIN_SEPARATOR) is the
// configured name and version, the escrow contracts are the expected code,
// and the facilitator's key holds gas. A configuration that fails these
// would answer 402s that can never settle, or serve requests it can never
// charge for.
//
// Run tells apart what is wrong with the configuration (Problems: refuse to
// start) from a chain that does not answer (an error: retry later).
package preflight

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
)

// Chain is what the checks read: an RPC client (ethclient) or the simulated
// backend's client.
type Chain interface {
	evm.Backend
	BalanceAt(ctx context.Context, account common.Address, block *big.Int) (*big.Int, error)
}

// Config is the chain configuration to check.
type Config struct {
	// Network is the CAIP-2 id (eip155:<chainId>), used in messages.
	Network string
	// ChainID the RPC must serve.
	ChainID uint64
	// Assets accepted on the network.
	Assets []Asset
	// Escrow, when escrow sessions are enabled.
	Escrow *Escrow
	// GasPayer is the facilitator key's address, which pays for
	// settlements; nil when settlement is not ours (remote facilitator).
	GasPayer *common.Address
}

// Asset is a token as configured.
type Asset struct {
	Address common.Address
	// Name and Version are the configured EIP-712 domain.
	Name, Version string
}

// Escrow is an escrow deployment as configured.
type Escrow struct {
	Contract, Collector common.Address
}

// Problem is a configuration that does not match the chain. Field names the
// configuration field to change; Message says what is wrong and what to
// set, on one line.
type Problem struct {
	Field   string
	Message string
}

func (p Problem) Error() string { return p.Field + ": " + p.Message }

// Report is the outcome of the checks on a chain that answered.
type Report struct {
	// Problems refuse the configuration.
	Problems []Problem
	// Warnings do not (a facilitator key low on gas).
	Warnings []string
	// GasBalance of the GasPayer in wei (nil when not checked).
	GasBalance *big.Int
	// Notes are facts worth one info line (e.g. which escrow build was
	// recognised).
	Notes []string
}

// Err joins the problems into one error (nil when there is none).
func (r *Report) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	msgs := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		msgs[i] = p.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

// UnreachableError is a chain that did not answer (transport error,
// timeout): nothing is known about the configuration yet.
type UnreachableError struct{ Err error }

func (e *UnreachableError) Error() string { return "rpc unreachable: " + e.Err.Error() }
func (e *UnreachableError) Unwrap() error { return e.Err }

// Run checks cfg against the chain. A chain that does not answer returns an
// *UnreachableError; mismatches are in the report's Problems. A wrong chain
// id stops the other checks (they would read another chain).
func Run(ctx context.Context, c Chain, cfg Config) (Report, error) {
	var r Report
	id, err := c.ChainID(ctx)
	if err != nil {
		return r, &UnreachableError{fmt.Errorf("reading the chain id: %w", err)}
	}
	if id.Uint64() != cfg.ChainID || !id.IsUint64() {
		r.Problems = append(r.Problems, Problem{Field: "rpc", Message: fmt.Sprintf(
			"the rpc serves chain id %s, not %s: point rpc at a %s node (or configure network eip155:%s)", id, cfg.Network, cfg.Network, id)})
		return r, nil
	}
	for _, a := range cfg.Assets {
		p, err := checkAsset(ctx, c, cfg, a)
		if err != nil {
			return r, err
		}
		if p != nil {
			r.Problems = append(r.Problems, *p)
		}
	}
	if cfg.Escrow != nil {
		ps, notes, err := checkEscrow(ctx, c, cfg, *cfg.Escrow)
		if err != nil {
			return r, err
		}
		r.Problems = append(r.Problems, ps...)
		r.Notes = append(r.Notes, notes...)
	}
	if cfg.GasPayer != nil {
		if err := checkGas(ctx, c, cfg, *cfg.GasPayer, &r); err != nil {
			return r, err
		}
	}
	return r, nil
}

// checkAsset: the address holds code, and the token's DOMAIN_SEPARATOR is
// the one computed from the configured name, version, chain and address.
func checkAsset(ctx context.Context, c Chain, cfg Config, a Asset) (*Problem, error) {
	field := "asset " + a.Address.Hex()
	code, err := c.CodeAt(ctx, a.Address, nil)
	if err != nil {
		return nil, &UnreachableError{fmt.Errorf("reading the code of %s: %w", a.Address.Hex(), err)}
	}
	if len(code) == 0 {
		return &Problem{Field: field, Message: fmt.Sprintf(
			"no contract at this address on %s: set the asset to the token's address on this chain", cfg.Network)}, nil
	}
	ret, reverted, err := call(ctx, c, a.Address, "DOMAIN_SEPARATOR()")
	if err != nil {
		return nil, err
	}
	if reverted != nil || len(ret) != 32 {
		return &Problem{Field: field, Message: fmt.Sprintf(
			"the contract has no EIP-712 DOMAIN_SEPARATOR() (is it an EIP-3009 token such as USDC?): set the asset to an EIP-3009 token on %s", cfg.Network)}, nil
	}
	d := evm.Domain{Name: a.Name, Version: a.Version, ChainID: cfg.ChainID, VerifyingContract: a.Address}
	var onChain [32]byte
	copy(onChain[:], ret)
	if d.Separator() == onChain {
		return nil, nil
	}
	return &Problem{Field: field, Message: domainAdvice(ctx, c, d, onChain)}, nil
}

// domainAdvice says which of name and version to change: it reads the
// token's name() and version() and keeps the ones that reproduce the
// on-chain separator.
func domainAdvice(ctx context.Context, c Chain, d evm.Domain, onChain [32]byte) string {
	name, _ := callString(ctx, c, d.VerifyingContract, "name()")
	version, _ := callString(ctx, c, d.VerifyingContract, "version()")
	head := fmt.Sprintf("EIP-712 domain name %q, version %q does not match the token's DOMAIN_SEPARATOR", d.Name, d.Version)
	for _, cand := range []struct{ name, version string }{{d.Name, version}, {name, d.Version}, {name, version}} {
		if cand.name == "" || cand.version == "" {
			continue
		}
		try := d
		try.Name, try.Version = cand.name, cand.version
		if try.Separator() != onChain {
			continue
		}
		var set []string
		if cand.name != d.Name {
			set = append(set, fmt.Sprintf("name %q", cand.name))
		}
		if cand.version != d.Version {
			set = append(set, fmt.Sprintf("version %q", cand.version))
		}
		return fmt.Sprintf("%s (the token's domain is name %q, version %q): set %s in the asset block", head, cand.name, cand.version, strings.Join(set, " and "))
	}
	if name != "" || version != "" {
		return fmt.Sprintf("%s (the token reports name %q, version %q, which do not reproduce it either): set the token's EIP-712 name and version in the asset block", head, name, version)
	}
	return head + ": set the token's EIP-712 name and version in the asset block"
}
