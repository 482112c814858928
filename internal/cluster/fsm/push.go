package fsm

import (
	"fmt"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/monitor/push"
)

// PushObserver is the node name push checks report as: the cluster itself
// observes them, so one view confirms.
const PushObserver = "push"

func (f *FSM) ping(c Ping, at time.Time, ch *Change) Result {
	spec := f.index.specs[c.Monitor]
	if spec == nil || spec.Kind != monitor.KindPush {
		return Result{Err: fmt.Errorf("push monitor %q: %w", c.Monitor, ErrNotFound)}
	}
	p := c.Ping
	p.At = at
	if err := p.Validate(); err != nil {
		return Result{Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
	}
	pc := f.st.Push[c.Monitor]
	if pc == nil {
		pc = &PushCheck{}
		f.st.Push[c.Monitor] = pc
	}
	pc.State.Ping(p)
	ch.Push = append(ch.Push, c.Monitor)
	if p.Kind == push.Start || p.Kind == push.Log {
		return Result{}
	}
	var errs []string
	if p.Failed() {
		e := "the job reported a failure"
		if p.Kind == push.ExitStatus {
			e = fmt.Sprintf("the job exited with status %d", p.ExitCode)
		}
		if pc.State.LastBody != "" {
			e += ": " + pc.State.LastBody
		}
		errs = []string{e}
	}
	f.observePush(c.Monitor, pc, !p.Failed(), errs, at, ch)
	return Result{}
}

func (f *FSM) pushOverdue(c PushOverdue, at time.Time, ch *Change) {
	pc := f.st.Push[c.Monitor]
	cfg, ok := f.index.push[c.Monitor]
	if pc == nil || !ok || pc.State.Pings != c.Pings {
		return // a ping arrived since the leader armed its timer
	}
	deadline, ok := pc.State.Deadline(cfg)
	if !ok {
		return
	}
	// The leader's monotonic timer decided the deadline passed; wall clocks
	// of different leaders are not compared, so expire at the deadline
	// itself if this leader's clock reads earlier.
	if at.Before(deadline) {
		at = deadline
	}
	if !pc.State.Expire(cfg, at) {
		return
	}
	ch.Push = append(ch.Push, c.Monitor)
	f.observePush(c.Monitor, pc, false, []string{"no ping received before the deadline (period + grace)"}, at, ch)
}

func (f *FSM) observePush(key string, pc *PushCheck, success bool, errs []string, at time.Time, ch *Change) {
	if pc.Streak > 0 && pc.Success == success {
		pc.Streak++
	} else {
		pc.Success, pc.Streak = success, 1
	}
	f.step(incident.Observed{Monitor: key, Node: PushObserver, Success: success, Streak: pc.Streak, Errors: errs, Confirm: 1}, at, ch)
}

// PushChecks returns copies of the push monitors' states with their
// schedules, for the leader's deadline timers.
func (f *FSM) PushChecks() map[string]PushView {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := map[string]PushView{}
	for k, cfg := range f.index.push {
		v := PushView{Config: cfg}
		if pc := f.st.Push[k]; pc != nil {
			v.State = pc.State
		}
		out[k] = v
	}
	return out
}

// PushView is a push monitor's state and schedule.
type PushView struct {
	State  push.State
	Config push.Config
}
