// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20, CheckedERC20} from "./IERC20.sol";

/// @title Tips: a reader pays a post's author, in native coin or an ERC-20, and the post's totals are counted.
/// @notice Nothing is held here: every tip goes straight to the author in the same transaction.
contract Tips {
    using CheckedERC20 for IERC20;

    error ZeroAmount();
    error ZeroAuthor();
    error ZeroToken();
    error NativeTransferFailed(address author);
    error Reentrancy();

    event Tipped(
        bytes32 indexed cidHash, address indexed from, address indexed author, address token, uint256 amount, string cid
    );

    mapping(bytes32 cidHash => mapping(address token => uint256)) private _total;
    mapping(bytes32 cidHash => uint256) private _count;
    bool private transient _entered;

    modifier nonReentrant() {
        if (_entered) revert Reentrancy();
        _entered = true;
        _;
        _entered = false;
    }

    /// @notice Forwards msg.value of native coin to `author` for the post `cid`.
    function tip(address author, string calldata cid) external payable nonReentrant {
        _record(author, address(0), msg.value, cid);
        (bool ok,) = author.call{value: msg.value}("");
        if (!ok) revert NativeTransferFailed(author);
    }

    /// @notice Moves `amount` of `token` from the sender to `author` for the post `cid`; the sender approves first.
    function tipToken(address token, address author, uint256 amount, string calldata cid) external nonReentrant {
        if (token == address(0)) revert ZeroToken();
        _record(author, token, amount, cid);
        IERC20(token).checkedTransferFrom(msg.sender, author, amount);
    }

    /// @notice What the post `cid` received in `token` (address(0) for native coin).
    function totalTipped(string calldata cid, address token) external view returns (uint256) {
        return _total[keccak256(bytes(cid))][token];
    }

    /// @notice How many tips the post `cid` received, in any token.
    function tipCount(string calldata cid) external view returns (uint256) {
        return _count[keccak256(bytes(cid))];
    }

    function _record(address author, address token, uint256 amount, string calldata cid) private {
        if (amount == 0) revert ZeroAmount();
        if (author == address(0)) revert ZeroAuthor();
        bytes32 cidHash = keccak256(bytes(cid));
        _total[cidHash][token] += amount;
        _count[cidHash] += 1;
        emit Tipped(cidHash, msg.sender, author, token, amount, cid);
    }
}
