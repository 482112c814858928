package rpc

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/faultnet"
	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/cluster/transport"
)

var testTiming = cluster.Timing{Heartbeat: 300 * time.Millisecond, Election: 300 * time.Millisecond, LeaderLease: 150 * time.Millisecond, Commit: 10 * time.Millisecond}

// member is one node of a test cluster, wired as the app will wire it:
// one transport for Raft and RPC, followers forwarding to the leader.
type member struct {
	id    string
	trans *transport.Transport
	node  *cluster.Node
}

func startCluster(t testing.TB, netw *faultnet.Network, ids ...string) []*member {
	t.Helper()
	var ms []*member
	var servers []raft.Server
	for _, id := range ids {
		tr := newTransport(t, id, netw)
		ms = append(ms, &member{id: id, trans: tr})
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(id), Address: raft.ServerAddress(tr.Advertise())})
	}
	for _, m := range ms {
		rt, err := m.trans.Raft(transport.RaftOptions{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		n, err := cluster.Open(cluster.Config{NodeID: m.id, DataDir: t.TempDir(), Transport: rt, Bootstrap: servers, Timing: testTiming})
		if err != nil {
			t.Fatal(err)
		}
		m.node = n
		t.Cleanup(func() { n.Close() }) // before the transport's cleanup
		serve(t, m.trans, ServerConfig{}, func(s *Server) {
			HandlePropose(s, n.ProposeEncoded)
			HandleTime(s, time.Now)
		})
		c := newClient(t, m.trans, ClientConfig{})
		n.SetForwarder(Forwarder(c, RaftResolver(n.Raft())))
	}
	return ms
}

// waitLeader polls until exactly one of ms leads and all agree on it.
func waitLeader(t testing.TB, ms []*member) *member {
	t.Helper()
	for range 3000 {
		var leader *member
		leaders := 0
		for _, m := range ms {
			if m.node.IsLeader() {
				leader, leaders = m, leaders+1
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

// waitSame polls until every member holds the state of the first.
func waitSame(t testing.TB, ms []*member) {
	t.Helper()
	for range 3000 {
		want, _ := ms[0].node.FSM().Snapshot()
		same := true
		for _, m := range ms[1:] {
			got, _ := m.node.FSM().Snapshot()
			same = same && bytes.Equal(got, want)
		}
		if same {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("members never converged to the same state")
}

func proposeOn(ctx context.Context, n *cluster.Node, subject string) error {
	res, err := n.Propose(ctx, fsm.TypeNodeEvent, fsm.NodeEvent{Node: subject, Up: true})
	if err != nil {
		return err
	}
	return res.Err
}

func others(ms []*member, not *member) []*member {
	var out []*member
	for _, m := range ms {
		if m != not {
			out = append(out, m)
		}
	}
	return out
}

func TestFollowersForwardProposalsToTheLeader(t *testing.T) {
	ms := startCluster(t, nil, "n1", "n2", "n3")
	leader := waitLeader(t, ms)
	for _, f := range others(ms, leader) {
		if err := proposeOn(ctxT(t), f.node, "from-"+f.id); err != nil {
			t.Fatalf("propose on follower %s: %v", f.id, err)
		}
	}
	waitSame(t, ms)
	nodes := ms[0].node.FSM().Nodes()
	for _, f := range others(ms, leader) {
		if _, ok := nodes["from-"+f.id]; !ok {
			t.Fatalf("proposal of %s missing from the state: %v", f.id, nodes)
		}
	}

	// A refused command keeps its class and text across the forward.
	local, err := leader.node.Propose(ctxT(t), fsm.TypeAck, fsm.Ack{Incident: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	follower := others(ms, leader)[0]
	remote, err := follower.node.Propose(ctxT(t), fsm.TypeAck, fsm.Ack{Incident: "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(remote.Err, fsm.ErrNotFound) || remote.Err.Error() != local.Err.Error() {
		t.Fatalf("forwarded refusal %v, want %v (errors.Is ErrNotFound)", remote.Err, local.Err)
	}
}

func TestPartitionedLeaderIsReplacedAndCatchesUpOnHeal(t *testing.T) {
	netw := faultnet.New()
	ms := startCluster(t, netw, "n1", "n2", "n3")
	old := waitLeader(t, ms)
	if err := proposeOn(ctxT(t), old.node, "before"); err != nil {
		t.Fatal(err)
	}
	waitSame(t, ms)

	netw.Isolate(old.id)
	majority := others(ms, old)
	next := waitLeader(t, majority)
	follower := others(majority, next)[0]
	if err := proposeOn(ctxT(t), follower.node, "during"); err != nil {
		t.Fatalf("majority side cannot commit: %v", err)
	}
	// The isolated node cannot commit anything.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	err := proposeOn(ctx, old.node, "minority")
	cancel()
	if err == nil {
		t.Fatal("an isolated node committed a command")
	}

	netw.Heal()
	waitLeader(t, ms)
	if err := proposeOn(ctxT(t), old.node, "after"); err != nil {
		t.Fatalf("propose on the healed node: %v", err)
	}
	waitSame(t, ms)
	nodes := old.node.FSM().Nodes()
	for _, s := range []string{"before", "during", "after"} {
		if _, ok := nodes[s]; !ok {
			t.Errorf("%q missing after heal: %v", s, nodes)
		}
	}
	if _, ok := nodes["minority"]; ok {
		t.Error("the uncommitted minority command survived the heal")
	}
}
