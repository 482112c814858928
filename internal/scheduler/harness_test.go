package scheduler

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Every test that drives time runs inside a synctest bubble: time.Now,
// timers and context deadlines use the bubble's fake clock, which starts
// at 2000-01-01 00:00:00 UTC and only moves when every goroutine in the
// bubble is blocked. So "time.Sleep(d); synctest.Wait()" advances the
// scheduler by exactly d and lets every check due in between run.

// run is one call of the check func as the recorder saw it.
type run struct {
	key      string
	due      time.Time
	start    time.Time
	end      time.Time
	deadline time.Time
	err      error // ctx.Err() when the check returned
}

// recorder is a Check func that records every call and checks, with
// atomic counters, that no key runs twice at once and that no more than
// the expected number of checks run together.
type recorder struct {
	// hold says how long the check of key takes; a check returns early
	// when its context is done. Nil: checks return at once.
	hold func(key string) time.Duration

	running    atomic.Int64
	maxRunning atomic.Int64

	mu       sync.Mutex
	active   map[string]int
	overlaps []string
	runs     []run
}

func newRecorder(hold func(key string) time.Duration) *recorder {
	return &recorder{hold: hold, active: make(map[string]int)}
}

func (r *recorder) check(ctx context.Context, key string, due time.Time) {
	start := time.Now()
	n := r.running.Add(1)
	for {
		m := r.maxRunning.Load()
		if n <= m || r.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	r.mu.Lock()
	r.active[key]++
	if r.active[key] > 1 {
		r.overlaps = append(r.overlaps, fmt.Sprintf("%s at %v", key, start))
	}
	r.mu.Unlock()

	if r.hold != nil {
		if d := r.hold(key); d > 0 {
			timer := time.NewTimer(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
			}
		}
	}

	deadline, _ := ctx.Deadline()
	r.mu.Lock()
	r.active[key]--
	r.runs = append(r.runs, run{key: key, due: due, start: start, end: time.Now(), deadline: deadline, err: ctx.Err()})
	r.mu.Unlock()
	r.running.Add(-1)
}

// all returns the finished runs in start order (ties by key).
func (r *recorder) all() []run {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]run(nil), r.runs...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].start.Equal(out[j].start) {
			return out[i].start.Before(out[j].start)
		}
		return out[i].key < out[j].key
	})
	return out
}

// of returns the finished runs of key in start order.
func (r *recorder) of(key string) []run {
	var out []run
	for _, x := range r.all() {
		if x.key == key {
			out = append(out, x)
		}
	}
	return out
}

func (r *recorder) assertNoOverlap(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.overlaps) > 0 {
		t.Errorf("%d overlapping runs, first: %s", len(r.overlaps), r.overlaps[0])
	}
}

// start runs s in the background and returns a stop func that cancels
// Run's context and waits for Run to return. Call inside a bubble.
func start(t *testing.T, s *Scheduler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	synctest.Wait()
	stopped := false
	return func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// sleep advances the bubble's clock by d and lets everything due run.
func sleep(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// sleepUntil advances the bubble's clock to t.
func sleepUntil(t time.Time) {
	sleep(time.Until(t))
}

// mustSet calls s.Set and fails the test on error.
func mustSet(t *testing.T, s *Scheduler, jobs ...Job) {
	t.Helper()
	if err := s.Set(jobs); err != nil {
		t.Fatalf("Set: %v", err)
	}
}

// dueAt returns the offset that makes key, at interval, fall due at the
// instants congruent to at modulo interval, whatever its hash.
func dueAt(key string, interval time.Duration, at time.Time) time.Duration {
	phase := phaseOf(keyHash(key), int64(interval), 0)
	return time.Duration(at.UnixNano()%int64(interval) - phase)
}

// aligned reports whether due is one of the due times of a job.
func aligned(due time.Time, key string, interval, offset time.Duration) bool {
	phase := phaseOf(keyHash(key), int64(interval), int64(offset))
	return due.UnixNano()%int64(interval) == phase
}

// bubble runs f in a synctest bubble; a readability alias.
func bubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, f)
}

// nextDue is the first due time at or after from of a job, by its phase.
func nextDue(key string, interval, offset time.Duration, from time.Time) time.Time {
	phase := phaseOf(keyHash(key), int64(interval), int64(offset))
	r := (from.UnixNano() - phase) % int64(interval)
	if r == 0 {
		return from
	}
	return from.Add(interval - time.Duration(r))
}
