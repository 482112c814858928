package historytest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// buckets builds a histogram from (bucket index, count) pairs.
func buckets(pairs ...int) []int64 {
	b := make([]int64, len(history.LatencyBounds)+1)
	for i := 0; i+1 < len(pairs); i += 2 {
		b[pairs[i]] += int64(pairs[i+1])
	}
	return b
}

func testStatsAndHourly(t *testing.T, open func(t *testing.T) history.Store) {
	if len(history.LatencyBounds) != 14 {
		t.Fatalf("the expected buckets below assume 14 latency bounds, there are %d", len(history.LatencyBounds))
	}
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	ms := time.Millisecond
	r := func(offset time.Duration, ok bool, dur time.Duration) monitor.Result {
		if ok {
			return okResult("m", "n1", at(offset), dur)
		}
		return failResult("m", "n1", at(offset), dur)
	}
	// Hour 0 (t0): durations on and around bucket bounds.
	hour0 := []monitor.Result{
		r(0, true, 0),              // bucket 0 (<= 1ms)
		r(time.Second, true, 1*ms), // bucket 0: a bound belongs to its bucket
		r(2*time.Second, false, 1*ms+time.Microsecond),          // bucket 1
		r(3*time.Second, true, 2*ms),                            // bucket 1
		r(59*time.Minute, true, 30*time.Second),                 // bucket 13
		r(59*time.Minute+59*time.Second, false, 31*time.Second), // bucket 14: above the last bound
	}
	// Hour 1, across the boundary, from another origin.
	hour1 := []monitor.Result{
		r(time.Hour, true, 150*ms),               // bucket 7 (<= 200ms)
		r(time.Hour+time.Second, true, 200*ms),   // bucket 7
		r(time.Hour+2*time.Second, true, 201*ms), // bucket 8
	}
	for i := range hour1 {
		hour1[i].Node = "n2"
	}
	// Hour 3 (hour 2 has nothing).
	hour3 := []monitor.Result{r(3*time.Hour+30*time.Minute, false, 5*time.Second)} // bucket 11
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 1, Results: append(append([]monitor.Result{}, hour0...), hour3...)}, true)
	mustAppend(t, st, history.Batch{Origin: "n2", Seq: 1, Results: hour1}, true)
	// Another monitor in the same hours must not count.
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 2, Results: []monitor.Result{okResult("other", "n1", at(time.Minute), 9*time.Second)}}, true)

	h0 := history.Stats{Total: 6, Successes: 4, DurationSum: 61*time.Second + 4*ms + time.Microsecond, Buckets: buckets(0, 2, 1, 2, 13, 1, 14, 1)}
	h1 := history.Stats{Total: 3, Successes: 3, DurationSum: 551 * ms, Buckets: buckets(7, 2, 8, 1)}
	h3 := history.Stats{Total: 1, Successes: 0, DurationSum: 5 * time.Second, Buckets: buckets(11, 1)}
	sum := func(ss ...history.Stats) history.Stats {
		out := history.Stats{Buckets: buckets()}
		for _, s := range ss {
			out.Total += s.Total
			out.Successes += s.Successes
			out.DurationSum += s.DurationSum
			for i := range s.Buckets {
				out.Buckets[i] += s.Buckets[i]
			}
		}
		return out
	}
	cases := []struct {
		from, to time.Duration
		want     history.Stats
		hours    []history.Hour
	}{
		{0, time.Hour, h0, []history.Hour{{Start: at(0), Stats: h0}}},
		// Rounded to whole hours: from down, to up.
		{30 * time.Minute, 40 * time.Minute, h0, []history.Hour{{Start: at(0), Stats: h0}}},
		{59 * time.Minute, 61 * time.Minute, sum(h0, h1), []history.Hour{{Start: at(0), Stats: h0}, {Start: at(time.Hour), Stats: h1}}},
		{time.Hour, time.Hour + time.Millisecond, h1, []history.Hour{{Start: at(time.Hour), Stats: h1}}},
		{-24 * time.Hour, 24 * time.Hour, sum(h0, h1, h3), []history.Hour{{Start: at(0), Stats: h0}, {Start: at(time.Hour), Stats: h1}, {Start: at(3 * time.Hour), Stats: h3}}},
		{2 * time.Hour, 3 * time.Hour, sum(), nil},
		{-2 * time.Hour, 0, sum(), nil},
		{time.Hour, 0, sum(), nil}, // to before from
	}
	for _, c := range cases {
		what := fmt.Sprintf("[%v, %v)", c.from, c.to)
		got, err := st.Stats(ctx, "m", at(c.from), at(c.to))
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "Stats"+what, c.want, got)
		hours, err := st.Hourly(ctx, "m", at(c.from), at(c.to))
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, "Hourly"+what, c.hours, hours)
	}
	all := sum(h0, h1, h3)
	if u := all.Uptime(); u != 0.7 {
		t.Errorf("Uptime = %v, want 0.7", u)
	}
	got, err := st.Stats(ctx, "unknown", at(-time.Hour), at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Stats of an unknown monitor", sum(), got)

	// More results in an hour already counted add up.
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 3, Results: []monitor.Result{r(10*time.Minute, true, 3*ms)}}, true)
	got, err = st.Stats(ctx, "m", at(0), at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Stats after one more result", sum(h0, history.Stats{Total: 1, Successes: 1, DurationSum: 3 * ms, Buckets: buckets(2, 1)}), got)
}
