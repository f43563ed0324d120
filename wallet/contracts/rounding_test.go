package contracts_test

import (
	"fmt"
	"math/big"
	"math/rand"
	"sort"
	"testing"
)

// TestRoundingNeverFavoursTheWithdrawer runs a fixed pseudo-random mix of deposits (of 1 wei up to thousands of
// tokens), partial undelegations, slashes and rewards on one relay, then has everyone leave. Nobody takes out
// more than they put in, every token is accounted for (withdrawn, slashed or still booked to the pool), no
// claim exceeds the rewards paid, and the registry stays able to pay everything it owes.
func TestRoundingNeverFavoursTheWithdrawer(t *testing.T) {
	cfg := defaultConfig()
	cfg.maxSlashBps = 5000
	c := newChain(t, cfg, "op", "d1", "d2", "d3", "payer")
	op, payer, gov := c.acct("op"), c.acct("payer"), c.acct("gov")
	stakers := []*account{op, c.acct("d1"), c.acct("d2"), c.acct("d3")}

	deposited := map[string]*big.Int{}
	withdrawn := map[string]*big.Int{}
	claimed := map[string]*big.Int{}
	for _, a := range stakers {
		deposited[a.name], withdrawn[a.name], claimed[a.name] = new(big.Int), new(big.Int), new(big.Int)
	}
	slashed, rewards := new(big.Int), new(big.Int)
	type pendingEntry struct {
		who *account
		id  *big.Int
	}
	var entries []pendingEntry

	c.register(op, veil(100), 700)
	deposited["op"].Add(deposited["op"], veil(100))

	rng := rand.New(rand.NewSource(62026))
	amount := func() *big.Int {
		switch rng.Intn(3) {
		case 0:
			return big.NewInt(1 + rng.Int63n(1000)) // wei
		case 1:
			return new(big.Int).Add(veil(rng.Int63n(50)), big.NewInt(1+rng.Int63n(1e17)))
		default:
			return new(big.Int).Add(veil(1+rng.Int63n(3000)), big.NewInt(rng.Int63n(1e18)))
		}
	}
	slashes := 0
	for step := range 60 {
		d := stakers[1+rng.Intn(3)]
		switch k := rng.Intn(10); {
		case k < 4:
			a := amount()
			c.delegate(d, op, a)
			deposited[d.name].Add(deposited[d.name], a)
		case k < 7:
			if rng.Intn(4) == 0 {
				d = op
			}
			have := c.stake(op, d)
			if d == op {
				have.Sub(have, veil(100)) // keep the relay's minimum
			}
			if have.Sign() <= 0 {
				continue
			}
			a := new(big.Int).Add(big.NewInt(1), new(big.Int).Rand(rng, have))
			before := c.stake(op, d)
			entries = append(entries, pendingEntry{d, c.undelegate(d, op, a)})
			// The shares burnt are rounded up: what stays is never more than before minus what left.
			if after := c.stake(op, d); after.Cmp(sub(before, a)) > 0 {
				t.Fatalf("step %d: %s had %s, undelegated %s, has %s", step, d.name, before, a, after)
			}
		case k < 8:
			if slashes == 4 {
				continue
			}
			slashes++
			r := c.send(gov, c.registry, regABI.PackSlash(op.addr, uint16(1+rng.Intn(2000)), fmt.Sprint("step ", step)))
			ev := events(r, c.registry.Address(), regABI.UnpackSlashedEvent)[0]
			slashed.Add(slashed, add(ev.BondedSlashed, ev.UnbondingSlashed))
		default:
			a := add(veil(1+rng.Int63n(20)), big.NewInt(rng.Int63n(1e18)))
			c.addRewards(payer, op, a)
			rewards.Add(rewards, a)
		}
		// The delegators' stakes never add up to more than the relay holds.
		sum := new(big.Int)
		for _, a := range stakers {
			sum.Add(sum, c.stake(op, a))
		}
		if total := c.info(op).TotalStake; sum.Cmp(total) > 0 {
			t.Fatalf("step %d: stakes add up to %s, the relay holds %s", step, sum, total)
		}
	}

	// Everyone leaves, the operator last, and takes everything out.
	for _, a := range append(stakers[1:], op) {
		if s := c.stake(op, a); s.Sign() > 0 {
			entries = append(entries, pendingEntry{a, c.undelegate(a, op, s)})
		}
	}
	c.advance(7 * day)
	for _, e := range entries {
		withdrawn[e.who.name].Add(withdrawn[e.who.name], c.withdraw(e.who, e.id))
	}
	for _, a := range stakers {
		claimed[a.name].Add(claimed[a.name], c.claim(a, op))
	}

	totalIn, totalOut, totalClaimed := new(big.Int), new(big.Int), new(big.Int)
	for _, a := range stakers {
		if withdrawn[a.name].Cmp(deposited[a.name]) > 0 {
			t.Errorf("%s deposited %s and withdrew %s", a.name, deposited[a.name], withdrawn[a.name])
		}
		totalIn.Add(totalIn, deposited[a.name])
		totalOut.Add(totalOut, withdrawn[a.name])
		totalClaimed.Add(totalClaimed, claimed[a.name])
	}
	info := c.info(op)
	// Every token staked is withdrawn, slashed or still booked to the relay (rounding dust no share can claim).
	wantInt(t, "deposits", totalIn, add(totalOut, slashed, info.TotalStake))
	if info.TotalStake.Cmp(big.NewInt(int64(len(stakers)))) > 0 {
		t.Errorf("%s wei left in the pool after everyone left", info.TotalStake)
	}
	if totalClaimed.Cmp(rewards) > 0 {
		t.Fatalf("claimed %s of %s rewards", totalClaimed, rewards)
	}
	// What the registry holds is exactly what its books say, and nobody is owed anything more.
	wantInt(t, "registry's tokens", c.balance(c.registry.Address()), add(info.TotalStake, sub(rewards, totalClaimed)))
	for _, a := range stakers {
		wantInt(t, a.name+"'s pending rewards", c.pending(op, a), big.NewInt(0))
	}
	t.Logf("%d slashes; deposited %s, withdrew %s, slashed %s; rewards %s, claimed %s (dust %s)",
		slashes, totalIn, totalOut, slashed, rewards, totalClaimed, sub(rewards, totalClaimed))
}

// TestActiveSetMatchesSorting: activeSet equals sorting every eligible relay by stake (then relayAt index),
// over relays with tied stakes, operators below the minimum, and operators that left.
func TestActiveSetMatchesSorting(t *testing.T) {
	cfg := defaultConfig()
	cfg.activeSetSize = 7
	var names []string
	for i := range 24 {
		names = append(names, fmt.Sprintf("r%02d", i))
	}
	c := newChain(t, cfg, append(names, "fan")...)
	fan, gov := c.acct("fan"), c.acct("gov")
	rng := rand.New(rand.NewSource(77))
	for _, n := range names {
		op := c.acct(n)
		c.register(op, veil([]int64{100, 120, 150}[rng.Intn(3)]), 0)
		if extra := []int64{0, 0, 50, 100, 500}[rng.Intn(5)]; extra > 0 {
			c.delegate(fan, op, veil(extra))
		}
		switch rng.Intn(8) {
		case 0: // the operator leaves, and the relay with it
			c.undelegate(op, op, c.stake(op, op))
		case 1: // slashed: a 100-token operator falls below the minimum
			c.send(gov, c.registry, regABI.PackSlash(op.addr, 1000, "test"))
		}
	}

	type relay struct {
		idx   int
		op    string
		stake *big.Int
	}
	var eligible []relay
	for i := range c.relayCount() {
		addr := call(c, c.registry, regABI.PackRelayAt(big.NewInt(i)), regABI.UnpackRelayAt)
		info := c.info(&account{addr: addr})
		if info.SelfStake.Cmp(cfg.minSelfStake) >= 0 {
			eligible = append(eligible, relay{int(i), addr.Hex(), info.TotalStake})
		}
	}
	sort.SliceStable(eligible, func(i, j int) bool {
		if c := eligible[i].stake.Cmp(eligible[j].stake); c != 0 {
			return c > 0
		}
		return eligible[i].idx < eligible[j].idx
	})
	t.Logf("%d relays listed, %d eligible, active set of %d", c.relayCount(), len(eligible), cfg.activeSetSize)
	if len(eligible) > 7 {
		eligible = eligible[:7]
	}
	set := c.activeSet()
	if len(set.Operators) != len(eligible) {
		t.Fatalf("active set has %d relays, want %d", len(set.Operators), len(eligible))
	}
	for i, want := range eligible {
		if set.Operators[i].Hex() != want.op || set.Stakes[i].Cmp(want.stake) != 0 {
			t.Fatalf("active set[%d] = %s %s, want %s %s", i, set.Operators[i].Hex(), set.Stakes[i], want.op, want.stake)
		}
	}
}
