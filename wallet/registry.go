package wallet

import (
	"context"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Registry is the relay registry (proof of stake, docs/CHAIN.md) on a
// Client's chain: reads that need no key (the active set a relay finds its
// peers in, a relay's record, stakes, rewards, unbonding entries) and the
// staking operations, which take a Signer.
type Registry struct {
	c    *Client
	addr common.Address
	inst *bind.BoundContract

	tokenOnce sync.Once
	token     common.Address
	tokenErr  error
}

// Registry returns the registry at the Client's Contracts.Registry.
func (c *Client) Registry() (*Registry, error) {
	if c.cfg.Contracts.Registry == (common.Address{}) {
		return nil, fmt.Errorf("%w: registry", ErrNoContract)
	}
	return &Registry{c: c, addr: c.cfg.Contracts.Registry, inst: registryBinding.Instance(c.eth, c.cfg.Contracts.Registry)}, nil
}

// Address is the registry contract's address.
func (r *Registry) Address() common.Address { return r.addr }

// Relay is a relay in the active set.
type Relay struct {
	Operator common.Address
	PeerID   string
	URL      string
	Stake    *big.Int // bonded stake, operator's and delegators'
}

// RelayInfo is a relay's record.
type RelayInfo struct {
	Operator             common.Address
	PeerID               string
	URL                  string
	CommissionBps        uint16    // in force now
	PendingCommissionBps uint16    // proposed, not yet in force
	PendingCommissionAt  time.Time // when it takes effect; zero when none is pending
	TotalStake           *big.Int  // bonded stake
	SelfStake            *big.Int
	Registered           bool
}

// Unbonding is an unbonding entry: stake on its way back to its delegator.
type Unbonding struct {
	ID          *big.Int
	Delegator   common.Address
	Operator    common.Address
	Amount      *big.Int // after slashes; once withdrawn, what was paid
	ReleaseTime time.Time
	Withdrawn   bool
}

// Params are the registry's settings, fixed when it was deployed (but for
// governance).
type Params struct {
	StakeToken      common.Address
	Governance      common.Address
	MinSelfStake    *big.Int
	UnbondingDelay  time.Duration
	CommissionDelay time.Duration
	MaxSlashBps     uint16
	ActiveSetSize   uint16
}

// ActiveSet is the top relays by stake, highest first: the relays a node
// should peer with.
func (r *Registry) ActiveSet(ctx context.Context) ([]Relay, error) {
	out, err := call(ctx, r.c, r.inst, registryBinding.PackActiveSet(), registryBinding.UnpackActiveSet)
	if err != nil {
		return nil, err
	}
	n := len(out.Operators)
	if len(out.PeerIds) != n || len(out.Urls) != n || len(out.Stakes) != n {
		return nil, fmt.Errorf("wallet: the registry's active set has arrays of different lengths")
	}
	relays := make([]Relay, n)
	for i := range relays {
		relays[i] = Relay{Operator: out.Operators[i], PeerID: out.PeerIds[i], URL: out.Urls[i], Stake: out.Stakes[i]}
	}
	return relays, nil
}

// RelayInfo is operator's relay record (Registered false for an address
// that has none).
func (r *Registry) RelayInfo(ctx context.Context, operator common.Address) (RelayInfo, error) {
	out, err := call(ctx, r.c, r.inst, registryBinding.PackRelayInfo(operator), registryBinding.UnpackRelayInfo)
	if err != nil {
		return RelayInfo{}, err
	}
	info := RelayInfo{
		Operator: operator, PeerID: out.PeerId, URL: out.Url, CommissionBps: out.CommissionBps,
		PendingCommissionBps: out.PendingCommissionBps, TotalStake: out.TotalStake, SelfStake: out.SelfStake,
		Registered: out.Registered,
	}
	if out.PendingCommissionAt != 0 {
		info.PendingCommissionAt = time.Unix(int64(out.PendingCommissionAt), 0)
	}
	return info, nil
}

// StakeOf is delegator's stake on operator's relay (after slashes).
func (r *Registry) StakeOf(ctx context.Context, operator, delegator common.Address) (*big.Int, error) {
	return call(ctx, r.c, r.inst, registryBinding.PackStakeOf(operator, delegator), registryBinding.UnpackStakeOf)
}

// PendingRewards is what delegator may claim from operator's relay.
func (r *Registry) PendingRewards(ctx context.Context, operator, delegator common.Address) (*big.Int, error) {
	return call(ctx, r.c, r.inst, registryBinding.PackPendingRewards(operator, delegator), registryBinding.UnpackPendingRewards)
}

// Unbonding reads one unbonding entry.
func (r *Registry) Unbonding(ctx context.Context, id *big.Int) (Unbonding, error) {
	out, err := call(ctx, r.c, r.inst, registryBinding.PackUnbonding(id), registryBinding.UnpackUnbonding)
	if err != nil {
		return Unbonding{}, err
	}
	return Unbonding{
		ID: new(big.Int).Set(id), Delegator: out.Delegator, Operator: out.Operator, Amount: out.Amount,
		ReleaseTime: time.Unix(int64(out.ReleaseTime), 0), Withdrawn: out.Withdrawn,
	}, nil
}

// Unbondings lists delegator's unbonding entries, withdrawn ones included,
// oldest first: found from the Undelegated events since fromBlock, read as
// they are now.
func (r *Registry) Unbondings(ctx context.Context, delegator common.Address, fromBlock uint64) ([]Unbonding, error) {
	logs, err := r.delegatorLogs(ctx, "Undelegated", delegator, fromBlock)
	if err != nil {
		return nil, err
	}
	var out []Unbonding
	for i := range logs {
		u, err := registryBinding.UnpackUndelegatedEvent(&logs[i])
		if err != nil {
			continue
		}
		e, err := r.Unbonding(ctx, u.Id)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// DelegatedTo lists the relays delegator has delegated to since fromBlock
// (from the Delegated events), each once, in the order first seen; the
// stake may since have been undelegated (see StakeOf).
func (r *Registry) DelegatedTo(ctx context.Context, delegator common.Address, fromBlock uint64) ([]common.Address, error) {
	logs, err := r.delegatorLogs(ctx, "Delegated", delegator, fromBlock)
	if err != nil {
		return nil, err
	}
	var out []common.Address
	seen := map[common.Address]bool{}
	for i := range logs {
		d, err := registryBinding.UnpackDelegatedEvent(&logs[i])
		if err != nil || seen[d.Operator] {
			continue
		}
		seen[d.Operator] = true
		out = append(out, d.Operator)
	}
	return out, nil
}

// logWindow is how many blocks one eth_getLogs request covers: public RPC
// endpoints refuse wide ranges (10,000 blocks is a common limit).
const logWindow = 10_000

// delegatorLogs are the registry's events of one kind whose second indexed
// argument (the delegator, in Delegated and Undelegated) is delegator, since
// fromBlock, read in windows of logWindow blocks up to the head.
func (r *Registry) delegatorLogs(ctx context.Context, event string, delegator common.Address, fromBlock uint64) ([]types.Log, error) {
	head, err := r.c.eth.BlockNumber(ctx)
	if err != nil {
		return nil, fmt.Errorf("wallet: failed to read the chain's head: %w", err)
	}
	var out []types.Log
	for from := fromBlock; from <= head; from += logWindow {
		to := min(from+logWindow-1, head)
		logs, err := r.c.eth.FilterLogs(ctx, ethereum.FilterQuery{
			FromBlock: new(big.Int).SetUint64(from),
			ToBlock:   new(big.Int).SetUint64(to),
			Addresses: []common.Address{r.addr},
			Topics:    [][]common.Hash{{registryBinding.GetABI().Events[event].ID}, nil, {common.BytesToHash(delegator.Bytes())}},
		})
		if err != nil {
			return nil, fmt.Errorf("wallet: failed to read the registry's events (blocks %d-%d): %w", from, to, err)
		}
		out = append(out, logs...)
	}
	return out, nil
}

// Params reads the registry's settings.
func (r *Registry) Params(ctx context.Context) (Params, error) {
	var p Params
	var err error
	if p.StakeToken, err = r.stakeToken(ctx); err != nil {
		return p, err
	}
	if p.Governance, err = call(ctx, r.c, r.inst, registryBinding.PackGovernance(), registryBinding.UnpackGovernance); err != nil {
		return p, err
	}
	if p.MinSelfStake, err = call(ctx, r.c, r.inst, registryBinding.PackMinSelfStake(), registryBinding.UnpackMinSelfStake); err != nil {
		return p, err
	}
	ub, err := call(ctx, r.c, r.inst, registryBinding.PackUnbondingDelay(), registryBinding.UnpackUnbondingDelay)
	if err != nil {
		return p, err
	}
	cd, err := call(ctx, r.c, r.inst, registryBinding.PackCommissionDelay(), registryBinding.UnpackCommissionDelay)
	if err != nil {
		return p, err
	}
	p.UnbondingDelay, p.CommissionDelay = time.Duration(ub)*time.Second, time.Duration(cd)*time.Second
	if p.MaxSlashBps, err = call(ctx, r.c, r.inst, registryBinding.PackMaxSlashBps(), registryBinding.UnpackMaxSlashBps); err != nil {
		return p, err
	}
	if p.ActiveSetSize, err = call(ctx, r.c, r.inst, registryBinding.PackActiveSetSize(), registryBinding.UnpackActiveSetSize); err != nil {
		return p, err
	}
	return p, nil
}

// stakeToken is the token the registry stakes, read once.
func (r *Registry) stakeToken(ctx context.Context) (common.Address, error) {
	r.tokenOnce.Do(func() {
		r.token, r.tokenErr = call(ctx, r.c, r.inst, registryBinding.PackStakeToken(), registryBinding.UnpackStakeToken)
	})
	return r.token, r.tokenErr
}

// spend approves the registry for amount of its stake token when needed and
// then sends data, holding the account's spend lock throughout.
func (r *Registry) spend(ctx context.Context, s Signer, amount *big.Int, data []byte) (*types.Receipt, error) {
	token, err := r.stakeToken(ctx)
	if err != nil {
		return nil, err
	}
	defer r.c.spendLock(s.Address())()
	if err := r.c.ensureAllowance(ctx, s, token, r.addr, amount); err != nil {
		return nil, err
	}
	return r.c.transact(ctx, s, r.inst, nil, data)
}

// Register lists the signer's relay (peer ID, URL, commission in basis
// points) with selfStake tokens of its own, approving them first.
func (r *Registry) Register(ctx context.Context, s Signer, peerID, url string, commissionBps uint16, selfStake *big.Int) (*types.Receipt, error) {
	if err := positive("self-stake", selfStake); err != nil {
		return nil, err
	}
	if peerID == "" || url == "" {
		return nil, fmt.Errorf("wallet: a relay needs a peer ID and a URL")
	}
	if commissionBps > 10_000 {
		return nil, fmt.Errorf("wallet: commission %d bps is more than 100%%", commissionBps)
	}
	return r.spend(ctx, s, selfStake, registryBinding.PackRegister(peerID, url, commissionBps, selfStake))
}

// UpdateRelay changes the signer's relay's peer ID and URL.
func (r *Registry) UpdateRelay(ctx context.Context, s Signer, peerID, url string) (*types.Receipt, error) {
	return r.c.transact(ctx, s, r.inst, nil, registryBinding.PackUpdateRelay(peerID, url))
}

// Delegate stakes amount on operator's relay, approving it first.
func (r *Registry) Delegate(ctx context.Context, s Signer, operator common.Address, amount *big.Int) (*types.Receipt, error) {
	if err := positive("a delegation", amount); err != nil {
		return nil, err
	}
	return r.spend(ctx, s, amount, registryBinding.PackDelegate(operator, amount))
}

// Undelegate starts unbonding amount of the signer's stake on operator and
// returns the entry Withdraw takes once it is released.
func (r *Registry) Undelegate(ctx context.Context, s Signer, operator common.Address, amount *big.Int) (Unbonding, error) {
	if err := positive("an undelegation", amount); err != nil {
		return Unbonding{}, err
	}
	rc, err := r.c.transact(ctx, s, r.inst, nil, registryBinding.PackUndelegate(operator, amount))
	if err != nil {
		return Unbonding{}, err
	}
	for _, l := range r.logs(rc) {
		if ev, err := registryBinding.UnpackUndelegatedEvent(l); err == nil {
			return Unbonding{ID: ev.Id, Delegator: ev.Delegator, Operator: ev.Operator, Amount: ev.Amount,
				ReleaseTime: time.Unix(int64(ev.ReleaseTime), 0)}, nil
		}
	}
	return Unbonding{}, fmt.Errorf("wallet: transaction %s logged no unbonding", rc.TxHash.Hex())
}

// Withdraw pays out a released unbonding entry and returns the amount.
func (r *Registry) Withdraw(ctx context.Context, s Signer, id *big.Int) (*big.Int, error) {
	if id == nil || id.Sign() <= 0 {
		return nil, fmt.Errorf("wallet: unbonding IDs start at 1")
	}
	rc, err := r.c.transact(ctx, s, r.inst, nil, registryBinding.PackWithdraw(id))
	if err != nil {
		return nil, err
	}
	for _, l := range r.logs(rc) {
		if ev, err := registryBinding.UnpackWithdrawnEvent(l); err == nil {
			return ev.Amount, nil
		}
	}
	return nil, fmt.Errorf("wallet: transaction %s logged no withdrawal", rc.TxHash.Hex())
}

// Claim pays the signer's rewards from operator's relay and returns the
// amount (0 when there was nothing to claim).
func (r *Registry) Claim(ctx context.Context, s Signer, operator common.Address) (*big.Int, error) {
	rc, err := r.c.transact(ctx, s, r.inst, nil, registryBinding.PackClaim(operator))
	if err != nil {
		return nil, err
	}
	for _, l := range r.logs(rc) {
		if ev, err := registryBinding.UnpackClaimedEvent(l); err == nil {
			return ev.Amount, nil
		}
	}
	return new(big.Int), nil
}

// AddRewards pays amount of the stake token into operator's relay as
// rewards (commission to the operator, the rest to its stake), approving
// it first.
func (r *Registry) AddRewards(ctx context.Context, s Signer, operator common.Address, amount *big.Int) (*types.Receipt, error) {
	if err := positive("a reward", amount); err != nil {
		return nil, err
	}
	return r.spend(ctx, s, amount, registryBinding.PackAddRewards(operator, amount))
}

// ProposeCommission sets the signer's relay's commission to bps from the
// registry's commission delay on, and returns when that is.
func (r *Registry) ProposeCommission(ctx context.Context, s Signer, bps uint16) (time.Time, error) {
	if bps > 10_000 {
		return time.Time{}, fmt.Errorf("wallet: commission %d bps is more than 100%%", bps)
	}
	rc, err := r.c.transact(ctx, s, r.inst, nil, registryBinding.PackProposeCommission(bps))
	if err != nil {
		return time.Time{}, err
	}
	for _, l := range r.logs(rc) {
		if ev, err := registryBinding.UnpackCommissionProposedEvent(l); err == nil {
			return time.Unix(int64(ev.EffectiveAt), 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("wallet: transaction %s logged no commission change", rc.TxHash.Hex())
}

// logs are the receipt's logs the registry emitted.
func (r *Registry) logs(rc *types.Receipt) []*types.Log {
	var out []*types.Log
	for _, l := range rc.Logs {
		if l.Address == r.addr {
			out = append(out, l)
		}
	}
	return out
}
