package preflight

import (
	"context"
	"errors"
	"fmt"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// call runs an argument-less view function. A revert is returned as
// reverted (the contract said no: a configuration problem); any other error
// is an *UnreachableError (the chain did not answer).
func call(ctx context.Context, c Chain, to common.Address, signature string) (ret []byte, reverted *evm.RevertError, err error) {
	ret, err = evm.Call(ctx, c, common.Address{}, to, crypto.Keccak256([]byte(signature))[:4])
	if err == nil {
		return ret, nil, nil
	}
	if errors.As(err, &reverted) {
		return nil, reverted, nil
	}
	return nil, nil, &UnreachableError{fmt.Errorf("calling %s on %s: %w", signature, to.Hex(), err)}
}

// callString reads a string-returning view function; "" when it reverts or
// returns something else.
func callString(ctx context.Context, c Chain, to common.Address, signature string) (string, error) {
	ret, reverted, err := call(ctx, c, to, signature)
	if err != nil || reverted != nil {
		return "", err
	}
	out, err := stringArgs.Unpack(ret)
	if err != nil || len(out) != 1 {
		return "", nil
	}
	s, _ := out[0].(string)
	return s, nil
}

// callAddress reads an address-returning view function; ok is false when it
// reverts or returns something else.
func callAddress(ctx context.Context, c Chain, to common.Address, signature string) (addr common.Address, ok bool, err error) {
	ret, reverted, err := call(ctx, c, to, signature)
	if err != nil || reverted != nil || len(ret) != 32 {
		return common.Address{}, false, err
	}
	for _, b := range ret[:12] {
		if b != 0 {
			return common.Address{}, false, nil
		}
	}
	return common.BytesToAddress(ret[12:]), true, nil
}

var stringArgs = func() abi.Arguments {
	t, err := abi.NewType("string", "", nil)
	if err != nil {
		panic(err)
	}
	return abi.Arguments{{Type: t}}
}()
