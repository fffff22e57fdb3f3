// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

/// @title TryAggregate
/// @notice The one Multicall3 function the official x402 EVM facilitator calls
/// (tryAggregate, at 0xcA11bde05977b3631167028862bE2a173976CA11), for a bare
/// anvil that has no Multicall3. The interop suite places this contract's
/// runtime code at that address with anvil_setCode. Without it, the official
/// facilitator cannot diagnose a failed simulation and answers every failure
/// with invalid_exact_evm_transaction_simulation_failed.
contract TryAggregate {
    struct Call {
        address target;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    function tryAggregate(bool requireSuccess, Call[] calldata calls)
        external
        payable
        returns (Result[] memory returnData)
    {
        returnData = new Result[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory ret) = calls[i].target.call(calls[i].callData);
            require(ok || !requireSuccess, "Multicall3: call failed");
            returnData[i] = Result(ok, ret);
        }
    }
}
