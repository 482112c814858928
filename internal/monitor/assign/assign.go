// Package assign decides which nodes check which monitor: rendezvous
// (highest-random-weight) hashing of monitors onto live, label-matching
// members. Every node computes it locally from the same inputs — the
// replicated monitor list and gossip membership — so no coordination is
// needed, and when a member joins or leaves only the monitors it owned (or
// will own) move.
package assign

import (
	"sort"
	"time"
)

// Member is a node that can check monitors.
type Member struct {
	ID     string
	Labels map[string]string
}

// Matches reports whether m carries every label of selector.
func (m Member) Matches(selector map[string]string) bool {
	for k, v := range selector {
		if m.Labels[k] != v {
			return false
		}
	}
	return true
}

// DefaultVantage is how many nodes check a monitor when it does not say.
const DefaultVantage = 3

// Vantage is the effective number of checkers for a monitor asking for v
// (0: DefaultVantage) when eligible members match it: never more than
// eligible, and at least 1 while any member is eligible.
func Vantage(v, eligible int) int {
	if v <= 0 {
		v = DefaultVantage
	}
	return max(0, min(v, eligible))
}

// Confirm is the effective number of checkers that must see a monitor fail
// before it pages, for a monitor asking for c (0: a majority of vantage) with
// vantage effective checkers. It is capped at vantage so an outage is never
// unconfirmable because nodes died, and is at least 1.
func Confirm(c, vantage int) int {
	if c <= 0 {
		c = vantage/2 + 1
	}
	return max(1, min(c, vantage))
}

// Owners returns the n members (best first) that check the monitor key
// among those matching selector: the members with the highest rendezvous
// score for the key. Deterministic for the same inputs in any order.
func Owners(key string, selector map[string]string, members []Member, n int) []string {
	if n <= 0 {
		return nil
	}
	type scored struct {
		id    string
		score uint64
	}
	var cands []scored
	kh := hashString(fnvOffset, key)
	for _, m := range members {
		if !m.Matches(selector) {
			continue
		}
		cands = append(cands, scored{m.ID, mix(hashString(kh^0x9e3779b97f4a7c15, m.ID))})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].id < cands[j].id
	})
	if n > len(cands) {
		n = len(cands)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = cands[i].id
	}
	return out
}

// Offset is the phase shift of the i-th of k checkers of a monitor, so the
// k checks are spread evenly and the monitor is looked at every interval/k
// somewhere.
func Offset(interval time.Duration, i, k int) time.Duration {
	if k <= 1 || i <= 0 {
		return 0
	}
	return time.Duration(int64(interval) / int64(k) * int64(i%k))
}

// Plan is one node's share of the work.
type Plan struct {
	Key     string
	Offset  time.Duration
	Vantage int // effective checkers of the monitor
	Confirm int // effective confirmations needed
	Owners  []string
}

// Monitor is what the assignment needs of a monitor.
type Monitor struct {
	Key      string
	Interval time.Duration
	Vantage  int
	Confirm  int
	Selector map[string]string
}

// For returns the monitors node self checks, with their offsets and
// effective vantage/confirm, in the order of monitors.
func For(self string, monitors []Monitor, members []Member) []Plan {
	var out []Plan
	for _, m := range monitors {
		eligible := 0
		for _, mem := range members {
			if mem.Matches(m.Selector) {
				eligible++
			}
		}
		v := Vantage(m.Vantage, eligible)
		owners := Owners(m.Key, m.Selector, members, v)
		for i, id := range owners {
			if id == self {
				out = append(out, Plan{Key: m.Key, Offset: Offset(m.Interval, i, len(owners)),
					Vantage: v, Confirm: Confirm(m.Confirm, v), Owners: owners})
				break
			}
		}
	}
	return out
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// mix is the splitmix64 finaliser: FNV alone scores similar ids too
// similarly to spread load evenly.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
