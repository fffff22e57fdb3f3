// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {TestWallet1271} from "./TestWallet1271.sol";

/// @title TestWalletFactory
/// @notice Deploys TestWallet1271 wallets at CREATE2 addresses known in
/// advance, so tests can pay from a counterfactual wallet with an ERC-6492
/// signature whose deployment call is deploy(owner, salt).
contract TestWalletFactory {
    /// @notice A wallet was deployed.
    event WalletDeployed(address indexed wallet, address indexed owner, bytes32 salt);

    /// @notice Deploys the wallet of `owner` with `salt`; reverts if it exists.
    function deploy(address owner, bytes32 salt) external returns (address wallet) {
        wallet = address(new TestWallet1271{salt: salt}(owner));
        emit WalletDeployed(wallet, owner, salt);
    }

    /// @notice The address deploy(owner, salt) deploys to.
    function walletAddress(address owner, bytes32 salt) external view returns (address) {
        bytes32 initCodeHash = keccak256(abi.encodePacked(type(TestWallet1271).creationCode, abi.encode(owner)));
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), salt, initCodeHash)))));
    }
}
