// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {AuthCaptureEscrow} from "./AuthCaptureEscrow.sol";
import {TokenCollector} from "./TokenCollector.sol";

/// @title OperatorRefundCollector
/// @notice Funds refunds from the operator's own tokens: the operator grants
/// this collector an ERC-20 allowance, and each refund transfers the refunded
/// amount from the operator into its TokenStore, from where the escrow pays
/// the payer. collectorData is ignored.
/// @dev No further authentication is needed: only the escrow can call, and the
/// escrow only refunds when the payment's operator asks.
contract OperatorRefundCollector is TokenCollector {
    constructor(address authCaptureEscrow_) TokenCollector(authCaptureEscrow_) {}

    /// @inheritdoc TokenCollector
    function collectorType() external pure override returns (CollectorType) {
        return CollectorType.Refund;
    }

    /// @inheritdoc TokenCollector
    function _collect(
        AuthCaptureEscrow.PaymentInfo calldata paymentInfo,
        address tokenStore,
        uint256 amount,
        bytes calldata
    ) internal override {
        SafeERC20.safeTransferFrom(IERC20(paymentInfo.token), paymentInfo.operator, tokenStore, amount);
    }
}
