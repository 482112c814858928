package historytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// testConcurrency appends batches of 3 results of m while readers check
// that every read sees whole batches and never goes back in time.
func testConcurrency(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	const batches, perBatch, readers = 40, 3, 3
	done := make(chan struct{})
	errs := make(chan error, readers+1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range batches {
			b := history.Batch{Origin: "n1", Seq: uint64(i + 1)}
			for j := range perBatch {
				when := at(time.Duration(i)*time.Minute + time.Duration(j)*time.Second)
				b.Results = append(b.Results, okResult("m", "n1", when, time.Duration(i+j)*time.Millisecond))
			}
			if _, err := st.Append(ctx, b); err != nil {
				errs <- fmt.Errorf("append %d: %w", i+1, err)
				return
			}
		}
	}()
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lastResults, lastTotal int
			// Bounded: the writer's 40 appends end the loop long before.
			for i := 0; i < 100000; i++ {
				finished := false
				select {
				case <-done:
					finished = true // one last read after the writer is done
				default:
				}
				rs, err := st.Results(ctx, "m", 1, batches*perBatch)
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				stats, err := st.Stats(ctx, "m", at(-time.Hour), at(24*time.Hour))
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				total := int(stats.Total)
				switch {
				case len(rs)%perBatch != 0 || total%perBatch != 0:
					errs <- fmt.Errorf("reader %d saw part of a batch: %d results, Stats.Total %d", r, len(rs), total)
					return
				case len(rs) < lastResults || total < lastTotal:
					errs <- fmt.Errorf("reader %d went back: %d results after %d, total %d after %d", r, len(rs), lastResults, total, lastTotal)
					return
				case total < len(rs):
					errs <- fmt.Errorf("reader %d: Stats.Total %d read after %d results", r, total, len(rs))
					return
				}
				for k := 1; k < len(rs); k++ {
					if !rs[k-1].Time.Before(rs[k].Time) {
						errs <- fmt.Errorf("reader %d: results out of order at %d", r, k)
						return
					}
				}
				lastResults, lastTotal = len(rs), total
				if finished {
					if lastResults != batches*perBatch || lastTotal != batches*perBatch {
						errs <- fmt.Errorf("reader %d: final read %d results, total %d; want %d", r, lastResults, lastTotal, batches*perBatch)
					}
					return
				}
			}
			errs <- fmt.Errorf("reader %d: writer did not finish", r)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testCancelled(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := history.Batch{Origin: "n1", Seq: 1, Results: []monitor.Result{okResult("m", "n1", at(0), time.Millisecond)}}
	if _, err := st.Append(ctx, b); err == nil {
		t.Fatal("Append with a cancelled context: no error")
	}
	// Nothing was written: the batch still applies.
	mustAppend(t, st, b, true)
	calls := map[string]func() error{
		"Results": func() error { _, err := st.Results(ctx, "m", 1, 10); return err },
		"ResultsBetween": func() error {
			_, err := st.ResultsBetween(ctx, "m", at(-time.Hour), at(time.Hour), 10)
			return err
		},
		"Events":       func() error { _, err := st.Events(ctx, "m", 1, 10); return err },
		"Stats":        func() error { _, err := st.Stats(ctx, "m", at(-time.Hour), at(time.Hour)); return err },
		"Hourly":       func() error { _, err := st.Hourly(ctx, "m", at(-time.Hour), at(time.Hour)); return err },
		"BatchesSince": func() error { _, err := st.BatchesSince(ctx, "n1", 0, 10); return err },
		"Watermark":    func() error { _, err := st.Watermark(ctx, "n1"); return err },
		"Origins":      func() error { _, err := st.Origins(ctx); return err },
		"Prune": func() error {
			return st.Prune(ctx, history.Retention{ResultsBefore: at(time.Hour)})
		},
	}
	for name, call := range calls {
		if err := call(); err == nil {
			t.Errorf("%s with a cancelled context: no error", name)
		}
	}
	// The cancelled Prune removed nothing.
	rs, err := st.Results(context.Background(), "m", 1, 10)
	if err != nil || len(rs) != 1 {
		t.Fatalf("Results after a cancelled prune = %d, %v; want 1", len(rs), err)
	}
}

func testClosed(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	ctx := context.Background()
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 1, Results: []monitor.Result{okResult("m", "n1", at(0), time.Millisecond)}}, true)
	closeStore(t, st)
	calls := map[string]func() error{
		"Append": func() error {
			_, err := st.Append(ctx, history.Batch{Origin: "n1", Seq: 2})
			return err
		},
		"Watermark":    func() error { _, err := st.Watermark(ctx, "n1"); return err },
		"Origins":      func() error { _, err := st.Origins(ctx); return err },
		"BatchesSince": func() error { _, err := st.BatchesSince(ctx, "n1", 0, 10); return err },
		"Results":      func() error { _, err := st.Results(ctx, "m", 1, 10); return err },
		"ResultsBetween": func() error {
			_, err := st.ResultsBetween(ctx, "m", at(0), at(time.Hour), 10)
			return err
		},
		"Events": func() error { _, err := st.Events(ctx, "m", 1, 10); return err },
		"Stats":  func() error { _, err := st.Stats(ctx, "m", at(0), at(time.Hour)); return err },
		"Hourly": func() error { _, err := st.Hourly(ctx, "m", at(0), at(time.Hour)); return err },
		"Prune":  func() error { return st.Prune(ctx, history.Retention{MaxEvents: 1}) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, history.ErrClosed) {
			t.Errorf("%s after Close: error %v, want history.ErrClosed", name, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
}

func testReopen(t *testing.T, open func(t *testing.T, dir string) history.Store) {
	dir := t.TempDir()
	st := open(t, dir)
	batches := roundTripBatches()
	appendAll(t, st, batches)
	monitors := []string{"core_api", "core_web", "edge_dns"}
	origins := []string{"n1", "n2"}
	before := collectAnswers(t, st, monitors, origins)
	closeStore(t, st)

	st = open(t, dir)
	defer closeStore(t, st)
	wantEqual(t, "answers after reopening", before, collectAnswers(t, st, monitors, origins))
	// Watermarks hold: old batches are ignored, new ones go in.
	mustAppend(t, st, batches[0], false)
	next := history.Batch{Origin: "n1", Seq: 14, Results: []monitor.Result{okResult("core_api", "n1", at(3*time.Hour), time.Millisecond)}}
	mustAppend(t, st, next, true)
	rs, err := st.Results(context.Background(), "core_api", 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "newest result after reopening", []monitor.Result{stored(next.Results[0])}, rs)
}
