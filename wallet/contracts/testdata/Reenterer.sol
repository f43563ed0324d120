// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Reenterer: an account for tests only that calls back into a contract while that contract pays it.
/// @notice exec makes any call as this contract (approve, delegate, tip, ...). arm(target, payload) loads one
/// re-entry: the next time this contract is paid (native coin, or a HookToken transfer from or to it) it calls
/// target with payload once, and records whether that succeeded and what it returned or reverted with.
/// setRefuseNative(true) makes it reject native coin.
contract Reenterer {
    address public target;
    bytes public payload;
    bool public armed;
    bool public refuseNative;
    uint256 public attempts;
    bool public lastOk;
    bytes public lastReturn;

    function exec(address to, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function setRefuseNative(bool on) external {
        refuseNative = on;
    }

    function tokenHook(address, address, uint256) external {
        _reenter();
    }

    receive() external payable {
        require(!refuseNative, "no native coin");
        _reenter();
    }

    function _reenter() private {
        if (!armed) return;
        armed = false;
        attempts += 1;
        (bool ok, bytes memory ret) = target.call(payload);
        lastOk = ok;
        lastReturn = ret;
    }
}
