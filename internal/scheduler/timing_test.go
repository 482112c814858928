package scheduler

import (
	"fmt"
	"testing"
	"time"
)

// 10,000 jobs at 60 s: every job starts once within the first interval
// (jitter never pushes a first run past it), and the starts are spread
// evenly, with no herd at t=0.
func TestFirstRunsSpreadEvenly(t *testing.T) {
	const jobs = 10000
	const interval = time.Minute
	for _, tc := range []struct {
		name   string
		jitter time.Duration
		bound  time.Duration // jitter bound for a 60 s interval
	}{
		{"default jitter", 0, 600 * time.Millisecond},
		{"no jitter", NoJitter, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				rec := newRecorder(nil)
				s := New(Options{Jitter: tc.jitter, Check: rec.check})
				list := make([]Job, jobs)
				for i := range list {
					list[i] = Job{Key: fmt.Sprintf("group-%d_endpoint-%d", i%37, i), Interval: interval}
				}
				mustSet(t, s, list...)
				t0 := time.Now()
				stop := start(t, s)
				defer stop()
				sleep(interval + tc.bound + time.Nanosecond)

				first := make(map[string]run, jobs)
				for _, r := range rec.all() {
					if _, seen := first[r.key]; !seen {
						first[r.key] = r
					}
				}
				if len(first) != jobs {
					t.Fatalf("%d of %d jobs started in the first interval", len(first), jobs)
				}
				var buckets [60]int // by start second
				for key, r := range first {
					if r.due.Before(t0) || !r.due.Before(t0.Add(interval)) {
						t.Fatalf("%s: first due %v not in [t0, t0+60s)", key, r.due.Sub(t0))
					}
					if !aligned(r.due, key, interval, 0) {
						t.Fatalf("%s: first due %v not on its phase", key, r.due.Sub(t0))
					}
					if d := r.start.Sub(r.due); d < -tc.bound || d > tc.bound {
						t.Fatalf("%s: started %v from its due time, bound %v", key, d, tc.bound)
					}
					if r.start.Before(t0) || !r.start.Before(t0.Add(interval)) {
						t.Fatalf("%s: first run started at %v, want in [0, %v)", key, r.start.Sub(t0), interval)
					}
					buckets[int(r.start.Sub(t0)/time.Second)]++
				}
				const mean = jobs / 60
				for sec, n := range buckets {
					if n > mean*3/2 || n < mean/2 {
						t.Errorf("second %d holds %d first runs; mean %d, want within [%d, %d]", sec, n, mean, mean/2, mean*3/2)
					}
				}
				if st := s.Stats(); st.Jobs != jobs || st.Skipped != 0 || st.Late != 0 || st.Missed != 0 {
					t.Errorf("Stats = %+v", st)
				}
			})
		})
	}
}

// Run started long after Set still spreads the first runs from the moment
// Run starts: nothing is treated as overdue.
func TestSetBeforeRunSchedulesFromRunStart(t *testing.T) {
	bubble(t, func(t *testing.T) {
		rec := newRecorder(nil)
		s := New(Options{Jitter: NoJitter, Check: rec.check})
		var list []Job
		for i := range 100 {
			list = append(list, Job{Key: fmt.Sprint("k", i), Interval: 10 * time.Second})
		}
		mustSet(t, s, list...)
		if st := s.Stats(); st.Jobs != 100 {
			t.Errorf("Stats().Jobs before Run = %d, want 100", st.Jobs)
		}
		sleep(95 * time.Second) // not on a 10 s boundary
		t0 := time.Now()
		stop := start(t, s)
		defer stop()
		sleep(10 * time.Second)
		runs := rec.all()
		if len(runs) != 100 {
			t.Fatalf("%d runs in the first interval, want 100", len(runs))
		}
		for _, r := range runs {
			if r.start.Before(t0) || !r.start.Before(t0.Add(10*time.Second)) || !r.start.Equal(r.due) {
				t.Errorf("%s: due %v start %v, want on phase within [t0, t0+10s)", r.key, r.due.Sub(t0), r.start.Sub(t0))
			}
		}
		if st := s.Stats(); st.Missed != 0 || st.Skipped != 0 {
			t.Errorf("Stats = %+v, want nothing missed or skipped", st)
		}
	})
}

// Fixed rate: over 1000 periods the due times are exactly n intervals
// apart whatever the checks take, and jitter never accumulates.
func TestNoDriftOverManyPeriods(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = 7 * time.Second
		const periods = 1000
		calls := 0
		rec := newRecorder(func(string) time.Duration {
			calls++ // one job, so never concurrent
			return time.Duration(calls%7) * 900 * time.Millisecond
		})
		s := New(Options{Check: rec.check})
		mustSet(t, s, Job{Key: "drift", Interval: interval})
		t0 := time.Now()
		stop := start(t, s)
		defer stop()
		sleep(periods * interval)
		stop()

		runs := rec.of("drift")
		if len(runs) != periods {
			t.Fatalf("%d runs in %d periods", len(runs), periods)
		}
		bound := jitterBound(0, interval)
		moved := 0
		for n, r := range runs {
			if want := runs[0].due.Add(time.Duration(n) * interval); !r.due.Equal(want) {
				t.Fatalf("run %d due at %v, want %v", n, r.due.Sub(t0), want.Sub(t0))
			}
			d := r.start.Sub(r.due)
			if d < -bound || d > bound {
				t.Fatalf("run %d started %v from due, bound %v", n, d, bound)
			}
			if d != 0 {
				moved++
			}
		}
		if moved < periods/2 {
			t.Errorf("only %d of %d runs jittered", moved, periods)
		}
		if st := s.Stats(); st.Runs != periods || st.Skipped != 0 {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestJitterBounds(t *testing.T) {
	tests := []struct {
		name     string
		jitter   time.Duration
		interval time.Duration
		bound    time.Duration
	}{
		{"default", 0, time.Minute, 600 * time.Millisecond},
		{"explicit", 2 * time.Second, time.Minute, 2 * time.Second},
		{"explicit capped at interval/4", 5 * time.Second, 10 * time.Second, 2500 * time.Millisecond},
		{"none", NoJitter, time.Minute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				rec := newRecorder(nil)
				s := New(Options{Jitter: tt.jitter, Check: rec.check})
				var list []Job
				for i := range 50 {
					list = append(list, Job{Key: fmt.Sprint("j", i), Interval: tt.interval})
				}
				mustSet(t, s, list...)
				stop := start(t, s)
				defer stop()
				sleep(20 * tt.interval)
				stop()

				var lo, hi time.Duration
				runs := rec.all()
				if len(runs) < 50*19 {
					t.Fatalf("only %d runs", len(runs))
				}
				for _, r := range runs {
					d := r.start.Sub(r.due)
					lo, hi = min(lo, d), max(hi, d)
					if !aligned(r.due, r.key, tt.interval, 0) {
						t.Fatalf("%s: due %v off its phase", r.key, r.due)
					}
				}
				if lo < -tt.bound || hi > tt.bound {
					t.Errorf("start - due spans [%v, %v], bound %v", lo, hi, tt.bound)
				}
				if lo > -tt.bound*8/10 || hi < tt.bound*8/10 {
					t.Errorf("start - due spans only [%v, %v] of ±%v: jitter not applied", lo, hi, tt.bound)
				}
				rec.assertNoOverlap(t)
			})
		})
	}
}

// Nodes checking one monitor use offsets interval*i/k; their runs then
// fall exactly interval/k apart.
func TestOffsetsShiftPhase(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = 30 * time.Second
		const k = 3
		var recs [k]*recorder
		for i := range k {
			recs[i] = newRecorder(nil)
			s := New(Options{Jitter: NoJitter, Check: recs[i].check})
			mustSet(t, s, Job{Key: "core_api", Interval: interval, Offset: interval * time.Duration(i) / k})
			defer start(t, s)()
		}
		sleep(interval)
		var dues []time.Time
		for i := range k {
			runs := recs[i].all()
			if len(runs) != 1 {
				t.Fatalf("node %d: %d runs in one interval", i, len(runs))
			}
			dues = append(dues, runs[0].due)
		}
		for i := 1; i < k; i++ {
			gap := (dues[i].Sub(dues[0]) + interval) % interval
			if want := interval * time.Duration(i) / k; gap != want {
				t.Errorf("node %d runs %v after node 0, want %v", i, gap, want)
			}
		}
	})
}

// When the scheduler wakes a whole interval or more late, the due times
// already past are counted as missed and the phase is kept.
func TestAdvanceCountsMissedPeriods(t *testing.T) {
	tests := []struct {
		due, now, wantDue int64
		wantMissed        uint64
	}{
		{due: 0, now: 0, wantDue: 10},
		{due: 0, now: 9, wantDue: 10},
		{due: 0, now: 10, wantDue: 20, wantMissed: 1},
		{due: 0, now: 35, wantDue: 40, wantMissed: 3},
		{due: 5, now: 1005, wantDue: 1015, wantMissed: 100},
	}
	for _, tt := range tests {
		s := New(Options{Jitter: NoJitter})
		e := &entry{key: "k", interval: 10, pos: [2]int{-1, -1}}
		e.due = tt.due
		s.advanceLocked(e, tt.now)
		if e.due != tt.wantDue || e.fire != tt.wantDue || s.missed != tt.wantMissed {
			t.Errorf("due %d at %d: next %d (fire %d), missed %d; want %d, missed %d",
				tt.due, tt.now, e.due, e.fire, s.missed, tt.wantDue, tt.wantMissed)
		}
	}
}
