package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/monitor"
)

// tickEvery is how often the leader drives the incident engine's clock
// (reminders, notifications withheld by maintenance windows).
const tickEvery = 5 * time.Second

// leaderLoops is the work only the leader does. It starts when this node
// becomes leader and stops as soon as it is not: sending notifications,
// ticking the engine, and measuring push-check and heartbeat deadlines on
// its own monotonic clock. After a leader change every deadline restarts
// from the new leader's clock: late, never false.
type leaderLoops struct {
	a          *App
	outboxWake chan struct{}
	pushWake   chan struct{}
	monWake    chan struct{}
	memberWake chan struct{}

	extMu   sync.Mutex
	extSeen map[string]time.Time // external endpoint -> last push (monotonic)
}

func newLeaderLoops(a *App) *leaderLoops {
	return &leaderLoops{a: a,
		outboxWake: make(chan struct{}, 1), pushWake: make(chan struct{}, 1), monWake: make(chan struct{}, 1),
		memberWake: make(chan struct{}, 1),
		extSeen:    map[string]time.Time{}}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (l *leaderLoops) outboxChanged()   { signal(l.outboxWake) }
func (l *leaderLoops) pushChanged()     { signal(l.pushWake) }
func (l *leaderLoops) monitorsChanged() { signal(l.monWake); signal(l.pushWake) }
func (l *leaderLoops) membersChanged()  { signal(l.memberWake) }

func (l *leaderLoops) externalSeen(key string) {
	l.extMu.Lock()
	l.extSeen[key] = time.Now()
	l.extMu.Unlock()
}

// run waits for leadership, runs the leader's work while it lasts, and
// repeats until ctx ends.
func (l *leaderLoops) run(ctx context.Context) {
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for ctx.Err() == nil {
		if !l.a.node.IsLeader() {
			select {
			case <-ctx.Done():
				return
			case <-poll.C:
				continue
			}
		}
		l.a.log.Info("this node leads: sending notifications", "node", l.a.nodeID)
		lctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		loops := []func(context.Context){l.tick, l.pushDeadlines, l.heartbeats, l.a.dispatchLoop, l.deadMansSwitch}
		if l.a.cluster != nil {
			loops = append(loops, l.membership)
		}
		for _, f := range loops {
			wg.Add(1)
			go func() { defer wg.Done(); f(lctx) }()
		}
		for ctx.Err() == nil && l.a.node.IsLeader() {
			select {
			case <-ctx.Done():
			case <-poll.C:
			}
		}
		cancel()
		wg.Wait()
		if ctx.Err() == nil {
			l.a.log.Info("this node no longer leads", "node", l.a.nodeID, "leader", l.a.node.Leader())
		}
	}
}

func (l *leaderLoops) tick(ctx context.Context) {
	every(ctx, tickEvery, false, func(ctx context.Context) {
		if _, err := l.a.node.Propose(ctx, fsm.TypeTick, fsm.Tick{}); err != nil && ctx.Err() == nil {
			l.a.log.Warn("tick not committed", "err", err)
		}
	})
}

// pushDeadlines arms one timer per push check at its deadline. The span
// from the ping that set the deadline to the deadline is a difference of
// two times stamped by the same leader; it is measured from now on this
// leader's monotonic clock, so a new leader (arming at takeover) is late,
// never early.
func (l *leaderLoops) pushDeadlines(ctx context.Context) {
	type armed struct {
		pings int64
		at    time.Time // monotonic
	}
	timers := map[string]armed{}
	fired := map[string]int64{}
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	rearm := func() {
		now := time.Now()
		checks := l.a.node.FSM().PushChecks()
		for k := range timers {
			if _, ok := checks[k]; !ok {
				delete(timers, k)
			}
		}
		for k, v := range checks {
			deadline, ok := v.State.Deadline(v.Config)
			if !ok {
				delete(timers, k)
				continue
			}
			if t, ok := timers[k]; ok && t.pings == v.State.Pings {
				continue // armed for this state already
			}
			span := deadline.Sub(later(v.State.LastPing, v.State.Started))
			timers[k] = armed{pings: v.State.Pings, at: now.Add(max(span, 0))}
		}
	}
	rearm()
	for {
		next := time.Duration(-1)
		now := time.Now()
		for k, t := range timers {
			if fired[k] == t.pings {
				continue
			}
			if t.at.After(now) {
				if d := t.at.Sub(now); next < 0 || d < next {
					next = d
				}
				continue
			}
			fired[k] = t.pings
			go func(k string, pings int64) {
				if _, err := l.a.node.Propose(ctx, fsm.TypePushOverdue, fsm.PushOverdue{Monitor: k, Pings: pings}); err != nil && ctx.Err() == nil {
					l.a.log.Warn("push deadline not committed", "monitor", k, "err", err)
				}
			}(k, t.pings)
		}
		if next < 0 {
			next = time.Hour
		}
		wake.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-l.pushWake:
			rearm()
		case <-wake.C:
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// heartbeats records a failed result for an external endpoint nothing was
// pushed to within its heartbeat interval (Gatus's heartbeat), once per
// interval while silent.
func (l *leaderLoops) heartbeats(ctx context.Context) {
	takeover := time.Now()
	every(ctx, time.Second, false, func(context.Context) {
		now := time.Now()
		for _, s := range l.a.node.FSM().Monitors() {
			if s.Kind != monitor.KindExternal || !s.Enabled || s.Heartbeat <= 0 {
				continue
			}
			l.extMu.Lock()
			last, ok := l.extSeen[s.Key]
			if !ok || last.Before(takeover) {
				last = takeover // measured from this leader's takeover: late, never early
			}
			late := now.Sub(last) >= s.Heartbeat
			if late {
				l.extSeen[s.Key] = now
			}
			l.extMu.Unlock()
			if as := l.a.work.get(s.Key); late && as != nil {
				l.a.record(as, monitor.Result{Monitor: s.Key, Node: l.a.nodeID, Time: l.a.now(), Success: false,
					Errors: []string{fmt.Sprintf("heartbeat: no result pushed within %s", s.Heartbeat)}})
			}
		}
	})
}

// membership keeps Raft's configuration and the cluster's view of node
// health in line with gossip, while this node leads.
func (l *leaderLoops) membership(ctx context.Context) {
	t := time.NewTicker(membershipEvery)
	defer t.Stop()
	for {
		l.a.cluster.reconcileMembership(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.memberWake:
		}
	}
}

// deadMansSwitch pings cluster.heartbeat-url every heartbeat-interval, so
// the death of the whole cluster (or single node) is noticed elsewhere.
func (l *leaderLoops) deadMansSwitch(ctx context.Context) {
	cfg := l.a.cfg.Load().Cluster
	if cfg.HeartbeatURL == "" || cfg.HeartbeatInterval <= 0 {
		return
	}
	client := &http.Client{Timeout: 10 * time.Second}
	every(ctx, cfg.HeartbeatInterval, true, func(ctx context.Context) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.HeartbeatURL, nil)
		if err != nil {
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				l.a.log.Warn("heartbeat-url not reached", "err", err)
			}
			return
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			l.a.log.Warn("heartbeat-url answered an error", "status", resp.Status)
		}
	})
}
