package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// A check that takes 2.5 intervals: the runs falling due while it is
// still going are skipped, and the job keeps its phase.
func TestSlowCheckIsSkippedNotOverlapped(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = 10 * time.Second
		rec := newRecorder(func(string) time.Duration { return 25 * time.Second })
		s := New(Options{Jitter: NoJitter, Check: rec.check})
		mustSet(t, s, Job{Key: "slow", Interval: interval, Timeout: 100 * time.Second})
		d0 := nextDue("slow", interval, 0, time.Now())
		stop := start(t, s)
		defer stop()
		sleepUntil(d0.Add(time.Second))
		if st := s.Stats(); st.Running != 1 || st.Runs != 1 || st.Skipped != 0 {
			t.Fatalf("at d0+1s: Stats = %+v, want Running 1, Runs 1", st)
		}
		sleepUntil(d0.Add(11 * time.Second))
		if st := s.Stats(); st.Running != 1 || st.Runs != 1 || st.Skipped != 1 {
			t.Fatalf("at d0+11s: Stats = %+v, want Running 1, Runs 1, Skipped 1", st)
		}
		// Runs start at d0+30k s; the tenth ends at d0+295s.
		sleepUntil(d0.Add(296 * time.Second))
		stop()

		runs := rec.of("slow")
		if len(runs) != 10 {
			t.Fatalf("%d runs, want 10", len(runs))
		}
		for k, r := range runs {
			if want := d0.Add(time.Duration(k) * 30 * time.Second); !r.due.Equal(want) || !r.start.Equal(want) {
				t.Errorf("run %d: due %v start %v, want both %v", k, r.due, r.start, want)
			}
			if r.end.Sub(r.start) != 25*time.Second || r.err != nil {
				t.Errorf("run %d: took %v with ctx err %v; want 25s, nil", k, r.end.Sub(r.start), r.err)
			}
		}
		rec.assertNoOverlap(t)
		// Dues d0+10s .. d0+290s are 29; the 9 at multiples of 30 s ran.
		if st := s.Stats(); st.Skipped != 20 || st.Runs != 10 || st.Missed != 0 {
			t.Errorf("Stats = %+v, want Runs 10, Skipped 20", st)
		}
	})
}

// Ten jobs due at the same instant with two slots: they start two at a
// time, in key order, each pair when the previous pair finishes.
func TestConcurrencyBoundAndDueOrder(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		rec := newRecorder(func(string) time.Duration { return 3 * time.Second })
		s := New(Options{Concurrency: 2, Jitter: NoJitter, Check: rec.check})
		at := time.Now().Add(7 * time.Second)
		var list []Job
		for i := range 10 {
			key := fmt.Sprint("job-", i)
			list = append(list, Job{Key: key, Interval: interval, Offset: dueAt(key, interval, at)})
		}
		mustSet(t, s, list...)
		stop := start(t, s)
		defer stop()
		sleepUntil(at.Add(time.Second))
		if st := s.Stats(); st.Running != 2 || st.Queued != 8 || st.Workers != 2 || st.Late != 8 {
			t.Errorf("at T+1s: Stats = %+v, want Running 2, Queued 8, Workers 2, Late 8", st)
		}
		sleepUntil(at.Add(20 * time.Second))

		runs := rec.all()
		if len(runs) != 10 {
			t.Fatalf("%d runs, want 10", len(runs))
		}
		for i, r := range runs {
			wantStart := at.Add(time.Duration(i/2) * 3 * time.Second)
			if r.key != fmt.Sprint("job-", i) || !r.due.Equal(at) || !r.start.Equal(wantStart) {
				t.Errorf("run %d: %s due %v start %v; want job-%d due T start T+%v",
					i, r.key, r.due.Sub(at), r.start.Sub(at), i, wantStart.Sub(at))
			}
		}
		if m := rec.maxRunning.Load(); m != 2 {
			t.Errorf("at most %d checks ran at once, want exactly 2", m)
		}
		st := s.Stats()
		// Waits: 2 runs each of 3, 6, 9 and 12 s.
		if st.Late != 8 || st.QueueDelay != 60*time.Second || st.Running != 0 || st.Queued != 0 || st.Runs != 10 {
			t.Errorf("Stats = %+v, want Late 8, QueueDelay 60s, Runs 10", st)
		}
	})
}

// Two hung targets hold both slots; the checks behind them wait only
// until the hung checks' timeout, which cancels their contexts.
func TestHungChecksReleaseSlotsAtTimeout(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		rec := newRecorder(func(key string) time.Duration {
			if key[0] == 'a' {
				return time.Hour // hangs until its context is done
			}
			return 0
		})
		s := New(Options{Concurrency: 2, Jitter: NoJitter, Check: rec.check})
		at := time.Now().Add(3 * time.Second)
		var list []Job
		for _, key := range []string{"a-hung-1", "a-hung-2", "b-fast-1", "b-fast-2", "b-fast-3"} {
			list = append(list, Job{Key: key, Interval: interval, Timeout: 5 * time.Second, Offset: dueAt(key, interval, at)})
		}
		mustSet(t, s, list...)
		stop := start(t, s)
		defer stop()
		sleepUntil(at.Add(10 * time.Second))

		runs := rec.all()
		if len(runs) != 5 {
			t.Fatalf("%d runs, want 5", len(runs))
		}
		for _, r := range runs {
			hung := r.key[0] == 'a'
			wantStart, wantEnd, wantErr := at.Add(5*time.Second), at.Add(5*time.Second), error(nil)
			if hung {
				wantStart, wantErr = at, context.DeadlineExceeded
			}
			if !r.start.Equal(wantStart) || !r.end.Equal(wantEnd) || r.err != wantErr {
				t.Errorf("%s: start T+%v end T+%v err %v; want T+%v, T+%v, %v",
					r.key, r.start.Sub(at), r.end.Sub(at), r.err, wantStart.Sub(at), wantEnd.Sub(at), wantErr)
			}
			if want := r.start.Add(5 * time.Second); !r.deadline.Equal(want) {
				t.Errorf("%s: ctx deadline T+%v, want start + timeout = T+%v", r.key, r.deadline.Sub(at), want.Sub(at))
			}
		}
	})
}

// Timeout 0 means the interval.
func TestDefaultTimeoutIsInterval(t *testing.T) {
	bubble(t, func(t *testing.T) {
		rec := newRecorder(nil)
		s := New(Options{Check: rec.check})
		mustSet(t, s, Job{Key: "k", Interval: 45 * time.Second})
		defer start(t, s)()
		sleep(45 * time.Second)
		runs := rec.all()
		if len(runs) != 1 {
			t.Fatalf("%d runs, want 1", len(runs))
		}
		if got := runs[0].deadline.Sub(runs[0].start); got != 45*time.Second {
			t.Errorf("deadline = start + %v, want start + 45s", got)
		}
	})
}

// Workers are started only as needed and never exceed Concurrency.
func TestWorkersStartLazily(t *testing.T) {
	bubble(t, func(t *testing.T) {
		rec := newRecorder(nil)
		s := New(Options{Jitter: NoJitter, Check: rec.check})
		var list []Job
		for i := range 1000 {
			list = append(list, Job{Key: fmt.Sprint("k", i), Interval: time.Minute})
		}
		mustSet(t, s, list...)
		defer start(t, s)()
		sleep(5 * time.Minute)
		st := s.Stats()
		if st.Runs != 5000 {
			t.Errorf("Runs = %d, want 5000", st.Runs)
		}
		// Instant checks falling due at distinct instants never need a
		// second worker.
		if st.Workers != 1 {
			t.Errorf("Workers = %d, want 1", st.Workers)
		}
	})
}
