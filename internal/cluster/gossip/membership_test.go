package gossip

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestJoinInAnyOrder(t *testing.T) {
	tests := []struct {
		name  string
		joins [][2]string // {from, to}, in order
	}{
		{"star", [][2]string{{"n2", "n1"}, {"n3", "n1"}, {"n4", "n1"}}},
		{"chain", [][2]string{{"n2", "n1"}, {"n3", "n2"}, {"n4", "n3"}}},
		{"reverse chain", [][2]string{{"n3", "n4"}, {"n2", "n3"}, {"n1", "n2"}}},
		{"two pairs merged", [][2]string{{"n2", "n1"}, {"n4", "n3"}, {"n3", "n2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCluster(t)
			for _, id := range []string{"n1", "n2", "n3", "n4"} {
				c.start(id)
			}
			for _, j := range tt.joins {
				c.join(j[0], j[1])
			}
			took := c.waitView(c.ids(), c.allAlive())
			t.Logf("4 members converged %s after the last join", took)
			for _, id := range c.ids() {
				var got []string
				for _, m := range c.nodes[id].g.Members() {
					got = append(got, m.ID)
				}
				if want := []string{"n1", "n2", "n3", "n4"}; !slices.Equal(got, want) {
					t.Errorf("%s members = %v, want %v (sorted by id)", id, got, want)
				}
			}
		})
	}
}

// TestRealTransport runs the production path: memberlist's own UDP/TCP
// transport on Bind, joining through Config.Join.
func TestRealTransport(t *testing.T) {
	var nodes []*Gossip
	t.Cleanup(func() {
		for _, g := range nodes {
			if err := g.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	var join []string
	for _, id := range []string{"a", "b", "c"} {
		g, err := Start(context.Background(), Config{
			NodeID: id, Bind: "127.0.0.1:0", Secret: testSecret, ClusterID: "real", BootstrapExpect: 3,
			Tags: map[string]string{TagRPCAddr: "127.0.0.1:7380", LabelPrefix + "region": "eu"}, Join: join,
		})
		if err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
		nodes = append(nodes, g)
		if got := g.Addr().Addr(); got != netip.MustParseAddr("127.0.0.1") {
			t.Fatalf("%s advertises %s, want 127.0.0.1", id, got)
		}
		join = []string{g.Addr().String()}
	}
	waitFor(t, "all three alive everywhere", func() bool {
		for _, g := range nodes {
			ms := g.Members()
			if len(ms) != 3 || slices.ContainsFunc(ms, func(m Member) bool { return m.Status != StatusAlive }) {
				return false
			}
		}
		return true
	})
	want := Member{ID: "b", Addr: nodes[1].Addr(), Status: StatusAlive,
		Tags: map[string]string{TagRPCAddr: "127.0.0.1:7380", "l:region": "eu"}}
	if diff := cmp.Diff(want, nodes[0].Members()[1], cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
		t.Errorf("a's view of b (-want +got):\n%s", diff)
	}
	if got := nodes[2].ID(); got != "c" {
		t.Errorf("ID() = %q, want c", got)
	}
}

// threeNodes starts n1..n3 joined through n1 and waits until all are alive.
func threeNodes(t testing.TB, opts ...nodeOpt) *testCluster {
	t.Helper()
	c := newTestCluster(t)
	for _, id := range []string{"n1", "n2", "n3"} {
		c.start(id, opts...)
	}
	c.join("n2", "n1")
	c.join("n3", "n1")
	c.waitView(c.ids(), c.allAlive())
	return c
}

func TestFailureDetection(t *testing.T) {
	t.Parallel()
	c := threeNodes(t)
	c.stop("n3")
	took := c.waitView([]string{"n1", "n2"}, map[string]string{"n1": "alive", "n2": "alive", "n3": "failed"})
	t.Logf("stopped member declared failed by both survivors after %s (since Close)", took)
	for _, o := range []string{"n1", "n2"} {
		if got, want := c.nodes[o].eventsAbout("n3"), []EventKind{EventJoin, EventFail}; !slices.Equal(got, want) {
			t.Errorf("%s events about n3 = %v, want %v", o, got, want)
		}
	}
}

func TestPartitionAndHeal(t *testing.T) {
	t.Parallel()
	c := threeNodes(t)
	c.net.partition([]string{"n1", "n2"}, []string{"n3"})
	took := c.waitView([]string{"n1", "n2"}, map[string]string{"n1": "alive", "n2": "alive", "n3": "failed"})
	t.Logf("majority side saw n3 failed after %s", took)
	took = c.waitView([]string{"n3"}, map[string]string{"n1": "failed", "n2": "failed", "n3": "alive"})
	t.Logf("minority side saw n1, n2 failed after %s", took)

	c.net.heal()
	took = c.waitView(c.ids(), c.allAlive())
	t.Logf("all alive again everywhere %s after heal", took)
	if got, want := c.nodes["n1"].eventsAbout("n3"), []EventKind{EventJoin, EventFail, EventJoin}; !slices.Equal(got, want) {
		t.Errorf("n1 events about n3 = %v, want %v", got, want)
	}
	if got, want := c.nodes["n3"].eventsAbout("n1"), []EventKind{EventJoin, EventFail, EventJoin}; !slices.Equal(got, want) {
		t.Errorf("n3 events about n1 = %v, want %v", got, want)
	}
}

func TestRejoinAfterRestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		samePort    bool // production: the same gossip address after restart
		waitFailure bool // restart after peers declared the old one failed
	}{
		{"same address after failure", true, true},
		{"same address at once", true, false},
		{"new address after failure", false, true},
		{"new address at once", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := threeNodes(t)
			oldPort := c.nodes["n2"].port
			c.stop("n2")
			if tt.waitFailure {
				c.waitView([]string{"n1", "n3"}, map[string]string{"n2": "failed"})
			}
			port := 0
			if tt.samePort {
				port = oldPort
			}
			restarted := time.Now()
			n2, err := c.tryStart("n2", port, withTags(map[string]string{TagVersion: "2"}))
			if err != nil {
				t.Fatalf("restart n2: %v", err)
			}
			if tt.samePort != (n2.port == oldPort) {
				t.Fatalf("restarted n2 on port %d, old port %d, same wanted: %v", n2.port, oldPort, tt.samePort)
			}
			c.join("n2", "n1")
			waitFor(t, "n1 and n3 to see the restarted n2", func() bool {
				for _, o := range []string{"n1", "n3"} {
					m, ok := c.nodes[o].member("n2")
					if !ok || m.Status != StatusAlive || m.Addr != n2.g.Addr() || m.Tags[TagVersion] != "2" {
						return false
					}
				}
				return true
			})
			t.Logf("restarted n2 (port reused: %v) alive at its new incarnation everywhere %s after restart", tt.samePort, time.Since(restarted))
			c.waitView(c.ids(), c.allAlive())
			for _, id := range c.ids() {
				if got := len(c.nodes[id].g.Members()); got != 3 {
					t.Errorf("%s knows %d members, want 3: %s", id, got, c.nodes[id].view())
				}
			}
		})
	}
}

// quickTiming shortens detection for tests about semantics, not timing.
func quickTiming() Timing {
	return Timing{ProbeInterval: 100 * time.Millisecond, ProbeTimeout: 50 * time.Millisecond,
		GossipInterval: 20 * time.Millisecond, LeavePropagateDelay: 200 * time.Millisecond}
}

func TestGracefulLeave(t *testing.T) {
	t.Parallel()
	tm := quickTiming()
	c := threeNodes(t, withTiming(tm))
	if err := c.nodes["n3"].g.Leave(context.Background()); err != nil {
		t.Fatalf("leave: %v", err)
	}
	took := c.waitView([]string{"n1", "n2"}, map[string]string{"n3": "left"})
	t.Logf("survivors saw n3 left %s after Leave returned", took)
	c.stop("n3")
	// A left node that then stops must stay left, never turn failed: give
	// failure detection twice its longest time to (wrongly) act.
	full, _ := tm.withDefaults()
	time.Sleep(2 * full.ProbeInterval * time.Duration(2+full.SuspicionMult*full.SuspicionMaxTimeoutMult))
	for _, o := range []string{"n1", "n2"} {
		if got := c.nodes[o].status("n3"); got != "left" {
			t.Errorf("%s sees n3 %s, want left", o, got)
		}
		if got, want := c.nodes[o].eventsAbout("n3"), []EventKind{EventJoin, EventLeave}; !slices.Equal(got, want) {
			t.Errorf("%s events about n3 = %v, want %v", o, got, want)
		}
	}
}

func TestTagsUpdatePropagates(t *testing.T) {
	t.Parallel()
	c := threeNodes(t)
	tags := map[string]string{TagRole: RoleNonVoter, TagRPCAddr: "10.0.0.2:7380", LabelPrefix + "region": "eu"}
	if err := c.nodes["n2"].g.SetTags(context.Background(), tags); err != nil {
		t.Fatalf("set tags: %v", err)
	}
	took := waitFor(t, "n1 and n3 to see n2's new tags", func() bool {
		for _, o := range []string{"n1", "n3"} {
			m, _ := c.nodes[o].member("n2")
			if !cmp.Equal(m.Tags, tags) {
				return false
			}
		}
		return true
	})
	t.Logf("tag update visible on both peers after %s", took)
	for _, o := range []string{"n1", "n3"} {
		if got := c.nodes[o].eventsAbout("n2"); !slices.Contains(got, EventUpdate) {
			t.Errorf("%s events about n2 = %v, want an update", o, got)
		}
	}
	if err := c.nodes["n2"].g.SetTags(context.Background(), map[string]string{TagClusterID: "x"}); err == nil {
		t.Error("SetTags with the reserved cluster tag succeeded")
	}
}

func TestReap(t *testing.T) {
	t.Parallel()
	fast := quickTiming()
	fast.ReconnectTimeout = 500 * time.Millisecond
	fast.TombstoneTimeout = 500 * time.Millisecond
	fast.ReapInterval = 100 * time.Millisecond
	c := threeNodes(t, withTiming(fast))
	if err := c.nodes["n2"].g.Leave(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.stop("n2")
	c.stop("n3")
	waitFor(t, "n1 to forget n2 and n3", func() bool { return len(c.nodes["n1"].g.Members()) == 1 })
	if got, want := c.nodes["n1"].eventsAbout("n2"), []EventKind{EventJoin, EventLeave, EventReap}; !slices.Equal(got, want) {
		t.Errorf("events about n2 (left) = %v, want %v", got, want)
	}
	if got, want := c.nodes["n1"].eventsAbout("n3"), []EventKind{EventJoin, EventFail, EventReap}; !slices.Equal(got, want) {
		t.Errorf("events about n3 (failed) = %v, want %v", got, want)
	}
}

// TestSlowConsumerNeverBlocksSerf leaves Events unread: membership must
// still converge, and the drops must be counted.
func TestSlowConsumerNeverBlocksSerf(t *testing.T) {
	c := newTestCluster(t)
	tr, err := newFaultTransport(c.net, "lazy", 0)
	if err != nil {
		t.Fatal(err)
	}
	lazy, err := Start(context.Background(), Config{NodeID: "lazy", Secret: testSecret, ClusterID: "test", BootstrapExpect: 3, Transport: tr, EventBuffer: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := lazy.Close(); err != nil {
			t.Error(err)
		}
	}()
	for _, id := range []string{"n1", "n2", "n3", "n4"} {
		c.start(id)
		if _, err := lazy.Join(context.Background(), []string{c.nodes[id].g.Addr().String()}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "lazy to see 5 alive members", func() bool {
		ms := lazy.Members()
		return len(ms) == 5 && !slices.ContainsFunc(ms, func(m Member) bool { return m.Status != StatusAlive })
	})
	// Own join filled the single slot; the four peers' joins were dropped.
	waitFor(t, "the last join event to pass the pump", func() bool { return lazy.Stats().EventsDropped >= 4 })
	if got := lazy.Stats().EventsDropped; got != 4 {
		t.Errorf("EventsDropped = %d, want 4", got)
	}
}

// TestLossAndDelay runs a cluster over a lossy, slow network: no member
// may be declared failed by mistake, and a stopped one is still detected.
func TestLossAndDelay(t *testing.T) {
	t.Parallel()
	c := threeNodes(t)
	c.net.setLoss(0.1)
	c.net.setDelay(20 * time.Millisecond)
	// Watch for 8 probe rounds per node.
	rounds := 8 * DefaultTiming().ProbeInterval
	deadline := time.Now().Add(rounds)
	for time.Now().Before(deadline) {
		for _, id := range c.ids() {
			for _, m := range c.nodes[id].g.Members() {
				if m.Status != StatusAlive {
					t.Fatalf("%s sees %s %s under 10%% loss and 20ms delay", id, m.ID, m.Status)
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.net.mu.Lock()
	dropped := c.net.dropped
	c.net.mu.Unlock()
	if dropped == 0 {
		t.Fatal("the fault network dropped no packet")
	}
	c.stop("n3")
	took := c.waitView([]string{"n1", "n2"}, map[string]string{"n3": "failed"})
	t.Logf("%d packets dropped; under loss and delay a stopped member was declared failed after %s", dropped, took)
}
