package historytest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// t0 is the start of an hour; test data is laid out around it.
var t0 = time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC)

// certExpiry is the expiry of the test certificate: whole seconds, so the
// CertificateExpiration of every result round-trips exactly.
var certExpiry = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// okResult is a typical successful HTTPS check.
func okResult(key, node string, when time.Time, dur time.Duration) monitor.Result {
	return monitor.Result{
		Monitor:   key,
		Node:      node,
		Time:      when,
		Success:   true,
		Duration:  dur,
		Status:    200,
		Hostname:  "example.org",
		IP:        "192.0.2.10",
		Connected: true,
		Conditions: []condition.Result{
			{Condition: "[STATUS] == 200", Success: true},
			{Condition: "[RESPONSE_TIME] < 500", Success: true},
		},
		CertificateExpiration: certExpiry.Sub(when),
	}
}

// failResult is a failed check, with errors and a failed condition.
func failResult(key, node string, when time.Time, dur time.Duration) monitor.Result {
	return monitor.Result{
		Monitor:   key,
		Node:      node,
		Time:      when,
		Success:   false,
		Duration:  dur,
		Status:    503,
		Hostname:  "example.org",
		IP:        "192.0.2.10",
		Connected: true,
		Errors:    []string{"unexpected status 503 from https://example.org/health"},
		Conditions: []condition.Result{
			{Condition: "[STATUS] (503) == 200", Success: false},
			{Condition: "[RESPONSE_TIME] < 500", Success: true},
		},
		CertificateExpiration: certExpiry.Sub(when),
	}
}

// stored is what a store gives back for r: everything but the hostname.
func stored(r monitor.Result) monitor.Result {
	r.Hostname = ""
	r.Time = r.Time.UTC()
	return r
}

func storedAll(rs []monitor.Result) []monitor.Result {
	out := make([]monitor.Result, len(rs))
	for i, r := range rs {
		out[i] = stored(r)
	}
	return out
}

// diffOpts compare results as the port promises: nil and empty slices
// alike, times by instant.
var diffOpts = []gocmp.Option{cmpopts.EquateEmpty()}

// wantEqual fails when got differs from want.
func wantEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := gocmp.Diff(want, got, diffOpts...); d != "" {
		t.Fatalf("%s: mismatch (-want +got):\n%s", what, d)
	}
}

// entry is a result with where it was appended, to compute the order a
// store must answer in: (time, origin, seq, position in the batch).
type entry struct {
	r      monitor.Result
	origin string
	seq    uint64
	pos    int
}

// chronological returns the results of key among the batches, in the
// order the port defines.
func chronological(key string, batches []history.Batch) []monitor.Result {
	var es []entry
	for _, b := range batches {
		for i, r := range b.Results {
			if r.Monitor == key {
				es = append(es, entry{r: r, origin: b.Origin, seq: b.Seq, pos: i})
			}
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := a.r.Time.Compare(b.r.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.origin, b.origin); c != 0 {
			return c
		}
		if c := cmp.Compare(a.seq, b.seq); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	})
	out := make([]monitor.Result, len(es))
	for i, e := range es {
		out[i] = stored(e.r)
	}
	return out
}

// page is one page of all (chronological), newest page first, as
// Store.Results pages.
func page(all []monitor.Result, page, size int) []monitor.Result {
	end := len(all) - (page-1)*size
	if end <= 0 {
		return nil
	}
	return all[max(0, end-size):end]
}

// between is what ResultsBetween must return.
func between(all []monitor.Result, from, to time.Time, limit int) []monitor.Result {
	var in []monitor.Result
	for _, r := range all {
		if !r.Time.Before(from) && r.Time.Before(to) {
			in = append(in, r)
		}
	}
	return in[max(0, len(in)-limit):]
}

// traffic builds n batches of origin (seq from first) with one result per
// monitor per batch, spaced step apart from start, every fifth failing and
// durations varying.
func traffic(origin string, first uint64, n int, monitors []string, start time.Time, step time.Duration) []history.Batch {
	var out []history.Batch
	for i := range n {
		b := history.Batch{Origin: origin, Seq: first + uint64(i)}
		for j, m := range monitors {
			when := start.Add(time.Duration(i)*step + time.Duration(j)*time.Millisecond)
			dur := time.Duration(1+(i*7+j*3)%400) * time.Millisecond
			r := okResult(m, origin, when, dur)
			if (i+j)%5 == 4 {
				r = failResult(m, origin, when, dur)
			}
			b.Results = append(b.Results, r)
		}
		out = append(out, b)
	}
	return out
}

// appendAll appends every batch, each expected to apply.
func appendAll(t *testing.T, st history.Store, batches []history.Batch) {
	t.Helper()
	for _, b := range batches {
		mustAppend(t, st, b, true)
	}
}

// answers records a store's answers to every read, to compare two stores
// (or one before and after a reopen).
type answers map[string]any

func collectAnswers(t *testing.T, st history.Store, monitors []string, origins []string) answers {
	t.Helper()
	ctx := context.Background()
	a := answers{}
	check := func(key string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		a[key] = v
	}
	for _, m := range monitors {
		for _, size := range []int{1, 7, 50} {
			for p := 1; p <= 3; p++ {
				rs, err := st.Results(ctx, m, p, size)
				check(fmt.Sprintf("Results(%s,%d,%d)", m, p, size), rs, err)
			}
		}
		for _, w := range [][2]time.Duration{{0, time.Hour}, {-time.Hour, 3 * time.Hour}, {30 * time.Minute, 90 * time.Minute}} {
			rs, err := st.ResultsBetween(ctx, m, at(w[0]), at(w[1]), 10)
			check(fmt.Sprintf("ResultsBetween(%s,%v)", m, w), rs, err)
			s, err := st.Stats(ctx, m, at(w[0]), at(w[1]))
			check(fmt.Sprintf("Stats(%s,%v)", m, w), s, err)
			h, err := st.Hourly(ctx, m, at(w[0]), at(w[1]))
			check(fmt.Sprintf("Hourly(%s,%v)", m, w), h, err)
		}
		for p := 1; p <= 3; p++ {
			es, err := st.Events(ctx, m, p, 2)
			check(fmt.Sprintf("Events(%s,%d)", m, p), es, err)
		}
	}
	o, err := st.Origins(ctx)
	check("Origins", o, err)
	for _, origin := range origins {
		wm, err := st.Watermark(ctx, origin)
		check("Watermark("+origin+")", wm, err)
		bs, err := st.BatchesSince(ctx, origin, 0, 1000)
		check("BatchesSince("+origin+")", bs, err)
	}
	return a
}

// canonicalBatch is b as BatchesSince returns it: results stored and
// ordered by (time, monitor), events by time, ties in appended order.
func canonicalBatch(b history.Batch) history.Batch {
	out := history.Batch{Origin: b.Origin, Seq: b.Seq, Results: storedAll(b.Results)}
	slices.SortStableFunc(out.Results, func(x, y monitor.Result) int {
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		return cmp.Compare(x.Monitor, y.Monitor)
	})
	out.Events = slices.Clone(b.Events)
	for i := range out.Events {
		out.Events[i].Time = out.Events[i].Time.UTC()
	}
	slices.SortStableFunc(out.Events, func(x, y history.Event) int { return x.Time.Compare(y.Time) })
	return out
}
