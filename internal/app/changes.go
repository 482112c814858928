package app

import (
	"context"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor/incident"
)

// eventsOrigin is the history origin of events derived from the replicated
// state: every node derives the same events from the same log, keyed by the
// log index, so they are written locally and never streamed to peers.
const eventsOrigin = "~cluster"

// changeQueue carries the state machine's change reports out of Raft's
// apply goroutine (which must never block) to one worker.
type changeQueue struct {
	mu     sync.Mutex
	items  []fsm.Change
	wake   chan struct{}
	halted chan error
}

func newChangeQueue() *changeQueue {
	return &changeQueue{wake: make(chan struct{}, 1), halted: make(chan error, 1)}
}

func (q *changeQueue) push(c fsm.Change) {
	q.mu.Lock()
	q.items = append(q.items, c)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *changeQueue) take() []fsm.Change {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}

// run returns the worker: it reschedules checks when monitors change,
// writes history events for status changes, wakes the leader's loops when
// the outbox or push checks change, and stops the node if the state
// machine halted.
func (q *changeQueue) run(a *App) func(context.Context) {
	return func(ctx context.Context) {
		halt := time.NewTicker(time.Second)
		defer halt.Stop()
		var ev eventBuffer
		defer ev.flush(context.Background(), a) // what is buffered at shutdown
		for {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
			case <-halt.C:
				ev.flush(ctx, a)
				if err := a.node.FSM().Err(); err != nil {
					select {
					case q.halted <- err:
					default:
					}
					return
				}
				continue
			}
			var monitors, outbox, push bool
			for _, c := range q.take() {
				monitors = monitors || c.Monitors
				outbox = outbox || c.Outbox
				push = push || len(c.Push) > 0 || c.Restored
				ev.add(c)
			}
			if len(ev.events) >= maxBufferedEvents {
				ev.flush(ctx, a)
			}
			if monitors {
				a.work.reassign()
				a.leader.monitorsChanged()
			}
			if outbox {
				a.leader.outboxChanged()
			}
			if push {
				a.leader.pushChanged()
			}
		}
	}
}

// maxBufferedEvents flushes the event buffer early.
const maxBufferedEvents = 5000

// eventBuffer collects the history events derived from applied commands and
// writes them at most once a second, in one batch whose Seq is the highest
// log index it covers: writes stay one transaction per second however many
// commands are applied, and a replay after a restart (indexes at or below
// the watermark) is ignored.
type eventBuffer struct {
	events []history.Event
	last   uint64
}

// add records status changes as Gatus events (HEALTHY/UNHEALTHY, START
// before a monitor's first). "degraded" is not an event: Gatus has no such
// state, and the monitor is not down.
func (b *eventBuffer) add(c fsm.Change) {
	for _, act := range c.Actions {
		sc, ok := act.(incident.StatusChanged)
		if !ok || c.Index == 0 {
			continue
		}
		if sc.Previous == "" {
			b.events = append(b.events, history.Event{Monitor: sc.Monitor, Type: history.EventStart, Time: c.At})
		}
		switch sc.Status {
		case incident.StatusDown:
			b.events = append(b.events, history.Event{Monitor: sc.Monitor, Type: history.EventUnhealthy, Time: c.At})
		case incident.StatusUp:
			if sc.Previous == incident.StatusDown || sc.Previous == "" {
				b.events = append(b.events, history.Event{Monitor: sc.Monitor, Type: history.EventHealthy, Time: c.At})
			}
		}
		b.last = max(b.last, c.Index)
	}
}

func (b *eventBuffer) flush(ctx context.Context, a *App) {
	if len(b.events) == 0 {
		return
	}
	if _, err := a.store.Append(ctx, history.Batch{Origin: eventsOrigin, Seq: b.last, Events: b.events}); err != nil {
		a.log.Error("writing events (kept for the next try)", "index", b.last, "err", err)
		return
	}
	b.events = nil
}
