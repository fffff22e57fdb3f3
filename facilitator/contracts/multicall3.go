package contracts

import (
	_ "embed"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// Multicall3Address is where Multicall3 lives on Base, Ethereum and most
// public chains (deployed by a keyless transaction, so at the same address
// everywhere). The dev chain has our Multicall3 (src/Multicall3.sol) there
// from genesis; `caddy x402 devchain deploy` places it there on anvil.
var Multicall3Address = common.HexToAddress("0xcA11bde05977b3631167028862bE2a173976CA11")

//go:embed build/Multicall3.runtime.bin
var multicall3Runtime string

// Multicall3RuntimeCode is the runtime code of our Multicall3, for a
// genesis allocation or anvil_setCode at Multicall3Address.
func Multicall3RuntimeCode() []byte {
	return common.FromHex(strings.TrimSpace(multicall3Runtime))
}
