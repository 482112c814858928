package scheduler

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSetRejectsBadJobsAndChangesNothing(t *testing.T) {
	good := Job{Key: "ok", Interval: time.Minute}
	tests := []struct {
		name string
		jobs []Job
		want string
	}{
		{"empty key", []Job{good, {Interval: time.Minute}}, `job 1: empty key`},
		{"zero interval", []Job{{Key: "a"}}, `job 0 ("a"): interval 0s not in (0, `},
		{"negative interval", []Job{{Key: "a", Interval: -time.Second}}, `job 0 ("a"): interval -1s not in`},
		{"interval too long", []Job{{Key: "a", Interval: MaxInterval + 1}}, `job 0 ("a"): interval`},
		{"negative timeout", []Job{good, {Key: "b", Interval: time.Second, Timeout: -1}}, `job 1 ("b"): negative timeout -1ns`},
		{"duplicate key", []Job{good, {Key: "b", Interval: time.Second}, good}, `job 2: key "ok" already used by job 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{Check: func(context.Context, string, time.Time) {}})
			mustSet(t, s, Job{Key: "before", Interval: time.Second})
			err := s.Set(tt.jobs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Set error = %v, want one containing %q", err, tt.want)
			}
			if !s.RunNow("before") || s.RunNow("ok") {
				t.Errorf("a rejected Set changed the job set")
			}
		})
	}
}

// Set with the same jobs keeps a run that is waiting for a slot; a job
// whose interval changes moves to its new phase.
func TestSetKeepsUnchangedJobs(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		rec := newRecorder(func(key string) time.Duration {
			if key == "a-hung" {
				return time.Hour
			}
			return 0
		})
		s := New(Options{Concurrency: 1, Jitter: NoJitter, Check: rec.check})
		at := time.Now().Add(2 * time.Second)
		jobs := []Job{
			{Key: "a-hung", Interval: interval, Timeout: 5 * time.Second, Offset: dueAt("a-hung", interval, at)},
			{Key: "b-waits", Interval: interval, Offset: dueAt("b-waits", interval, at)},
		}
		mustSet(t, s, jobs...)
		defer start(t, s)()
		sleepUntil(at.Add(time.Second))
		if st := s.Stats(); st.Queued != 1 || st.Running != 1 {
			t.Fatalf("Stats = %+v, want b-waits queued behind a-hung", st)
		}
		mustSet(t, s, jobs...) // hot reload, nothing changed
		sleepUntil(at.Add(10 * time.Second))
		runs := rec.of("b-waits")
		if len(runs) != 1 || !runs[0].start.Equal(at.Add(5*time.Second)) || !runs[0].due.Equal(at) {
			t.Fatalf("b-waits runs %+v, want one due T started T+5s", runs)
		}

		// Change a-hung's interval: it moves to the phase of the new one.
		jobs[0] = Job{Key: "a-hung", Interval: 7 * time.Second, Timeout: time.Second}
		mustSet(t, s, jobs...)
		from := time.Now()
		sleep(70 * time.Second)
		hung := rec.of("a-hung")[1:]
		if len(hung) != 10 {
			t.Fatalf("%d runs at the new interval in 70s, want 10", len(hung))
		}
		for k, r := range hung {
			want := nextDue("a-hung", 7*time.Second, 0, from).Add(time.Duration(k) * 7 * time.Second)
			if !r.due.Equal(want) || !r.start.Equal(want) {
				t.Errorf("a-hung run %d due %v start %v, want %v", k, r.due, r.start, want)
			}
		}
		if st := s.Stats(); st.Jobs != 2 {
			t.Errorf("Stats().Jobs = %d, want 2", st.Jobs)
		}
	})
}

// Jobs added later get their phase; removed jobs stop, but a running
// check of a removed job is neither cancelled nor rescheduled, and the key
// never runs twice at once even when re-added meanwhile.
func TestSetAddsAndRemoves(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		rec := newRecorder(func(key string) time.Duration {
			if key == "long" {
				return 20 * time.Second
			}
			return 0
		})
		s := New(Options{Jitter: NoJitter, Check: rec.check})
		t0 := time.Now()
		at := t0.Add(10 * time.Second)
		long := Job{Key: "long", Interval: interval, Offset: dueAt("long", interval, at)}
		keep := Job{Key: "keep", Interval: interval}
		mustSet(t, s, long, keep)
		defer start(t, s)()

		sleepUntil(at.Add(5 * time.Second)) // long is running
		mustSet(t, s, keep)
		if s.RunNow("long") {
			t.Errorf("RunNow of a removed job = true")
		}
		if st := s.Stats(); st.Jobs != 1 || st.Running != 1 {
			t.Errorf("just after removal: Stats = %+v, want Jobs 1, Running 1", st)
		}
		sleepUntil(at.Add(30 * time.Second))
		added := Job{Key: "added", Interval: interval}
		mustSet(t, s, keep, added)
		addedAt := time.Now()
		sleepUntil(t0.Add(5 * interval))

		if runs := rec.of("long"); len(runs) != 1 || runs[0].err != nil || runs[0].end.Sub(runs[0].start) != 20*time.Second {
			t.Errorf("removed job: runs %+v, want the one running at removal to finish its 20s uncancelled, then none", runs)
		}
		if n := len(rec.of("keep")); n != 5 {
			t.Errorf("keep ran %d times in 5 intervals, want 5", n)
		}
		first := nextDue("added", interval, 0, addedAt)
		for k, r := range rec.of("added") {
			if want := first.Add(time.Duration(k) * interval); !r.due.Equal(want) {
				t.Errorf("added run %d due %v, want %v", k, r.due.Sub(t0), want.Sub(t0))
			}
		}
		if st := s.Stats(); st.Jobs != 2 {
			t.Errorf("Stats().Jobs = %d, want 2", st.Jobs)
		}

		// Remove and re-add while running: the re-added job waits for the
		// running check instead of overlapping it.
		at2 := nextDue("long", interval, long.Offset, time.Now())
		mustSet(t, s, keep, added, long)
		sleepUntil(at2.Add(5 * time.Second))
		mustSet(t, s, keep, added)
		long.Offset += 10 * time.Second // due again at at2+10s, while still running
		mustSet(t, s, keep, added, long)
		sleepUntil(at2.Add(interval + 30*time.Second))
		runs := rec.of("long")
		if len(runs) != 3 || !runs[1].start.Equal(at2) || !runs[2].start.Equal(at2.Add(interval+10*time.Second)) {
			for _, r := range runs {
				t.Logf("long: start %v end %v", r.start.Sub(t0), r.end.Sub(t0))
			}
			t.Errorf("re-added long: %d runs, want the one at %v and the next at +70s, the one at +10s skipped", len(runs), at2.Sub(t0))
		}
		rec.assertNoOverlap(t)
		if st := s.Stats(); st.Skipped != 1 {
			t.Errorf("Skipped = %d, want 1", st.Skipped)
		}
	})
}

// A removed job's run that waits for a slot is dropped.
func TestSetDropsQueuedRunOfRemovedJob(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		rec := newRecorder(func(key string) time.Duration {
			if key == "a-hung" {
				return time.Hour
			}
			return 0
		})
		s := New(Options{Concurrency: 1, Jitter: NoJitter, Check: rec.check})
		at := time.Now().Add(2 * time.Second)
		hung := Job{Key: "a-hung", Interval: interval, Timeout: 5 * time.Second, Offset: dueAt("a-hung", interval, at)}
		waits := Job{Key: "b-waits", Interval: interval, Offset: dueAt("b-waits", interval, at)}
		mustSet(t, s, hung, waits)
		defer start(t, s)()
		sleepUntil(at.Add(time.Second))
		mustSet(t, s, hung)
		if st := s.Stats(); st.Queued != 0 || st.Jobs != 1 {
			t.Errorf("after removal: Stats = %+v, want nothing queued, 1 job", st)
		}
		sleep(3 * interval)
		if runs := rec.of("b-waits"); len(runs) != 0 {
			t.Errorf("removed queued job ran %d times", len(runs))
		}
		if n := len(rec.of("a-hung")); n != 3 {
			t.Errorf("a-hung ran %d times, want 3", n)
		}
	})
}

func TestRunNow(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		rec := newRecorder(func(key string) time.Duration {
			if key == "slow" {
				return 10 * time.Second
			}
			return 0
		})
		s := New(Options{Concurrency: 1, Jitter: NoJitter, Check: rec.check})
		t0 := time.Now()
		at := t0.Add(20 * time.Second)
		slow := Job{Key: "slow", Interval: interval, Offset: dueAt("slow", interval, at)}
		fast := Job{Key: "fast", Interval: interval, Offset: dueAt("fast", interval, at.Add(30*time.Second))}
		mustSet(t, s, slow, fast)

		// Before Run: remembered, started when Run starts.
		if s.RunNow("unknown") {
			t.Errorf("RunNow(unknown) = true")
		}
		for i := range 2 { // the second request joins the first
			if !s.RunNow("fast") {
				t.Errorf("RunNow(fast) #%d before Run = false", i+1)
			}
		}
		sleep(time.Second)
		defer start(t, s)()
		startedAt := time.Now()

		sleepUntil(t0.Add(5 * time.Second))
		if !s.RunNow("fast") {
			t.Errorf("RunNow(fast) = false")
		}
		sleepUntil(at.Add(time.Second)) // slow is running
		if !s.RunNow("slow") {
			t.Errorf("RunNow(slow) while running = false")
		}
		if !s.RunNow("fast") { // waits for the only slot
			t.Errorf("RunNow(fast) = false")
		}
		sleepUntil(t0.Add(75 * time.Second)) // before the next periodic runs

		fastRuns := rec.of("fast")
		wantFast := []struct{ due, start time.Time }{
			{startedAt.Add(-time.Second), startedAt}, // asked before Run
			{t0.Add(5 * time.Second), t0.Add(5 * time.Second)},
			{at.Add(time.Second), at.Add(10 * time.Second)}, // after slow's run
			{at.Add(30 * time.Second), at.Add(30 * time.Second)},
		}
		if len(fastRuns) != len(wantFast) {
			t.Fatalf("fast ran %d times, want %d", len(fastRuns), len(wantFast))
		}
		for i, w := range wantFast {
			if r := fastRuns[i]; !r.due.Equal(w.due) || !r.start.Equal(w.start) {
				t.Errorf("fast run %d: due %v start %v, want due %v start %v",
					i, r.due.Sub(t0), r.start.Sub(t0), w.due.Sub(t0), w.start.Sub(t0))
			}
		}
		if slowRuns := rec.of("slow"); len(slowRuns) != 1 || !slowRuns[0].start.Equal(at) {
			t.Errorf("slow runs %+v, want only the periodic one at T", slowRuns)
		}
		rec.assertNoOverlap(t)
	})
}

func TestRunNowManyKeysRespectsConcurrency(t *testing.T) {
	bubble(t, func(t *testing.T) {
		rec := newRecorder(func(string) time.Duration { return time.Second })
		s := New(Options{Concurrency: 3, Jitter: NoJitter, Check: rec.check})
		at := time.Now().Add(10 * time.Second)
		var list []Job
		for i := range 30 {
			key := fmt.Sprintf("k%02d", i)
			list = append(list, Job{Key: key, Interval: time.Hour, Offset: dueAt(key, time.Hour, at)})
		}
		mustSet(t, s, list...)
		defer start(t, s)()
		sleep(30 * time.Minute) // every job ran once, the next runs are 30 min away
		from := time.Now()
		for _, j := range list {
			if !s.RunNow(j.Key) {
				t.Fatalf("RunNow(%s) = false", j.Key)
			}
		}
		sleep(20 * time.Second)
		var now []run
		for _, r := range rec.all() {
			if !r.start.Before(from) {
				now = append(now, r)
			}
		}
		if len(now) != 30 {
			t.Fatalf("%d RunNow runs, want 30", len(now))
		}
		for i, r := range now { // requested in key order, all at once
			if want := from.Add(time.Duration(i/3) * time.Second); r.key != list[i].Key || !r.start.Equal(want) {
				t.Errorf("run %d: %s at %v, want %s at %v", i, r.key, r.start.Sub(from), list[i].Key, want.Sub(from))
			}
		}
		if m := rec.maxRunning.Load(); m != 3 {
			t.Errorf("max concurrent = %d, want 3", m)
		}
	})
}

// A reload between a run's due time and its jittered start keeps that
// run: an unchanged job keeps its next due time rather than being given a
// fresh one (which would be a whole interval later).
func TestSetKeepsJitteredRunInFlight(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		const bound = 2 * time.Second
		rec := newRecorder(nil)
		s := New(Options{Jitter: bound, Check: rec.check})
		t0 := time.Now()
		var job Job
		var due time.Time
		var jitter time.Duration
		for i := 0; jitter < time.Second; i++ { // find a job whose first run starts ≥ 1 s late
			job = Job{Key: fmt.Sprint("job-", i), Interval: interval}
			due = nextDue(job.Key, interval, 0, t0)
			jitter = time.Duration(jitterOf(keyHash(job.Key), int64(due.Sub(s.epoch)), int64(bound)))
		}
		mustSet(t, s, job)
		defer start(t, s)()
		sleepUntil(due.Add(time.Second / 2))
		if len(rec.all()) != 0 {
			t.Fatalf("%s ran before its jittered start", job.Key)
		}
		job.Timeout = 3 * time.Second // a change that keeps the phase
		mustSet(t, s, job)
		sleepUntil(due.Add(jitter))
		runs := rec.all()
		if len(runs) != 1 || !runs[0].due.Equal(due) || !runs[0].start.Equal(due.Add(jitter)) {
			t.Fatalf("runs %+v, want one due %v started %v later", runs, due.Sub(t0), jitter)
		}
		if got := runs[0].deadline.Sub(runs[0].start); got != 3*time.Second {
			t.Errorf("new timeout not applied: deadline start+%v", got)
		}
	})
}
