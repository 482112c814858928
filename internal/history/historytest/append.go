package historytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

func testAppendIdempotent(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	b := history.Batch{
		Origin:  "n1",
		Seq:     1,
		Results: series("core_api", "n1", 3),
		Events:  []history.Event{{Monitor: "core_api", Type: history.EventStart, Time: at(0)}},
	}
	mustAppend(t, st, b, true)
	// The same batch again, and a different batch under the same key: both
	// ignored.
	mustAppend(t, st, b, false)
	other := b
	other.Results = series("core_api", "n1", 5)
	mustAppend(t, st, other, false)

	got, err := st.Results(ctx, "core_api", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "results after re-appending", storedAll(b.Results), got)
	events, err := st.Events(ctx, "core_api", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("events after re-appending: got %d, want 1", len(events))
	}
	stats, err := st.Stats(ctx, "core_api", at(-time.Hour), at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Total != 3 {
		t.Fatalf("Stats.Total after re-appending = %d, want 3", stats.Total)
	}
	wm, err := st.Watermark(ctx, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if wm != 1 {
		t.Fatalf("Watermark = %d, want 1", wm)
	}
	// An empty batch still moves the watermark.
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 2}, true)
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 2}, false)
	if wm, err = st.Watermark(ctx, "n1"); err != nil || wm != 2 {
		t.Fatalf("Watermark after an empty batch = %d, %v; want 2", wm, err)
	}
}

// series is n successful results of key, one a second from t0.
func series(key, node string, n int) []monitor.Result {
	out := make([]monitor.Result, n)
	for i := range out {
		out[i] = okResult(key, node, at(time.Duration(i)*time.Second), time.Duration(10+i)*time.Millisecond)
	}
	return out
}

func testInvalidArguments(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	calls := map[string]func() error{
		"Append empty origin": func() error {
			_, err := st.Append(ctx, history.Batch{Seq: 1})
			return err
		},
		"Append seq 0": func() error {
			_, err := st.Append(ctx, history.Batch{Origin: "n1"})
			return err
		},
		"Append result without monitor": func() error {
			_, err := st.Append(ctx, history.Batch{Origin: "n1", Seq: 1, Results: []monitor.Result{okResult("", "n1", at(0), time.Millisecond)}})
			return err
		},
		"Append event without type": func() error {
			_, err := st.Append(ctx, history.Batch{Origin: "n1", Seq: 1, Events: []history.Event{{Monitor: "m", Time: at(0)}}})
			return err
		},
		"Results page 0": func() error {
			_, err := st.Results(ctx, "m", 0, 10)
			return err
		},
		"Results page size 0": func() error {
			_, err := st.Results(ctx, "m", 1, 0)
			return err
		},
		"Results empty key": func() error {
			_, err := st.Results(ctx, "", 1, 10)
			return err
		},
		"ResultsBetween limit 0": func() error {
			_, err := st.ResultsBetween(ctx, "m", at(0), at(time.Hour), 0)
			return err
		},
		"Events page size -1": func() error {
			_, err := st.Events(ctx, "m", 1, -1)
			return err
		},
		"BatchesSince limit 0": func() error {
			_, err := st.BatchesSince(ctx, "n1", 0, 0)
			return err
		},
		"BatchesSince empty origin": func() error {
			_, err := st.BatchesSince(ctx, "", 0, 10)
			return err
		},
		"Watermark empty origin": func() error {
			_, err := st.Watermark(ctx, "")
			return err
		},
		"Prune negative MaxEvents": func() error {
			return st.Prune(ctx, history.Retention{MaxEvents: -1})
		},
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, history.ErrInvalid) {
			t.Errorf("%s: error %v, want one wrapping history.ErrInvalid", name, err)
		}
	}
	// Nothing was written by the rejected appends.
	if o, err := st.Origins(ctx); err != nil || len(o) != 0 {
		t.Fatalf("Origins after rejected appends = %v, %v; want none", o, err)
	}
}

func testOutOfOrderOrigins(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	// Batches arrive from several origins, out of order and with gaps, as
	// when peers stream to each other and catch up.
	steps := []struct {
		origin string
		seq    uint64
		want   bool
	}{
		{"n2", 5, true},
		{"n1", 1, true},
		{"n2", 3, false}, // below n2's watermark 5
		{"n1", 2, true},
		{"n3", 10, true},
		{"n2", 7, true}, // a gap is fine
		{"n1", 2, false},
		{"n2", 6, false},
	}
	for i, s := range steps {
		b := history.Batch{Origin: s.origin, Seq: s.seq,
			Results: []monitor.Result{okResult("m", s.origin, at(time.Duration(i)*time.Second), time.Millisecond)}}
		mustAppend(t, st, b, s.want)
	}
	got, err := st.Origins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Origins", map[string]uint64{"n1": 2, "n2": 7, "n3": 10}, got)
	for origin, want := range map[string]uint64{"n1": 2, "n2": 7, "n3": 10, "unknown": 0} {
		wm, err := st.Watermark(ctx, origin)
		if err != nil {
			t.Fatal(err)
		}
		if wm != want {
			t.Errorf("Watermark(%s) = %d, want %d", origin, wm, want)
		}
	}
	// Only the applied batches' results are there: 5 of them.
	rs, err := st.Results(ctx, "m", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 5 {
		t.Fatalf("got %d results, want 5 (one per applied batch)", len(rs))
	}
	bs, err := st.BatchesSince(ctx, "n2", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, b := range bs {
		seqs = append(seqs, b.Seq)
	}
	wantEqual(t, "BatchesSince(n2) seqs", []uint64{5, 7}, seqs)
	bs, err = st.BatchesSince(ctx, "n2", 5, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].Seq != 7 {
		t.Fatalf("BatchesSince(n2, after 5) = %d batches, want just seq 7", len(bs))
	}
	if bs, err = st.BatchesSince(ctx, "unknown", 0, 10); err != nil || len(bs) != 0 {
		t.Fatalf("BatchesSince(unknown) = %d batches, %v; want none", len(bs), err)
	}
}
