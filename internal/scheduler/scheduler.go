// Package scheduler starts periodic checks at a fixed rate from one timer
// heap per node and runs them on a bounded pool of workers. It knows nothing
// about what a check is: the caller gives it a func and a set of jobs.
//
// Scheduling rules:
//
//   - A job's runs are due at the instants whose Unix time is congruent to
//     its phase modulo its interval. The phase is a hash of the key (stable
//     across processes and machines) plus Job.Offset, so the first runs of
//     many jobs spread evenly over one interval, and nodes checking the same
//     monitor with offsets interval*i/k look at it every interval/k. The
//     wall clock only places the first due time (when Run starts or Set adds
//     the job); later ones follow the monotonic clock.
//   - Fixed rate without drift: the next due time is the previous one plus
//     the interval. Jitter only moves the moment a run is started; it never
//     accumulates.
//   - A key never runs twice at once: a run that falls due while the
//     previous one of the same key is still queued or running is skipped
//     (Stats.Skipped).
//   - At most Options.Concurrency checks run at once; due runs wait for a
//     slot in the order they fell due. Each check's context carries the
//     job's timeout, so a hung target holds a slot for at most that long.
//
// There is no Clock option: time comes from the time package (one
// time.Timer, the monotonic clock, context deadlines), which
// testing/synctest replaces with a deterministic fake clock, so the check
// deadlines follow the same fake time as the schedule in tests.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultConcurrency is the number of checks that may run at once when
// Options.Concurrency is not set.
const DefaultConcurrency = 256

// NoJitter, as Options.Jitter, starts every run exactly at its due time.
const NoJitter time.Duration = -1

// MaxInterval is the longest interval a job may have.
const MaxInterval = 10 * 365 * 24 * time.Hour

// ErrStarted is returned by Run when the scheduler has been run before.
var ErrStarted = errors.New("scheduler: Run called more than once")

// Job is one periodic check.
type Job struct {
	// Key names the job; it is passed to Options.Check and decides the
	// job's phase. Keys are unique within one Set.
	Key string
	// Interval is the time between two due times; 0 < Interval <= MaxInterval.
	Interval time.Duration
	// Timeout is the deadline put on each check's context, counted from
	// the moment the check starts. 0 means Interval.
	Timeout time.Duration
	// Offset shifts the job's phase (any value; taken modulo Interval).
	// A cluster gives the k nodes checking one monitor offsets
	// Interval*i/k, i = 0..k-1.
	Offset time.Duration
}

// Options configure a Scheduler.
type Options struct {
	// Concurrency is the most checks running at once; <= 0 means
	// DefaultConcurrency.
	Concurrency int
	// Jitter bounds how far a run's start is moved from its due time, at
	// random but deterministically for a (job, due time) pair.
	//   0 (default): ±min(Interval/100, 1s) per job;
	//   > 0:         ±min(Jitter, Interval/4) per job, so consecutive runs
	//                of one job always start at least Interval/2 apart;
	//   < 0 (NoJitter): none.
	Jitter time.Duration
	// Check runs one check. ctx is cancelled at the job's timeout and when
	// Run's context is done; due is the nominal time the run fell due
	// (for RunNow: when RunNow was called). Check must not panic: like a
	// panic in any goroutine, it would end the program.
	Check func(ctx context.Context, key string, due time.Time)
}

// Stats is a snapshot of the scheduler's counters.
type Stats struct {
	Jobs    int // jobs in the current set
	Running int // checks running now
	Queued  int // runs due and waiting for a free slot
	Workers int // worker goroutines alive (<= Concurrency)

	Runs    uint64 // checks started
	Skipped uint64 // runs not started because the key's previous run was still queued or running
	Missed  uint64 // due times passed over because the scheduler itself was a whole interval behind (e.g. the host was suspended)
	Late    uint64 // runs that fell due while all Concurrency slots were taken, so waited for one
	// QueueDelay is the total time runs spent between falling due and
	// starting (waiting for a slot, plus dispatch latency).
	QueueDelay time.Duration
}

// Scheduler runs jobs at fixed rates. Its methods are safe for concurrent
// use. Create one with New.
type Scheduler struct {
	check       func(ctx context.Context, key string, due time.Time)
	concurrency int
	jitter      time.Duration
	epoch       time.Time // ticks are nanoseconds since epoch (monotonic)
	wake        chan struct{}
	wg          sync.WaitGroup

	mu       sync.Mutex
	cond     sync.Cond // idle workers wait here; L is &mu
	jobs     map[string]*entry
	timers   entryHeap // every scheduled job, by next start time
	ready    entryHeap // runs due and waiting for a slot, by due order
	gen      uint64    // Set generation
	draining int       // removed jobs whose last run is still going
	started  bool      // Run has begun: jobs are on the timer heap
	stopping bool      // Run's context is done: nothing new starts
	runCtx   context.Context

	workers int // worker goroutines alive
	idle    int // workers waiting on cond, not yet signalled
	waking  int // workers signalled or spawned, not yet back under mu
	running int

	runs, skipped, missed, late uint64
	queueDelay                  int64
}

// New returns a scheduler with no jobs. Set and RunNow may be called
// before Run; nothing runs until Run, which places the first due times
// from the moment it starts.
func New(opts Options) *Scheduler {
	s := &Scheduler{
		check:       opts.Check,
		concurrency: opts.Concurrency,
		jitter:      opts.Jitter,
		epoch:       time.Now(),
		wake:        make(chan struct{}, 1),
		jobs:        make(map[string]*entry),
		timers:      entryHeap{kind: byFire},
		ready:       entryHeap{kind: byReady},
	}
	if s.concurrency <= 0 {
		s.concurrency = DefaultConcurrency
	}
	s.cond.L = &s.mu
	return s
}

// Set replaces the job set, atomically; invalid input changes nothing and
// returns an error naming the job. A job whose key, interval and offset
// are unchanged keeps its next due time (a new timeout applies from its
// next run); a new or changed job gets its phase's next due time; a removed
// job stops: a queued run of it is dropped, a running one is not cancelled
// but not rescheduled either.
func (s *Scheduler) Set(jobs []Job) error {
	if err := validate(jobs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	live := s.started && !s.stopping
	var now, wall int64
	if live {
		now, wall = s.now()
	}
	for i := range jobs {
		j := &jobs[i]
		e := s.jobs[j.Key]
		if e == nil {
			e = &entry{key: j.Key, hash: keyHash(j.Key), pos: [2]int{-1, -1}}
			s.jobs[j.Key] = e
		}
		if e.removed {
			e.removed = false
			s.draining--
		}
		moved := e.interval != int64(j.Interval) || e.offset != int64(j.Offset)
		e.gen = s.gen
		e.interval = int64(j.Interval)
		e.offset = int64(j.Offset)
		e.timeout = int64(j.Timeout)
		if e.timeout == 0 {
			e.timeout = e.interval
		}
		e.jitter = int64(jitterBound(s.jitter, j.Interval))
		if live && (moved || e.pos[byFire] < 0) {
			s.scheduleLocked(e, now, wall)
		}
	}
	for _, e := range s.jobs {
		if e.gen != s.gen && !e.removed {
			s.removeLocked(e)
		}
	}
	if live {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// RunNow asks for a run of key as soon as a slot is free, outside its
// periodic schedule (which it does not change): the fast confirmation of a
// failure. If a run of key is already queued or running, that run answers
// the request and nothing more is started. It reports whether key is a job.
func (s *Scheduler) RunNow(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.jobs[key]
	if e == nil || e.removed {
		return false
	}
	if e.state != idle || s.stopping {
		return true
	}
	now, _ := s.now()
	s.enqueueLocked(e, now, now)
	s.ensureWorkersLocked()
	return true
}

// Run schedules and runs checks until ctx is done, then lets no new check
// start, waits for the running ones to return (their contexts, derived
// from ctx, are cancelled) and returns nil. It returns an error at once if
// Options.Check is nil or Run was called before.
func (s *Scheduler) Run(ctx context.Context) error {
	if s.check == nil {
		return errors.New("scheduler: Options.Check is nil")
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrStarted
	}
	s.started = true
	s.runCtx = ctx
	now, wall := s.now()
	for _, e := range s.jobs {
		s.scheduleLocked(e, now, wall)
	}
	s.ensureWorkersLocked() // runs asked for by RunNow before Run
	s.mu.Unlock()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		now, _ := s.now()
		next, ok := s.fireDueLocked(now)
		s.mu.Unlock()
		if ok {
			timer.Reset(time.Duration(next - now))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case <-timer.C:
		case <-s.wake:
		}
	}
}

// Stats returns the current counters.
func (s *Scheduler) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{
		Jobs:       len(s.jobs) - s.draining,
		Running:    s.running,
		Queued:     s.ready.len(),
		Workers:    s.workers,
		Runs:       s.runs,
		Skipped:    s.skipped,
		Missed:     s.missed,
		Late:       s.late,
		QueueDelay: time.Duration(s.queueDelay),
	}
}

// shutdown drops queued runs, releases idle workers and waits for running
// checks to return.
func (s *Scheduler) shutdown() {
	s.mu.Lock()
	s.stopping = true
	for s.ready.len() > 0 {
		e := s.ready.pop()
		e.state = idle
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	s.wg.Wait()
}

// now returns the monotonic tick and the Unix wall time in nanoseconds.
func (s *Scheduler) now() (tick, wall int64) {
	t := time.Now()
	return int64(t.Sub(s.epoch)), t.UnixNano()
}

// timeOf converts a tick back to a time.Time (with a monotonic reading).
func (s *Scheduler) timeOf(tick int64) time.Time {
	return s.epoch.Add(time.Duration(tick))
}

func validate(jobs []Job) error {
	seen := make(map[string]int, len(jobs))
	for i, j := range jobs {
		switch {
		case j.Key == "":
			return fmt.Errorf("scheduler: job %d: empty key", i)
		case j.Interval <= 0 || j.Interval > MaxInterval:
			return fmt.Errorf("scheduler: job %d (%q): interval %v not in (0, %v]", i, j.Key, j.Interval, MaxInterval)
		case j.Timeout < 0:
			return fmt.Errorf("scheduler: job %d (%q): negative timeout %v", i, j.Key, j.Timeout)
		}
		if first, dup := seen[j.Key]; dup {
			return fmt.Errorf("scheduler: job %d: key %q already used by job %d", i, j.Key, first)
		}
		seen[j.Key] = i
	}
	return nil
}
