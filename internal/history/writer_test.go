package history_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/history/sqlite"
	"github.com/custodes/custodes/internal/monitor"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC)

// faultyStore wraps a real store and injects faults into Append.
type faultyStore struct {
	history.Store

	mu          sync.Mutex
	failBefore  int           // fail this many Appends without writing
	failAfter   int           // write, then report failure, this many times
	gate        chan struct{} // if set, each Append waits for a token
	appended    chan history.Batch
	appendCalls int
}

var errInjected = errors.New("injected fault")

func (f *faultyStore) Append(ctx context.Context, b history.Batch) (bool, error) {
	f.mu.Lock()
	f.appendCalls++
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	f.mu.Lock()
	before := f.failBefore > 0
	if before {
		f.failBefore--
	}
	f.mu.Unlock()
	if before {
		return false, errInjected
	}
	applied, err := f.Store.Append(ctx, b)
	if err != nil {
		return applied, err
	}
	f.mu.Lock()
	after := f.failAfter > 0
	if after {
		f.failAfter--
	}
	f.mu.Unlock()
	if after {
		return false, fmt.Errorf("after commit: %w", errInjected)
	}
	if applied && f.appended != nil {
		f.appended <- b
	}
	return applied, nil
}

func newStore(t *testing.T) *faultyStore {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return &faultyStore{Store: st}
}

func result(i int) monitor.Result {
	return monitor.Result{Monitor: "m", Node: "n1", Time: t0.Add(time.Duration(i) * time.Second),
		Success: true, Duration: time.Duration(i+1) * time.Millisecond, Status: 200}
}

func startWriter(t *testing.T, st history.Store, opts history.WriterOptions) *history.Writer {
	t.Helper()
	if opts.Origin == "" {
		opts.Origin = "n1"
	}
	w, err := history.NewWriter(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return w
}

// stored reads back every result of m, oldest first.
func stored(t *testing.T, st history.Store) []monitor.Result {
	t.Helper()
	rs, err := st.Results(context.Background(), "m", 1, 100000)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// wantStored checks that exactly results 0..n-1 were written, once each.
func wantStored(t *testing.T, st history.Store, n int) {
	t.Helper()
	rs := stored(t, st)
	if len(rs) != n {
		t.Fatalf("%d results stored, want %d", len(rs), n)
	}
	for i, r := range rs {
		if want := result(i); !r.Time.Equal(want.Time) || r.Duration != want.Duration {
			t.Fatalf("result %d: time %v duration %v, want %v %v", i, r.Time, r.Duration, want.Time, want.Duration)
		}
	}
}

// waitBatch waits for the next applied batch; the timeout only guards
// against a hang.
func waitBatch(t *testing.T, ch chan history.Batch) history.Batch {
	t.Helper()
	select {
	case b := <-ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("no batch written")
		return history.Batch{}
	}
}

func TestWriterOptions(t *testing.T) {
	st := newStore(t)
	for _, opts := range []history.WriterOptions{
		{},
		{Origin: "n1", MaxBatch: 10, MaxBuffered: 5},
	} {
		if _, err := history.NewWriter(st, opts); !errors.Is(err, history.ErrInvalid) {
			t.Errorf("NewWriter(%+v) error = %v, want ErrInvalid", opts, err)
		}
	}
	w, err := history.NewWriter(st, history.WriterOptions{Origin: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "before Start") {
		t.Errorf("Flush before Start: %v", err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("Close of an unstarted, empty writer: %v", err)
	}
	if err := w.Start(context.Background()); !errors.Is(err, history.ErrWriterClosed) {
		t.Errorf("Start after Close: %v, want ErrWriterClosed", err)
	}
}

func TestWriterFlushesFullBatches(t *testing.T) {
	st := newStore(t)
	st.appended = make(chan history.Batch, 10)
	// Seq continues from the store's watermark.
	if _, err := st.Store.Append(context.Background(), history.Batch{Origin: "n1", Seq: 41}); err != nil {
		t.Fatal(err)
	}
	w := startWriter(t, st, history.WriterOptions{FlushInterval: time.Hour, MaxBatch: 10})
	ctx := context.Background()
	for i := range 25 {
		if err := w.Add(ctx, result(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []struct {
		seq uint64
		n   int
	}{{42, 10}, {43, 10}} {
		b := waitBatch(t, st.appended)
		if b.Seq != want.seq || len(b.Results) != want.n || b.Origin != "n1" {
			t.Fatalf("batch %s/%d of %d results, want n1/%d of %d", b.Origin, b.Seq, len(b.Results), want.seq, want.n)
		}
	}
	// The writer frees the room just after the store returns: wait for it
	// (bounded), then check that the 5 left are held, not written.
	for i := 0; i < 1000 && w.Pending() > 5; i++ {
		time.Sleep(time.Millisecond)
	}
	if n := w.Pending(); n != 5 {
		t.Fatalf("Pending = %d, want 5 (below a full batch, the hour-long interval not passed)", n)
	}
	if err := w.AddEvent(ctx, history.Event{Monitor: "m", Type: history.EventHealthy, Time: t0}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	b := waitBatch(t, st.appended)
	if b.Seq != 44 || len(b.Results) != 5 || len(b.Events) != 1 {
		t.Fatalf("flushed batch %d with %d results, %d events; want 44 with 5 and 1", b.Seq, len(b.Results), len(b.Events))
	}
	wantStored(t, st, 25)
	if n := w.Pending(); n != 0 {
		t.Fatalf("Pending after Flush = %d", n)
	}
}

func TestWriterFlushesEveryInterval(t *testing.T) {
	st := newStore(t)
	st.appended = make(chan history.Batch, 10)
	w := startWriter(t, st, history.WriterOptions{FlushInterval: 5 * time.Millisecond})
	for i := range 3 {
		if err := w.Add(context.Background(), result(i)); err != nil {
			t.Fatal(err)
		}
	}
	got := 0
	for got < 3 {
		got += len(waitBatch(t, st.appended).Results)
	}
	wantStored(t, st, 3)
}

func TestWriterBackpressure(t *testing.T) {
	st := newStore(t)
	st.gate = make(chan struct{})
	w := startWriter(t, st, history.WriterOptions{FlushInterval: time.Hour, MaxBatch: 2, MaxBuffered: 4})
	ctx := context.Background()
	for i := range 4 {
		if err := w.Add(ctx, result(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The store is stuck: a fifth result waits for room, up to its deadline.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := w.Add(short, result(4)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add into a full writer: %v, want a deadline error", err)
	}
	added := make(chan error, 1)
	go func() { added <- w.Add(ctx, result(4)) }()
	st.gate <- struct{}{} // one batch of 2 goes through: room for the fifth
	select {
	case err := <-added:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Add still waiting after room was freed")
	}
	close(st.gate)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	wantStored(t, st, 5)
}

func TestWriterRetriesFailures(t *testing.T) {
	st := newStore(t)
	st.failBefore, st.failAfter = 2, 2
	var mu sync.Mutex
	var reported []error
	w := startWriter(t, st, history.WriterOptions{FlushInterval: time.Hour, MaxBatch: 3, RetryBackoff: time.Millisecond,
		OnError: func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }})
	ctx := context.Background()
	for i := range 9 {
		if err := w.Add(ctx, result(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Flush surfaces failures; calling it again retries.
	var errs int
	for range 20 {
		err := w.Flush(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, errInjected) {
			t.Fatalf("Flush: %v, want the injected fault", err)
		}
		errs++
	}
	// Writes that failed after committing were not written twice, and
	// nothing was skipped: exactly 9 results, in three batches 1..3.
	wantStored(t, st, 9)
	wm, err := st.Watermark(ctx, "n1")
	if err != nil || wm != 3 {
		t.Fatalf("Watermark = %d, %v; want 3", wm, err)
	}
	mu.Lock()
	n := len(reported)
	mu.Unlock()
	if errs+n != 4 {
		t.Fatalf("%d failures from Flush and %d reported by the loop, want 4 in all", errs, n)
	}
}

func TestWriterRenumbersTakenSequence(t *testing.T) {
	st := newStore(t)
	w := startWriter(t, st, history.WriterOptions{FlushInterval: time.Hour})
	ctx := context.Background()
	// After Start, someone else writes seq 1 and 2 of the same origin.
	for seq := uint64(1); seq <= 2; seq++ {
		if _, err := st.Append(ctx, history.Batch{Origin: "n1", Seq: seq}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add(ctx, result(0)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	wantStored(t, st, 1)
	if wm, err := st.Watermark(ctx, "n1"); err != nil || wm != 3 {
		t.Fatalf("Watermark = %d, %v; want 3", wm, err)
	}
}

func TestWriterCloseFlushesAndRejects(t *testing.T) {
	st := newStore(t)
	w, err := history.NewWriter(st, history.WriterOptions{Origin: "n1", FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err == nil {
		t.Fatal("second Start: no error")
	}
	for i := range 7 {
		if err := w.Add(ctx, result(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	wantStored(t, st, 7)
	if err := w.Add(ctx, result(7)); !errors.Is(err, history.ErrWriterClosed) {
		t.Fatalf("Add after Close: %v, want ErrWriterClosed", err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestWriterCloseGivesUpAtDeadline(t *testing.T) {
	st := newStore(t)
	st.failBefore = 1 << 30
	w, err := history.NewWriter(st, history.WriterOptions{Origin: "n1", FlushInterval: time.Hour, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.Add(ctx, result(i)); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	err = w.Close(short)
	if err == nil || !strings.Contains(err.Error(), "3 items not written") || !errors.Is(err, errInjected) {
		t.Fatalf("Close against a failing store: %v", err)
	}
}

func TestWriterConcurrentAdds(t *testing.T) {
	st := newStore(t)
	w := startWriter(t, st, history.WriterOptions{FlushInterval: time.Millisecond, MaxBatch: 7, MaxBuffered: 20})
	const producers, each = 4, 50
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := result(p*each + i)
				r.Monitor = fmt.Sprintf("m%d", p)
				if err := w.Add(context.Background(), r); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for p := range producers {
		rs, err := st.Results(context.Background(), fmt.Sprintf("m%d", p), 1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != each {
			t.Fatalf("producer %d: %d results stored, want %d", p, len(rs), each)
		}
	}
}

// TestWriterNeverLosesResults: whatever the interleaving of adds, flushes
// and store faults (before or after commit), every result added before
// Close is stored exactly once, in order.
func TestWriterNeverLosesResults(t *testing.T) {
	// One store for all checks; each check writes its own origin and monitor.
	st := newStore(t)
	check := 0
	rapid.Check(t, func(rt *rapid.T) {
		check++
		origin, key := fmt.Sprintf("n%d", check), fmt.Sprintf("m%d", check)
		res := func(i int) monitor.Result {
			r := result(i)
			r.Monitor, r.Node = key, origin
			return r
		}
		fs := &faultyStore{Store: st.Store}
		w, err := history.NewWriter(fs, history.WriterOptions{
			Origin:        origin,
			FlushInterval: time.Hour,
			MaxBatch:      rapid.IntRange(1, 8).Draw(rt, "maxBatch"),
			RetryBackoff:  time.Microsecond,
		})
		if err != nil {
			rt.Fatal(err)
		}
		ctx := context.Background()
		if err := w.Start(ctx); err != nil {
			rt.Fatal(err)
		}
		added := 0
		steps := rapid.IntRange(1, 20).Draw(rt, "steps")
		for range steps {
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0, 1:
				n := rapid.IntRange(1, 6).Draw(rt, "adds")
				for range n {
					if err := w.Add(ctx, res(added)); err != nil {
						rt.Fatal(err)
					}
					added++
				}
			case 2:
				if err := w.Flush(ctx); err != nil && !errors.Is(err, errInjected) {
					rt.Fatal(err)
				}
			case 3:
				fs.mu.Lock()
				if rapid.Bool().Draw(rt, "afterCommit") {
					fs.failAfter++
				} else {
					fs.failBefore++
				}
				fs.mu.Unlock()
			}
		}
		closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := w.Close(closeCtx); err != nil {
			rt.Fatal(err)
		}
		rs, err := st.Results(ctx, key, 1, 100000)
		if err != nil {
			rt.Fatal(err)
		}
		if len(rs) != added {
			rt.Fatalf("%d results stored, %d added", len(rs), added)
		}
		for i, r := range rs {
			if !r.Time.Equal(res(i).Time) {
				rt.Fatalf("result %d at %v, want %v", i, r.Time, res(i).Time)
			}
		}
	})
}
