package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
	"github.com/custodes/custodes/internal/monitor/incident"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func openSingle(t *testing.T, dir string) *Node {
	t.Helper()
	n, err := Open(Config{NodeID: "n1", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSingleNodeSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	n := openSingle(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, _ := condition.Parse("[STATUS] == 200")
	spec := &monitor.Spec{Key: "g_api", Name: "api", Group: "g", Kind: monitor.KindHTTP, URL: "http://127.0.0.1:1/",
		Conditions: []*condition.Condition{c}, Enabled: true, Interval: time.Minute,
		Alerts: []monitor.Alert{{Type: "webhook", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1}}}
	decl := fsm.DeclareConfig{Node: "n1", Hash: "h1", Declared: &fsm.Declared{
		Monitors: []*monitor.Spec{spec}, Providers: map[string]string{"webhook": "url: http://127.0.0.1:9/\n"}}}
	if res, err := n.Propose(ctx, fsm.TypeDeclareConfig, decl); err != nil || res.Err != nil {
		t.Fatalf("declare: %v / %v", err, res.Err)
	}
	obs := fsm.Observe{Observations: []incident.Observed{{Monitor: "g_api", Node: "n1", Success: false, Streak: 1, Confirm: 1}}}
	if res, err := n.Propose(ctx, fsm.TypeObserve, obs); err != nil || res.Err != nil {
		t.Fatalf("observe: %v / %v", err, res.Err)
	}
	if res, _ := n.Propose(ctx, fsm.TypeAck, fsm.Ack{Incident: "nope"}); !errors.Is(res.Err, fsm.ErrNotFound) {
		t.Fatalf("ack of an unknown incident: %v", res.Err)
	}
	pending := n.FSM().Pending()
	if len(pending) != 1 {
		t.Fatalf("pending = %+v, want one triggered", pending)
	}
	if err := n.VerifyLeader(ctx); err != nil {
		t.Fatalf("single node is not leader: %v", err)
	}
	before, _ := n.FSM().Snapshot()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}

	n = openSingle(t, dir)
	defer n.Close()
	if err := n.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := n.FSM().Snapshot()
	if string(before) != string(after) {
		t.Fatalf("state after restart differs:\nbefore %s\nafter  %s", before, after)
	}
	if p := n.FSM().Pending(); len(p) != 1 || p[0].Key != pending[0].Key {
		t.Fatalf("pending after restart = %+v", p)
	}
}
