package incident

import (
	"slices"
	"testing"
	"time"
)

// pagerPolicy: one alert, failure-threshold 3, success-threshold 2.
var pagerPolicy = Policy{Alerts: []AlertPolicy{{Type: "pagerduty", Enabled: true, FailureThreshold: 3,
	SuccessThreshold: 2, SendOnResolved: true}}}

// kStep is one committed event and what must follow from it.
type kStep struct {
	event    Event
	notes    []string // Notify keys
	statuses []string // "monitor:status"
}

func fail(node string, streak int) Observed {
	return Observed{Monitor: "web", Node: node, Success: false, Streak: streak, Confirm: 2, Errors: errorsFor(node, false)}
}

func pass(node string, streak int) Observed {
	return Observed{Monitor: "web", Node: node, Success: true, Streak: streak, Confirm: 2}
}

func TestConfirmKOfN(t *testing.T) {
	const (
		trig = "web#1/triggered/pagerduty"
		res  = "web#1/resolved/pagerduty"
	)
	tests := []struct {
		name  string
		steps []kStep
	}{
		{
			name: "2 of 3 confirm: one failing observer degrades, the second pages",
			steps: []kStep{
				{event: pass("n1", 2), statuses: []string{"web:up"}},
				{event: pass("n2", 2)},
				{event: pass("n3", 2)},
				{event: fail("n1", 3), statuses: []string{"web:degraded"}},
				{event: fail("n2", 3), notes: []string{trig}, statuses: []string{"web:down"}},
				{event: fail("n3", 3)},
				{event: pass("n1", 2)},
				{event: pass("n3", 2), notes: []string{res}, statuses: []string{"web:degraded"}},
				{event: pass("n2", 2), statuses: []string{"web:up"}},
			},
		},
		{
			name: "partial-vantage failure never pages",
			steps: []kStep{
				{event: pass("n2", 2), statuses: []string{"web:up"}},
				{event: pass("n3", 2)},
				{event: fail("n1", 3), statuses: []string{"web:degraded"}},
				{event: fail("n1", 5)},
				{event: fail("n1", 50)},
				{event: Tick{}},
				{event: Observed{Monitor: "web", Node: "n1", Success: false, Streak: 99, RateTripped: true, Confirm: 2}},
				{event: pass("n1", 2), statuses: []string{"web:up"}},
			},
		},
		{
			// A node cut off from the others counted only itself (k 1);
			// right after the heal it reports what it saw there. With the
			// newest k, n3's single failing view would page.
			name: "a stale k of 1 from a healed node does not lower k",
			steps: []kStep{
				{event: pass("n1", 2), statuses: []string{"web:up"}},
				{event: fail("n3", 6), statuses: []string{"web:degraded"}},
				{event: Observed{Monitor: "web", Node: "n2", Success: true, Streak: 40, Confirm: 1}},
				{event: pass("n2", 2)},
				// k drops only when every view's node counts fewer
				// checkers, e.g. after the others left.
				{event: NodeGone{Node: "n1"}},
				{event: Released{Monitor: "web", Node: "n2"}},
				{event: Observed{Monitor: "web", Node: "n3", Success: false, Streak: 7, Confirm: 1}, notes: []string{trig}, statuses: []string{"web:down"}},
			},
		},
		{
			name: "hysteresis: fewer than confirm failing does not resolve",
			steps: []kStep{
				{event: fail("n1", 3), statuses: []string{"web:degraded"}},
				{event: fail("n2", 3), notes: []string{trig}, statuses: []string{"web:down"}},
				// n1 sees one success: neither failing nor healthy.
				{event: pass("n1", 1)},
				// n2 too: nobody failing, but nobody healthy enough.
				{event: pass("n2", 1)},
				{event: pass("n1", 2)},
				{event: pass("n2", 2), notes: []string{res}, statuses: []string{"web:up"}},
			},
		},
		{
			name: "flapping target: one triggered, no storm, one resolved",
			steps: func() []kStep {
				steps := []kStep{
					{event: fail("n1", 3), statuses: []string{"web:degraded"}},
					{event: fail("n2", 3), notes: []string{trig}, statuses: []string{"web:down"}},
				}
				for range 20 {
					// Each observer alternates: failing, then one success.
					steps = append(steps, kStep{event: pass("n1", 1)}, kStep{event: fail("n1", 3)},
						kStep{event: pass("n2", 1)}, kStep{event: fail("n2", 3)})
				}
				return append(steps, kStep{event: pass("n1", 2)},
					kStep{event: pass("n2", 2), notes: []string{res}, statuses: []string{"web:up"}})
			}(),
		},
		{
			name: "a node leaving notifies nobody and resolves nothing",
			steps: []kStep{
				{event: fail("n1", 3), statuses: []string{"web:degraded"}},
				{event: fail("n2", 3), notes: []string{trig}, statuses: []string{"web:down"}},
				{event: NodeGone{Node: "n1"}},
				{event: Released{Monitor: "web", Node: "n2"}},
				{event: Tick{}},
				{event: pass("n3", 2)},
				{event: pass("n4", 2), notes: []string{res}, statuses: []string{"web:up"}},
			},
		},
		{
			name: "a failing observer leaving ends the degraded status",
			steps: []kStep{
				{event: pass("n2", 2), statuses: []string{"web:up"}},
				{event: fail("n1", 3), statuses: []string{"web:degraded"}},
				{event: &Released{Monitor: "web", Node: "n1"}, statuses: []string{"web:up"}},
				{event: Released{Monitor: "web", Node: "n1"}},
				{event: NodeGone{Node: "n9"}},
			},
		},
		{
			name: "rate rule trips an observer whatever its streak",
			steps: []kStep{
				{event: Observed{Monitor: "web", Node: "n1", Success: true, Streak: 1, RateTripped: true, Confirm: 1},
					notes: []string{trig}, statuses: []string{"web:down"}},
				// Healthy streak but the rule still holds: not healthy.
				{event: Observed{Monitor: "web", Node: "n1", Success: true, Streak: 5, RateTripped: true, Confirm: 1}},
				{event: Observed{Monitor: "web", Node: "n1", Success: true, Streak: 6, Confirm: 1},
					notes: []string{res}, statuses: []string{"web:up"}},
			},
		},
		{
			name: "confirm 0 or less means 1",
			steps: []kStep{
				{event: Observed{Monitor: "web", Node: "n1", Success: false, Streak: 3, Confirm: -4},
					notes: []string{trig}, statuses: []string{"web:down"}},
			},
		},
		{
			name: "forget drops the monitor silently; ids are never reused",
			steps: []kStep{
				{event: fail("n1", 3), statuses: []string{"web:degraded"}},
				{event: fail("n2", 3), notes: []string{trig}, statuses: []string{"web:down"}},
				{event: Forget{Monitor: "web"}},
				{event: Tick{}},
				{event: fail("n1", 3), statuses: []string{"web:degraded"}},
				{event: &Observed{Monitor: "web", Node: "n2", Streak: 3, Confirm: 2},
					notes: []string{"web#2/triggered/pagerduty"}, statuses: []string{"web:down"}},
			},
		},
		{
			name: "unknown monitors and malformed events are ignored",
			steps: []kStep{
				{event: Observed{Monitor: "gone", Node: "n1", Streak: 9, Confirm: 1}},
				{event: Observed{Monitor: "web", Node: "", Streak: 9, Confirm: 1}},
				{event: Observed{Monitor: "", Node: "n1", Streak: 9, Confirm: 1}},
				{event: (*Observed)(nil)},
				{event: nil},
				{event: Ack{Incident: "no-hash"}},
				{event: Ack{Incident: "gone#1"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, PolicyMap{"web": pagerPolicy})
			for i, st := range tt.steps {
				h.now = t0.Add(time.Duration(i) * time.Second)
				acts := h.step(st.event)
				if got := notes(acts); !slices.Equal(got, st.notes) {
					t.Errorf("step %d (%+v): notifications %q, want %q", i, st.event, got, st.notes)
				}
				if got := statuses(acts); !slices.Equal(got, st.statuses) {
					t.Errorf("step %d (%+v): status changes %q, want %q", i, st.event, got, st.statuses)
				}
			}
			if _, ok := h.s.Monitors["gone"]; ok {
				t.Error("an event about an unknown monitor created state")
			}
		})
	}
}

// TestNodeGoneAcrossMonitors: NodeGone visits monitors in key order.
func TestNodeGoneAcrossMonitors(t *testing.T) {
	p := PolicyMap{"b": pagerPolicy, "a": pagerPolicy, "c": pagerPolicy}
	h := newHarness(t, p)
	for _, m := range []string{"c", "a", "b"} {
		h.step(Observed{Monitor: m, Node: "n1", Streak: 3, Confirm: 2})
		h.step(Observed{Monitor: m, Node: "n2", Success: true, Streak: 2, Confirm: 2})
	}
	got := statuses(h.step(NodeGone{Node: "n1"}))
	want := []string{"a:up", "b:up", "c:up"}
	if !slices.Equal(got, want) {
		t.Errorf("NodeGone status changes %q, want %q", got, want)
	}
	for _, m := range []string{"a", "b", "c"} {
		if _, ok := h.s.Monitors[m].Views["n1"]; ok {
			t.Errorf("%s still has n1's view", m)
		}
	}
}

// TestClosedIncidentsBounded: only the newest MaxClosed closed incidents of
// a monitor are kept.
func TestClosedIncidentsBounded(t *testing.T) {
	h := newHarness(t, PolicyMap{"web": pagerPolicy})
	const outages = MaxClosed + 7
	for i := range outages {
		h.now = t0.Add(time.Duration(i) * time.Minute)
		h.step(Observed{Monitor: "web", Node: "n1", Streak: 3, Confirm: 1})
		h.step(Observed{Monitor: "web", Node: "n1", Success: true, Streak: 2, Confirm: 1})
	}
	closed := h.s.Monitors["web"].Closed
	if len(closed) != MaxClosed {
		t.Fatalf("kept %d closed incidents, want %d", len(closed), MaxClosed)
	}
	if closed[0].ID != "web#8" || closed[MaxClosed-1].ID != "web#27" {
		t.Errorf("kept %s..%s, want web#8..web#27", closed[0].ID, closed[MaxClosed-1].ID)
	}
	list := h.s.Incidents()
	if len(list) != MaxClosed || list[0].ID != "web#27" {
		t.Errorf("Incidents() starts with %s (len %d), want newest first", list[0].ID, len(list))
	}
	if _, ok := h.s.Incident("web#7"); ok {
		t.Error("an incident beyond the bound is still found")
	}
}

// TestPolicyChangeMidIncident: alerts added or removed while an incident is
// open; state follows the alerts by index and type.
func TestPolicyChangeMidIncident(t *testing.T) {
	slack := AlertPolicy{Type: "slack", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true}
	pd := AlertPolicy{Type: "pagerduty", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true}
	h := newHarness(t, PolicyMap{"web": {Alerts: []AlertPolicy{slack}}})
	if got := joined(h.observe("web", "n1", false, 1, 1)); got != "web#1/triggered/slack" {
		t.Fatalf("open: %q", got)
	}
	h.p["web"] = Policy{Alerts: []AlertPolicy{slack, pd}}
	if got := joined(h.step(Tick{})); got != "web#1/triggered/pagerduty" {
		t.Fatalf("alert added mid-incident: %q, want its triggered", got)
	}
	if got := joined(h.step(Tick{})); got != "" {
		t.Fatalf("next tick: %q", got)
	}
	h.p["web"] = Policy{Alerts: []AlertPolicy{{Type: "slack"}, pd}} // slack disabled
	if got := joined(h.observe("web", "n1", true, 1, 1)); got != "web#1/resolved/pagerduty" {
		t.Fatalf("close after disabling slack: %q, want only pagerduty's resolved", got)
	}
}
