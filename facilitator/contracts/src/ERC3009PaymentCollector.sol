// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {AuthCaptureEscrow} from "./AuthCaptureEscrow.sol";
import {TokenCollector} from "./TokenCollector.sol";
import {IMulticall3} from "./Multicall3Lite.sol";

/// @notice The `bytes signature` form of ERC-3009 receiveWithAuthorization
/// (USDC FiatToken v2.2); the token requires msg.sender == to.
interface IERC3009Receive {
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        bytes calldata signature
    ) external;
}

/// @title ERC3009PaymentCollector
/// @notice Collects a payer's tokens with one ERC-3009 ReceiveWithAuthorization
/// signature. The payer signs, over the token's EIP-712 domain:
///   from = payer, to = this collector, value = maxAmount, validAfter = 0,
///   validBefore = preApprovalExpiry, nonce = the escrow's hash of the
///   PaymentInfo with payer = 0.
/// The collector receives maxAmount, returns maxAmount - amount to the payer and
/// puts amount into the operator's TokenStore. The nonce binds the signature to
/// one payment on one escrow and chain; `to` binds it to this collector, which
/// only the escrow can drive, which only the payment's operator can drive.
/// @dev collectorData is the signature: 65-byte ECDSA, anything the payer's
/// ERC-1271 wallet accepts, or an ERC-6492 wrapper around either. For the
/// latter the wallet's deployment call runs first, through a Multicall3 so
/// that it never has this collector as msg.sender.
contract ERC3009PaymentCollector is TokenCollector {
    /// @dev The 32 bytes that end an ERC-6492 wrapped signature.
    bytes32 internal constant _ERC6492_SUFFIX = 0x6492649264926492649264926492649264926492649264926492649264926492;

    /// @notice The neutral caller of ERC-6492 deployment calls.
    IMulticall3 public immutable multicall3;

    constructor(address authCaptureEscrow_, address multicall3_) TokenCollector(authCaptureEscrow_) {
        multicall3 = IMulticall3(multicall3_);
    }

    /// @inheritdoc TokenCollector
    function collectorType() external pure override returns (CollectorType) {
        return CollectorType.Payment;
    }

    /// @inheritdoc TokenCollector
    function _collect(
        AuthCaptureEscrow.PaymentInfo calldata paymentInfo,
        address tokenStore,
        uint256 amount,
        bytes calldata collectorData
    ) internal override {
        address payer = paymentInfo.payer;
        IERC20 token = IERC20(paymentInfo.token);
        uint256 maxAmount = paymentInfo.maxAmount;

        IERC3009Receive(address(token)).receiveWithAuthorization(
            payer,
            address(this),
            maxAmount,
            0,
            paymentInfo.preApprovalExpiry,
            _payerAgnosticHash(paymentInfo),
            _prepareSignature(collectorData)
        );
        if (maxAmount != amount) SafeERC20.safeTransfer(token, payer, maxAmount - amount);
        SafeERC20.safeTransfer(token, tokenStore, amount);
    }

    /// @dev Returns the signature to hand to the token. An ERC-6492 wrapper,
    /// abi.encode(address target, bytes data, bytes signature) ++ suffix, has
    /// its deployment call run (failure is ignored: the wallet may exist
    /// already, and the token's check decides) and is unwrapped.
    function _prepareSignature(bytes calldata signature) internal returns (bytes memory) {
        uint256 n = signature.length;
        if (n < 32 || bytes32(signature[n - 32:]) != _ERC6492_SUFFIX) return signature;
        (address target, bytes memory data, bytes memory inner) = abi.decode(signature[:n - 32], (address, bytes, bytes));
        IMulticall3.Call[] memory calls = new IMulticall3.Call[](1);
        calls[0] = IMulticall3.Call({target: target, callData: data});
        multicall3.tryAggregate(false, calls);
        return inner;
    }
}
