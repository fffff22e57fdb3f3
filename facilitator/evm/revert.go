package evm

import (
	"github.com/ethereum/go-ethereum/accounts/abi"
)

// DecodeRevert turns the revert data of a call (as a Multicall3 result
// carries it) into a *RevertError: Reason is the revert string of
// Error(string) (or "panic: …" for Panic(uint256)), Data the raw data, so
// that a custom error's selector is in Selector.
func DecodeRevert(data []byte) *RevertError {
	re := &RevertError{Data: append([]byte(nil), data...)}
	if reason, err := abi.UnpackRevert(data); err == nil {
		re.Reason = reason
	}
	return re
}
