package gossip

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		// No ignores. Close waits for this package's goroutines, but
		// memberlist's Shutdown does not wait for its own: a probe in
		// flight finishes its round (up to Timing.ProbeInterval, plus the
		// TCP fallback ping within it) before seeing the stop signal. Wait
		// for them to end, bounded, then let goleak judge.
		waitGossipGoroutines(10 * time.Second)
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// waitGossipGoroutines waits until no goroutine runs serf or memberlist
// code, or until bound passes.
func waitGossipGoroutines(bound time.Duration) {
	buf := make([]byte, 1<<20)
	for start := time.Now(); time.Since(start) < bound; time.Sleep(20 * time.Millisecond) {
		n := runtime.Stack(buf, true)
		if !bytes.Contains(buf[:n], []byte("github.com/hashicorp/memberlist")) && !bytes.Contains(buf[:n], []byte("github.com/hashicorp/serf")) {
			return
		}
	}
}

var testSecret = []byte("correct horse battery staple")

// waitBound only keeps a broken test from hanging; it is never a
// performance assertion.
const waitBound = 60 * time.Second

// waitFor polls cond every 10ms until it holds and returns how long that
// took, failing the test after waitBound.
func waitFor(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < waitBound {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waited %s for %s", waitBound, what)
	return 0
}

// testNode is one gossip member started by a testCluster.
type testNode struct {
	id   string
	g    *Gossip
	port int

	mu     sync.Mutex
	events []Event
	done   chan struct{} // closed when Events is drained and closed
}

func (n *testNode) collect() {
	defer close(n.done)
	for e := range n.g.Events() {
		n.mu.Lock()
		n.events = append(n.events, e)
		n.mu.Unlock()
	}
}

// eventsAbout returns the kinds of events seen about node id, in order.
func (n *testNode) eventsAbout(id string) []EventKind {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []EventKind
	for _, e := range n.events {
		if e.Member.ID == id {
			out = append(out, e.Kind)
		}
	}
	return out
}

// status returns what n thinks of id ("absent" if it does not know it).
func (n *testNode) status(id string) string {
	for _, m := range n.g.Members() {
		if m.ID == id {
			return m.Status.String()
		}
	}
	return "absent"
}

func (n *testNode) member(id string) (Member, bool) {
	for _, m := range n.g.Members() {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// view renders n's member list as "id=status" pairs.
func (n *testNode) view() string {
	var parts []string
	for _, m := range n.g.Members() {
		parts = append(parts, m.ID+"="+m.Status.String())
	}
	return strings.Join(parts, " ")
}

func (n *testNode) close(t testing.TB) {
	t.Helper()
	if err := n.g.Close(); err != nil {
		t.Errorf("close %s: %v", n.id, err)
	}
	<-n.done
}

// testCluster starts gossip nodes on fault transports over loopback.
type testCluster struct {
	t     testing.TB
	net   *faultNet
	nodes map[string]*testNode
}

func newTestCluster(t testing.TB) *testCluster {
	c := &testCluster{t: t, net: newFaultNet(1), nodes: map[string]*testNode{}}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.close(t)
		}
	})
	return c
}

// nodeOpt adjusts a node's Config before Start.
type nodeOpt func(*Config)

func withClusterID(id string) nodeOpt { return func(c *Config) { c.ClusterID = id } }
func withExpect(n int) nodeOpt        { return func(c *Config) { c.BootstrapExpect = n } }
func withSecret(s string) nodeOpt     { return func(c *Config) { c.Secret = []byte(s) } }
func withTiming(tm Timing) nodeOpt    { return func(c *Config) { c.Timing = tm } }
func withLogger(l *slog.Logger) nodeOpt {
	return func(c *Config) { c.Logger = l }
}
func withTags(tags map[string]string) nodeOpt { return func(c *Config) { c.Tags = tags } }

// start starts node id on a fresh port and returns it; it fails the test
// on error.
func (c *testCluster) start(id string, opts ...nodeOpt) *testNode {
	c.t.Helper()
	n, err := c.tryStart(id, 0, opts...)
	if err != nil {
		c.t.Fatalf("start %s: %v", id, err)
	}
	return n
}

// tryStart starts node id on port (0: a fresh one).
func (c *testCluster) tryStart(id string, port int, opts ...nodeOpt) (*testNode, error) {
	tr, err := newFaultTransport(c.net, id, port)
	if err != nil {
		return nil, err
	}
	cfg := Config{
		NodeID:          id,
		Secret:          testSecret,
		ClusterID:       "test",
		BootstrapExpect: 3,
		Tags:            map[string]string{TagRole: RoleVoter},
		Transport:       tr,
	}
	for _, o := range opts {
		o(&cfg)
	}
	g, err := Start(context.Background(), cfg)
	if err != nil {
		_ = tr.Shutdown()
		return nil, err
	}
	n := &testNode{id: id, g: g, port: int(g.Addr().Port()), done: make(chan struct{})}
	go n.collect()
	c.nodes[id] = n
	return n, nil
}

// stop closes node id without leaving (a crash, as peers see it).
func (c *testCluster) stop(id string) {
	c.t.Helper()
	c.nodes[id].close(c.t)
	delete(c.nodes, id)
}

// join makes node from join node to.
func (c *testCluster) join(from, to string) {
	c.t.Helper()
	n, err := c.nodes[from].g.Join(context.Background(), []string{c.nodes[to].g.Addr().String()})
	if err != nil || n != 1 {
		c.t.Fatalf("%s join %s: n=%d err=%v", from, to, n, err)
	}
}

// waitView waits until every observer sees each id in want with that
// status, and returns how long it took.
func (c *testCluster) waitView(observers []string, want map[string]string) time.Duration {
	c.t.Helper()
	return waitFor(c.t, fmt.Sprintf("%v to see %v", observers, want), func() bool {
		for _, o := range observers {
			for id, st := range want {
				if c.nodes[o].status(id) != st {
					return false
				}
			}
		}
		return true
	})
}

// ids returns the ids of the running nodes, sorted.
func (c *testCluster) ids() []string {
	var out []string
	for id := range c.nodes {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// allAlive is a want map of every running node alive.
func (c *testCluster) allAlive() map[string]string {
	want := map[string]string{}
	for id := range c.nodes {
		want[id] = "alive"
	}
	return want
}

// recordingHandler keeps every slog record for assertions.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// count returns how many records have exactly this message.
func (h *recordingHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Message == msg {
			n++
		}
	}
	return n
}
