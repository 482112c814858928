package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// inmemCluster is three nodes on raft's in-memory transport, fully
// connected; a test cuts links with partition.
type inmemCluster struct {
	nodes map[string]*Node
	trans map[string]*raft.InmemTransport
}

func newInmemCluster(t *testing.T, ids ...string) *inmemCluster {
	t.Helper()
	c := &inmemCluster{nodes: map[string]*Node{}, trans: map[string]*raft.InmemTransport{}}
	var servers []raft.Server
	for _, id := range ids {
		_, tr := raft.NewInmemTransport(raft.ServerAddress(id))
		c.trans[id] = tr
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(id), Address: raft.ServerAddress(id)})
	}
	for _, a := range ids {
		for _, b := range ids {
			if a != b {
				c.trans[a].Connect(raft.ServerAddress(b), c.trans[b])
			}
		}
	}
	fast := Timing{Heartbeat: 200 * time.Millisecond, Election: 200 * time.Millisecond, LeaderLease: 100 * time.Millisecond, Commit: 10 * time.Millisecond}
	for _, id := range ids {
		n, err := Open(Config{NodeID: id, DataDir: t.TempDir(), Transport: c.trans[id], Bootstrap: servers, Timing: fast})
		if err != nil {
			t.Fatal(err)
		}
		c.nodes[id] = n
	}
	t.Cleanup(func() {
		for _, n := range c.nodes {
			n.Close()
		}
	})
	return c
}

// leader waits (at most 10 s) for a leader all connected nodes agree on.
func (c *inmemCluster) leader(t *testing.T, among ...string) *Node {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, id := range among {
			if n := c.nodes[id]; n.IsLeader() {
				return n
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no leader among %v within 10s", among)
	return nil
}

// isolate cuts every link of id, both ways.
func (c *inmemCluster) isolate(id string) {
	for other, tr := range c.trans {
		if other != id {
			tr.Disconnect(raft.ServerAddress(id))
			c.trans[id].Disconnect(raft.ServerAddress(other))
		}
	}
}

func webMonitor(t *testing.T, key, url string) *monitor.Spec {
	t.Helper()
	cond, err := condition.Parse("[STATUS] == 200")
	if err != nil {
		t.Fatal(err)
	}
	return &monitor.Spec{Key: key, Name: key, Kind: monitor.KindHTTP, URL: url, Interval: time.Minute,
		Conditions: []*condition.Condition{cond}, Enabled: true, Origin: "api"}
}

func TestReadIndexMakesFollowerReadsLinearizable(t *testing.T) {
	ids := []string{"a", "b", "c"}
	c := newInmemCluster(t, ids...)
	leader := c.leader(t, ids...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var followers []*Node
	for _, id := range ids {
		if id != leader.ID() {
			followers = append(followers, c.nodes[id])
		}
	}
	for i := range 50 {
		url := fmt.Sprintf("http://127.0.0.1:1/v%d", i)
		res, err := leader.Propose(ctx, fsm.TypePutMonitor, fsm.PutMonitor{Spec: webMonitor(t, "k", url), Create: i == 0})
		if err != nil || res.Err != nil {
			t.Fatalf("write %d: %v / %v", i, err, res.Err)
		}
		// The write is acknowledged: a read through any follower that
		// first waits for the read index must see it.
		f := followers[i%len(followers)]
		idx, err := leader.ReadIndex(ctx)
		if err != nil {
			t.Fatalf("read index after write %d: %v", i, err)
		}
		if err := f.WaitApplied(ctx, idx); err != nil {
			t.Fatal(err)
		}
		if m, ok := f.FSM().Monitor("k"); !ok || m.URL != url {
			t.Fatalf("read %d on %s after the read index: got %+v, want url %s", i, f.ID(), m, url)
		}
	}

	if _, err := followers[0].ReadIndex(ctx); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a follower's read index: err %v, want ErrNotLeader", err)
	}

	// A leader cut off from its quorum must not hand out a read index:
	// the majority may have acknowledged writes it does not have.
	c.isolate(leader.ID())
	sctx, scancel := context.WithTimeout(ctx, 3*time.Second)
	defer scancel()
	if idx, err := leader.ReadIndex(sctx); err == nil {
		t.Errorf("isolated old leader answered read index %d", idx)
	}

	// The new leader (of the majority) answers, after its first barrier,
	// with an index covering the old leader's writes.
	var rest []string
	for _, f := range followers {
		rest = append(rest, f.ID())
	}
	nl := c.leader(t, rest...)
	idx, err := nl.ReadIndex(ctx)
	if err != nil {
		t.Fatalf("new leader's read index: %v", err)
	}
	if m, ok := nl.FSM().Monitor("k"); !ok || m.URL != "http://127.0.0.1:1/v49" || nl.FSM().Applied() < idx {
		t.Fatalf("new leader after its barrier: monitor %+v, applied %d < read index %d", m, nl.FSM().Applied(), idx)
	}

	wctx, wcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer wcancel()
	if err := nl.WaitApplied(wctx, idx+1000); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for an index never reached: err %v, want a deadline", err)
	}
}
