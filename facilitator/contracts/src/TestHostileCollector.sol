// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {AuthCaptureEscrow} from "./AuthCaptureEscrow.sol";
import {TokenCollector} from "./TokenCollector.sol";

/// @title TestHostileCollector
/// @notice A misbehaving collector for tests of AuthCaptureEscrow's defences.
/// Depending on `mode` it delivers nothing, delivers one unit more than asked
/// (from its own balance), or calls back into the escrow. It reports
/// whichever collector type it was deployed with.
contract TestHostileCollector is TokenCollector {
    /// @notice Deliver nothing.
    uint8 public constant MODE_NOTHING = 0;
    /// @notice Deliver amount + 1 from this contract's own balance.
    uint8 public constant MODE_EXTRA = 1;
    /// @notice Call escrow.void(paymentInfo) from inside the collection.
    uint8 public constant MODE_REENTER = 2;

    /// @notice The current behaviour.
    uint8 public mode;

    CollectorType private immutable _kind;

    constructor(address authCaptureEscrow_, CollectorType kind) TokenCollector(authCaptureEscrow_) {
        _kind = kind;
    }

    /// @notice Picks the behaviour of the next collections.
    function setMode(uint8 mode_) external {
        mode = mode_;
    }

    /// @inheritdoc TokenCollector
    function collectorType() external view override returns (CollectorType) {
        return _kind;
    }

    /// @inheritdoc TokenCollector
    function _collect(AuthCaptureEscrow.PaymentInfo calldata paymentInfo, address tokenStore, uint256 amount, bytes calldata)
        internal
        override
    {
        if (mode == MODE_EXTRA) {
            require(IERC20(paymentInfo.token).transfer(tokenStore, amount + 1), "transfer failed");
        } else if (mode == MODE_REENTER) {
            authCaptureEscrow.void(paymentInfo);
        }
    }
}
