// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TestWallet1271
/// @notice A minimal contract wallet for tests: a signature is valid for this
/// wallet when it is a 65-byte ECDSA signature of the very hash asked about,
/// made by the owner EOA. Real smart wallets usually wrap the hash first; this
/// one does not, so a test can sign an EIP-712 digest directly with the owner key.
contract TestWallet1271 is IERC1271 {
    /// @notice The EOA whose signatures this wallet accepts.
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == owner) {
            return IERC1271.isValidSignature.selector;
        }
        return 0xffffffff;
    }
}
