package incident

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var (
	propMonitors = []string{"core_api", "core_db"}
	propNodes    = []string{"n1", "n2", "n3"}
)

// model is the test's own bookkeeping, independent of the engine's
// internals: what every observer last said, and every notification sent.
type model struct {
	pol     PolicyMap
	views   map[string]map[string]Observed // monitor → node → newest report
	confirm map[string]int
	// per "incident/alertIndex"
	triggered map[string]bool
	resolved  map[string]bool
	reminders map[string]int
	acked     map[string]bool
}

func newModel(pol PolicyMap) *model {
	return &model{
		pol: pol, views: map[string]map[string]Observed{}, confirm: map[string]int{},
		triggered: map[string]bool{}, resolved: map[string]bool{}, reminders: map[string]int{}, acked: map[string]bool{},
	}
}

// modelRule is an alert as the model reads the policy: enabled alerts with
// Gatus's defaults, or the implicit silent one.
type modelRule struct {
	index   int
	failure int
	success int
}

func (m *model) rules(mon string) []modelRule {
	var out []modelRule
	for i, a := range m.pol[mon].Alerts {
		if a.Enabled {
			f, s := a.FailureThreshold, a.SuccessThreshold
			if f <= 0 {
				f = 3
			}
			if s <= 0 {
				s = 2
			}
			out = append(out, modelRule{i, f, s})
		}
	}
	if out == nil {
		out = []modelRule{{-1, 3, 2}}
	}
	return out
}

func (m *model) failing(mon string, r modelRule) int {
	n := 0
	for _, v := range m.views[mon] {
		if v.RateTripped || (!v.Success && v.Streak >= r.failure) {
			n++
		}
	}
	return n
}

// k is the largest k the views carried when the last one arrived.
func (m *model) k(mon string) int { return max(1, m.confirm[mon]) }

func (m *model) updateK(mon string) {
	k := 0
	for _, v := range m.views[mon] {
		k = max(k, v.Confirm, 1)
	}
	if k > 0 {
		m.confirm[mon] = k
	}
}

func (m *model) inMaintenance(mon string, now time.Time) bool {
	f := m.pol[mon].InMaintenance
	return f != nil && f(now)
}

func (m *model) apply(e Event) {
	switch e := e.(type) {
	case Observed:
		if m.views[e.Monitor] == nil {
			m.views[e.Monitor] = map[string]Observed{}
		}
		m.views[e.Monitor][e.Node] = e
		m.updateK(e.Monitor)
	case NodeGone:
		for _, vs := range m.views {
			delete(vs, e.Node)
		}
	case Released:
		delete(m.views[e.Monitor], e.Node)
	case Forget:
		delete(m.views, e.Monitor)
		delete(m.confirm, e.Monitor)
	}
}

// check verifies the actions of one step against the safety properties.
func (m *model) check(t *rapid.T, s *State, acts []Action, now time.Time) {
	for _, a := range acts {
		switch a := a.(type) {
		case IncidentAcked:
			m.acked[a.Incident] = true
		case IncidentOpened:
			if !slices.ContainsFunc(m.rules(a.Incident.Monitor), func(r modelRule) bool {
				return m.failing(a.Incident.Monitor, r) >= m.k(a.Incident.Monitor)
			}) {
				t.Fatalf("%s opened with fewer than %d observers failing: %+v", a.Incident.ID, m.k(a.Incident.Monitor), m.views[a.Incident.Monitor])
			}
		case Notify:
			m.checkNotify(t, a, now)
		}
	}
}

func (m *model) checkNotify(t *rapid.T, n Notify, now time.Time) {
	if m.inMaintenance(n.Monitor, now) {
		t.Fatalf("%s sent during maintenance at %v", n.Key, now)
	}
	alerts := m.pol[n.Monitor].Alerts
	if n.AlertIndex < 0 || n.AlertIndex >= len(alerts) || !alerts[n.AlertIndex].Enabled {
		t.Fatalf("%s: notification for alert %d, which is not an enabled alert", n.Key, n.AlertIndex)
	}
	id := n.Incident + "/" + strconv.Itoa(n.AlertIndex)
	switch n.Event {
	case Triggered:
		if m.triggered[id] {
			t.Fatalf("second triggered for %s", id)
		}
		m.triggered[id] = true
	case Reminder:
		if !m.triggered[id] || m.resolved[id] || m.acked[n.Incident] {
			t.Fatalf("reminder %s: triggered %v, resolved %v, acked %v", n.Key, m.triggered[id], m.resolved[id], m.acked[n.Incident])
		}
		m.reminders[id]++
		if !strings.Contains(n.Key, "/reminder-"+strconv.Itoa(m.reminders[id])+"/") {
			t.Fatalf("reminder %s: want number %d", n.Key, m.reminders[id])
		}
	case Resolved:
		if !m.triggered[id] || m.resolved[id] || !alerts[n.AlertIndex].SendOnResolved {
			t.Fatalf("resolved %s: triggered %v, already resolved %v, send-on-resolved %v",
				n.Key, m.triggered[id], m.resolved[id], alerts[n.AlertIndex].SendOnResolved)
		}
		m.resolved[id] = true
	default:
		t.Fatalf("unknown event %q", n.Event)
	}
}

// checkState verifies liveness after a step: every alert that at least k
// observers report failing belongs to an open incident and, unless the
// monitor is in maintenance or was not evaluated, has sent its triggered.
func (m *model) checkState(t *rapid.T, s *State, evaluated func(string) bool, now time.Time) {
	for _, mon := range propMonitors {
		for _, r := range m.rules(mon) {
			if m.failing(mon, r) < m.k(mon) {
				continue
			}
			ms := s.Monitors[mon]
			if ms == nil || ms.Open == nil {
				t.Fatalf("%s: %d observers failing alert %d (k %d) but no open incident", mon, m.failing(mon, r), r.index, m.k(mon))
			}
			if ms.Status != StatusDown {
				t.Fatalf("%s: incident open, status %q", mon, ms.Status)
			}
			if r.index >= 0 && evaluated(mon) && !m.inMaintenance(mon, now) && !m.triggered[ms.Open.ID+"/"+strconv.Itoa(r.index)] {
				t.Fatalf("%s: confirmed outage for alert %d but no triggered for %s", mon, r.index, ms.Open.ID)
			}
		}
	}
}

func drawPolicy(t *rapid.T, mon string) Policy {
	n := rapid.IntRange(0, 3).Draw(t, mon+"/alerts")
	var p Policy
	for i := range n {
		label := fmt.Sprintf("%s/alert%d/", mon, i)
		p.Alerts = append(p.Alerts, AlertPolicy{
			Type:                    rapid.SampledFrom([]string{"slack", "pagerduty", "webhook"}).Draw(t, label+"type"),
			Enabled:                 rapid.IntRange(0, 4).Draw(t, label+"enabled") > 0,
			FailureThreshold:        rapid.IntRange(0, 4).Draw(t, label+"failure"),
			SuccessThreshold:        rapid.IntRange(0, 3).Draw(t, label+"success"),
			SendOnResolved:          rapid.Bool().Draw(t, label+"on-resolved"),
			MinimumReminderInterval: time.Duration(rapid.SampledFrom([]int{0, 1, 3}).Draw(t, label+"reminder")) * time.Minute,
		})
	}
	// Up to two maintenance windows, in minutes after t0.
	type span struct{ from, to time.Time }
	var spans []span
	for i := range rapid.IntRange(0, 2).Draw(t, mon+"/windows") {
		from := rapid.IntRange(0, 60).Draw(t, fmt.Sprintf("%s/window%d/from", mon, i))
		length := rapid.IntRange(1, 30).Draw(t, fmt.Sprintf("%s/window%d/length", mon, i))
		spans = append(spans, span{t0.Add(time.Duration(from) * time.Minute), t0.Add(time.Duration(from+length) * time.Minute)})
	}
	if len(spans) > 0 {
		p.InMaintenance = func(now time.Time) bool {
			return slices.ContainsFunc(spans, func(s span) bool { return !now.Before(s.from) && now.Before(s.to) })
		}
	}
	return p
}

func drawEvent(t *rapid.T, s *State, confirm int) Event {
	mon := rapid.SampledFrom(propMonitors).Draw(t, "monitor")
	node := rapid.SampledFrom(propNodes).Draw(t, "node")
	switch kind := rapid.IntRange(0, 99).Draw(t, "kind"); {
	case kind < 65:
		e := Observed{
			Monitor: mon, Node: node,
			Success:     rapid.Bool().Draw(t, "success"),
			Streak:      rapid.IntRange(0, 6).Draw(t, "streak"),
			RateTripped: rapid.IntRange(0, 9).Draw(t, "rate") == 0,
			Confirm:     confirm,
		}
		if rapid.IntRange(0, 9).Draw(t, "other-confirm") == 0 {
			e.Confirm = rapid.IntRange(-1, 3).Draw(t, "confirm")
		}
		if !e.Success {
			e.Errors = []string{"timeout from " + node}
		}
		return e
	case kind < 85:
		return Tick{}
	case kind < 91:
		var open []string
		for _, inc := range s.Incidents() {
			if inc.IsOpen() {
				open = append(open, inc.ID)
			}
		}
		if len(open) == 0 {
			return Ack{Incident: mon + "#404", By: "nobody"}
		}
		return Ack{Incident: rapid.SampledFrom(open).Draw(t, "ack"), By: "alice"}
	case kind < 95:
		return NodeGone{Node: node}
	case kind < 99:
		return Released{Monitor: mon, Node: node}
	default:
		return Forget{Monitor: mon}
	}
}

// render is a canonical form of actions (type and JSON), so actions from
// states that went through JSON compare equal when they mean the same.
func render(t *rapid.T, acts []Action) string {
	var b strings.Builder
	for _, a := range acts {
		j, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("marshal %T: %v", a, err)
		}
		fmt.Fprintf(&b, "%T%s\n", a, j)
	}
	return b.String()
}

func marshal(t *rapid.T, s *State) []byte {
	j, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal state: %v", err)
	}
	return j
}

// TestStepProperties runs random sequences of events and times through a
// State, a twin fed the same events, and before every step a copy restored
// from the State's JSON snapshot, and checks the engine's promises after
// every step.
func TestStepProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pol := PolicyMap{}
		for _, mon := range propMonitors {
			pol[mon] = drawPolicy(t, mon)
		}
		m := newModel(pol)
		confirm := rapid.IntRange(0, 3).Draw(t, "confirm")
		var s, twin State
		js := marshal(t, &s)
		now := t0
		steps := rapid.IntRange(1, 150).Draw(t, "steps")
		for range steps {
			now = now.Add(time.Duration(rapid.IntRange(0, 90).Draw(t, "seconds")) * time.Second)
			e := drawEvent(t, &s, confirm)

			// A State restored from the snapshot must behave the same.
			var restored State
			if err := json.Unmarshal(js, &restored); err != nil {
				t.Fatalf("unmarshal state: %v", err)
			}

			acts := Step(&s, pol, e, now)
			m.apply(e)
			m.check(t, &s, acts, now)
			evaluated := func(mon string) bool {
				switch e := e.(type) {
				case Tick:
					return true
				case Observed:
					return e.Monitor == mon
				}
				return false
			}
			m.checkState(t, &s, evaluated, now)

			want := render(t, acts)
			if got := render(t, Step(&twin, pol, e, now)); got != want {
				t.Fatalf("twin state gave other actions for %+v:\n got %s\nwant %s", e, got, want)
			}
			if got := render(t, Step(&restored, pol, e, now)); got != want {
				t.Fatalf("restored state gave other actions for %+v:\n got %s\nwant %s", e, got, want)
			}
			js = marshal(t, &s)
			if got := marshal(t, &twin); string(got) != string(js) {
				t.Fatalf("twin state differs:\n got %s\nwant %s", got, js)
			}
			if got := marshal(t, &restored); string(got) != string(js) {
				t.Fatalf("restored state differs:\n got %s\nwant %s", got, js)
			}
		}
	})
}

// TestPartialVantageNeverPages: when fewer than k observers ever fail,
// whatever they report and however long, nothing is sent and no incident
// opens.
func TestPartialVantageNeverPages(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		pol := PolicyMap{"core_api": {Alerts: []AlertPolicy{{Type: "slack", Enabled: true, FailureThreshold: 1,
			SuccessThreshold: 1, SendOnResolved: true, MinimumReminderInterval: time.Minute}}}}
		k := rapid.IntRange(2, 3).Draw(t, "k")
		failers := propNodes[:k-1]
		var s State
		now := t0
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 120).Draw(t, "seconds")) * time.Second)
			node := rapid.SampledFrom(propNodes).Draw(t, "node")
			success := !slices.Contains(failers, node) || rapid.Bool().Draw(t, "success")
			var e Event = Observed{Monitor: "core_api", Node: node, Success: success,
				Streak: rapid.IntRange(1, 9).Draw(t, "streak"), RateTripped: !success && rapid.Bool().Draw(t, "rate"), Confirm: k}
			if rapid.IntRange(0, 4).Draw(t, "tick") == 0 {
				e = Tick{}
			}
			for _, a := range Step(&s, pol, e, now) {
				switch a.(type) {
				case Notify, IncidentOpened:
					t.Fatalf("%d of %d observers failing produced %+v", len(failers), k, a)
				}
			}
		}
	})
}

// gatus is a reference model of Gatus's watchdog/alerting.go for one
// endpoint, written from its documented behaviour, with reminders timed per
// alert as custodes does.
type gatus struct {
	failures, successes int
	triggered           []bool
	lastSent            []time.Time
}

func (g *gatus) handle(alerts []AlertPolicy, success bool, now time.Time) []string {
	var out []string
	if success {
		g.successes++
		for i, a := range alerts {
			if !a.Enabled || !g.triggered[i] || a.SuccessThreshold > g.successes {
				continue
			}
			g.triggered[i] = false
			if a.SendOnResolved {
				out = append(out, "resolved/"+strconv.Itoa(i))
			}
		}
		g.failures = 0
		return out
	}
	g.successes = 0
	g.failures++
	for i, a := range alerts {
		if !a.Enabled || a.FailureThreshold > g.failures {
			continue
		}
		switch {
		case !g.triggered[i]:
			g.triggered[i], g.lastSent[i] = true, now
			out = append(out, "triggered/"+strconv.Itoa(i))
		case a.MinimumReminderInterval > 0 && now.Sub(g.lastSent[i]) >= a.MinimumReminderInterval:
			g.lastSent[i] = now
			out = append(out, "reminder/"+strconv.Itoa(i))
		}
	}
	return out
}

// TestSingleObserverEqualsGatusModel: one node, confirm 1, every result
// through an Observer and a Tick after it: the notifications are those of
// the Gatus model, for alerts sharing one success-threshold (with different
// ones custodes deliberately waits for the whole incident to close).
func TestSingleObserverEqualsGatusModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		success := rapid.IntRange(1, 3).Draw(t, "success-threshold")
		var alerts []AlertPolicy
		for i := range rapid.IntRange(1, 3).Draw(t, "alerts") {
			label := fmt.Sprintf("alert%d/", i)
			alerts = append(alerts, AlertPolicy{
				Type:                    fmt.Sprint("type", i),
				Enabled:                 rapid.IntRange(0, 3).Draw(t, label+"enabled") > 0,
				FailureThreshold:        rapid.IntRange(1, 4).Draw(t, label+"failure"),
				SuccessThreshold:        success,
				SendOnResolved:          rapid.Bool().Draw(t, label+"on-resolved"),
				MinimumReminderInterval: time.Duration(rapid.SampledFrom([]int{0, 1, 3}).Draw(t, label+"reminder")) * time.Minute,
			})
		}
		ref := gatus{triggered: make([]bool, len(alerts)), lastSent: make([]time.Time, len(alerts))}
		run := newSingle(t, Policy{Alerts: alerts})
		now := t0
		for i := range rapid.IntRange(1, 120).Draw(t, "results") {
			now = now.Add(time.Duration(rapid.IntRange(10, 90).Draw(t, "seconds")) * time.Second)
			ok := rapid.IntRange(0, 2).Draw(t, "outcome") > 0
			want := ref.handle(alerts, ok, now)
			var got []string
			for _, n := range notes(run.result(ok, now)) {
				parts := strings.Split(n, "/")
				event := strings.SplitN(parts[1], "-", 2)[0]
				idx := slices.IndexFunc(alerts, func(a AlertPolicy) bool { return a.Type == parts[2] })
				got = append(got, event+"/"+strconv.Itoa(idx))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("result %d (success %v) at %v: custodes %q, Gatus %q", i, ok, now.Sub(t0), got, want)
			}
		}
	})
}
