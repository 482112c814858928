package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

const benchMonitors = 1000

func benchPolicies() (PolicyMap, []string) {
	pol := PolicyMap{}
	keys := make([]string, benchMonitors)
	for i := range keys {
		keys[i] = fmt.Sprintf("group_monitor-%d", i)
		pol[keys[i]] = Policy{
			Alerts: []AlertPolicy{
				{Type: "slack", Enabled: true, FailureThreshold: 3, SuccessThreshold: 2, SendOnResolved: true, MinimumReminderInterval: time.Hour},
				{Type: "pagerduty", Enabled: true, FailureThreshold: 5, SuccessThreshold: 2, SendOnResolved: true},
			},
			InMaintenance: func(time.Time) bool { return false },
		}
	}
	return pol, keys
}

// BenchmarkStepObserved: a steady stream of Observed events over 1000
// monitors checked by 3 nodes with confirm 2; each monitor cycles through
// healthy, failing (an incident opens, notifications) and healthy again.
func BenchmarkStepObserved(b *testing.B) {
	pol, keys := benchPolicies()
	nodes := []string{"n1", "n2", "n3"}
	cycle := []struct {
		success bool
		streak  int
	}{{true, 2}, {false, 3}, {false, 5}, {true, 1}, {true, 2}}
	var s State
	now := t0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		mon := keys[i%benchMonitors]
		node := nodes[(i/benchMonitors)%len(nodes)]
		c := cycle[(i/(benchMonitors*len(nodes)))%len(cycle)]
		now = now.Add(time.Millisecond)
		Step(&s, pol, Observed{Monitor: mon, Node: node, Success: c.success, Streak: c.streak, Confirm: 2,
			Errors: errorsFor(node, c.success)}, now)
		i++
	}
}

// BenchmarkStepObservedQuiet: Observed events that change nothing (healthy
// monitors re-reporting), the common case.
func BenchmarkStepObservedQuiet(b *testing.B) {
	pol, keys := benchPolicies()
	var s State
	for _, k := range keys {
		Step(&s, pol, Observed{Monitor: k, Node: "n1", Success: true, Streak: 2, Confirm: 2}, t0)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Step(&s, pol, Observed{Monitor: keys[i%benchMonitors], Node: "n1", Success: true, Streak: 2, Confirm: 2}, t0)
		i++
	}
}

// BenchmarkStepTick: one Tick over 1000 monitors, 100 of them in an open
// incident with reminders.
func BenchmarkStepTick(b *testing.B) {
	pol, keys := benchPolicies()
	var s State
	for i, k := range keys {
		Step(&s, pol, Observed{Monitor: k, Node: "n1", Success: i%10 != 0, Streak: 5, Confirm: 1}, t0)
	}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Minute)
		Step(&s, pol, Tick{}, now)
	}
}

// BenchmarkObserverRecord: the per-result cost on a checking node, with a
// rate rule.
func BenchmarkObserverRecord(b *testing.B) {
	o, err := NewObserver(ObserverConfig{Monitor: "web", Node: "n1", Rate: &RateRule{MaxFailures: 5, Window: time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
	r := monitor.Result{Time: t0}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r.Time = r.Time.Add(time.Second)
		r.Success = i%7 != 0
		o.Record(&r)
		i++
	}
}
