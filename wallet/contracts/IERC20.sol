// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title The ERC-20 calls Veil's contracts make, and a checked way to make them.
interface IERC20 {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function allowance(address owner, address spender) external view returns (uint256);
    function approve(address spender, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
}

/// A token call failed: it reverted, returned false, or the token address holds no code.
error TokenTransferFailed(address token);

/// Calls `transfer` or `transferFrom` on `token` and reverts unless it succeeded. A token that returns nothing (as
/// some older ones do) counts as success only when the call did not revert and the address holds code.
library CheckedERC20 {
    function checkedTransfer(IERC20 token, address to, uint256 amount) internal {
        _check(token, abi.encodeCall(IERC20.transfer, (to, amount)));
    }

    function checkedTransferFrom(IERC20 token, address from, address to, uint256 amount) internal {
        _check(token, abi.encodeCall(IERC20.transferFrom, (from, to, amount)));
    }

    function _check(IERC20 token, bytes memory call) private {
        (bool ok, bytes memory ret) = address(token).call(call);
        if (!ok || address(token).code.length == 0) revert TokenTransferFailed(address(token));
        if (ret.length != 0 && (ret.length != 32 || abi.decode(ret, (uint256)) != 1)) {
            revert TokenTransferFailed(address(token));
        }
    }
}
