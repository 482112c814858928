package scheduler

import (
	"context"
	"time"
)

// scheduleLocked puts e on the timer heap at the first due time of its
// phase at or after now. A first run that jitter would push past one
// interval from now is moved as far the other way instead, so every job
// added at once starts within one interval (10k monitors at 60 s: all
// checked within 60 s of start, not 60 s + the jitter bound).
func (s *Scheduler) scheduleLocked(e *entry, now, wall int64) {
	due := firstDue(now, wall, e.interval, phaseOf(e.hash, e.interval, e.offset))
	s.setDueLocked(e, due)
	if e.fire >= now+e.interval {
		e.fire = 2*due - e.fire
		s.timers.update(e)
	}
}

func (s *Scheduler) setDueLocked(e *entry, due int64) {
	e.due = due
	e.fire = due + jitterOf(e.hash, due, e.jitter)
	s.timers.update(e)
}

// advanceLocked moves e to its next due time after the current one. If
// the scheduler is a whole interval or more behind (the process was
// stopped, the host suspended), the due times already past are counted
// as missed rather than started in a burst; the phase is kept.
func (s *Scheduler) advanceLocked(e *entry, now int64) {
	next := e.due + e.interval
	if next <= now {
		n := (now-next)/e.interval + 1
		next += n * e.interval
		s.missed += uint64(n)
	}
	s.setDueLocked(e, next)
}

// fireDueLocked starts (or skips) every job whose start time has come and
// returns the next start time, if any job is scheduled.
func (s *Scheduler) fireDueLocked(now int64) (next int64, ok bool) {
	for s.timers.len() > 0 {
		e := s.timers.min()
		if e.fire > now {
			next, ok = e.fire, true
			break
		}
		if e.state == idle {
			s.enqueueLocked(e, e.due, e.fire)
		} else {
			s.skipped++
		}
		s.advanceLocked(e, now)
	}
	s.ensureWorkersLocked()
	return next, ok
}

// enqueueLocked puts a run of e, due at due and ready since readyAt, on
// the ready heap.
func (s *Scheduler) enqueueLocked(e *entry, due, readyAt int64) {
	if s.running+s.ready.len() >= s.concurrency {
		s.late++ // every slot is taken by a running or earlier run
	}
	e.state = queued
	e.runDue = due
	e.readyAt = readyAt
	s.ready.push(e)
}

// removeLocked drops e from the job set. A queued run is dropped; a
// running one finishes and is not rescheduled.
func (s *Scheduler) removeLocked(e *entry) {
	s.timers.remove(e)
	switch e.state {
	case running:
		e.removed = true
		s.draining++
	case queued:
		s.ready.remove(e)
		e.state = idle
		delete(s.jobs, e.key)
	default:
		delete(s.jobs, e.key)
	}
}

// ensureWorkersLocked wakes or starts enough workers for the queued runs,
// up to the concurrency limit.
func (s *Scheduler) ensureWorkersLocked() {
	if !s.started || s.stopping {
		return
	}
	for need := s.ready.len() - s.waking; need > 0; need-- {
		switch {
		case s.idle > 0:
			s.idle--
			s.waking++
			s.cond.Signal()
		case s.workers < s.concurrency:
			s.workers++
			s.waking++
			s.wg.Add(1)
			go s.work()
		default:
			return // all slots busy: a finishing worker takes the next run
		}
	}
}

// work is one worker: it runs queued checks one after another and waits
// on cond when there is none, until the scheduler stops.
func (s *Scheduler) work() {
	defer s.wg.Done()
	s.mu.Lock()
	s.waking--
	for {
		if s.stopping {
			s.workers--
			s.mu.Unlock()
			return
		}
		if s.ready.len() == 0 {
			s.idle++
			s.cond.Wait()
			if !s.stopping {
				s.waking--
			}
			continue
		}
		e := s.ready.pop()
		s.startLocked(e)
		ctx, key, due, timeout := s.runCtx, e.key, s.timeOf(e.runDue), time.Duration(e.timeout)
		s.mu.Unlock()
		s.execute(ctx, key, due, timeout)
		s.mu.Lock()
		s.finishLocked(e)
	}
}

func (s *Scheduler) startLocked(e *entry) {
	now, _ := s.now()
	e.state = running
	s.running++
	s.runs++
	s.queueDelay += max(now-e.readyAt, 0)
}

func (s *Scheduler) finishLocked(e *entry) {
	e.state = idle
	s.running--
	if e.removed {
		s.draining--
		delete(s.jobs, e.key)
	}
}

// execute runs one check with the job's deadline on its context.
func (s *Scheduler) execute(parent context.Context, key string, due time.Time, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	s.check(ctx, key, due)
}
