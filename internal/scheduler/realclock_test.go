package scheduler

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The same promises on the real clock: every job runs repeatedly at its
// fixed rate, never twice at once, and Run stops cleanly (goleak checks in
// TestMain that no goroutine is left).
func TestRealClockSmoke(t *testing.T) {
	const jobs, interval, want = 50, 20 * time.Millisecond, 3
	var mu sync.Mutex
	dues := make(map[string][]time.Time)
	active := make(map[string]bool)
	var overlaps []string
	done := make(chan struct{})
	complete := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := New(Options{Concurrency: 4, Check: func(ctx context.Context, key string, due time.Time) {
		mu.Lock()
		if active[key] {
			overlaps = append(overlaps, key)
		}
		active[key] = true
		mu.Unlock()
		runtime.Gosched()
		mu.Lock()
		defer mu.Unlock()
		active[key] = false
		dues[key] = append(dues[key], due)
		if len(dues[key]) == want {
			if complete++; complete == jobs {
				close(done)
			}
		}
	}})
	var list []Job
	for i := range jobs {
		list = append(list, Job{Key: fmt.Sprint("real-", i), Interval: interval})
	}
	mustSet(t, s, list...)
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(time.Minute): // a hang guard, not a performance bound
		t.Fatal("not every job ran 3 times within a minute")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(overlaps) > 0 {
		t.Errorf("overlapping runs of %v", overlaps)
	}
	for key, ds := range dues {
		for i := 1; i < len(ds); i++ {
			if gap := ds[i].Sub(ds[i-1]); gap%interval != 0 || gap <= 0 {
				t.Errorf("%s: due times %v apart, want a positive multiple of %v", key, gap, interval)
			}
		}
	}
	if st := s.Stats(); st.Running != 0 || st.Workers != 0 || st.Runs < jobs*want {
		t.Errorf("Stats after Run = %+v", st)
	}
}
