package incident

import (
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// t0 is an arbitrary leader-stamped start time.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// tester is what the harness needs of *testing.T and *rapid.T.
type tester interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// harness drives one State the way the FSM does.
type harness struct {
	t   tester
	s   State
	p   PolicyMap
	now time.Time
}

func newHarness(t tester, p PolicyMap) *harness {
	return &harness{t: t, p: p, now: t0}
}

func (h *harness) step(e Event) []Action {
	h.t.Helper()
	return Step(&h.s, h.p, e, h.now)
}

// observe is a shorthand for an Observed event with confirm k.
func (h *harness) observe(mon, node string, success bool, streak, k int) []Action {
	h.t.Helper()
	return h.step(Observed{Monitor: mon, Node: node, Success: success, Streak: streak, Confirm: k, Errors: errorsFor(node, success)})
}

func errorsFor(node string, success bool) []string {
	if success {
		return nil
	}
	return []string{"timeout from " + node}
}

// notes renders the Notify actions as "event/key" strings, in order.
func notes(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if n, ok := a.(Notify); ok {
			out = append(out, n.Key)
		}
	}
	return out
}

func joined(acts []Action) string { return strings.Join(notes(acts), ",") }

// statuses renders StatusChanged actions as "monitor:status".
func statuses(acts []Action) []string {
	var out []string
	for _, a := range acts {
		if c, ok := a.(StatusChanged); ok {
			out = append(out, c.Monitor+":"+string(c.Status))
		}
	}
	return out
}

// single runs one monitor checked by one node, as Gatus does: every
// result goes through an Observer; what it reports is committed at the
// result's time, followed by a Tick at the same time (reminders). It returns
// the Notify keys per result.
type single struct {
	h   *harness
	obs *Observer
}

func newSingle(t tester, pol Policy) *single {
	t.Helper()
	o, err := NewObserver(ObserverConfig{Monitor: "core_api", Node: "n1", Alerts: pol.Alerts})
	if err != nil {
		t.Fatal(err)
	}
	return &single{h: newHarness(t, PolicyMap{"core_api": pol}), obs: o}
}

func (s *single) result(success bool, at time.Time) []Action {
	s.h.t.Helper()
	r := monitor.Result{Monitor: "core_api", Node: "n1", Time: at, Success: success}
	if !success {
		r.Errors = []string{"connection refused"}
	}
	s.h.now = at
	var acts []Action
	if e, ok := s.obs.Record(&r); ok {
		acts = append(acts, s.h.step(e)...)
	}
	return append(acts, s.h.step(Tick{})...)
}
