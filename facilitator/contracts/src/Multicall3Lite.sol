// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

/// @notice The part of Multicall3 (0xcA11bde05977b3631167028862bE2a173976CA11
/// on most chains) that ERC3009PaymentCollector uses.
interface IMulticall3 {
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
        returns (Result[] memory returnData);
}

/// @title Multicall3Lite
/// @notice A stand-in for Multicall3 on chains that lack it (the dev chain, a
/// fresh anvil): tryAggregate with the same ABI and behaviour. It holds no
/// tokens, allowances or privileges, which is what makes it a safe neutral
/// msg.sender for calls whose target and data come from strangers.
contract Multicall3Lite is IMulticall3 {
    /// @notice Calls each target with its data, in order. With requireSuccess a
    /// failing call reverts everything; otherwise its failure is reported.
    function tryAggregate(bool requireSuccess, Call[] calldata calls)
        external
        payable
        returns (Result[] memory returnData)
    {
        returnData = new Result[](calls.length);
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory ret) = calls[i].target.call(calls[i].callData);
            if (requireSuccess && !ok) revert("Multicall3: call failed");
            returnData[i] = Result({success: ok, returnData: ret});
        }
    }
}
