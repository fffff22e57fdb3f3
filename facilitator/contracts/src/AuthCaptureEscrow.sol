// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {TokenStore} from "./TokenStore.sol";
import {TokenCollector} from "./TokenCollector.sol";

/// @title AuthCaptureEscrow
/// @notice caddy-x402's authorize/capture escrow. Its ABI (function, event and
/// error signatures, the PaymentInfo tuple, getHash) and its state machine
/// match the Commerce Payments Protocol's AuthCaptureEscrow v1.0 (fees in
/// basis points), so clients and operators written for that contract work
/// against this one unchanged. The code is our own.
///
/// A payment is identified by getHash(paymentInfo). The operator named in it
/// moves tokens from the payer into the operator's TokenStore (authorize),
/// pays them out to the receiver in one or more captures, or returns what is
/// left to the payer (void). After authorizationExpiry the payer can take back
/// whatever was not captured (reclaim). charge authorizes and captures at once;
/// refund returns captured tokens, paid for through a Refund-type collector.
/// @dev Every state-changing function is guarded against reentrancy with a
/// transient-storage lock (EIP-1153, evmVersion cancun or later).
contract AuthCaptureEscrow {
    /// @notice The terms of one payment. Its hash is the payment's identity.
    struct PaymentInfo {
        /// @dev The only account allowed to authorize, charge, capture, void and refund.
        address operator;
        /// @dev The account the tokens come from; the only one allowed to reclaim.
        address payer;
        /// @dev Gets each captured or charged amount minus the fee.
        address receiver;
        /// @dev The ERC-20 token paid in.
        address token;
        /// @dev Upper bound of the amount authorized or charged.
        uint120 maxAmount;
        /// @dev authorize and charge must happen strictly before this time.
        uint48 preApprovalExpiry;
        /// @dev capture must happen strictly before this time; reclaim at or after it.
        uint48 authorizationExpiry;
        /// @dev refund must happen strictly before this time.
        uint48 refundExpiry;
        /// @dev Lowest fee, in basis points, the operator may take per capture or charge.
        uint16 minFeeBps;
        /// @dev Highest fee, in basis points (at most 10,000).
        uint16 maxFeeBps;
        /// @dev Where fees go; zero lets the operator choose per capture or charge.
        address feeReceiver;
        /// @dev Makes otherwise identical payments distinct.
        uint256 salt;
    }

    /// @notice What the escrow holds for one payment.
    struct PaymentState {
        /// @dev Set by authorize or charge; a payment is collected at most once.
        bool hasCollectedPayment;
        /// @dev Held in the TokenStore and still capturable.
        uint120 capturableAmount;
        /// @dev Captured and not yet refunded.
        uint120 refundableAmount;
    }

    /// @notice The type hash that PaymentInfo is hashed with.
    bytes32 public constant PAYMENT_INFO_TYPEHASH = keccak256(
        "PaymentInfo(address operator,address payer,address receiver,address token,uint120 maxAmount,uint48 preApprovalExpiry,uint48 authorizationExpiry,uint48 refundExpiry,uint16 minFeeBps,uint16 maxFeeBps,address feeReceiver,uint256 salt)"
    );

    /// @dev 100% in basis points.
    uint16 internal constant _BPS_DENOMINATOR = 10_000;

    /// @notice The TokenStore every operator's store is a minimal clone of.
    address public immutable tokenStoreImplementation;

    /// @notice The state of each payment, by getHash(paymentInfo).
    mapping(bytes32 paymentInfoHash => PaymentState) public paymentState;

    /// @dev The reentrancy lock; transient, so it costs no storage.
    bool private transient _entered;

    /// @notice A payment was authorized and `amount` is now held for it.
    event PaymentAuthorized(
        bytes32 indexed paymentInfoHash, PaymentInfo paymentInfo, uint256 amount, address tokenCollector
    );

    /// @notice A payment was charged: collected and paid out at once.
    event PaymentCharged(
        bytes32 indexed paymentInfoHash,
        PaymentInfo paymentInfo,
        uint256 amount,
        address tokenCollector,
        uint16 feeBps,
        address feeReceiver
    );

    /// @notice `amount` of a held payment was paid out.
    event PaymentCaptured(bytes32 indexed paymentInfoHash, uint256 amount, uint16 feeBps, address feeReceiver);

    /// @notice The operator released the held `amount` back to the payer.
    event PaymentVoided(bytes32 indexed paymentInfoHash, uint256 amount);

    /// @notice The payer took the held `amount` back after authorizationExpiry.
    event PaymentReclaimed(bytes32 indexed paymentInfoHash, uint256 amount);

    /// @notice `amount` of a captured payment went back to the payer.
    event PaymentRefunded(bytes32 indexed paymentInfoHash, uint256 amount, address tokenCollector);

    /// @notice The first payout of `operator` created its TokenStore.
    event TokenStoreCreated(address indexed operator, address tokenStore);

    /// @notice The caller is not the account the function is reserved for.
    error InvalidSender(address sender, address expected);
    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice The amount does not fit in uint120.
    error AmountOverflow(uint256 amount, uint256 limit);
    /// @notice The amount is above PaymentInfo.maxAmount.
    error ExceedsMaxAmount(uint256 amount, uint256 maxAmount);
    /// @notice authorize or charge at or after preApprovalExpiry.
    error AfterPreApprovalExpiry(uint48 timestamp, uint48 expiry);
    /// @notice The expiries are not ordered preApproval <= authorization <= refund.
    error InvalidExpiries(uint48 preApproval, uint48 authorization, uint48 refund);
    /// @notice maxFeeBps is above 10,000.
    error FeeBpsOverflow(uint16 feeBps);
    /// @notice minFeeBps is above maxFeeBps.
    error InvalidFeeBpsRange(uint16 minFeeBps, uint16 maxFeeBps);
    /// @notice The fee is outside [minFeeBps, maxFeeBps].
    error FeeBpsOutOfRange(uint16 feeBps, uint16 minFeeBps, uint16 maxFeeBps);
    /// @notice A non-zero fee without a fee receiver.
    error ZeroFeeReceiver();
    /// @notice The fee receiver differs from the one PaymentInfo pins.
    error InvalidFeeReceiver(address attempted, address expected);
    /// @notice The collector is of the wrong type for the operation.
    error InvalidCollectorForOperation();
    /// @notice The TokenStore did not grow by exactly the amount collected.
    error TokenCollectionFailed();
    /// @notice The payment was already authorized or charged.
    error PaymentAlreadyCollected(bytes32 paymentInfoHash);
    /// @notice capture at or after authorizationExpiry.
    error AfterAuthorizationExpiry(uint48 timestamp, uint48 expiry);
    /// @notice capture of more than is held.
    error InsufficientAuthorization(bytes32 paymentInfoHash, uint256 authorizedAmount, uint256 requestedAmount);
    /// @notice void or reclaim with nothing held.
    error ZeroAuthorization(bytes32 paymentInfoHash);
    /// @notice reclaim before authorizationExpiry.
    error BeforeAuthorizationExpiry(uint48 timestamp, uint48 expiry);
    /// @notice refund at or after refundExpiry.
    error AfterRefundExpiry(uint48 timestamp, uint48 expiry);
    /// @notice refund of more than was captured and not yet refunded.
    error RefundExceedsCapture(uint256 refund, uint256 captured);
    /// @notice A guarded function was entered again before it returned.
    error Reentrancy();

    /// @dev Rejects a call made while another guarded call is running.
    modifier nonReentrant() {
        if (_entered) revert Reentrancy();
        _entered = true;
        _;
        _entered = false;
    }

    /// @dev Only `account` may call.
    modifier onlySender(address account) {
        if (msg.sender != account) revert InvalidSender(msg.sender, account);
        _;
    }

    /// @dev The amount must be non-zero and fit the uint120 state fields.
    modifier validAmount(uint256 amount) {
        if (amount == 0) revert ZeroAmount();
        if (amount > type(uint120).max) revert AmountOverflow(amount, type(uint120).max);
        _;
    }

    constructor() {
        tokenStoreImplementation = address(new TokenStore(address(this)));
    }

    /// @notice Collects `amount` from the payer through `tokenCollector` and
    /// holds it in the operator's TokenStore until captured, voided or reclaimed.
    /// @param collectorData Handed to the collector as is (for the ERC-3009
    /// collector: the payer's signature).
    function authorize(
        PaymentInfo calldata paymentInfo,
        uint256 amount,
        address tokenCollector,
        bytes calldata collectorData
    ) external nonReentrant onlySender(paymentInfo.operator) validAmount(amount) {
        _checkTerms(paymentInfo, amount);
        bytes32 id = getHash(paymentInfo);
        _markCollected(id, uint120(amount), 0);
        emit PaymentAuthorized(id, paymentInfo, amount, tokenCollector);
        _collect(paymentInfo, amount, tokenCollector, collectorData, TokenCollector.CollectorType.Payment);
    }

    /// @notice Collects `amount` from the payer and pays it out at once: the
    /// fee to `feeReceiver`, the rest to the receiver.
    function charge(
        PaymentInfo calldata paymentInfo,
        uint256 amount,
        address tokenCollector,
        bytes calldata collectorData,
        uint16 feeBps,
        address feeReceiver
    ) external nonReentrant onlySender(paymentInfo.operator) validAmount(amount) {
        _checkTerms(paymentInfo, amount);
        _checkFee(paymentInfo, feeBps, feeReceiver);
        bytes32 id = getHash(paymentInfo);
        _markCollected(id, 0, uint120(amount));
        emit PaymentCharged(id, paymentInfo, amount, tokenCollector, feeBps, feeReceiver);
        _collect(paymentInfo, amount, tokenCollector, collectorData, TokenCollector.CollectorType.Payment);
        _payOut(paymentInfo, amount, feeBps, feeReceiver);
    }

    /// @notice Pays out `amount` of what is held: the fee to `feeReceiver`,
    /// the rest to the receiver. May be called repeatedly until nothing is held.
    function capture(PaymentInfo calldata paymentInfo, uint256 amount, uint16 feeBps, address feeReceiver)
        external
        nonReentrant
        onlySender(paymentInfo.operator)
        validAmount(amount)
    {
        _checkFee(paymentInfo, feeBps, feeReceiver);
        if (block.timestamp >= paymentInfo.authorizationExpiry) {
            revert AfterAuthorizationExpiry(uint48(block.timestamp), paymentInfo.authorizationExpiry);
        }
        bytes32 id = getHash(paymentInfo);
        PaymentState storage state = paymentState[id];
        uint120 held = state.capturableAmount;
        if (held < amount) revert InsufficientAuthorization(id, held, amount);
        state.capturableAmount = held - uint120(amount);
        state.refundableAmount += uint120(amount);
        emit PaymentCaptured(id, amount, feeBps, feeReceiver);
        _payOut(paymentInfo, amount, feeBps, feeReceiver);
    }

    /// @notice Returns everything still held to the payer. Operator only, at any time.
    function void(PaymentInfo calldata paymentInfo) external nonReentrant onlySender(paymentInfo.operator) {
        bytes32 id = getHash(paymentInfo);
        uint256 held = _release(id);
        emit PaymentVoided(id, held);
        _send(paymentInfo.operator, paymentInfo.token, paymentInfo.payer, held);
    }

    /// @notice Returns everything still held to the payer. Payer only, at or
    /// after authorizationExpiry.
    function reclaim(PaymentInfo calldata paymentInfo) external nonReentrant onlySender(paymentInfo.payer) {
        if (block.timestamp < paymentInfo.authorizationExpiry) {
            revert BeforeAuthorizationExpiry(uint48(block.timestamp), paymentInfo.authorizationExpiry);
        }
        bytes32 id = getHash(paymentInfo);
        uint256 held = _release(id);
        emit PaymentReclaimed(id, held);
        _send(paymentInfo.operator, paymentInfo.token, paymentInfo.payer, held);
    }

    /// @notice Sends `amount` of what was captured back to the payer. The
    /// tokens come through `tokenCollector`, which must be of the Refund type.
    function refund(
        PaymentInfo calldata paymentInfo,
        uint256 amount,
        address tokenCollector,
        bytes calldata collectorData
    ) external nonReentrant onlySender(paymentInfo.operator) validAmount(amount) {
        if (block.timestamp >= paymentInfo.refundExpiry) {
            revert AfterRefundExpiry(uint48(block.timestamp), paymentInfo.refundExpiry);
        }
        bytes32 id = getHash(paymentInfo);
        PaymentState storage state = paymentState[id];
        uint120 captured = state.refundableAmount;
        if (captured < amount) revert RefundExceedsCapture(amount, captured);
        state.refundableAmount = captured - uint120(amount);
        emit PaymentRefunded(id, amount, tokenCollector);
        _collect(paymentInfo, amount, tokenCollector, collectorData, TokenCollector.CollectorType.Refund);
        _send(paymentInfo.operator, paymentInfo.token, paymentInfo.payer, amount);
    }

    /// @notice The payment's identity on this chain and this escrow:
    /// keccak256(abi.encode(chainid, this, keccak256(abi.encode(PAYMENT_INFO_TYPEHASH, paymentInfo)))).
    /// It is not an EIP-712 digest.
    function getHash(PaymentInfo calldata paymentInfo) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(PAYMENT_INFO_TYPEHASH, paymentInfo));
        return keccak256(abi.encode(block.chainid, address(this), structHash));
    }

    /// @notice Where `operator`'s TokenStore lives (or will, once it is first paid out of).
    function getTokenStore(address operator) public view returns (address) {
        return Clones.predictDeterministicAddress(tokenStoreImplementation, _storeSalt(operator), address(this));
    }

    /// @dev The expiry, amount and fee-range rules every collection obeys.
    function _checkTerms(PaymentInfo calldata p, uint256 amount) internal view {
        if (amount > p.maxAmount) revert ExceedsMaxAmount(amount, p.maxAmount);
        uint48 now_ = uint48(block.timestamp);
        if (now_ >= p.preApprovalExpiry) revert AfterPreApprovalExpiry(now_, p.preApprovalExpiry);
        if (p.preApprovalExpiry > p.authorizationExpiry || p.authorizationExpiry > p.refundExpiry) {
            revert InvalidExpiries(p.preApprovalExpiry, p.authorizationExpiry, p.refundExpiry);
        }
        if (p.maxFeeBps > _BPS_DENOMINATOR) revert FeeBpsOverflow(p.maxFeeBps);
        if (p.minFeeBps > p.maxFeeBps) revert InvalidFeeBpsRange(p.minFeeBps, p.maxFeeBps);
    }

    /// @dev The fee of one capture or charge must lie in the payment's range,
    /// have somewhere to go, and go where the payment pins it (if it does).
    function _checkFee(PaymentInfo calldata p, uint16 feeBps, address feeReceiver) internal pure {
        if (feeBps < p.minFeeBps || feeBps > p.maxFeeBps) revert FeeBpsOutOfRange(feeBps, p.minFeeBps, p.maxFeeBps);
        if (feeBps != 0 && feeReceiver == address(0)) revert ZeroFeeReceiver();
        if (p.feeReceiver != address(0) && feeReceiver != p.feeReceiver) {
            revert InvalidFeeReceiver(feeReceiver, p.feeReceiver);
        }
    }

    /// @dev Records the one and only collection of payment `id`.
    function _markCollected(bytes32 id, uint120 capturable, uint120 refundable) internal {
        PaymentState storage state = paymentState[id];
        if (state.hasCollectedPayment) revert PaymentAlreadyCollected(id);
        state.hasCollectedPayment = true;
        state.capturableAmount = capturable;
        state.refundableAmount = refundable;
    }

    /// @dev Zeroes and returns what payment `id` holds; fails if nothing.
    function _release(bytes32 id) internal returns (uint256 held) {
        PaymentState storage state = paymentState[id];
        held = state.capturableAmount;
        if (held == 0) revert ZeroAuthorization(id);
        state.capturableAmount = 0;
    }

    /// @dev Has `collector` (of type `kind`) bring `amount` into the
    /// operator's TokenStore and checks that exactly that much arrived.
    function _collect(
        PaymentInfo calldata p,
        uint256 amount,
        address collector,
        bytes calldata collectorData,
        TokenCollector.CollectorType kind
    ) internal {
        if (TokenCollector(collector).collectorType() != kind) revert InvalidCollectorForOperation();
        address store = getTokenStore(p.operator);
        IERC20 token = IERC20(p.token);
        uint256 before = token.balanceOf(store);
        TokenCollector(collector).collectTokens(p, store, amount, collectorData);
        if (token.balanceOf(store) != before + amount) revert TokenCollectionFailed();
    }

    /// @dev Splits `amount` into the truncated fee and the receiver's share.
    function _payOut(PaymentInfo calldata p, uint256 amount, uint16 feeBps, address feeReceiver) internal {
        uint256 fee = amount * feeBps / _BPS_DENOMINATOR;
        if (fee != 0) _send(p.operator, p.token, feeReceiver, fee);
        if (amount != fee) _send(p.operator, p.token, p.receiver, amount - fee);
    }

    /// @dev Pays `amount` of `token` to `to` out of `operator`'s TokenStore,
    /// creating the store on its first payout.
    function _send(address operator, address token, address to, uint256 amount) internal {
        address store = getTokenStore(operator);
        if (store.code.length == 0) {
            Clones.cloneDeterministic(tokenStoreImplementation, _storeSalt(operator));
            emit TokenStoreCreated(operator, store);
        }
        TokenStore(store).sendTokens(token, to, amount);
    }

    /// @dev The CREATE2 salt of an operator's TokenStore: its address, left-aligned.
    function _storeSalt(address operator) internal pure returns (bytes32) {
        return bytes32(bytes20(operator));
    }
}
