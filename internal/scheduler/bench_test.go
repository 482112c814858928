package scheduler

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func benchJobs(n int, interval time.Duration) []Job {
	jobs := make([]Job, n)
	for i := range jobs {
		jobs[i] = Job{Key: fmt.Sprintf("group-%d_endpoint-%d", i%37, i), Interval: interval}
	}
	return jobs
}

// BenchmarkScheduleOverhead measures the scheduler's own cost per run at
// 10,000 jobs with a no-op check: timer heap pop and push, ready heap,
// locking, the check's context with its deadline. It drives the same
// code as Run and the workers, on one goroutine and a virtual clock, so
// no goroutine hand-off or sleeping is counted. One op is one run.
func BenchmarkScheduleOverhead(b *testing.B) {
	s := New(Options{Check: func(context.Context, string, time.Time) {}})
	if err := s.Set(benchJobs(10000, time.Minute)); err != nil {
		b.Fatal(err)
	}
	s.runCtx = context.Background()
	now, wall := s.now()
	for _, e := range s.jobs {
		s.scheduleLocked(e, now, wall)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for runs := 0; runs < b.N; {
		s.mu.Lock()
		s.fireDueLocked(s.timers.min().fire) // workers are not started: runs wait on the ready heap
		s.mu.Unlock()
		for {
			s.mu.Lock()
			if s.ready.len() == 0 {
				s.mu.Unlock()
				break
			}
			e := s.ready.pop()
			s.startLocked(e)
			ctx, key, due, timeout := s.runCtx, e.key, s.timeOf(e.runDue), time.Duration(e.timeout)
			s.mu.Unlock()
			s.execute(ctx, key, due, timeout)
			s.mu.Lock()
			s.finishLocked(e)
			s.mu.Unlock()
			runs++
		}
	}
	b.StopTimer()
	if st := s.Stats(); st.Runs < uint64(b.N) || st.Skipped != 0 {
		b.Fatalf("Stats = %+v after %d ops", st, b.N)
	}
}

// BenchmarkRealClock runs 10,000 jobs on the real clock with a no-op
// check until b.N checks have run, and reports the achieved rate against
// the rate the intervals ask for.
func BenchmarkRealClock(b *testing.B) {
	for _, interval := range []time.Duration{time.Second, 100 * time.Millisecond, 10 * time.Millisecond} {
		b.Run(fmt.Sprintf("10k_jobs_every_%v", interval), func(b *testing.B) {
			const jobs = 10000
			var n atomic.Int64
			target := int64(b.N)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := New(Options{Check: func(context.Context, string, time.Time) {
				if n.Add(1) == target {
					cancel()
				}
			}})
			if err := s.Set(benchJobs(jobs, interval)); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			began := time.Now()
			if err := s.Run(ctx); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(began)
			b.StopTimer()
			st := s.Stats()
			b.ReportMetric(float64(st.Runs)/elapsed.Seconds(), "runs/s")
			b.ReportMetric(float64(jobs)/interval.Seconds(), "asked-runs/s")
			b.ReportMetric(float64(st.Skipped+st.Missed)/float64(max(st.Runs, 1)), "skipped+missed/run")
			b.ReportMetric(float64(st.QueueDelay.Nanoseconds())/float64(max(st.Runs, 1)), "queue-ns/run")
		})
	}
}

// BenchmarkSetUnchanged10k is a hot reload of 10,000 unchanged jobs.
func BenchmarkSetUnchanged10k(b *testing.B) {
	s := New(Options{Check: func(context.Context, string, time.Time) {}})
	jobs := benchJobs(10000, time.Minute)
	if err := s.Set(jobs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Set(jobs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckContextReference is the cost of the per-check deadline
// alone (context.WithTimeout + cancel), for comparison with
// BenchmarkScheduleOverhead: it is where that benchmark's allocations come
// from.
func BenchmarkCheckContextReference(b *testing.B) {
	parent := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, cancel := context.WithTimeout(parent, time.Minute)
		cancel()
	}
}
