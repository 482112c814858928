package incident

import (
	"strconv"
	"strings"
	"time"
)

// Step applies one event at now (the leader-stamped time of the command) to
// s, mutating it, and returns what to do, in a deterministic order (see the
// package doc). Every replica that applies the same events at the same times
// to equal States gets equal States and equal actions. Events about
// monitors p does not know, and malformed events (empty monitor or node),
// change nothing and return nil.
func Step(s *State, p Policies, e Event, now time.Time) []Action {
	// UTC strips the monotonic reading and fixes the location, so stored
	// times survive a JSON round trip unchanged.
	now = now.UTC()
	switch e := e.(type) {
	case Observed:
		return s.observe(p, e, now)
	case *Observed:
		if e != nil {
			return s.observe(p, *e, now)
		}
	case Tick, *Tick:
		return s.tick(p, now)
	case Ack:
		return s.ack(e, now)
	case *Ack:
		if e != nil {
			return s.ack(*e, now)
		}
	case NodeGone:
		return s.nodeGone(p, e.Node)
	case *NodeGone:
		if e != nil {
			return s.nodeGone(p, e.Node)
		}
	case Released:
		return s.release(p, e)
	case *Released:
		if e != nil {
			return s.release(p, *e)
		}
	case Forget:
		delete(s.Monitors, e.Monitor)
	case *Forget:
		if e != nil {
			delete(s.Monitors, e.Monitor)
		}
	}
	return nil
}

func (s *State) observe(p Policies, e Observed, now time.Time) []Action {
	if e.Monitor == "" || e.Node == "" {
		return nil
	}
	pol, ok := p.Policy(e.Monitor)
	if !ok {
		return nil
	}
	if s.Monitors == nil {
		s.Monitors = make(map[string]*MonitorState)
	}
	m := s.Monitors[e.Monitor]
	if m == nil {
		m = &MonitorState{}
		s.Monitors[e.Monitor] = m
	}
	if m.Views == nil {
		m.Views = make(map[string]View)
	}
	m.Views[e.Node] = View{
		Success:     e.Success,
		Streak:      max(e.Streak, 0),
		RateTripped: e.RateTripped,
		Errors:      cleanErrors(e.Errors),
		At:          now,
		Confirm:     max(e.Confirm, 1),
	}
	m.Confirm = m.confirmNeeded()
	return s.evaluate(nil, e.Monitor, m, pol, now)
}

func (s *State) tick(p Policies, now time.Time) []Action {
	var acts []Action
	for _, key := range sortedKeys(s.Monitors) {
		if pol, ok := p.Policy(key); ok {
			acts = s.evaluate(acts, key, s.Monitors[key], pol, now)
		}
	}
	return acts
}

func (s *State) ack(e Ack, now time.Time) []Action {
	inc := s.findIncident(e.Incident)
	if inc == nil || inc.Acked {
		return nil
	}
	inc.Acked, inc.AckedBy, inc.AckedAt = true, e.By, now
	return []Action{IncidentAcked{Incident: inc.ID, By: e.By, At: now}}
}

// nodeGone and release drop views. They change no latch and so notify
// nobody; only the status may change (a failing observer went away).
func (s *State) nodeGone(p Policies, node string) []Action {
	var acts []Action
	for _, key := range sortedKeys(s.Monitors) {
		acts = s.dropView(acts, p, key, node)
	}
	return acts
}

func (s *State) release(p Policies, e Released) []Action {
	return s.dropView(nil, p, e.Monitor, e.Node)
}

func (s *State) dropView(acts []Action, p Policies, key, node string) []Action {
	m := s.Monitors[key]
	if m == nil {
		return acts
	}
	if _, ok := m.Views[node]; !ok {
		return acts
	}
	delete(m.Views, node)
	pol, _ := p.Policy(key)
	var buf [4]rule
	return m.updateStatus(acts, key, appendRules(buf[:0], pol.Alerts))
}

// confirmNeeded is k: the largest of the views' own k. Each node computes
// k from its membership view, and a node that was cut off (it counted only
// itself: k = 1) reports what it saw there after the heal, before its
// gossip catches up. Taking the newest k, one such report would let a
// single failing view page; taking the largest, a stale node can only make
// a page wait until it catches up. Views from before View.Confirm existed
// keep the monitor's k. It is recomputed when a view arrives, not when one
// is dropped: dropping changes no latch (the remaining nodes, reassigned,
// report again with their new k).
func (m *MonitorState) confirmNeeded() int {
	k := 0
	for _, v := range m.Views {
		k = max(k, v.Confirm)
	}
	if k == 0 {
		k = m.Confirm
	}
	return max(k, 1)
}

// evaluate re-derives a monitor's latches, incident, notifications and
// status after its views, confirm, policy or the time changed.
func (s *State) evaluate(acts []Action, key string, m *MonitorState, pol Policy, now time.Time) []Action {
	var ruleBuf [4]rule
	rules := appendRules(ruleBuf[:0], pol.Alerts)
	m.reconcile(rules)
	maint := window{in: pol.InMaintenance, now: now}
	k := max(m.Confirm, 1)

	if len(m.Deferred) > 0 && !maint.active() {
		for _, n := range m.Deferred {
			acts = append(acts, n)
		}
		m.Deferred = nil
	}

	var failBuf, healthyBuf [4]int
	failing, healthy := m.tally(rules, failBuf[:0], healthyBuf[:0])
	anyLatched := false
	for i := range rules {
		f, h := failing[i], healthy[i]
		a := &m.Alerts[i]
		switch {
		case !a.Latched && f >= k:
			a.Latched = true
		case a.Latched && h >= k && f < k:
			// With k <= n/2 both can hold; failing wins, or the next
			// evaluation would re-open what this one closed.
			a.Latched = false
		}
		anyLatched = anyLatched || a.Latched
	}

	switch {
	case anyLatched && m.Open == nil:
		s.Opened++
		m.Open = &Incident{
			ID:      key + "#" + strconv.FormatUint(s.Opened, 10),
			Monitor: key,
			Started: now,
			Opening: m.observers(),
			Errors:  m.failureErrors(),
		}
		acts = append(acts, IncidentOpened{Incident: m.Open.clone()})
		acts = m.sendDue(acts, key, rules, failing, k, &maint, now)
	case anyLatched:
		acts = m.sendDue(acts, key, rules, failing, k, &maint, now)
	case m.Open != nil:
		acts = m.close(acts, key, rules, &maint, now)
	}
	return m.updateStatus(acts, key, rules)
}

// sendDue sends, for the open incident, each latched alert's "triggered" if
// it has not gone out yet, else its reminder when one is due.
func (m *MonitorState) sendDue(acts []Action, key string, rules []rule, failing []int, k int, maint *window, now time.Time) []Action {
	for i := range rules {
		r, a := &rules[i], &m.Alerts[i]
		if !r.notifies || !a.Latched {
			continue
		}
		switch {
		case !a.Sent:
			if maint.active() {
				continue
			}
			a.Sent, a.LastSent = true, now
			acts = append(acts, m.notify(key, r, Triggered, string(Triggered), now))
		case r.reminder > 0 && !m.Open.Acked && failing[i] >= k && now.Sub(a.LastSent) >= r.reminder:
			if maint.active() {
				continue
			}
			a.Reminders++
			a.LastSent = now
			acts = append(acts, m.notify(key, r, Reminder, "reminder-"+strconv.Itoa(a.Reminders), now))
		}
	}
	return acts
}

// close ends the open incident: "resolved" for every alert whose
// "triggered" went out and that sends on resolved (withheld until the end of
// a maintenance window), then IncidentClosed.
func (m *MonitorState) close(acts []Action, key string, rules []rule, maint *window, now time.Time) []Action {
	for i := range rules {
		r, a := &rules[i], &m.Alerts[i]
		if r.notifies && a.Sent && r.sendOnResolved {
			n := m.notify(key, r, Resolved, string(Resolved), now)
			if maint.active() {
				m.Deferred = append(m.Deferred, n)
			} else {
				acts = append(acts, n)
			}
		}
		a.Sent, a.Reminders, a.LastSent = false, 0, time.Time{}
	}
	m.Open.Ended = now
	closed := *m.Open
	m.Open = nil
	if len(m.Closed) == MaxClosed {
		copy(m.Closed, m.Closed[1:])
		m.Closed = m.Closed[:MaxClosed-1]
	}
	m.Closed = append(m.Closed, closed)
	return append(acts, IncidentClosed{Incident: closed.clone()})
}

// reconcile makes m.Alerts parallel to rules, keeping the state of alerts
// that are still in force (same index and type) and starting new ones
// unlatched. An alert removed or disabled mid-incident just disappears.
func (m *MonitorState) reconcile(rules []rule) {
	if len(m.Alerts) == len(rules) {
		same := true
		for i := range rules {
			if m.Alerts[i].Index != rules[i].index || m.Alerts[i].Type != rules[i].typ {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	next := make([]AlertState, len(rules))
	for i, r := range rules {
		next[i] = AlertState{Index: r.index, Type: r.typ}
		for _, old := range m.Alerts {
			if old.Index == r.index && old.Type == r.typ {
				next[i] = old
				break
			}
		}
	}
	m.Alerts = next
}

// tally appends to failing and healthy, for each rule, how many observers
// are failing and how many are healthy for it.
func (m *MonitorState) tally(rules []rule, failing, healthy []int) ([]int, []int) {
	for range rules {
		failing = append(failing, 0)
		healthy = append(healthy, 0)
	}
	for _, v := range m.Views {
		for i := range rules {
			switch r := &rules[i]; {
			case v.failing(r):
				failing[i]++
			case v.Success && v.Streak >= r.success:
				healthy[i]++
			}
		}
	}
	return failing, healthy
}

func (v *View) failing(r *rule) bool {
	return v.RateTripped || (!v.Success && v.Streak >= r.failure)
}

func (m *MonitorState) updateStatus(acts []Action, key string, rules []rule) []Action {
	st := StatusUp
	if m.Open != nil {
		st = StatusDown
	} else {
	views:
		for _, v := range m.Views {
			for i := range rules {
				if v.failing(&rules[i]) {
					st = StatusDegraded
					break views
				}
			}
		}
	}
	if st == m.Status {
		return acts
	}
	prev := m.Status
	m.Status = st
	return append(acts, StatusChanged{Monitor: key, Status: st, Previous: prev})
}

func (m *MonitorState) notify(key string, r *rule, ev NotifyEvent, keyEvent string, now time.Time) Notify {
	n := Notify{
		Monitor:         key,
		AlertIndex:      r.index,
		AlertType:       r.typ,
		Event:           ev,
		Incident:        m.Open.ID,
		IncidentStarted: m.Open.Started,
		At:              now,
		Description:     r.description,
		Observers:       m.observers(),
		Key:             m.Open.ID + "/" + keyEvent + "/" + r.label,
	}
	if ev != Resolved {
		n.Errors = m.failureErrors()
	}
	return n
}

// observers lists the views by node.
func (m *MonitorState) observers() []ObserverView {
	if len(m.Views) == 0 {
		return nil
	}
	out := make([]ObserverView, 0, len(m.Views))
	for _, node := range sortedKeys(m.Views) {
		v := m.Views[node]
		out = append(out, ObserverView{
			Node:        node,
			Success:     v.Success,
			Streak:      v.Streak,
			RateTripped: v.RateTripped,
			Error:       strings.Join(v.Errors, "; "),
		})
	}
	return out
}

// failureErrors gathers the errors of the observers reporting a failure, by
// node, without duplicates, bounded like a view's.
func (m *MonitorState) failureErrors() []string {
	var all []string
	for _, node := range sortedKeys(m.Views) {
		if v := m.Views[node]; !v.Success || v.RateTripped {
			all = append(all, v.Errors...)
		}
	}
	return cleanErrors(all)
}

// window answers "in maintenance?" at most once per evaluation, and only
// when a notification depends on it.
type window struct {
	in     func(time.Time) bool
	now    time.Time
	known  bool
	inside bool
}

func (w *window) active() bool {
	if !w.known {
		w.known = true
		w.inside = w.in != nil && w.in(w.now)
	}
	return w.inside
}
