package assign

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func members(ids ...string) []Member {
	out := make([]Member, len(ids))
	for i, id := range ids {
		out[i] = Member{ID: id}
	}
	return out
}

func TestVantageConfirm(t *testing.T) {
	for _, tc := range []struct{ v, eligible, c, wantV, wantC int }{
		{0, 1, 0, 1, 1}, // single node
		{0, 3, 0, 3, 2}, // default cluster: 2 of 3
		{0, 5, 0, 3, 2}, // vantage defaults to 3 even with 5 nodes
		{5, 5, 0, 5, 3}, // majority of 5
		{3, 2, 0, 2, 2}, // a node died: both remaining must agree
		{3, 3, 3, 3, 3}, // all must agree
		{3, 2, 3, 2, 2}, // confirm capped at vantage: an outage stays confirmable
		{2, 3, 1, 2, 1}, // any one of two
		{0, 0, 0, 0, 1}, // nobody eligible
	} {
		v := Vantage(tc.v, tc.eligible)
		if c := Confirm(tc.c, v); v != tc.wantV || c != tc.wantC {
			t.Errorf("vantage %d/%d eligible, confirm %d: got %d/%d, want %d/%d", tc.v, tc.eligible, tc.c, v, c, tc.wantV, tc.wantC)
		}
	}
}

func TestOwnersRespectSelectorsAndCount(t *testing.T) {
	ms := []Member{
		{ID: "n1", Labels: map[string]string{"region": "eu"}},
		{ID: "n2", Labels: map[string]string{"region": "us"}},
		{ID: "n3", Labels: map[string]string{"region": "eu", "env": "prod"}},
	}
	if got := Owners("k", map[string]string{"region": "eu"}, ms, 3); !slices.Equal(sorted(got), []string{"n1", "n3"}) {
		t.Fatalf("eu owners %v", got)
	}
	if got := Owners("k", map[string]string{"region": "eu", "env": "prod"}, ms, 3); !slices.Equal(got, []string{"n3"}) {
		t.Fatalf("eu+prod owners %v", got)
	}
	if got := Owners("k", map[string]string{"region": "ap"}, ms, 3); len(got) != 0 {
		t.Fatalf("no member matches, got %v", got)
	}
	if got := Owners("k", nil, ms, 2); len(got) != 2 {
		t.Fatalf("want 2 owners, got %v", got)
	}
}

func TestOffsetsSpreadChecks(t *testing.T) {
	for i, want := range []time.Duration{0, 20 * time.Second, 40 * time.Second} {
		if got := Offset(time.Minute, i, 3); got != want {
			t.Errorf("offset %d of 3 = %s, want %s", i, got, want)
		}
	}
	if got := Offset(time.Minute, 0, 1); got != 0 {
		t.Errorf("single checker offset %s", got)
	}
}

func TestForGivesEachMonitorItsVantage(t *testing.T) {
	ms := members("n1", "n2", "n3", "n4", "n5")
	var mons []Monitor
	for i := range 500 {
		mons = append(mons, Monitor{Key: fmt.Sprintf("m%d", i), Interval: time.Minute})
	}
	count := map[string]int{}
	perNode := map[string]int{}
	for _, self := range []string{"n1", "n2", "n3", "n4", "n5"} {
		for _, p := range For(self, mons, ms) {
			count[p.Key]++
			perNode[self]++
			if p.Vantage != 3 || p.Confirm != 2 {
				t.Fatalf("%s: vantage/confirm %d/%d", p.Key, p.Vantage, p.Confirm)
			}
		}
	}
	for _, m := range mons {
		if count[m.Key] != 3 {
			t.Fatalf("%s checked by %d nodes, want 3", m.Key, count[m.Key])
		}
	}
	// 1500 checks over 5 nodes: each should carry roughly 300.
	for n, c := range perNode {
		if c < 240 || c > 360 {
			t.Errorf("%s carries %d of 1500 checks; rendezvous should balance to ~300", n, c)
		}
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// Properties: deterministic under reordering; removing a member moves only
// the monitors it owned; owners are distinct and matching.
func TestOwnersProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 7).Draw(t, "members")
		var ms []Member
		for i := range n {
			labels := map[string]string{}
			if rapid.Bool().Draw(t, fmt.Sprintf("eu%d", i)) {
				labels["region"] = "eu"
			}
			ms = append(ms, Member{ID: fmt.Sprintf("n%d", i), Labels: labels})
		}
		key := rapid.StringMatching(`[a-z_]{1,12}`).Draw(t, "key")
		var sel map[string]string
		if rapid.Bool().Draw(t, "selector") {
			sel = map[string]string{"region": "eu"}
		}
		k := rapid.IntRange(1, 5).Draw(t, "k")
		got := Owners(key, sel, ms, k)

		shuffled := slices.Clone(ms)
		slices.Reverse(shuffled)
		if !slices.Equal(got, Owners(key, sel, shuffled, k)) {
			t.Fatalf("owners depend on member order")
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("owner %s twice", id)
			}
			seen[id] = true
		}
		for _, m := range ms {
			if seen[m.ID] && !m.Matches(sel) {
				t.Fatalf("owner %s does not match the selector", m.ID)
			}
		}
		// Remove one member: the others keep their rank order, and the
		// survivors among the old owners stay owners.
		gone := rapid.IntRange(0, n-1).Draw(t, "gone")
		rest := slices.Delete(slices.Clone(ms), gone, gone+1)
		after := Owners(key, sel, rest, k)
		for _, id := range got {
			if id == ms[gone].ID {
				continue
			}
			if !slices.Contains(after, id) {
				t.Fatalf("owner %s lost the monitor when %s left: %v -> %v", id, ms[gone].ID, got, after)
			}
		}
	})
}

func BenchmarkFor10k(b *testing.B) {
	ms := members("n1", "n2", "n3")
	mons := make([]Monitor, 10000)
	for i := range mons {
		mons[i] = Monitor{Key: fmt.Sprintf("group_monitor-%d", i), Interval: time.Minute}
	}
	b.ReportAllocs()
	for b.Loop() {
		For("n1", mons, ms)
	}
}
