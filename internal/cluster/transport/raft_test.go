package transport

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/fsm"
)

// testTiming elects quickly on loopback yet tolerates -race on 2 cores.
var testTiming = cluster.Timing{Heartbeat: 300 * time.Millisecond, Election: 300 * time.Millisecond, LeaderLease: 150 * time.Millisecond, Commit: 10 * time.Millisecond}

type raftMember struct {
	id    string
	trans *testNode
	node  *cluster.Node
}

// startRaftCluster runs len(ids) nodes bootstrapped together over real
// transports.
func startRaftCluster(t testing.TB, ids ...string) []*raftMember {
	t.Helper()
	var ms []*raftMember
	var servers []raft.Server
	for _, id := range ids {
		tn := listenNodeTB(t, id, testSecret)
		ms = append(ms, &raftMember{id: id, trans: tn})
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(id), Address: raft.ServerAddress(tn.Advertise())})
	}
	for _, m := range ms {
		rt, err := m.trans.Raft(RaftOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n, err := cluster.Open(cluster.Config{NodeID: m.id, DataDir: t.TempDir(), Transport: rt, Bootstrap: servers, Timing: testTiming})
		if err != nil {
			t.Fatal(err)
		}
		m.node = n
		t.Cleanup(func() { n.Close() })
	}
	return ms
}

func listenNodeTB(t testing.TB, id string, secret []byte) *testNode {
	t.Helper()
	sink := &logSink{}
	tr, err := Listen(Config{NodeID: id, Secret: secret, Bind: "127.0.0.1:0", Logger: slog.New(sink)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return &testNode{Transport: tr, logs: sink}
}

// waitLeader polls until exactly one of ms leads and all of them agree on
// it, and returns it.
func waitLeader(t testing.TB, ms []*raftMember) *raftMember {
	t.Helper()
	for range 2000 {
		var leader *raftMember
		leaders := 0
		for _, m := range ms {
			if m.node.IsLeader() {
				leader = m
				leaders++
			}
		}
		agree := leaders == 1
		for _, m := range ms {
			agree = agree && m.node.Leader() == leader.id
		}
		if agree {
			return leader
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no single leader agreed on by %d nodes", len(ms))
	return nil
}

// waitReplicated polls until every member applied what from applied and
// holds the same state.
func waitReplicated(t testing.TB, from *raftMember, ms []*raftMember) {
	t.Helper()
	want := from.node.FSM().Applied()
	wantSnap, err := from.node.FSM().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for i := 0; m.node.FSM().Applied() < want; i++ {
			if i > 2000 {
				t.Fatalf("%s applied %d, want %d", m.id, m.node.FSM().Applied(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
		got, err := m.node.FSM().Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if m.node.FSM().Applied() == want && !bytes.Equal(got, wantSnap) {
			t.Fatalf("%s's state differs from %s's at index %d", m.id, from.id, want)
		}
	}
}

func propose(t testing.TB, n *cluster.Node, subject string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := n.Propose(ctx, fsm.TypeNodeEvent, fsm.NodeEvent{Node: subject, Up: true})
	if err != nil || res.Err != nil {
		t.Fatalf("propose on %s: %v / %v", n.ID(), err, res.Err)
	}
}

func TestRaftOverTransportElectsReplicatesAndFailsOver(t *testing.T) {
	ms := startRaftCluster(t, "n1", "n2", "n3")
	leader := waitLeader(t, ms)
	for i := range 5 {
		propose(t, leader.node, fmt.Sprintf("subject-%d", i))
	}
	waitReplicated(t, leader, ms)
	if got := len(ms[0].node.FSM().Nodes()); got != 5 {
		t.Fatalf("replicated state has %d nodes, want 5", got)
	}

	// Cut the leader off by closing its whole transport: the others elect
	// a new leader and keep committing.
	if err := leader.trans.Close(); err != nil {
		t.Fatal(err)
	}
	var rest []*raftMember
	for _, m := range ms {
		if m != leader {
			rest = append(rest, m)
		}
	}
	next := waitLeader(t, rest)
	if next == leader {
		t.Fatal("the cut-off leader is still leading")
	}
	propose(t, next.node, "after-failover")
	waitReplicated(t, next, rest)
	if _, ok := rest[0].node.FSM().Nodes()["after-failover"]; !ok {
		t.Fatal("command committed after failover is missing")
	}
	if _, ok := leader.node.FSM().Nodes()["after-failover"]; ok {
		t.Fatal("the cut-off node applied a command it could not have received")
	}
}

// BenchmarkRaftApply measures commands committed per second by a 3-node
// cluster over the transport (TLS on loopback, bolt log fsynced), with 1,
// 16 and 64 concurrent proposers on the leader (raft batches what is
// queued while the previous batch is written).
func BenchmarkRaftApply(b *testing.B) {
	for _, proposers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("proposers=%d", proposers), func(b *testing.B) {
			ms := startRaftCluster(b, "n1", "n2", "n3")
			leader := waitLeader(b, ms)
			cmd := fsm.NodeEvent{Node: "bench", Up: true}
			b.SetParallelism(max(proposers/runtime.GOMAXPROCS(0), 1))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := leader.node.Propose(ctx, fsm.TypeNodeEvent, cmd); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmds/s")
		})
	}
}
