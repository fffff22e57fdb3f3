// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title TokenStore
/// @notice Holds the tokens of one operator's payments for AuthCaptureEscrow.
/// The escrow deploys one implementation and gives each operator an EIP-1167
/// clone of it at a CREATE2 address derived from the operator's address, so
/// that one operator's funds never mix with another's. Only the escrow can
/// move tokens out.
/// @dev The escrow address is an immutable of the implementation's code, which
/// every clone runs by DELEGATECALL, so the clones need no initialisation.
contract TokenStore {
    /// @notice The escrow that owns this store.
    address public immutable authCaptureEscrow;

    /// @notice The caller is not the escrow.
    error OnlyAuthCaptureEscrow();

    constructor(address authCaptureEscrow_) {
        authCaptureEscrow = authCaptureEscrow_;
    }

    /// @notice Transfers `amount` of `token` to `recipient`. Escrow only.
    /// @return Always true; a failed transfer reverts.
    function sendTokens(address token, address recipient, uint256 amount) external returns (bool) {
        if (msg.sender != authCaptureEscrow) revert OnlyAuthCaptureEscrow();
        SafeERC20.safeTransfer(IERC20(token), recipient, amount);
        return true;
    }
}
