package scheduler

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Run returns only after the running checks have returned; their contexts
// are cancelled, queued runs never start, and no goroutine is left.
func TestShutdownWaitsForRunningChecks(t *testing.T) {
	bubble(t, func(t *testing.T) {
		const interval = time.Minute
		var checkReturned atomic.Int64 // ns since t0
		var ctxErr atomic.Value
		var started atomic.Int64
		t0 := time.Now()
		s := New(Options{Concurrency: 1, Jitter: NoJitter, Check: func(ctx context.Context, key string, due time.Time) {
			started.Add(1)
			<-ctx.Done()
			ctxErr.Store(ctx.Err())
			time.Sleep(time.Second) // cleanup after cancellation
			checkReturned.Store(int64(time.Since(t0)))
		}})
		at := t0.Add(3 * time.Second)
		mustSet(t, s,
			Job{Key: "a", Interval: interval, Offset: dueAt("a", interval, at)},
			Job{Key: "b", Interval: interval, Offset: dueAt("b", interval, at)}, // queued behind a
		)
		ctx, cancel := context.WithCancel(context.Background())
		var runReturned atomic.Int64
		done := make(chan error, 1)
		go func() {
			err := s.Run(ctx)
			runReturned.Store(int64(time.Since(t0)))
			done <- err
		}()
		sleepUntil(at.Add(2 * time.Second))
		if st := s.Stats(); st.Running != 1 || st.Queued != 1 {
			t.Fatalf("Stats = %+v, want a running, b queued", st)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run returned %v, want nil", err)
		}
		if got, want := time.Duration(runReturned.Load()), 6*time.Second; got != want {
			t.Errorf("Run returned at t0+%v, want t0+%v (after the check's 1 s cleanup)", got, want)
		}
		if got := time.Duration(checkReturned.Load()); got != 6*time.Second {
			t.Errorf("check returned at t0+%v, want t0+6s", got)
		}
		if err, _ := ctxErr.Load().(error); !errors.Is(err, context.Canceled) {
			t.Errorf("check ctx err = %v, want context.Canceled", err)
		}
		if n := started.Load(); n != 1 {
			t.Errorf("%d checks started, want 1 (the queued one dropped)", n)
		}
		st := s.Stats()
		if st.Running != 0 || st.Queued != 0 || st.Workers != 0 {
			t.Errorf("after Run: Stats = %+v, want nothing running, queued or alive", st)
		}
		if s.RunNow("a") != true || s.Stats().Queued != 0 {
			t.Errorf("RunNow after shutdown queued a run")
		}
		sleep(time.Hour)
		if n := started.Load(); n != 1 {
			t.Errorf("%d checks started after shutdown", n-1)
		}
	})
}

func TestRunErrors(t *testing.T) {
	bubble(t, func(t *testing.T) {
		if err := New(Options{}).Run(context.Background()); err == nil || err.Error() != "scheduler: Options.Check is nil" {
			t.Errorf("Run without Check: %v", err)
		}
		s := New(Options{Check: func(context.Context, string, time.Time) {}})
		stop := start(t, s)
		if err := s.Run(context.Background()); !errors.Is(err, ErrStarted) {
			t.Errorf("second Run: %v, want ErrStarted", err)
		}
		stop()
		if err := s.Run(context.Background()); !errors.Is(err, ErrStarted) {
			t.Errorf("Run after Run returned: %v, want ErrStarted", err)
		}
	})
}

// An already cancelled context: Run returns at once, nothing runs.
func TestRunWithDoneContext(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var calls atomic.Int64
		s := New(Options{Check: func(context.Context, string, time.Time) { calls.Add(1) }})
		mustSet(t, s, Job{Key: "k", Interval: time.Second})
		s.RunNow("k")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Run(ctx); err != nil {
			t.Fatalf("Run: %v", err)
		}
		// The RunNow run may have started before Run saw ctx done; its
		// context is cancelled either way. Nothing runs afterwards.
		before := calls.Load()
		sleep(time.Minute)
		if calls.Load() != before || before > 1 {
			t.Errorf("%d checks ran after Run returned (%d before)", calls.Load()-before, before)
		}
	})
}
