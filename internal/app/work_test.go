package app

import (
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/assign"
	"github.com/custodes/custodes/internal/monitor/incident"
)

// A reassignment (any monitor or member changed) must keep a monitor's
// streak and must not re-report it unless its config or checkers changed:
// a lost streak is a missed outage, a reset "failing" mark re-asks for fast
// confirmation and so adds checks to every streak.
func TestKeepViewAcrossReassignments(t *testing.T) {
	cfg := incident.ObserverConfig{Monitor: "web", Node: "n1", Alerts: []incident.AlertPolicy{{Type: "webhook", Enabled: true, FailureThreshold: 3, SuccessThreshold: 2}}}
	owners := []string{"n1", "n2", "n3"}
	v, err := keepView(nil, cfg, owners)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1e9, 0)
	fail := func(v *view) (incident.Observed, bool) {
		at = at.Add(time.Second)
		return v.obs.Record(&monitor.Result{Monitor: "web", Time: at})
	}
	fail(v)
	fail(v)
	if _, ok := fail(v); !ok || !v.obs.Failing() {
		t.Fatal("third failure: want a report and Failing")
	}
	v.failing = true
	prev := &assigned{plan: assign.Plan{Key: "web", Owners: owners}, view: v}

	same, err := keepView(prev, cfg, []string{"n1", "n2", "n3"})
	if err != nil || same != v {
		t.Fatalf("unchanged monitor: got view %p (err %v), want the same %p", same, err, v)
	}
	if !same.failing {
		t.Error("unchanged monitor: the failing mark was lost")
	}
	if e, ok := fail(same); ok {
		t.Errorf("unchanged monitor: fourth failure reported %+v; only a change of level is", e)
	}

	prev = &assigned{plan: assign.Plan{Key: "web", Owners: owners}, view: same}
	moved, _ := keepView(prev, cfg, []string{"n1", "n3", "n4"})
	if e, ok := fail(moved); !ok || e.Streak != 5 {
		t.Errorf("checkers changed: got %+v, %v; want the streak (5) re-reported", e, ok)
	}

	prev = &assigned{plan: assign.Plan{Key: "web", Owners: owners}, view: moved}
	cfg.Alerts = []incident.AlertPolicy{{Type: "webhook", Enabled: true, FailureThreshold: 2, SuccessThreshold: 2}}
	changed, _ := keepView(prev, cfg, owners)
	if e, ok := fail(changed); !ok || e.Streak != 6 {
		t.Errorf("config changed: got %+v, %v; want the streak (6) re-reported", e, ok)
	}
}
