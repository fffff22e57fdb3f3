package devchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/caddy-x402/x402/facilitator/contracts"
)

// RPCCaller makes raw JSON-RPC calls (go-ethereum's *rpc.Client is one).
type RPCCaller interface {
	CallContext(ctx context.Context, result any, method string, args ...any) error
}

// ErrNoSetCode means the node offers neither anvil_setCode nor
// hardhat_setCode, so Multicall3 cannot be placed at its address there.
var ErrNoSetCode = errors.New("the node cannot set code at an address (no anvil_setCode or hardhat_setCode)")

// PlaceMulticall3 puts our Multicall3 at contracts.Multicall3Address on a
// development node (anvil, hardhat) that has no code there, with
// anvil_setCode (or hardhat_setCode), and checks that it answers. It leaves
// any code already there (a fork of a public chain has the real one). It
// reports whether it placed the code.
func PlaceMulticall3(ctx context.Context, c RPCCaller) (placed bool, err error) {
	addr := contracts.Multicall3Address
	var code hexutil.Bytes
	if err := c.CallContext(ctx, &code, "eth_getCode", addr, "latest"); err != nil {
		return false, fmt.Errorf("devchain: reading code at %s: %w", addr.Hex(), err)
	}
	if len(code) > 0 {
		return false, nil
	}
	want := contracts.Multicall3RuntimeCode()
	var setErr error
	for _, method := range []string{"anvil_setCode", "hardhat_setCode"} {
		if setErr = c.CallContext(ctx, nil, method, addr, hexutil.Bytes(want)); setErr == nil {
			break
		}
	}
	if setErr != nil {
		return false, fmt.Errorf("devchain: placing Multicall3 at %s: %w (%v)", addr.Hex(), ErrNoSetCode, setErr)
	}
	if err := c.CallContext(ctx, &code, "eth_getCode", addr, "latest"); err != nil {
		return false, fmt.Errorf("devchain: reading code at %s: %w", addr.Hex(), err)
	}
	if !bytes.Equal(code, want) {
		return false, fmt.Errorf("devchain: %s holds %d bytes of code after setCode, want our Multicall3's %d", addr.Hex(), len(code), len(want))
	}
	return true, nil
}
