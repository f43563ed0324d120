// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20, CheckedERC20} from "./IERC20.sol";

/// @title RelayRegistry: relay operators stake VEIL to list their relays; others delegate to them and share rewards.
/// @notice Each relay has two share pools: bonded stake (earns rewards, counts for the active set) and stake still
/// unbonding (earns nothing, can only be withdrawn after unbondingDelay). Both are slashable. A pool's value is the
/// token count this contract books for it, never its token balance, so a donation moves no share price; shares are
/// minted 1:1 into an empty pool and a deposit worth zero shares is refused. Together with slashes that can never
/// take a whole pool (maxSlashBps < 10,000) this keeps a share worth at most one token, so any deposit of at least
/// one token unit mints at least one share. Rounding always favours the pool over whoever leaves it.
/// Rewards use an accumulator per relay (reward per bonded share, scaled by 1e18) and a debt per delegation.
contract RelayRegistry {
    using CheckedERC20 for IERC20;

    uint256 private constant BPS = 10_000;
    uint256 private constant ACC_SCALE = 1e18;
    /// @notice The longest peer ID and URL a relay may register, in bytes: activeSet returns them all.
    uint256 private constant MAX_PEER_ID_BYTES = 128;
    uint256 private constant MAX_URL_BYTES = 512;
    /// The longest unbonding or commission delay: 10 years, so that no release time overflows.
    uint64 private constant MAX_DELAY = 3650 days;

    error BadConfig(string what);
    error ZeroAddress();
    error NotGovernance(address caller);
    error AlreadyRegistered(address operator);
    error NotRegistered(address operator);
    error UnknownRelay(address operator);
    error BadPeerId();
    error BadUrl();
    error CommissionTooHigh(uint16 bps);
    error SelfStakeTooLow(uint256 selfStake, uint256 minimum);
    error ZeroAmount();
    error ZeroShares();
    error InsufficientStake(uint256 stake, uint256 requested);
    error UnknownEntry(uint256 id);
    error NotEntryOwner(uint256 id, address caller);
    error AlreadyWithdrawn(uint256 id);
    error StillUnbonding(uint256 id, uint64 releaseTime);
    error RewardTooSmall(uint256 amount);
    error SlashTooLarge(uint16 bps, uint16 maxBps);
    error IndexOutOfRange(uint256 index, uint256 count);
    error Reentrancy();

    event RelayRegistered(
        address indexed operator, string peerId, string url, uint16 commissionBps, uint256 selfStake
    );
    event RelayUpdated(address indexed operator, string peerId, string url);
    event RelayLeft(address indexed operator);
    event Delegated(address indexed operator, address indexed delegator, uint256 amount, uint256 shares);
    event Undelegated(
        address indexed operator, address indexed delegator, uint256 indexed id, uint256 amount, uint64 releaseTime
    );
    event Withdrawn(uint256 indexed id, address indexed delegator, address indexed operator, uint256 amount);
    event RewardsAdded(address indexed operator, address indexed from, uint256 amount, uint256 commission);
    event Claimed(address indexed operator, address indexed delegator, uint256 amount);
    event CommissionProposed(address indexed operator, uint16 bps, uint64 effectiveAt);
    event Slashed(
        address indexed operator, uint16 bps, uint256 bondedSlashed, uint256 unbondingSlashed, string reason
    );
    event GovernanceChanged(address indexed previous, address indexed next);

    struct Relay {
        bool registered; // listed in _operators: from register until the operator's own stake goes to zero
        bool known; // registered at least once
        uint16 commissionBps; // in force, unless a pending change is due
        uint16 pendingCommissionBps;
        uint64 pendingCommissionAt; // 0: no change pending
        uint32 index; // position in _operators while registered
        uint256 bondedTokens;
        uint256 bondedShares;
        uint256 unbondingTokens;
        uint256 unbondingShares;
        uint256 accRewardPerShare; // rewards per bonded share, times ACC_SCALE
        string peerId;
        string url;
    }

    struct Delegation {
        uint256 shares; // of the relay's bonded pool
        uint256 rewardDebt; // shares * accRewardPerShare when last settled (not divided by ACC_SCALE)
        uint256 owed; // settled rewards (and the operator's commission) not yet claimed
    }

    struct Entry {
        address delegator;
        uint64 releaseTime;
        bool withdrawn;
        address operator;
        uint256 shares; // of the relay's unbonding pool; once withdrawn, the tokens paid
    }

    IERC20 public immutable stakeToken;
    uint256 public immutable minSelfStake;
    uint64 public immutable unbondingDelay;
    uint64 public immutable commissionDelay;
    uint16 public immutable maxSlashBps;
    uint16 public immutable activeSetSize;
    address public governance;

    mapping(address operator => Relay) private _relays;
    mapping(address operator => mapping(address delegator => Delegation)) private _delegations;
    address[] private _operators;
    mapping(uint256 id => Entry) private _entries;
    uint256 private _lastEntryId;
    bool private transient _entered;

    modifier nonReentrant() {
        if (_entered) revert Reentrancy();
        _entered = true;
        _;
        _entered = false;
    }

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    constructor(
        address stakeToken_,
        address governance_,
        uint256 minSelfStake_,
        uint64 unbondingDelay_,
        uint64 commissionDelay_,
        uint16 maxSlashBps_,
        uint16 activeSetSize_
    ) {
        if (stakeToken_.code.length == 0) revert BadConfig("stakeToken holds no code");
        if (governance_ == address(0)) revert BadConfig("governance is the zero address");
        if (minSelfStake_ == 0) revert BadConfig("minSelfStake is zero");
        if (maxSlashBps_ >= BPS) revert BadConfig("maxSlashBps must be below 10000");
        if (activeSetSize_ == 0) revert BadConfig("activeSetSize is zero");
        if (unbondingDelay_ > MAX_DELAY || commissionDelay_ > MAX_DELAY) revert BadConfig("delay over 10 years");
        stakeToken = IERC20(stakeToken_);
        governance = governance_;
        minSelfStake = minSelfStake_;
        unbondingDelay = unbondingDelay_;
        commissionDelay = commissionDelay_;
        maxSlashBps = maxSlashBps_;
        activeSetSize = activeSetSize_;
    }

    // ---- operators ----

    /// @notice Lists the sender's relay with `selfStake` tokens of its own (pulled with transferFrom).
    function register(string calldata peerId, string calldata url, uint16 commissionBps, uint256 selfStake)
        external
        nonReentrant
    {
        Relay storage r = _relays[msg.sender];
        if (r.registered) revert AlreadyRegistered(msg.sender);
        _checkText(peerId, url);
        if (commissionBps > BPS) revert CommissionTooHigh(commissionBps);
        if (selfStake < minSelfStake) revert SelfStakeTooLow(selfStake, minSelfStake);
        r.registered = true;
        r.known = true;
        r.commissionBps = commissionBps;
        r.pendingCommissionBps = 0;
        r.pendingCommissionAt = 0;
        r.index = uint32(_operators.length);
        r.peerId = peerId;
        r.url = url;
        _operators.push(msg.sender);
        _deposit(r, msg.sender, selfStake);
        emit RelayRegistered(msg.sender, peerId, url, commissionBps, selfStake);
        stakeToken.checkedTransferFrom(msg.sender, address(this), selfStake);
    }

    /// @notice Changes the sender's relay's peer ID and URL.
    function updateRelay(string calldata peerId, string calldata url) external nonReentrant {
        Relay storage r = _relays[msg.sender];
        if (!r.registered) revert NotRegistered(msg.sender);
        _checkText(peerId, url);
        r.peerId = peerId;
        r.url = url;
        emit RelayUpdated(msg.sender, peerId, url);
    }

    /// @notice Sets the sender's commission to `bps` from commissionDelay seconds on; until then the old rate
    /// holds. A later proposal replaces one not yet in force.
    function proposeCommission(uint16 bps) external nonReentrant {
        Relay storage r = _relays[msg.sender];
        if (!r.registered) revert NotRegistered(msg.sender);
        if (bps > BPS) revert CommissionTooHigh(bps);
        _applyCommission(r);
        uint64 at = uint64(block.timestamp) + commissionDelay;
        r.pendingCommissionBps = bps;
        r.pendingCommissionAt = at;
        emit CommissionProposed(msg.sender, bps, at);
    }

    // ---- delegators ----

    /// @notice Stakes `amount` tokens on `operator`'s relay (pulled with transferFrom).
    function delegate(address operator, uint256 amount) external nonReentrant {
        Relay storage r = _relays[operator];
        if (!r.registered) revert NotRegistered(operator);
        uint256 shares = _deposit(r, operator, amount);
        emit Delegated(operator, msg.sender, amount, shares);
        stakeToken.checkedTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` of the sender's stake on `operator`; withdraw(id) pays it after
    /// unbondingDelay. Stake stops earning at once and stays slashable until withdrawn. An operator that takes
    /// all its own stake out unlists its relay; its delegators can still undelegate and claim.
    function undelegate(address operator, uint256 amount) external nonReentrant returns (uint256 id) {
        Relay storage r = _relays[operator];
        if (!r.known) revert UnknownRelay(operator);
        if (amount == 0) revert ZeroAmount();
        Delegation storage d = _delegations[operator][msg.sender];
        uint256 tokens = r.bondedTokens;
        uint256 shares = r.bondedShares;
        uint256 held = d.shares;
        uint256 stake = held == 0 ? 0 : held * tokens / shares;
        if (amount > stake) revert InsufficientStake(stake, amount);
        // Leaving whole burns every share; otherwise round the shares burnt up, against the leaver.
        uint256 burn = amount == stake ? held : _ceilDiv(amount * shares, tokens);
        _settle(r, d);
        held -= burn;
        d.shares = held;
        d.rewardDebt = held * r.accRewardPerShare;
        shares -= burn;
        tokens -= amount;
        r.bondedShares = shares;
        r.bondedTokens = tokens;
        if (msg.sender == operator) {
            uint256 selfStake = held == 0 ? 0 : held * tokens / shares;
            if (selfStake == 0) {
                if (r.registered) _leave(operator, r);
            } else if (selfStake < minSelfStake) {
                revert SelfStakeTooLow(selfStake, minSelfStake);
            }
        }
        id = _startUnbonding(r, operator, amount);
    }

    /// @notice Pays out the unbonding entry `id` (what is left of it after slashes) to its owner, once.
    function withdraw(uint256 id) external nonReentrant {
        Entry storage e = _entries[id];
        address delegator = e.delegator;
        if (delegator == address(0)) revert UnknownEntry(id);
        if (delegator != msg.sender) revert NotEntryOwner(id, msg.sender);
        if (e.withdrawn) revert AlreadyWithdrawn(id);
        if (block.timestamp < e.releaseTime) revert StillUnbonding(id, e.releaseTime);
        Relay storage r = _relays[e.operator];
        uint256 entryShares = e.shares;
        uint256 uShares = r.unbondingShares;
        uint256 uTokens = r.unbondingTokens;
        uint256 amount = entryShares * uTokens / uShares;
        r.unbondingShares = uShares - entryShares;
        r.unbondingTokens = uTokens - amount;
        e.withdrawn = true;
        e.shares = amount;
        emit Withdrawn(id, msg.sender, e.operator, amount);
        if (amount != 0) stakeToken.checkedTransfer(msg.sender, amount);
    }

    /// @notice Pays the sender's rewards from `operator`'s relay (for the operator, its commission too).
    function claim(address operator) external nonReentrant returns (uint256 amount) {
        Relay storage r = _relays[operator];
        if (!r.known) revert UnknownRelay(operator);
        Delegation storage d = _delegations[operator][msg.sender];
        _settle(r, d);
        d.rewardDebt = d.shares * r.accRewardPerShare;
        amount = d.owed;
        d.owed = 0;
        emit Claimed(operator, msg.sender, amount);
        if (amount != 0) stakeToken.checkedTransfer(msg.sender, amount);
    }

    /// @notice Pays `amount` tokens of rewards into `operator`'s relay (pulled with transferFrom): the commission
    /// in force goes to the operator, the rest to the relay's bonded stake, share for share.
    function addRewards(address operator, uint256 amount) external nonReentrant {
        Relay storage r = _relays[operator];
        if (!r.registered) revert NotRegistered(operator);
        if (amount == 0) revert ZeroAmount();
        uint256 commission = amount * _applyCommission(r) / BPS;
        uint256 rest = amount - commission;
        uint256 perShare = rest * ACC_SCALE / r.bondedShares;
        if (rest != 0 && perShare == 0) revert RewardTooSmall(amount);
        r.accRewardPerShare += perShare;
        if (commission != 0) _delegations[operator][operator].owed += commission;
        emit RewardsAdded(operator, msg.sender, amount, commission);
        stakeToken.checkedTransferFrom(msg.sender, address(this), amount);
    }

    // ---- governance ----

    /// @notice Takes `bps` of `operator`'s bonded stake and of the stake still unbonding from it, and sends it to
    /// governance. Every delegator of the relay loses the same fraction.
    function slash(address operator, uint16 bps, string calldata reason) external onlyGovernance nonReentrant {
        if (bps == 0) revert ZeroAmount();
        if (bps > maxSlashBps) revert SlashTooLarge(bps, maxSlashBps);
        Relay storage r = _relays[operator];
        if (!r.known) revert UnknownRelay(operator);
        uint256 bonded = r.bondedTokens * bps / BPS;
        uint256 unbondingCut = r.unbondingTokens * bps / BPS;
        r.bondedTokens -= bonded;
        r.unbondingTokens -= unbondingCut;
        emit Slashed(operator, bps, bonded, unbondingCut, reason);
        if (bonded + unbondingCut != 0) stakeToken.checkedTransfer(governance, bonded + unbondingCut);
    }

    /// @notice Hands governance to `next`.
    function setGovernance(address next) external onlyGovernance {
        if (next == address(0)) revert ZeroAddress();
        emit GovernanceChanged(governance, next);
        governance = next;
    }

    // ---- views ----

    /// @notice A relay as it stands: the commission in force now, and a pending change (0, 0 if none).
    function relayInfo(address operator)
        external
        view
        returns (
            string memory peerId,
            string memory url,
            uint16 commissionBps,
            uint16 pendingCommissionBps,
            uint64 pendingCommissionAt,
            uint256 totalStake,
            uint256 selfStake,
            bool registered
        )
    {
        Relay storage r = _relays[operator];
        peerId = r.peerId;
        url = r.url;
        commissionBps = r.commissionBps;
        pendingCommissionAt = r.pendingCommissionAt;
        if (pendingCommissionAt != 0) {
            if (block.timestamp >= pendingCommissionAt) {
                commissionBps = r.pendingCommissionBps;
                pendingCommissionAt = 0;
            } else {
                pendingCommissionBps = r.pendingCommissionBps;
            }
        }
        totalStake = r.bondedTokens;
        selfStake = _stake(r, _delegations[operator][operator].shares);
        registered = r.registered;
    }

    /// @notice The tokens `delegator` has bonded on `operator`, after slashes.
    function stakeOf(address operator, address delegator) external view returns (uint256) {
        return _stake(_relays[operator], _delegations[operator][delegator].shares);
    }

    /// @notice What claim(operator) would pay `delegator` now.
    function pendingRewards(address operator, address delegator) external view returns (uint256) {
        Delegation storage d = _delegations[operator][delegator];
        return d.owed + (d.shares * _relays[operator].accRewardPerShare - d.rewardDebt) / ACC_SCALE;
    }

    /// @notice An unbonding entry. Until withdrawn, amount is what withdraw would pay after slashes so far;
    /// afterwards it is what was paid.
    function unbonding(uint256 id)
        external
        view
        returns (address delegator, address operator, uint256 amount, uint64 releaseTime, bool withdrawn)
    {
        Entry storage e = _entries[id];
        delegator = e.delegator;
        operator = e.operator;
        releaseTime = e.releaseTime;
        withdrawn = e.withdrawn;
        amount = e.shares;
        if (!withdrawn && amount != 0) {
            Relay storage r = _relays[operator];
            amount = amount * r.unbondingTokens / r.unbondingShares;
        }
    }

    /// @notice How many relays are registered now.
    function relayCount() external view returns (uint256) {
        return _operators.length;
    }

    /// @notice The operator of the `i`th registered relay. The order changes when a relay leaves.
    function relayAt(uint256 i) external view returns (address) {
        if (i >= _operators.length) revert IndexOutOfRange(i, _operators.length);
        return _operators[i];
    }

    /// @notice The top activeSetSize relays by total bonded stake, highest first (ties: lower relayAt index
    /// first), counting only relays whose operator's own stake meets minSelfStake.
    function activeSet()
        external
        view
        returns (address[] memory operators, string[] memory peerIds, string[] memory urls, uint256[] memory stakes)
    {
        uint256 count = _operators.length;
        uint256 cap = activeSetSize < count ? activeSetSize : count;
        // A min-heap of the best `cap` candidates seen so far, weakest at the root; keys are (stake, index).
        uint256[] memory heapStake = new uint256[](cap);
        uint256[] memory heapIndex = new uint256[](cap);
        uint256 size;
        uint256 minimum = minSelfStake;
        for (uint256 i; i < count; ++i) {
            address op = _operators[i];
            Relay storage r = _relays[op];
            uint256 total = r.bondedTokens;
            if (total < minimum) continue; // the operator's part cannot meet the minimum either
            if (_delegations[op][op].shares * total / r.bondedShares < minimum) continue;
            if (size < cap) {
                _siftUp(heapStake, heapIndex, size, total, i);
                ++size;
            } else if (_ranksAbove(total, i, heapStake[0], heapIndex[0])) {
                _siftDown(heapStake, heapIndex, size, total, i);
            }
        }
        operators = new address[](size);
        peerIds = new string[](size);
        urls = new string[](size);
        stakes = new uint256[](size);
        // Pop the weakest into the last free place, so the arrays come out strongest first.
        while (size != 0) {
            --size;
            uint256 idx = heapIndex[0];
            stakes[size] = heapStake[0];
            if (size != 0) _siftDown(heapStake, heapIndex, size, heapStake[size], heapIndex[size]);
            address op = _operators[idx];
            Relay storage r = _relays[op];
            operators[size] = op;
            peerIds[size] = r.peerId;
            urls[size] = r.url;
        }
    }

    // ---- internals ----

    function _deposit(Relay storage r, address operator, uint256 amount) private returns (uint256 minted) {
        if (amount == 0) revert ZeroAmount();
        uint256 shares = r.bondedShares;
        minted = shares == 0 ? amount : amount * shares / r.bondedTokens;
        if (minted == 0) revert ZeroShares();
        Delegation storage d = _delegations[operator][msg.sender];
        _settle(r, d);
        uint256 held = d.shares + minted;
        d.shares = held;
        d.rewardDebt = held * r.accRewardPerShare;
        r.bondedShares = shares + minted;
        r.bondedTokens += amount;
    }

    /// Books `amount` tokens into the relay's unbonding pool as a new entry of the sender's.
    function _startUnbonding(Relay storage r, address operator, uint256 amount) private returns (uint256 id) {
        uint256 uTokens = r.unbondingTokens;
        uint256 uShares = r.unbondingShares;
        uint256 entryShares = uShares == 0 ? amount : amount * uShares / uTokens;
        if (entryShares == 0) revert ZeroShares();
        r.unbondingTokens = uTokens + amount;
        r.unbondingShares = uShares + entryShares;
        uint64 releaseTime = uint64(block.timestamp) + unbondingDelay;
        id = ++_lastEntryId;
        _entries[id] = Entry({
            delegator: msg.sender, releaseTime: releaseTime, withdrawn: false, operator: operator, shares: entryShares
        });
        emit Undelegated(operator, msg.sender, id, amount, releaseTime);
    }

    /// Moves a delegation's accrued rewards into owed; the caller then resets rewardDebt for its new shares.
    /// The fraction of a token unit below ACC_SCALE is dropped, so the relay never owes more than it received.
    function _settle(Relay storage r, Delegation storage d) private {
        uint256 accrued = d.shares * r.accRewardPerShare - d.rewardDebt;
        if (accrued >= ACC_SCALE) d.owed += accrued / ACC_SCALE;
    }

    /// Makes a due commission change permanent and returns the rate in force.
    function _applyCommission(Relay storage r) private returns (uint16) {
        uint64 at = r.pendingCommissionAt;
        if (at != 0 && block.timestamp >= at) {
            r.commissionBps = r.pendingCommissionBps;
            r.pendingCommissionBps = 0;
            r.pendingCommissionAt = 0;
        }
        return r.commissionBps;
    }

    /// Unlists a relay whose operator left. Its pools, delegations and unbonding entries stay, so delegators
    /// can still undelegate, withdraw and claim, and governance can still slash what remains.
    function _leave(address operator, Relay storage r) private {
        uint256 idx = r.index;
        uint256 last = _operators.length - 1;
        if (idx != last) {
            address moved = _operators[last];
            _operators[idx] = moved;
            _relays[moved].index = uint32(idx);
        }
        _operators.pop();
        r.registered = false;
        r.pendingCommissionBps = 0;
        r.pendingCommissionAt = 0;
        emit RelayLeft(operator);
    }

    function _stake(Relay storage r, uint256 shares) private view returns (uint256) {
        if (shares == 0) return 0;
        return shares * r.bondedTokens / r.bondedShares;
    }

    function _checkText(string calldata peerId, string calldata url) private pure {
        if (bytes(peerId).length == 0 || bytes(peerId).length > MAX_PEER_ID_BYTES) revert BadPeerId();
        if (bytes(url).length == 0 || bytes(url).length > MAX_URL_BYTES) revert BadUrl();
    }

    function _ceilDiv(uint256 a, uint256 b) private pure returns (uint256) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }

    /// (stakeA, indexA) ranks above (stakeB, indexB): more stake, or as much and listed earlier.
    function _ranksAbove(uint256 stakeA, uint256 indexA, uint256 stakeB, uint256 indexB)
        private
        pure
        returns (bool)
    {
        return stakeA > stakeB || (stakeA == stakeB && indexA < indexB);
    }

    /// Places (s, i) into the heap of `size` items (growing it by one), moving it up past stronger parents.
    function _siftUp(uint256[] memory hs, uint256[] memory hi, uint256 size, uint256 s, uint256 i) private pure {
        uint256 pos = size;
        while (pos != 0) {
            uint256 parent = (pos - 1) >> 1;
            if (!_ranksAbove(hs[parent], hi[parent], s, i)) break;
            hs[pos] = hs[parent];
            hi[pos] = hi[parent];
            pos = parent;
        }
        hs[pos] = s;
        hi[pos] = i;
    }

    /// Replaces the heap's root with (s, i) and moves it down past weaker children; the heap has `size` items.
    function _siftDown(uint256[] memory hs, uint256[] memory hi, uint256 size, uint256 s, uint256 i) private pure {
        uint256 pos;
        while (true) {
            uint256 child = (pos << 1) + 1;
            if (child >= size) break;
            if (child + 1 < size && _ranksAbove(hs[child], hi[child], hs[child + 1], hi[child + 1])) ++child;
            if (!_ranksAbove(s, i, hs[child], hi[child])) break;
            hs[pos] = hs[child];
            hi[pos] = hi[child];
            pos = child;
        }
        hs[pos] = s;
        hi[pos] = i;
    }
}
