package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/monitor/incident"
)

// proposer is how the app commits commands (the cluster node).
type proposer interface {
	Propose(ctx context.Context, t fsm.Type, body any) (fsm.Result, error)
}

// observations batches observers' state changes into Observe commands: a
// burst of checks crossing thresholds costs one Raft entry, not one each.
// Order is kept (the engine must see a failure streak even if a success
// follows it before the commit), and nothing is dropped while no leader
// can take them; the buffer is bounded by maxPending, past which the
// oldest are dropped and counted (observers re-report on their next
// threshold crossing).
type observations struct {
	p      proposer
	log    *slog.Logger
	window time.Duration

	mu       sync.Mutex
	pending  []incident.Observed
	released []incident.Released
	dropped  int
	wake     chan struct{}
}

const maxPendingObservations = 100_000

// observationWindow is how long a burst of observations may gather into
// one command: long enough to batch the first results of thousands of
// monitors, short enough for the notification to leave well within 100 ms
// of the check that crossed the threshold.
const observationWindow = 25 * time.Millisecond

// proposeTimeout bounds one Observe proposal.
const proposeTimeout = 3 * time.Second

func newObservations(p proposer, log *slog.Logger, window time.Duration) *observations {
	return &observations{p: p, log: log, window: window, wake: make(chan struct{}, 1)}
}

// Add queues an observation; it never blocks the checks.
func (o *observations) Add(e incident.Observed) {
	o.mu.Lock()
	if len(o.pending) >= maxPendingObservations {
		o.pending = o.pending[1:]
		o.dropped++
	}
	o.pending = append(o.pending, e)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Release queues "node no longer checks monitor".
func (o *observations) Release(r incident.Released) {
	o.mu.Lock()
	o.released = append(o.released, r)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run proposes batches until ctx ends, then makes one last bounded attempt.
func (o *observations) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			o.flush(fctx)
			cancel()
			return
		case <-o.wake:
		}
		// Let a burst gather for a moment: one entry instead of many.
		select {
		case <-time.After(o.window):
		case <-ctx.Done():
		}
		o.flushRetrying(ctx)
	}
}

// flushRetrying flushes until it succeeds or ctx ends, backing off while
// no leader takes the command.
func (o *observations) flushRetrying(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for !o.flush(ctx) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// flush proposes what is pending; false if it must be retried.
func (o *observations) flush(ctx context.Context) bool {
	o.mu.Lock()
	batch, released := o.pending, o.released
	o.pending, o.released = nil, nil
	dropped := o.dropped
	o.dropped = 0
	o.mu.Unlock()
	if dropped > 0 {
		o.log.Warn("observations dropped while no leader could take them", "count", dropped)
	}
	const maxPerCommand = 2000
	for len(batch) > 0 || len(released) > 0 {
		n := min(len(batch), maxPerCommand)
		cmd := fsm.Observe{Observations: batch[:n], Released: released}
		// A short deadline: if the leader froze, retry (against the next
		// leader) soon rather than wait on it.
		pctx, cancel := context.WithTimeout(ctx, proposeTimeout)
		res, err := o.p.Propose(pctx, fsm.TypeObserve, cmd)
		cancel()
		if err != nil {
			o.requeue(batch, released)
			if ctx.Err() == nil {
				o.log.Warn("observations not committed yet; retrying", "count", len(batch), "err", err)
			}
			return false
		}
		if res.Err != nil {
			o.log.Error("observations refused", "err", res.Err)
		}
		batch, released = batch[n:], nil
	}
	return true
}

// requeue puts a failed batch back in front of what arrived meanwhile.
func (o *observations) requeue(batch []incident.Observed, released []incident.Released) {
	o.mu.Lock()
	o.pending = append(batch, o.pending...)
	o.released = append(released, o.released...)
	if over := len(o.pending) - maxPendingObservations; over > 0 {
		o.pending = o.pending[over:]
		o.dropped += over
	}
	o.mu.Unlock()
}
