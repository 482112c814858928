package app

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/assign"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/scheduler"
)

// assigned is one monitor this node checks (or, for external endpoints on
// the leader, observes).
type assigned struct {
	spec *monitor.Spec
	plan assign.Plan
	view *view
}

// view is this node's running judgement of one monitor. It outlives
// reassignments (every monitor is reassigned when any monitor or member
// changes), so an unrelated change neither restarts a streak nor re-reports
// it.
type view struct {
	mu  sync.Mutex
	obs *incident.Observer      // guarded by mu
	cfg incident.ObserverConfig // what obs was configured with; guarded by mu
	// failing: the streak had reached a failure threshold (or tripped the
	// rate rule) at the last result; guarded by mu.
	failing bool
}

// keepView returns prev's view reconfigured for cfg, or a new one when
// there is no prev. A view whose config or set of checkers changed reports
// its next result whatever it is, so the engine's view of this node (which
// it may have dropped while the node was away) is current again.
func keepView(prev *assigned, cfg incident.ObserverConfig, owners []string) (*view, error) {
	if prev == nil {
		o, err := incident.NewObserver(cfg)
		if err != nil {
			return nil, err
		}
		return &view{obs: o, cfg: cfg}, nil
	}
	v := prev.view
	v.mu.Lock()
	defer v.mu.Unlock()
	if !reflect.DeepEqual(v.cfg, cfg) || !slices.Equal(prev.plan.Owners, owners) {
		if err := v.obs.Reconfigure(cfg); err != nil {
			return v, err // validated at load: keep judging as before
		}
		v.cfg = cfg
	}
	return v, nil
}

// work is this node's share of the monitors, rebuilt when the monitor set
// or the membership changes.
type work struct {
	a       *App
	current atomic.Pointer[map[string]*assigned]
	mu      sync.Mutex // serializes reassign
}

func newWork(a *App) *work {
	w := &work{a: a}
	empty := map[string]*assigned{}
	w.current.Store(&empty)
	return w
}

func (w *work) get(key string) *assigned {
	return (*w.current.Load())[key]
}

// members is the membership the assignment is computed over. A single
// node is alone.
func (w *work) members() []assign.Member {
	if w.a.cluster != nil && w.a.cluster.gossip != nil {
		return w.a.cluster.members()
	}
	cfg := w.a.cfg.Load()
	return []assign.Member{{ID: w.a.nodeID, Labels: cfg.Node.Labels}}
}

// reassign recomputes what this node checks from the replicated monitor
// list and the membership, keeping observers (and their streaks) of
// monitors that stay, and hands the jobs to the scheduler.
func (w *work) reassign() {
	w.mu.Lock()
	defer w.mu.Unlock()
	specs := w.a.node.FSM().Monitors()
	var mons []assign.Monitor
	byKey := make(map[string]*monitor.Spec, len(specs))
	for _, s := range specs {
		byKey[s.Key] = s
		if !s.Enabled || !probed(s.Kind) {
			continue
		}
		mons = append(mons, assign.Monitor{Key: s.Key, Interval: s.Interval, Vantage: s.Vantage, Confirm: s.Confirm, Selector: s.NodeLabels})
	}
	plans := assign.For(w.a.nodeID, mons, w.members())
	source := w.a.cfg.Load().Node.SourceAddress
	old := *w.current.Load()
	next := make(map[string]*assigned, len(plans))
	jobs := make([]scheduler.Job, 0, len(plans))
	for _, p := range plans {
		s := byKey[p.Key]
		if source != "" && s.Client.SourceIP == "" {
			cp := *s // this node's checks leave from its source address
			cp.Client.SourceIP = source
			s = &cp
		}
		v, err := keepView(old[p.Key], observerConfig(w.a.nodeID, s), p.Owners)
		if v == nil {
			w.a.log.Error("monitor not observed", "monitor", s.Key, "err", err)
			continue
		} else if err != nil {
			w.a.log.Error("monitor observer not reconfigured", "monitor", s.Key, "err", err)
		}
		as := &assigned{spec: s, plan: p, view: v}
		next[p.Key] = as
		jobs = append(jobs, scheduler.Job{Key: p.Key, Interval: s.Interval, Timeout: s.Timeout(), Offset: p.Offset})
	}
	// External endpoints are observed where their results are recorded.
	for _, s := range specs {
		if s.Enabled && s.Kind == monitor.KindExternal {
			v, err := keepView(old[s.Key], observerConfig(w.a.nodeID, s), nil)
			if v == nil {
				w.a.log.Error("external endpoint not observed", "monitor", s.Key, "err", err)
				continue
			}
			as := &assigned{spec: s, plan: assign.Plan{Key: s.Key, Vantage: 1, Confirm: 1}, view: v}
			next[s.Key] = as
		}
	}
	if err := w.a.sched.Set(jobs); err != nil {
		w.a.log.Error("scheduling", "err", err)
		return
	}
	w.current.Store(&next)
	for k := range old {
		if _, ok := byKey[k]; !ok {
			w.a.metrics.Forget(k)
			continue // deleted: the state machine forgot it already
		}
		if _, ok := next[k]; !ok {
			// Still a monitor, but no longer ours: drop our view of it so
			// it neither confirms nor blocks an incident.
			w.a.obs.Release(incident.Released{Monitor: k, Node: w.a.nodeID})
		}
	}
}

func probed(k monitor.Kind) bool {
	return k != monitor.KindExternal && k != monitor.KindPush
}

func observerConfig(node string, s *monitor.Spec) incident.ObserverConfig {
	cfg := incident.ObserverConfig{Monitor: s.Key, Node: node, Alerts: incident.AlertPoliciesFrom(s.Alerts)}
	if r := s.FailureRate; r != nil {
		cfg.Rate = &incident.RateRule{MaxFailures: r.MaxFailures, Window: r.Window, Only5xx: r.Only5xx}
	}
	return cfg
}

// check is the scheduler's job: probe, judge, record.
func (a *App) check(ctx context.Context, key string, due time.Time) {
	as := a.work.get(key)
	if as == nil {
		return // unassigned since it was queued
	}
	a.metrics.CheckStarted()
	start := time.Now()
	obs := a.probes.Probe(ctx, as.spec)
	r := monitor.Evaluate(as.spec, &obs, a.nodeID, start.Add(a.opts.ClockOffset))
	a.metrics.CheckFinished()
	if d := start.Sub(due); d > 0 {
		a.metrics.ObserveQueueDelay(d)
	}
	a.record(as, r)
}

// record stores a result, counts it, and feeds this node's observer.
func (a *App) record(as *assigned, r monitor.Result) {
	if err := a.writer.Add(context.Background(), r); err != nil {
		a.log.Warn("result not stored", "monitor", r.Monitor, "err", err) // only while shutting down
	}
	a.metrics.ObserveResult(as.spec, &r)
	v := as.view
	v.mu.Lock()
	ev, ok := v.obs.Record(&r)
	crossed := v.obs.Failing() && !v.failing
	v.failing = v.obs.Failing()
	v.mu.Unlock()
	if ok && (!ev.Success || ev.RateTripped || a.node.FSM().MattersToEngine(ev.Monitor, ev.Node)) {
		ev.Confirm = as.plan.Confirm
		a.obs.Add(ev)
	}
	if crossed && a.cluster != nil && len(as.plan.Owners) > 1 {
		// Fast confirmation: once this node's streak reaches the failure
		// threshold, the other checkers look now instead of at their next
		// phase, so the outage confirms in about one probe time. Asking
		// earlier (at the first failure) would add checks to every
		// streak, and a blip shorter than the thresholds would page.
		a.cluster.checkNow(r.Monitor, as.plan.Owners)
	}
}

// PushExternal records a result pushed to an external endpoint. In a
// cluster it is recorded by the leader, where the endpoint's observer and
// heartbeat live; a follower forwards it.
func (a *App) PushExternal(ctx context.Context, r monitor.Result) error {
	if a.cluster != nil && !a.node.IsLeader() {
		if err := a.cluster.callLeader(ctx, methodExternal, externalResult{Result: r}, nil); err != nil {
			return fmt.Errorf("recording the result: %w", err)
		}
		return nil
	}
	return a.pushExternalHere(ctx, r)
}

type externalResult struct {
	Result monitor.Result `json:"result"`
}

func (a *App) pushExternalHere(_ context.Context, r monitor.Result) error {
	as := a.work.get(r.Monitor)
	if as == nil || as.spec.Kind != monitor.KindExternal {
		return fmt.Errorf("%s is not an external endpoint", r.Monitor)
	}
	a.leader.externalSeen(r.Monitor)
	a.record(as, r)
	return nil
}
