package fsm

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/notify"
)

const maxErrorText = 512

// enqueueAlert turns an engine Notify into an outbox entry for the alert's
// provider.
func (f *FSM) enqueueAlert(n incident.Notify, at time.Time, ch *Change) {
	spec := f.index.specs[n.Monitor]
	if spec == nil {
		return
	}
	msg := notify.Message{
		Event:          notify.Event(n.Event),
		IdempotencyKey: n.Key,
		Monitor:        notify.MonitorRef{Key: spec.Key, Name: spec.Name, Group: spec.Group},
		Incident:       notify.IncidentRef{ID: n.Incident, StartedAt: n.IncidentStarted},
		State:          "down",
		Description:    n.Description,
		Errors:         slices.Clone(n.Errors),
	}
	if !spec.UI.HideURL {
		msg.Monitor.URL = spec.URL
	}
	if n.Event == incident.Resolved {
		msg.State = "up"
	}
	for _, o := range n.Observers {
		msg.Observers = append(msg.Observers, notify.Observer{Node: o.Node, Success: o.Success, Error: o.Error})
	}
	var override map[string]any
	if n.AlertIndex >= 0 && n.AlertIndex < len(spec.Alerts) {
		a := spec.Alerts[n.AlertIndex]
		override = a.ProviderOverride
		msg.Alert = notify.AlertRef{Type: a.Type, FailureThreshold: a.FailureThreshold,
			SuccessThreshold: a.SuccessThreshold, SendOnResolved: a.SendOnResolved, Override: a.ProviderOverride}
	}
	f.add(Entry{Key: n.Key, Provider: n.AlertType, Override: override, Message: msg, Created: at}, ch)
}

// clusterProviders are the providers that receive cluster events.
func (f *FSM) clusterProviders() []string {
	if f.st.Config == nil {
		return nil
	}
	if len(f.st.Config.ClusterNotify) > 0 {
		return slices.Sorted(slices.Values(f.st.Config.ClusterNotify))
	}
	var out []string
	for p := range f.st.Config.Providers {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// enqueueCluster sends a cluster event to every cluster provider but skip.
func (f *FSM) enqueueCluster(subject string, ev notify.Event, desc, skip string, at time.Time, ch *Change) {
	for _, p := range f.clusterProviders() {
		if p == skip {
			continue
		}
		key := fmt.Sprintf("%s#%d/%s/%s", subject, ch.Index, ev, p)
		msg := notify.Message{
			Event: ev, IdempotencyKey: key, Description: desc,
			Incident: notify.IncidentRef{ID: fmt.Sprintf("%s#%d", subject, ch.Index), StartedAt: at},
			State:    "down",
		}
		if ev == notify.EventNodeUp {
			msg.State = "up"
		}
		f.add(Entry{Key: key, Provider: p, Message: msg, Created: at}, ch)
	}
}

// add puts an entry in the outbox unless its key was seen already. An
// entry for a provider the config does not define goes straight to the
// log, marked suppressed, so the loss is visible instead of silent.
func (f *FSM) add(e Entry, ch *Change) {
	if _, ok := f.st.Outbox[e.Key]; ok || f.delivered(e.Key) {
		return
	}
	f.st.OutboxSeq++
	e.Seq = f.st.OutboxSeq
	ch.Outbox = true
	if f.st.Config == nil || f.st.Config.Providers[e.Provider] == "" {
		e.Suppressed = fmt.Sprintf("no alerting.%s section in the config in force", e.Provider)
		f.log(e)
		return
	}
	f.st.Outbox[e.Key] = &e
}

func (f *FSM) delivered(key string) bool {
	for i := range f.st.Deliveries {
		if f.st.Deliveries[i].Key == key {
			return true
		}
	}
	return false
}

func (f *FSM) log(e Entry) {
	f.st.Deliveries = append(f.st.Deliveries, e)
	if over := len(f.st.Deliveries) - MaxDeliveries; over > 0 {
		f.st.Deliveries = slices.Delete(f.st.Deliveries, 0, over)
	}
}

func (f *FSM) markDelivered(c Delivered, at time.Time, ch *Change) Result {
	e, ok := f.st.Outbox[c.Key]
	if !ok {
		if f.delivered(c.Key) {
			return Result{} // delivered already: idempotent
		}
		return Result{Err: fmt.Errorf("outbox entry %q: %w", c.Key, ErrNotFound)}
	}
	e.Delivered, e.DeliveredBy = at, c.By
	delete(f.st.Outbox, c.Key)
	f.log(*e)
	ch.Outbox = true
	return Result{}
}

func (f *FSM) attempted(c Attempted, at time.Time) Result {
	e, ok := f.st.Outbox[c.Key]
	if !ok {
		return Result{Err: fmt.Errorf("outbox entry %q: %w", c.Key, ErrNotFound)}
	}
	e.Attempts++
	e.LastAttempt = at
	e.LastError = truncate(c.Error, maxErrorText)
	return Result{}
}

// suppressOrphans moves pending entries whose provider left the config to
// the log, marked suppressed.
func (f *FSM) suppressOrphans(at time.Time, ch *Change) {
	for _, k := range sortedKeys(f.st.Outbox) {
		e := f.st.Outbox[k]
		if f.st.Config.Providers[e.Provider] != "" {
			continue
		}
		e.Suppressed = fmt.Sprintf("alerting.%s was removed from the config before delivery", e.Provider)
		delete(f.st.Outbox, k)
		f.log(*e)
		ch.Outbox = true
	}
}

func (f *FSM) nodeEvent(c NodeEvent, at time.Time, ch *Change) {
	n := f.st.Nodes[c.Node]
	if n != nil && n.Up == c.Up {
		return // gossip told several nodes; the first report wins
	}
	if n == nil && c.Up {
		f.st.Nodes[c.Node] = &NodeState{Up: true, Since: at}
		return // a node seen for the first time is news to nobody
	}
	f.st.Nodes[c.Node] = &NodeState{Up: c.Up, Since: at}
	if c.Up {
		f.enqueueCluster("node:"+c.Node, notify.EventNodeUp, fmt.Sprintf("custodes node %s is back", c.Node), "", at, ch)
		return
	}
	f.step(incident.NodeGone{Node: c.Node}, at, ch)
	desc := fmt.Sprintf("custodes node %s is unreachable", c.Node)
	if c.Reporter != "" {
		desc += " (reported by " + c.Reporter + ")"
	}
	f.enqueueCluster("node:"+c.Node, notify.EventNodeDown, desc, "", at, ch)
}

func (f *FSM) notifierHealth(c NotifierHealth, at time.Time, ch *Change) {
	n := f.st.Notifiers[c.Provider]
	if n != nil && n.Failing == c.Failing {
		return
	}
	f.st.Notifiers[c.Provider] = &NotifierState{Failing: c.Failing, Since: at, Error: truncate(c.Error, maxErrorText)}
	if c.Failing {
		desc := fmt.Sprintf("notifier %s has been failing: %s", c.Provider, truncate(c.Error, maxErrorText))
		f.enqueueCluster("notifier:"+c.Provider, notify.EventNotifierDown, desc, c.Provider, at, ch)
	}
}

// Pending returns copies of the undelivered entries in creation order.
func (f *FSM) Pending() []Entry {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]Entry, 0, len(f.st.Outbox))
	for _, e := range f.st.Outbox {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Deliveries returns up to limit entries of the delivery log, newest first.
func (f *FSM) Deliveries(limit int) []Entry {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := len(f.st.Deliveries)
	if limit <= 0 || limit > n {
		limit = n
	}
	out := make([]Entry, 0, limit)
	for i := n - 1; i >= n-limit; i-- {
		out = append(out, f.st.Deliveries[i])
	}
	return out
}

// Notifiers returns the providers' health as reported by dispatchers.
func (f *FSM) Notifiers() map[string]NotifierState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := map[string]NotifierState{}
	for k, v := range f.st.Notifiers {
		out[k] = *v
	}
	return out
}

// Nodes returns the cluster's agreed view of node health.
func (f *FSM) Nodes() map[string]NodeState {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := map[string]NodeState{}
	for k, v := range f.st.Nodes {
		out[k] = *v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// Incidents returns open incidents first, then closed ones, newest first.
func (f *FSM) Incidents() []incident.Incident {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.Engine.Incidents()
}

// MonitorStatus is a monitor's decided status and its observers' views.
type MonitorStatus struct {
	Status   incident.Status
	Incident string // the open incident, if any
	Views    []incident.ObserverView
}

// MonitorStatuses returns every monitor's status as the engine decided it.
func (f *FSM) MonitorStatuses() map[string]MonitorStatus {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make(map[string]MonitorStatus, len(f.st.Engine.Monitors))
	for k, m := range f.st.Engine.Monitors {
		st := MonitorStatus{Status: m.Status}
		if m.Open != nil {
			st.Incident = m.Open.ID
		}
		for _, node := range sortedKeys(m.Views) {
			v := m.Views[node]
			st.Views = append(st.Views, incident.ObserverView{Node: node, Success: v.Success, Streak: v.Streak,
				RateTripped: v.RateTripped, Error: strings.Join(v.Errors, "; ")})
		}
		out[k] = st
	}
	return out
}

// MattersToEngine reports whether a success observed by node on monitor
// can change anything: the node has a view to replace, or an incident is
// open (its success may help resolve it). Healthy monitors seen by a node
// for the first time then cost no Raft traffic at all.
func (f *FSM) MattersToEngine(monitor, node string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	m := f.st.Engine.Monitors[monitor]
	if m == nil {
		return false
	}
	_, hasView := m.Views[node]
	return hasView || m.Open != nil
}
