package contracts_test

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"

	"github.com/veilsocial/veil/wallet/contracts"
)

func TestRegistryConstructorRefusals(t *testing.T) {
	c := newChain(t, defaultConfig())
	gov := c.acct("gov").addr
	good := defaultConfig()
	cases := []struct {
		name       string
		token, gov common.Address
		edit       func(*registryConfig)
	}{
		{"token without code", gov, gov, func(*registryConfig) {}},
		{"zero governance", c.token.Address(), common.Address{}, func(*registryConfig) {}},
		{"zero minimum", c.token.Address(), gov, func(r *registryConfig) { r.minSelfStake = big.NewInt(0) }},
		{"whole-pool slash", c.token.Address(), gov, func(r *registryConfig) { r.maxSlashBps = 10_000 }},
		{"empty active set", c.token.Address(), gov, func(r *registryConfig) { r.activeSetSize = 0 }},
		{"endless unbonding", c.token.Address(), gov, func(r *registryConfig) { r.unbondingDelay = 3651 * day }},
		{"endless commission delay", c.token.Address(), gov, func(r *registryConfig) { r.commissionDelay = 3651 * day }},
	}
	for _, tc := range cases {
		cfg := good
		tc.edit(&cfg)
		input := regABI.PackConstructor(tc.token, tc.gov, cfg.minSelfStake, uint64(cfg.unbondingDelay/time.Second),
			uint64(cfg.commissionDelay/time.Second), cfg.maxSlashBps, cfg.activeSetSize)
		_, _, err := bind.DeployContract(c.opts(c.acct("deployer"), nil),
			common.FromHex(contracts.RelayRegistryMetaData.Bin), c.cl, input)
		if got := revertName(err); got != "BadConfig" {
			t.Errorf("%s: deploy gave %v (%s), want BadConfig", tc.name, err, got)
		}
	}
	// The getters echo the settings the registry was deployed with.
	if got := call(c, c.registry, regABI.PackMinSelfStake(), regABI.UnpackMinSelfStake); got.Cmp(good.minSelfStake) != 0 {
		t.Errorf("minSelfStake = %s", got)
	}
	if got := call(c, c.registry, regABI.PackUnbondingDelay(), regABI.UnpackUnbondingDelay); got != uint64(7*24*3600) {
		t.Errorf("unbondingDelay = %d", got)
	}
	if got := call(c, c.registry, regABI.PackCommissionDelay(), regABI.UnpackCommissionDelay); got != uint64(3*24*3600) {
		t.Errorf("commissionDelay = %d", got)
	}
	if got := call(c, c.registry, regABI.PackMaxSlashBps(), regABI.UnpackMaxSlashBps); got != 3000 {
		t.Errorf("maxSlashBps = %d", got)
	}
	if got := call(c, c.registry, regABI.PackActiveSetSize(), regABI.UnpackActiveSetSize); got != 3 {
		t.Errorf("activeSetSize = %d", got)
	}
	if got := call(c, c.registry, regABI.PackStakeToken(), regABI.UnpackStakeToken); got != c.token.Address() {
		t.Errorf("stakeToken = %s", got)
	}
	if got := call(c, c.registry, regABI.PackGovernance(), regABI.UnpackGovernance); got != gov {
		t.Errorf("governance = %s", got)
	}
}

func TestRegister(t *testing.T) {
	c := newChain(t, defaultConfig(), "op", "alice")
	op, alice := c.acct("op"), c.acct("alice")
	c.fund(op, veil(1000), c.registry.Address())

	c.wantRevert(op, c.registry, regABI.PackRegister(peerID(op), relayURL(op), 100, sub(veil(100), bi(1))), "SelfStakeTooLow")
	c.wantRevert(op, c.registry, regABI.PackRegister(peerID(op), relayURL(op), 10_001, veil(100)), "CommissionTooHigh")
	c.wantRevert(op, c.registry, regABI.PackRegister("", relayURL(op), 100, veil(100)), "BadPeerId")
	c.wantRevert(op, c.registry, regABI.PackRegister(strings.Repeat("p", 129), relayURL(op), 100, veil(100)), "BadPeerId")
	c.wantRevert(op, c.registry, regABI.PackRegister(peerID(op), "", 100, veil(100)), "BadUrl")
	c.wantRevert(op, c.registry, regABI.PackRegister(peerID(op), strings.Repeat("u", 513), 100, veil(100)), "BadUrl")

	// The cap itself, 100%, is allowed, and so are the longest peer ID and URL.
	longURL := "https://" + strings.Repeat("u", 504)
	r := c.send(op, c.registry, regABI.PackRegister(strings.Repeat("p", 128), longURL, 10_000, veil(150)))
	ev := events(r, c.registry.Address(), regABI.UnpackRelayRegisteredEvent)
	if len(ev) != 1 || ev[0].Operator != op.addr || ev[0].CommissionBps != 10_000 || ev[0].SelfStake.Cmp(veil(150)) != 0 || ev[0].Url != longURL {
		t.Fatalf("RelayRegistered = %+v", ev)
	}
	info := c.info(op)
	if info.PeerId != strings.Repeat("p", 128) || info.Url != longURL || info.CommissionBps != 10_000 ||
		info.PendingCommissionBps != 0 || info.PendingCommissionAt != 0 || !info.Registered {
		t.Fatalf("relayInfo = %+v", info)
	}
	wantInt(t, "totalStake", info.TotalStake, veil(150))
	wantInt(t, "selfStake", info.SelfStake, veil(150))
	wantInt(t, "stakeOf", c.stake(op, op), veil(150))
	wantInt(t, "registry's tokens", c.balance(c.registry.Address()), veil(150))
	wantInt(t, "operator's tokens", c.balance(op.addr), veil(850))
	if n := c.relayCount(); n != 1 {
		t.Fatalf("relayCount = %d", n)
	}
	if got := call(c, c.registry, regABI.PackRelayAt(bi(0)), regABI.UnpackRelayAt); got != op.addr {
		t.Fatalf("relayAt(0) = %s", got)
	}
	c.wantRevert(op, c.registry, regABI.PackRelayAt(bi(1)), "IndexOutOfRange")

	// One relay per operator.
	c.wantRevert(op, c.registry, regABI.PackRegister(peerID(op), relayURL(op), 0, veil(100)), "AlreadyRegistered")

	// Only the operator updates its relay, within the same limits.
	c.wantRevert(alice, c.registry, regABI.PackUpdateRelay("x", "https://x.example"), "NotRegistered")
	c.wantRevert(op, c.registry, regABI.PackUpdateRelay("", "https://x.example"), "BadPeerId")
	r = c.send(op, c.registry, regABI.PackUpdateRelay(peerID(op), relayURL(op)))
	if up := events(r, c.registry.Address(), regABI.UnpackRelayUpdatedEvent); len(up) != 1 || up[0].Url != relayURL(op) {
		t.Fatalf("RelayUpdated = %+v", up)
	}
	if info := c.info(op); info.PeerId != peerID(op) || info.Url != relayURL(op) {
		t.Fatalf("after update: %+v", info)
	}
	if info := c.info(alice); info.Registered || info.TotalStake.Sign() != 0 {
		t.Fatalf("a stranger's relayInfo = %+v", info)
	}
}

func TestDelegateUndelegateWithdraw(t *testing.T) {
	c := newChain(t, defaultConfig(), "op", "alice", "bob")
	op, alice, bob := c.acct("op"), c.acct("alice"), c.acct("bob")
	c.register(op, veil(100), 0)
	c.fund(alice, veil(500), c.registry.Address())

	c.wantRevert(alice, c.registry, regABI.PackDelegate(bob.addr, veil(1)), "NotRegistered")
	c.wantRevert(alice, c.registry, regABI.PackDelegate(op.addr, bi(0)), "ZeroAmount")
	c.wantRevert(alice, c.registry, regABI.PackDelegate(op.addr, veil(501)), "TokenTransferFailed")
	r := c.send(alice, c.registry, regABI.PackDelegate(op.addr, veil(500)))
	if ev := events(r, c.registry.Address(), regABI.UnpackDelegatedEvent); len(ev) != 1 || ev[0].Delegator != alice.addr ||
		ev[0].Amount.Cmp(veil(500)) != 0 || ev[0].Shares.Cmp(veil(500)) != 0 {
		t.Fatalf("Delegated = %+v", ev)
	}
	wantInt(t, "alice's stake", c.stake(op, alice), veil(500))
	wantInt(t, "totalStake", c.info(op).TotalStake, veil(600))
	wantInt(t, "selfStake", c.info(op).SelfStake, veil(100))

	c.wantRevert(alice, c.registry, regABI.PackUndelegate(op.addr, veil(501)), "InsufficientStake")
	c.wantRevert(alice, c.registry, regABI.PackUndelegate(op.addr, bi(0)), "ZeroAmount")
	c.wantRevert(bob, c.registry, regABI.PackUndelegate(op.addr, bi(1)), "InsufficientStake")
	c.wantRevert(alice, c.registry, regABI.PackUndelegate(bob.addr, bi(1)), "UnknownRelay")

	start := c.now()
	id := c.undelegate(alice, op, veil(200))
	if id.Cmp(bi(1)) != 0 {
		t.Fatalf("first unbonding ID = %s, want 1", id)
	}
	wantInt(t, "alice's stake", c.stake(op, alice), veil(300))
	wantInt(t, "totalStake", c.info(op).TotalStake, veil(400))
	e := c.entry(id)
	if e.Delegator != alice.addr || e.Operator != op.addr || e.Withdrawn || e.ReleaseTime < start+7*24*3600 ||
		e.ReleaseTime > c.now()+7*24*3600 {
		t.Fatalf("unbonding(%s) = %+v (chain time %d)", id, e, c.now())
	}
	wantInt(t, "entry amount", e.Amount, veil(200))

	// Not before the delay, not by anyone else, and only once.
	c.wantRevert(alice, c.registry, regABI.PackWithdraw(id), "StillUnbonding")
	c.advance(7*day - time.Minute)
	c.wantRevert(alice, c.registry, regABI.PackWithdraw(id), "StillUnbonding")
	c.advance(time.Minute)
	c.wantRevert(bob, c.registry, regABI.PackWithdraw(id), "NotEntryOwner")
	wantInt(t, "withdrawn", c.withdraw(alice, id), veil(200))
	if e := c.entry(id); !e.Withdrawn || e.Amount.Cmp(veil(200)) != 0 {
		t.Fatalf("after withdraw: %+v", e)
	}
	c.wantRevert(alice, c.registry, regABI.PackWithdraw(id), "AlreadyWithdrawn")
	c.wantRevert(alice, c.registry, regABI.PackWithdraw(bi(99)), "UnknownEntry")
	wantInt(t, "registry's tokens", c.balance(c.registry.Address()), veil(400))

	// Delegating again adds to the same stake.
	c.delegate(alice, op, veil(50))
	wantInt(t, "alice's stake", c.stake(op, alice), veil(350))
}

func TestOperatorSelfStakeAndLeaving(t *testing.T) {
	c := newChain(t, defaultConfig(), "op", "op2", "op3", "alice")
	op, op2, op3, alice := c.acct("op"), c.acct("op2"), c.acct("op3"), c.acct("alice")
	c.register(op, veil(150), 0)
	c.register(op2, veil(100), 0)
	c.register(op3, veil(100), 0)
	c.delegate(alice, op, veil(200))

	// The operator's own stake may not drop below the minimum...
	c.wantRevert(op, c.registry, regABI.PackUndelegate(op.addr, veil(51)), "SelfStakeTooLow")
	first := c.undelegate(op, op, veil(50))
	wantInt(t, "selfStake at the minimum", c.info(op).SelfStake, veil(100))
	if set := c.activeSet(); len(set.Operators) != 3 || set.Operators[0] != op.addr {
		t.Fatalf("active set = %v", set.Operators)
	}
	// ...unless it goes to zero: the relay leaves the list and the active set, and op3 takes its index.
	r := c.send(op, c.registry, regABI.PackUndelegate(op.addr, veil(100)))
	if left := events(r, c.registry.Address(), regABI.UnpackRelayLeftEvent); len(left) != 1 || left[0].Operator != op.addr {
		t.Fatalf("RelayLeft = %+v", left)
	}
	second := events(r, c.registry.Address(), regABI.UnpackUndelegatedEvent)[0].Id
	info := c.info(op)
	if info.SelfStake.Sign() != 0 || info.Registered || c.relayCount() != 2 {
		t.Fatalf("after the operator left: %+v, %d relays", info, c.relayCount())
	}
	wantInt(t, "totalStake", info.TotalStake, veil(200))
	if got := call(c, c.registry, regABI.PackRelayAt(bi(0)), regABI.UnpackRelayAt); got != op3.addr {
		t.Fatalf("relayAt(0) = %s, want op3", got)
	}
	if got := call(c, c.registry, regABI.PackRelayAt(bi(1)), regABI.UnpackRelayAt); got != op2.addr {
		t.Fatalf("relayAt(1) = %s, want op2", got)
	}
	for _, a := range c.activeSet().Operators {
		if a == op.addr {
			t.Fatal("a relay whose operator left is in the active set")
		}
	}

	// Nobody can stake on it or pay it now, but Alice can still leave and claim.
	c.fund(alice, veil(10), c.registry.Address())
	c.wantRevert(alice, c.registry, regABI.PackDelegate(op.addr, veil(1)), "NotRegistered")
	c.wantRevert(alice, c.registry, regABI.PackAddRewards(op.addr, veil(1)), "NotRegistered")
	c.wantRevert(op, c.registry, regABI.PackProposeCommission(5), "NotRegistered")
	aliceExit := c.undelegate(alice, op, veil(150))
	wantInt(t, "alice's claim", c.claim(alice, op), bi(0))
	c.wantRevert(op, c.registry, regABI.PackUndelegate(op.addr, bi(1)), "InsufficientStake")

	// Unbonding stake is paid out, and the operator may come back to the delegators who stayed.
	c.advance(7 * day)
	wantInt(t, "first", c.withdraw(op, first), veil(50))
	wantInt(t, "second", c.withdraw(op, second), veil(100))
	wantInt(t, "alice's exit", c.withdraw(alice, aliceExit), veil(150))
	c.register(op, veil(120), 300)
	if info := c.info(op); !info.Registered || info.CommissionBps != 300 || info.SelfStake.Cmp(veil(120)) != 0 ||
		info.TotalStake.Cmp(veil(170)) != 0 || c.relayCount() != 3 {
		t.Fatalf("registered again: %+v", info)
	}
	wantInt(t, "alice's stake", c.stake(op, alice), veil(50))
}

func TestRewardsSplitByStakeAndCommission(t *testing.T) {
	c := newChain(t, defaultConfig(), "op", "alice", "bob", "carol", "payer")
	op, alice, bob, carol, payer := c.acct("op"), c.acct("alice"), c.acct("bob"), c.acct("carol"), c.acct("payer")
	c.register(op, veil(100), 1000) // 10%
	c.delegate(alice, op, veil(300))
	c.delegate(bob, op, veil(600))

	// 50 VEIL: 5 commission; 45 over 1000 staked: op 4.5, alice 13.5, bob 27.
	c.fund(payer, veil(50), c.registry.Address())
	r := c.send(payer, c.registry, regABI.PackAddRewards(op.addr, veil(50)))
	if ev := events(r, c.registry.Address(), regABI.UnpackRewardsAddedEvent); len(ev) != 1 || ev[0].From != payer.addr ||
		ev[0].Amount.Cmp(veil(50)) != 0 || ev[0].Commission.Cmp(veil(5)) != 0 {
		t.Fatalf("RewardsAdded = %+v", ev)
	}
	half := new(big.Int).Div(veil(1), bi(2))
	wantInt(t, "op", c.pending(op, op), add(veil(9), half))
	wantInt(t, "alice", c.pending(op, alice), add(veil(13), half))
	wantInt(t, "bob", c.pending(op, bob), veil(27))

	// Claims pay exactly that, once.
	wantInt(t, "alice's claim", c.claim(alice, op), add(veil(13), half))
	wantInt(t, "alice's second claim", c.claim(alice, op), bi(0))
	wantInt(t, "alice's pending", c.pending(op, alice), bi(0))

	// Carol joins after that reward and gets none of it.
	c.delegate(carol, op, veil(1000))
	wantInt(t, "carol", c.pending(op, carol), bi(0))

	// An amount that divides badly: every part rounds down, and the dust stays in the contract.
	odd := add(veil(1), bi(7))
	c.addRewards(payer, op, odd)
	commission := bps(odd, 1000)
	rest := sub(odd, commission)
	total := veil(2000)
	wantOp := add(veil(9), half, commission, share(rest, veil(100), total))
	wantAlice := share(rest, veil(300), total)
	wantBob := add(veil(27), share(rest, veil(600), total))
	wantCarol := share(rest, veil(1000), total)
	wantInt(t, "op", c.pending(op, op), wantOp)
	wantInt(t, "alice", c.pending(op, alice), wantAlice)
	wantInt(t, "bob", c.pending(op, bob), wantBob)
	wantInt(t, "carol", c.pending(op, carol), wantCarol)

	// Changing stake settles what was earned: Bob undelegates half and still gets all of it.
	c.undelegate(bob, op, veil(300))
	wantInt(t, "bob after undelegating", c.pending(op, bob), wantBob)

	paid := add(c.claim(op, op), c.claim(bob, op), c.claim(carol, op), c.claim(alice, op), add(veil(13), half))
	wantInt(t, "all claims", paid, add(wantOp, wantBob, wantCarol, wantAlice, add(veil(13), half)))
	if paid.Cmp(add(veil(50), odd)) > 0 {
		t.Fatalf("paid %s of %s rewards", paid, add(veil(50), odd))
	}
	// What stays is the stake (unbonding included) and the rounding dust.
	wantInt(t, "registry's tokens", c.balance(c.registry.Address()), add(veil(2000), sub(add(veil(50), odd), paid)))

	// Rewards too small to give each share anything are refused rather than lost.
	c.fund(payer, bi(1), c.registry.Address())
	c.wantRevert(payer, c.registry, regABI.PackAddRewards(op.addr, bi(1)), "RewardTooSmall")
	c.wantRevert(payer, c.registry, regABI.PackAddRewards(op.addr, bi(0)), "ZeroAmount")
	c.wantRevert(payer, c.registry, regABI.PackClaim(payer.addr), "UnknownRelay")
}

// TestCommissionDelayProtectsDelegators: an operator who raises its commission just before rewards arrive still
// pays out at the old rate, and delegators have commissionDelay to leave before the new one applies.
func TestCommissionDelayProtectsDelegators(t *testing.T) {
	c := newChain(t, defaultConfig(), "op", "alice", "bob", "payer")
	op, alice, bob, payer := c.acct("op"), c.acct("alice"), c.acct("bob"), c.acct("payer")
	c.register(op, veil(100), 1000) // 10%
	c.delegate(alice, op, veil(900))
	c.delegate(bob, op, veil(1000))

	c.wantRevert(alice, c.registry, regABI.PackProposeCommission(5000), "NotRegistered")
	c.wantRevert(op, c.registry, regABI.PackProposeCommission(10_001), "CommissionTooHigh")
	r := c.send(op, c.registry, regABI.PackProposeCommission(5000))
	ev := events(r, c.registry.Address(), regABI.UnpackCommissionProposedEvent)
	if len(ev) != 1 || ev[0].Bps != 5000 || ev[0].EffectiveAt < c.now()+3*24*3600-5 {
		t.Fatalf("CommissionProposed = %+v (now %d)", ev, c.now())
	}
	effective := ev[0].EffectiveAt
	info := c.info(op)
	if info.CommissionBps != 1000 || info.PendingCommissionBps != 5000 || info.PendingCommissionAt != effective {
		t.Fatalf("pending change: %+v", info)
	}

	// The front-run: rewards right after the proposal are split at the old 10%.
	c.addRewards(payer, op, veil(100))
	rest := veil(90)
	total := veil(2000)
	wantInt(t, "op", c.pending(op, op), add(veil(10), share(rest, veil(100), total)))
	wantInt(t, "alice", c.pending(op, alice), share(rest, veil(900), total))
	wantInt(t, "bob", c.pending(op, bob), share(rest, veil(1000), total))
	aliceEarned := c.pending(op, alice)

	// Alice sees the change coming and leaves in time; Bob stays.
	c.advance(2 * day)
	c.undelegate(alice, op, veil(900))
	c.advance(day)
	if c.now() < effective {
		t.Fatalf("clock %d before %d", c.now(), effective)
	}
	// The new rate is in force without another call.
	info = c.info(op)
	if info.CommissionBps != 5000 || info.PendingCommissionBps != 0 || info.PendingCommissionAt != 0 {
		t.Fatalf("after the delay: %+v", info)
	}
	opBefore, bobBefore := c.pending(op, op), c.pending(op, bob)
	c.addRewards(payer, op, veil(100))
	total = veil(1100)
	wantInt(t, "op", sub(c.pending(op, op), opBefore), add(veil(50), share(veil(50), veil(100), total)))
	wantInt(t, "bob", sub(c.pending(op, bob), bobBefore), share(veil(50), veil(1000), total))
	wantInt(t, "alice, gone", c.pending(op, alice), aliceEarned)
	wantInt(t, "alice's claim", c.claim(alice, op), aliceEarned)

	// A cut waits too, and a later proposal replaces a pending one.
	c.send(op, c.registry, regABI.PackProposeCommission(0))
	c.send(op, c.registry, regABI.PackProposeCommission(200))
	if info := c.info(op); info.CommissionBps != 5000 || info.PendingCommissionBps != 200 {
		t.Fatalf("second proposal: %+v", info)
	}
}

func TestSlashGovernanceOnlyAndCapped(t *testing.T) {
	c := newChain(t, defaultConfig(), "op", "alice", "bob", "newgov")
	op, alice, bob, gov, newgov := c.acct("op"), c.acct("alice"), c.acct("bob"), c.acct("gov"), c.acct("newgov")
	c.register(op, veil(200), 0)
	c.delegate(alice, op, veil(800))
	c.delegate(bob, op, veil(1000))
	id := c.undelegate(bob, op, veil(400))

	c.wantRevert(alice, c.registry, regABI.PackSlash(op.addr, 100, "no"), "NotGovernance")
	c.wantRevert(op, c.registry, regABI.PackSlash(op.addr, 100, "no"), "NotGovernance")
	c.wantRevert(gov, c.registry, regABI.PackSlash(op.addr, 3001, "too much"), "SlashTooLarge")
	c.wantRevert(gov, c.registry, regABI.PackSlash(op.addr, 0, "nothing"), "ZeroAmount")
	c.wantRevert(gov, c.registry, regABI.PackSlash(alice.addr, 100, "not a relay"), "UnknownRelay")

	// 10%: every delegator loses a tenth, stake still unbonding too, and governance receives it all.
	r := c.send(gov, c.registry, regABI.PackSlash(op.addr, 1000, "served forged keys"))
	ev := events(r, c.registry.Address(), regABI.UnpackSlashedEvent)
	if len(ev) != 1 || ev[0].Bps != 1000 || ev[0].BondedSlashed.Cmp(veil(160)) != 0 || ev[0].UnbondingSlashed.Cmp(veil(40)) != 0 ||
		ev[0].Reason != "served forged keys" {
		t.Fatalf("Slashed = %+v", ev)
	}
	wantInt(t, "governance", c.balance(gov.addr), veil(200))
	wantInt(t, "op", c.stake(op, op), veil(180))
	wantInt(t, "alice", c.stake(op, alice), veil(720))
	wantInt(t, "bob", c.stake(op, bob), veil(540))
	wantInt(t, "bob's unbonding", c.entry(id).Amount, veil(360))
	wantInt(t, "totalStake", c.info(op).TotalStake, veil(1440))

	// The cap holds per slash, not in total: a second, maximal one takes 30% of what is left.
	c.send(gov, c.registry, regABI.PackSlash(op.addr, 3000, "again"))
	wantInt(t, "op", c.stake(op, op), veil(126))
	wantInt(t, "alice", c.stake(op, alice), veil(504))
	wantInt(t, "bob's unbonding", c.entry(id).Amount, veil(252))

	// Below the minimum self-stake the relay drops out of the active set.
	c.send(gov, c.registry, regABI.PackSlash(op.addr, 3000, "and again"))
	if set := c.activeSet(); len(set.Operators) != 0 {
		t.Fatalf("active set after slashes = %v", set.Operators)
	}
	c.advance(7 * day)
	wantInt(t, "bob withdraws", c.withdraw(bob, id), new(big.Int).Div(veil(1764), bi(10)))

	// Governance moves on: only the new one slashes.
	c.wantRevert(alice, c.registry, regABI.PackSetGovernance(alice.addr), "NotGovernance")
	c.wantRevert(gov, c.registry, regABI.PackSetGovernance(common.Address{}), "ZeroAddress")
	r = c.send(gov, c.registry, regABI.PackSetGovernance(newgov.addr))
	if ev := events(r, c.registry.Address(), regABI.UnpackGovernanceChangedEvent); len(ev) != 1 || ev[0].Previous != gov.addr || ev[0].Next != newgov.addr {
		t.Fatalf("GovernanceChanged = %+v", ev)
	}
	c.wantRevert(gov, c.registry, regABI.PackSlash(op.addr, 100, "old"), "NotGovernance")
	c.send(newgov, c.registry, regABI.PackSlash(op.addr, 100, "new"))
}

// TestSlashReachesUnbondingStake: undelegating everything the moment misbehaviour is noticed does not escape
// the slash that follows, not even for the operator whose relay has left the list.
func TestSlashReachesUnbondingStake(t *testing.T) {
	c := newChain(t, defaultConfig(), "op", "alice", "bob")
	op, alice, bob, gov := c.acct("op"), c.acct("alice"), c.acct("bob"), c.acct("gov")
	c.register(op, veil(100), 0)
	c.delegate(alice, op, veil(300))
	c.delegate(bob, op, veil(500))

	// Bob's earlier entry, already withdrawn, is out of reach; what is still unbonding is not.
	early := c.undelegate(bob, op, veil(100))
	c.advance(7 * day)
	wantInt(t, "bob's early exit", c.withdraw(bob, early), veil(100))

	opExit := c.undelegate(op, op, veil(100))
	aliceExit := c.undelegate(alice, op, veil(300))
	bobExit := c.undelegate(bob, op, veil(400))
	if c.info(op).Registered {
		t.Fatal("the relay is still listed with no stake")
	}
	c.wantRevert(alice, c.registry, regABI.PackUndelegate(op.addr, bi(1)), "InsufficientStake") // an empty pool
	c.send(gov, c.registry, regABI.PackSlash(op.addr, 2500, "caught"))
	for _, e := range []struct {
		who  *account
		id   *big.Int
		want *big.Int
	}{{op, opExit, veil(75)}, {alice, aliceExit, veil(225)}, {bob, bobExit, veil(300)}} {
		wantInt(t, e.who.name+"'s entry", c.entry(e.id).Amount, e.want)
	}
	wantInt(t, "governance", c.balance(gov.addr), veil(200))

	// A finished but unwithdrawn entry is still in the pool: withdraw promptly.
	c.advance(7 * day)
	c.send(gov, c.registry, regABI.PackSlash(op.addr, 2000, "still caught"))
	wantInt(t, "op", c.withdraw(op, opExit), veil(60))
	wantInt(t, "alice", c.withdraw(alice, aliceExit), veil(180))
	wantInt(t, "bob", c.withdraw(bob, bobExit), veil(240))
	wantInt(t, "registry's tokens", c.balance(c.registry.Address()), bi(0))
}

// TestShareInflationAttack: the first depositor cannot inflate the share price by donating to the registry,
// and no deposit can round to zero shares.
func TestShareInflationAttack(t *testing.T) {
	cfg := defaultConfig()
	cfg.maxSlashBps = 9999
	c := newChain(t, cfg, "attacker", "victim", "tiny")
	attacker, victim, tiny, gov := c.acct("attacker"), c.acct("victim"), c.acct("tiny"), c.acct("gov")

	// The attacker is the relay's first depositor, then sends a fortune straight to the registry.
	c.register(attacker, veil(100), 0)
	c.send(c.acct("deployer"), c.token, tokenABI.PackMint(attacker.addr, veil(1_000_000)))
	c.send(attacker, c.token, tokenABI.PackTransfer(c.registry.Address(), veil(1_000_000)))

	// The victim's small deposit still mints shares one for one and is worth every token.
	c.fund(victim, veil(1), c.registry.Address())
	r := c.send(victim, c.registry, regABI.PackDelegate(attacker.addr, veil(1)))
	if ev := events(r, c.registry.Address(), regABI.UnpackDelegatedEvent); len(ev) != 1 || ev[0].Shares.Cmp(veil(1)) != 0 {
		t.Fatalf("Delegated = %+v", ev)
	}
	wantInt(t, "victim", c.stake(attacker, victim), veil(1))
	wantInt(t, "attacker", c.stake(attacker, attacker), veil(100))
	wantInt(t, "totalStake", c.info(attacker).TotalStake, veil(101))

	// A 1-wei deposit into a fresh relay mints one share.
	c.fund(tiny, veil(100), c.registry.Address())
	c.send(tiny, c.registry, regABI.PackRegister(peerID(tiny), relayURL(tiny), 0, veil(100)))
	c.fund(victim, bi(1), c.registry.Address())
	r = c.send(victim, c.registry, regABI.PackDelegate(tiny.addr, bi(1)))
	if ev := events(r, c.registry.Address(), regABI.UnpackDelegatedEvent); len(ev) != 1 || ev[0].Shares.Cmp(bi(1)) != 0 {
		t.Fatalf("Delegated 1 wei = %+v", ev)
	}
	// Even after slashes push a share's worth to its lowest, 1 wei still buys at least one share: a share is
	// never worth more than a token unit, so there is no tiny deposit that rounds to zero. Nothing is refused
	// as zero shares, but a zero amount is.
	c.send(gov, c.registry, regABI.PackSlash(tiny.addr, 9999, "a"))
	c.send(gov, c.registry, regABI.PackSlash(tiny.addr, 9999, "b"))
	c.fund(victim, bi(1), c.registry.Address())
	r = c.send(victim, c.registry, regABI.PackDelegate(tiny.addr, bi(1)))
	if ev := events(r, c.registry.Address(), regABI.UnpackDelegatedEvent); len(ev) != 1 || ev[0].Shares.Cmp(bi(1)) < 0 {
		t.Fatalf("Delegated 1 wei after slashes = %+v", ev)
	}
	c.wantRevert(victim, c.registry, regABI.PackDelegate(tiny.addr, bi(0)), "ZeroAmount")
	// And the victim cannot take out more than that one unit.
	if s := c.stake(tiny, victim); s.Cmp(bi(1)) > 0 {
		t.Fatalf("1 wei deposited is worth %s", s)
	}
}

func TestActiveSetOrderAndSize(t *testing.T) {
	c := newChain(t, defaultConfig(), "a", "b", "c", "d", "e", "fan")
	a, b, cc, d, e, fan, gov := c.acct("a"), c.acct("b"), c.acct("c"), c.acct("d"), c.acct("e"), c.acct("fan"), c.acct("gov")

	if set := c.activeSet(); len(set.Operators) != 0 {
		t.Fatalf("empty registry's set = %v", set.Operators)
	}
	c.register(a, veil(100), 0)
	c.register(b, veil(300), 0)
	// Fewer eligible relays than the set's size: all of them.
	wantSet(t, c, []*account{b, a}, []*big.Int{veil(300), veil(100)})

	c.delegate(fan, a, veil(400))
	c.register(cc, veil(100), 0)
	c.delegate(fan, cc, veil(400)) // ties with a, registered later
	c.register(d, veil(200), 0)
	c.register(e, veil(100), 0)
	c.delegate(fan, e, veil(5000))
	c.send(gov, c.registry, regABI.PackSlash(e.addr, 1000, "e's own stake falls below the minimum"))
	// e has the most stake but its operator's part (90) is below the minimum; d falls off the end.
	wantSet(t, c, []*account{a, cc, b}, []*big.Int{veil(500), veil(500), veil(300)})

	c.delegate(fan, d, veil(400))
	wantSet(t, c, []*account{d, a, cc}, []*big.Int{veil(600), veil(500), veil(500)})

	// a's operator leaves: a drops out though its delegators stay.
	c.undelegate(a, a, veil(100))
	wantSet(t, c, []*account{d, cc, b}, []*big.Int{veil(600), veil(500), veil(300)})

	// e's operator tops up and is back, first.
	c.delegate(e, e, veil(20))
	wantSet(t, c, []*account{e, d, cc}, []*big.Int{add(veil(4590), veil(20)), veil(600), veil(500)})
}

// wantSet checks activeSet against the operators and stakes expected, in order, with their peer IDs and URLs.
func wantSet(t *testing.T, c *chain, ops []*account, stakes []*big.Int) {
	t.Helper()
	set := c.activeSet()
	if len(set.Operators) != len(ops) || len(set.PeerIds) != len(ops) || len(set.Urls) != len(ops) || len(set.Stakes) != len(ops) {
		t.Fatalf("active set has %d/%d/%d/%d entries, want %d", len(set.Operators), len(set.PeerIds), len(set.Urls), len(set.Stakes), len(ops))
	}
	for i, op := range ops {
		if set.Operators[i] != op.addr || set.PeerIds[i] != peerID(op) || set.Urls[i] != relayURL(op) || set.Stakes[i].Cmp(stakes[i]) != 0 {
			t.Fatalf("active set[%d] = %s %s %s %s, want %s (%s) %s", i, set.Operators[i], set.PeerIds[i], set.Urls[i], set.Stakes[i],
				op.name, op.addr, stakes[i])
		}
	}
}
