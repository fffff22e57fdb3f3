// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {AuthCaptureEscrow} from "./AuthCaptureEscrow.sol";

/// @title TokenCollector
/// @notice The base of the contracts AuthCaptureEscrow pulls tokens through.
/// A Payment collector brings the payer's tokens in (authorize, charge); a
/// Refund collector brings the tokens a refund pays back (refund). Each
/// collector serves one escrow and only that escrow may call it, so whatever
/// authority a collector holds (an ERC-3009 signature naming it, an ERC-20
/// allowance) can only be exercised through the escrow's own checks.
abstract contract TokenCollector {
    /// @notice Which escrow operations a collector may serve.
    enum CollectorType {
        Payment,
        Refund
    }

    /// @notice The escrow this collector serves.
    AuthCaptureEscrow public immutable authCaptureEscrow;

    /// @notice The caller is not the escrow.
    error OnlyAuthCaptureEscrow();

    constructor(address authCaptureEscrow_) {
        authCaptureEscrow = AuthCaptureEscrow(authCaptureEscrow_);
    }

    /// @notice The operations this collector serves.
    function collectorType() external view virtual returns (CollectorType);

    /// @notice Moves `amount` of paymentInfo.token into `tokenStore`. Escrow only;
    /// the escrow checks afterwards that exactly `amount` arrived.
    function collectTokens(
        AuthCaptureEscrow.PaymentInfo calldata paymentInfo,
        address tokenStore,
        uint256 amount,
        bytes calldata collectorData
    ) external {
        if (msg.sender != address(authCaptureEscrow)) revert OnlyAuthCaptureEscrow();
        _collect(paymentInfo, tokenStore, amount, collectorData);
    }

    /// @dev The collector-specific transfer.
    function _collect(
        AuthCaptureEscrow.PaymentInfo calldata paymentInfo,
        address tokenStore,
        uint256 amount,
        bytes calldata collectorData
    ) internal virtual;

    /// @dev The escrow's hash of `paymentInfo` with the payer set to zero: a
    /// value the payer can sign over before the operator knows which wallet
    /// pays, and that still names every other term of the payment.
    function _payerAgnosticHash(AuthCaptureEscrow.PaymentInfo calldata paymentInfo) internal view returns (bytes32) {
        AuthCaptureEscrow.PaymentInfo memory anyPayer = paymentInfo;
        anyPayer.payer = address(0);
        return authCaptureEscrow.getHash(anyPayer);
    }
}
