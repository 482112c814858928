package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"pgregory.net/rapid"
)

func TestEntryHeapProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		h := entryHeap{kind: byFire}
		var in []*entry // the model: entries in the heap, any order
		for i := range rapid.IntRange(1, 200).Draw(rt, "ops") {
			switch op := rapid.IntRange(0, 3).Draw(rt, "op"); {
			case op == 0 || len(in) == 0: // push
				e := &entry{key: fmt.Sprint("e", i), fire: rapid.Int64Range(0, 20).Draw(rt, "fire"), pos: [2]int{-1, -1}}
				h.push(e)
				in = append(in, e)
			case op == 1: // remove
				j := rapid.IntRange(0, len(in)-1).Draw(rt, "victim")
				h.remove(in[j])
				if in[j].pos[byFire] != -1 {
					rt.Fatalf("removed entry keeps index %d", in[j].pos[byFire])
				}
				in = slices.Delete(in, j, j+1)
			case op == 2: // move
				j := rapid.IntRange(0, len(in)-1).Draw(rt, "moved")
				in[j].fire = rapid.Int64Range(0, 20).Draw(rt, "fire")
				h.update(in[j])
			default: // pop
				want := slices.MinFunc(in, func(a, b *entry) int {
					if a.fire != b.fire {
						return int(a.fire - b.fire)
					}
					if a.key < b.key {
						return -1
					}
					return 1
				})
				if got := h.pop(); got != want {
					rt.Fatalf("pop = %s@%d, want %s@%d", got.key, got.fire, want.key, want.fire)
				}
				in = slices.DeleteFunc(in, func(e *entry) bool { return e == want })
			}
			if h.len() != len(in) {
				rt.Fatalf("heap holds %d, model %d", h.len(), len(in))
			}
			for i, it := range h.items {
				if it.e.pos[byFire] != i || it.at != it.e.fire {
					rt.Fatalf("item %d (at %d) has index %d, fire %d", i, it.at, it.e.pos[byFire], it.e.fire)
				}
				if i > 0 && h.less(it, h.items[(i-1)/2]) {
					rt.Fatalf("item %d is less than its parent", i)
				}
			}
		}
	})
}

// A random story of hot reloads, fast-confirmation requests and time
// passing, with random check durations and timeouts: the scheduler's
// promises hold throughout.
func TestSchedulerProperties(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(bubbledT{t}, checkScheduler)
	})
}

// bubbledT hides *testing.T from rapid, which would otherwise call
// t.Deadline, forbidden inside a synctest bubble.
type bubbledT struct{ *testing.T }

func checkScheduler(rt *rapid.T) {
	keys := []string{"k0", "k1", "k2", "k3", "k4", "k5"}
	concurrency := rapid.IntRange(1, 4).Draw(rt, "concurrency")
	jitter := rapid.SampledFrom([]time.Duration{0, NoJitter, 300 * time.Millisecond}).Draw(rt, "jitter")
	hold := make(map[string]time.Duration)
	for _, k := range keys {
		hold[k] = time.Duration(rapid.IntRange(0, 900).Draw(rt, "hold "+k)) * time.Millisecond
	}

	w := &world{
		current:  make(map[string]Job),
		defs:     make(map[string][]Job),
		runNowAt: make(map[string][]time.Time),
		jitter:   jitter,
	}
	rec := newRecorder(func(k string) time.Duration { return hold[k] })
	s := New(Options{Concurrency: concurrency, Jitter: jitter, Check: func(ctx context.Context, key string, due time.Time) {
		w.checkStart(key, due)
		rec.check(ctx, key, due)
	}})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	stop := func() {
		if cancel != nil {
			cancel()
			cancel = nil
			if err := <-errc; err != nil {
				rt.Errorf("Run: %v", err)
			}
		}
	}
	defer stop()

	for range rapid.IntRange(1, 25).Draw(rt, "steps") {
		switch rapid.IntRange(0, 2).Draw(rt, "action") {
		case 0:
			var jobs []Job
			for _, k := range keys {
				if !rapid.Bool().Draw(rt, "include "+k) {
					continue
				}
				iv := rapid.SampledFrom([]time.Duration{2 * time.Second, 3 * time.Second, 5 * time.Second, 7 * time.Second}).Draw(rt, "interval")
				jobs = append(jobs, Job{
					Key:      k,
					Interval: iv,
					Offset:   rapid.SampledFrom([]time.Duration{0, iv / 3}).Draw(rt, "offset"),
					Timeout:  rapid.SampledFrom([]time.Duration{0, 500 * time.Millisecond}).Draw(rt, "timeout"),
				})
			}
			w.set(jobs)
			if err := s.Set(jobs); err != nil {
				rt.Fatalf("Set: %v", err)
			}
		case 1:
			k := rapid.SampledFrom(keys).Draw(rt, "runNow")
			want := w.runNow(k)
			if got := s.RunNow(k); got != want {
				rt.Fatalf("RunNow(%s) = %v, want %v", k, got, want)
			}
		default:
			time.Sleep(time.Duration(rapid.IntRange(0, 10000).Draw(rt, "sleep ms")) * time.Millisecond)
		}
		synctest.Wait()
	}

	// Liveness: over three of the longest intervals, every job runs (the
	// queue is FIFO, so even with one slot nothing waits for long).
	from := time.Now()
	sleep(21 * time.Second)
	stop()
	for k := range w.current {
		if !slices.ContainsFunc(rec.of(k), func(r run) bool { return !r.start.Before(from) }) {
			rt.Errorf("job %s did not run in the final 21 s", k)
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range w.violations {
		rt.Errorf("%s", v)
	}
	if m := rec.maxRunning.Load(); m > int64(concurrency) {
		rt.Errorf("%d checks ran at once, limit %d", m, concurrency)
	}
	rec.mu.Lock()
	if len(rec.overlaps) > 0 {
		rt.Errorf("overlapping runs: %v", rec.overlaps)
	}
	n := len(rec.runs)
	rec.mu.Unlock()
	if st := s.Stats(); st.Runs != uint64(n) || st.Running != 0 {
		rt.Errorf("Stats = %+v, but %d checks ran", st, n)
	}
}

// world is the test's model of what the scheduler was asked to do.
type world struct {
	jitter time.Duration

	mu         sync.Mutex
	current    map[string]Job         // the job set last given to Set
	defs       map[string][]Job       // every definition each key has had
	runNowAt   map[string][]time.Time // when RunNow was called for a known key
	violations []string
}

func (w *world) set(jobs []Job) {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.current)
	for _, j := range jobs {
		w.current[j.Key] = j
		w.defs[j.Key] = append(w.defs[j.Key], j)
	}
}

func (w *world) runNow(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.current[key]
	if ok {
		w.runNowAt[key] = append(w.runNowAt[key], time.Now())
	}
	return ok
}

// checkStart is called at the start of every check: the key must be in
// the current set, and the run must be either one of its periodic runs
// (due on the phase of one of its definitions, started no earlier than
// the jitter allows) or a RunNow request (due when it was asked for).
func (w *world) checkStart(key string, due time.Time) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.current[key]; !ok {
		w.violations = append(w.violations, fmt.Sprintf("%v: %s started but is not a job", now, key))
		return
	}
	if slices.ContainsFunc(w.runNowAt[key], due.Equal) && !now.Before(due) {
		return
	}
	for _, j := range w.defs[key] {
		if aligned(due, key, j.Interval, j.Offset) && !now.Before(due.Add(-jitterBound(w.jitter, j.Interval))) {
			return
		}
	}
	w.violations = append(w.violations, fmt.Sprintf("%v: %s started for due %v, neither on a phase nor asked for", now, key, due))
}
