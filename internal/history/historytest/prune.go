package historytest

import (
	"context"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

func testPruneResults(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	// n1: batch i holds results at i*10min and i*10min+1min. n2: two old
	// batches. The cutoff, 35min, falls inside none of them but n1's batch
	// 3, which straddles it (30min..41min with its late result).
	var batches []history.Batch
	for i := range 6 {
		b := history.Batch{Origin: "n1", Seq: uint64(i + 1), Results: []monitor.Result{
			okResult("m", "n1", at(time.Duration(i)*10*time.Minute), 5*time.Millisecond),
			okResult("m", "n1", at(time.Duration(i)*10*time.Minute+time.Minute), 6*time.Millisecond),
		}}
		if i == 3 {
			b.Results = append(b.Results, okResult("m", "n1", at(41*time.Minute), 7*time.Millisecond))
			b.Results[0].Time = at(30 * time.Minute)
		}
		batches = append(batches, b)
	}
	batches = append(batches,
		history.Batch{Origin: "n2", Seq: 1, Results: []monitor.Result{okResult("m", "n2", at(2*time.Minute), time.Millisecond)}},
		history.Batch{Origin: "n2", Seq: 2, Results: []monitor.Result{okResult("m", "n2", at(12*time.Minute), time.Millisecond)},
			Events: []history.Event{{Monitor: "m", Type: history.EventHealthy, Time: at(12 * time.Minute)}}},
	)
	appendAll(t, st, batches)
	statsBefore, err := st.Stats(ctx, "m", at(-time.Hour), at(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}

	// A zero retention prunes nothing.
	if err := st.Prune(ctx, history.Retention{}); err != nil {
		t.Fatal(err)
	}
	all := chronological("m", batches)
	got, err := st.Results(ctx, "m", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "results after an empty retention", all, got)

	if err := st.Prune(ctx, history.Retention{ResultsBefore: at(35 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	kept := batches[3:6] // n1 seq 4 (straddling), 5, 6
	got, err = st.Results(ctx, "m", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "results after pruning", chronological("m", kept), got)
	got, err = st.ResultsBetween(ctx, "m", at(0), at(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "results between after pruning", chronological("m", kept), got)

	bs, err := st.BatchesSince(ctx, "n1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var want []history.Batch
	for _, b := range kept {
		want = append(want, canonicalBatch(b))
	}
	wantEqual(t, "BatchesSince(n1) after pruning", want, bs)
	if bs, err = st.BatchesSince(ctx, "n2", 0, 100); err != nil || len(bs) != 0 {
		t.Fatalf("BatchesSince(n2) after pruning all of n2 = %d batches, %v; want none", len(bs), err)
	}

	// Watermarks survive: pruned batches are not appended again, not even
	// the newest of an origin.
	origins, err := st.Origins(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Origins after pruning", map[string]uint64{"n1": 6, "n2": 2}, origins)
	mustAppend(t, st, batches[0], false)
	mustAppend(t, st, batches[7], false)
	mustAppend(t, st, batches[6], false)

	// Rollups and events are not raw results: they stay.
	statsAfter, err := st.Stats(ctx, "m", at(-time.Hour), at(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Stats after pruning results", statsBefore, statsAfter)
	events, err := st.Events(ctx, "m", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 {
		t.Fatalf("got %d events after pruning results, want 1", len(events))
	}

	// New batches still go in, and pruning everything leaves watermarks.
	next := history.Batch{Origin: "n2", Seq: 3, Results: []monitor.Result{okResult("m", "n2", at(time.Hour), time.Millisecond)}}
	mustAppend(t, st, next, true)
	if err := st.Prune(ctx, history.Retention{ResultsBefore: at(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got, err = st.Results(ctx, "m", 1, 100); err != nil || len(got) != 0 {
		t.Fatalf("Results after pruning everything = %d, %v; want none", len(got), err)
	}
	if origins, err = st.Origins(ctx); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Origins after pruning everything", map[string]uint64{"n1": 6, "n2": 3}, origins)
	mustAppend(t, st, next, false)
}

func testPruneRollupsAndEvents(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	var results []monitor.Result
	for h := range 3 {
		results = append(results, okResult("m", "n1", at(time.Duration(h)*time.Hour+time.Minute), 3*time.Millisecond))
	}
	var events []history.Event
	for i := range 5 {
		events = append(events, history.Event{Monitor: "m", Type: history.EventHealthy, Time: at(time.Duration(i) * time.Minute)})
	}
	events = append(events,
		history.Event{Monitor: "other", Type: history.EventStart, Time: at(0)},
		history.Event{Monitor: "other", Type: history.EventUnhealthy, Time: at(time.Minute)},
	)
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 1, Results: results, Events: events}, true)

	// An hour goes once it ends at or before RollupsBefore.
	if err := st.Prune(ctx, history.Retention{RollupsBefore: at(time.Hour + 30*time.Minute), MaxEvents: 3}); err != nil {
		t.Fatal(err)
	}
	hours, err := st.Hourly(ctx, "m", at(-time.Hour), at(5*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	one := history.Stats{Total: 1, Successes: 1, DurationSum: 3 * time.Millisecond, Buckets: buckets(2, 1)}
	wantEqual(t, "Hourly after pruning rollups", []history.Hour{{Start: at(time.Hour), Stats: one}, {Start: at(2 * time.Hour), Stats: one}}, hours)

	got, err := st.Events(ctx, "m", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Events(m) after keeping 3", events[2:5], got)
	got, err = st.Events(ctx, "other", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Events(other) after keeping 3", events[5:], got)

	rs, err := st.Results(ctx, "m", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "results after pruning rollups and events", storedAll(results), rs)
}
