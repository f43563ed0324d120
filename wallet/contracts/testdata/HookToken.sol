// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "../IERC20.sol";

/// Implemented by contracts that want to hear about HookToken transfers.
interface ITokenHook {
    function tokenHook(address from, address to, uint256 amount) external;
}

/// @title HookToken: an ERC-20 for tests only, hostile on purpose.
/// @notice Anyone mints. After every transfer it calls tokenHook on the sender and the recipient when they hold
/// code (as ERC-777 does), ignoring whether the hook succeeds; this is how a test re-enters the contract that
/// moved the tokens. With setReturnFalse(true) transfers move nothing and return false instead of reverting.
contract HookToken is IERC20 {
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    bool public returnFalse;

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function setReturnFalse(bool on) external {
        returnFalse = on;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        return _move(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        if (returnFalse) return false;
        require(allowance[from][msg.sender] >= amount, "allowance");
        allowance[from][msg.sender] -= amount;
        return _move(from, to, amount);
    }

    function _move(address from, address to, uint256 amount) private returns (bool) {
        if (returnFalse) return false;
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        _hook(from, from, to, amount);
        _hook(to, from, to, amount);
        return true;
    }

    function _hook(address who, address from, address to, uint256 amount) private {
        if (who.code.length == 0) return;
        (bool ok,) = who.call(abi.encodeCall(ITokenHook.tokenHook, (from, to, amount)));
        ok; // a failing hook is the hook's business
    }
}
