package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

var base = time.Date(2024, 3, 10, 10, 0, 0, 0, time.UTC)

// httpResult is a typical successful HTTPS check.
func httpResult(key, node string, at time.Time, dur time.Duration) monitor.Result {
	return monitor.Result{
		Monitor: key, Node: node, Time: at, Success: true, Duration: dur,
		Status: 200, IP: "192.0.2.10", Connected: true,
		Conditions:            []condition.Result{{Condition: "[STATUS] == 200", Success: true}},
		CertificateExpiration: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Sub(at),
	}
}

func mustAppend(t testing.TB, st *Store, b history.Batch) {
	t.Helper()
	applied, err := st.Append(context.Background(), b)
	if err != nil || !applied {
		t.Fatalf("Append(%s/%d) = %v, %v", b.Origin, b.Seq, applied, err)
	}
}

func count(t testing.TB, st *Store, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.wconn.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, path := range []string{"", "a.db?mode=ro", "file:a.db", "x#y"} {
		_, err := Open(context.Background(), path, Options{})
		if err == nil || !strings.Contains(err.Error(), "want a plain file path") {
			t.Errorf("Open(%q) error = %v, want one about the path", path, err)
		}
	}
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "h.db"), Options{})
	if err == nil || !strings.Contains(err.Error(), "h.db") {
		t.Errorf("Open in a missing directory: error %v, want one naming the file", err)
	}
}

// TestShapesAreInterned checks the storage layout: a result that repeats
// stores only small integers, one that never repeats stays inline and adds
// no shape.
func TestShapesAreInterned(t *testing.T) {
	st := openTest(t, ":memory:", Options{})
	var steady, varying []monitor.Result
	for i := range 10 {
		at := base.Add(time.Duration(i) * time.Minute)
		steady = append(steady, httpResult("steady", "n1", at, 20*time.Millisecond))
		r := httpResult("varying", "n1", at, 20*time.Millisecond)
		r.Conditions = []condition.Result{{Condition: "[RESPONSE_TIME] (" + time.Duration(i).String() + ") < 500", Success: true}}
		varying = append(varying, r)
		steady[i].Node = map[bool]string{true: "n1", false: "n7"}[i != 4]
	}
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 1, Results: steady[:5]})
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 2, Results: append(steady[5:], varying...)})

	if n := count(t, st, `SELECT count(*) FROM shapes`); n != 1 {
		t.Errorf("%d shapes, want 1 (the steady monitor's)", n)
	}
	steadyID := count(t, st, `SELECT id FROM monitors WHERE key = 'steady'`)
	// The first steady result is inline, the others reference the shape;
	// the fifth also records its other node.
	if n := count(t, st, `SELECT count(*) FROM results WHERE monitor_id = ? AND shape_id IS NOT NULL`, steadyID); n != 9 {
		t.Errorf("%d steady results reference a shape, want 9", n)
	}
	if n := count(t, st, `SELECT count(*) FROM results WHERE monitor_id = ? AND extra IS NOT NULL`, steadyID); n != 2 {
		t.Errorf("%d steady results have extra fields, want 2", n)
	}
	if n := count(t, st, `SELECT count(*) FROM results WHERE shape_id IS NULL AND extra IS NOT NULL
		AND monitor_id = (SELECT id FROM monitors WHERE key = 'varying')`); n != 10 {
		t.Errorf("%d varying results inline, want 10", n)
	}
	for key, want := range map[string][]monitor.Result{"steady": steady, "varying": varying} {
		got, err := st.Results(context.Background(), key, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s results (-want +got):\n%s", key, d)
		}
	}
}

// TestRollupsSurviveACrash stops a store without Close while rollups are
// pending: reopening rebuilds them from the results, exactly once.
func TestRollupsSurviveACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	ctx := context.Background()
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The first append writes rollups (nothing was written yet), the next
	// ones, less than a minute later, stay pending.
	for i := range 5 {
		mustAppend(t, st, history.Batch{Origin: "n1", Seq: uint64(i + 1), Results: []monitor.Result{
			httpResult("m", "n1", base.Add(time.Duration(i)*10*time.Second), time.Duration(i+1)*time.Millisecond),
		}})
	}
	if n := count(t, st, `SELECT coalesce(sum(total), 0) FROM rollups`); n != 1 {
		t.Fatalf("rollups hold %d results before the crash, want 1 (the rest pending)", n)
	}
	want, err := st.Stats(ctx, "m", base, base.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want.Total != 5 {
		t.Fatalf("Stats.Total = %d, want 5", want.Total)
	}
	if err := st.close(false); err != nil { // a crash: pending rollups lost
		t.Fatal(err)
	}

	for round := range 2 {
		st, err = Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Stats(ctx, "m", base, base.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round %d: Stats after reopening (-want +got):\n%s", round, d)
		}
		if err := st.Close(); err != nil { // writes the rebuilt rollups
			t.Fatal(err)
		}
	}
	st = openTest(t, path, Options{})
	if n := count(t, st, `SELECT sum(total) FROM rollups`); n != 5 {
		t.Fatalf("rollups hold %d results after a clean close, want 5", n)
	}
}

// TestRollupsWrittenWithTheirBatch checks when rollups reach the database:
// at the first append, when RollupFlushInterval of result time has passed,
// at a new hour, and not in between.
func TestRollupsWrittenWithTheirBatch(t *testing.T) {
	st := openTest(t, ":memory:", Options{RollupFlushInterval: 30 * time.Second})
	steps := []struct {
		at      time.Duration
		written int64 // results in rollups after the append
	}{
		{0, 1},                               // first append
		{10 * time.Second, 1},                // pending
		{29 * time.Second, 1},                // pending
		{30 * time.Second, 4},                // interval reached
		{50 * time.Second, 4},                // pending
		{59*time.Minute + 59*time.Second, 6}, // interval
		{60 * time.Minute, 7},                // new hour
		{60*time.Minute + time.Second, 7},
	}
	for i, s := range steps {
		mustAppend(t, st, history.Batch{Origin: "n1", Seq: uint64(i + 1), Results: []monitor.Result{
			httpResult("m", "n1", base.Add(s.at), time.Millisecond),
		}})
		if n := count(t, st, `SELECT coalesce(sum(total), 0) FROM rollups`); n != s.written {
			t.Errorf("after the result at %v: %d results in rollups, want %d", s.at, n, s.written)
		}
		through := count(t, st, `SELECT value FROM meta WHERE key = 'rollups_through'`)
		if got := count(t, st, `SELECT count(*) FROM results r JOIN batches b ON b.id = r.batch_id WHERE b.id <= ?`, through); got != s.written {
			t.Errorf("after the result at %v: rollups_through covers %d results, rollups %d", s.at, got, s.written)
		}
	}
}

func TestPruneReusesPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := openTest(t, path, Options{})
	ctx := context.Background()
	appendHour := func(seq uint64, hour int) {
		b := history.Batch{Origin: "n1", Seq: seq}
		for m := range 2000 {
			b.Results = append(b.Results, httpResult(monitorKey(m), "n1", base.Add(time.Duration(hour)*time.Hour), time.Millisecond))
		}
		mustAppend(t, st, b)
	}
	pages := func() int64 { return count(t, st, `SELECT page_count FROM pragma_page_count`) }
	for h := range 5 {
		appendHour(uint64(h+1), h)
	}
	full := pages()
	// Keep 5 hours at a time: the file must stop growing.
	for h := 5; h < 10; h++ {
		cutoff := base.Add(time.Duration(h-4) * time.Hour)
		if err := st.Prune(ctx, history.Retention{ResultsBefore: cutoff, RollupsBefore: cutoff}); err != nil {
			t.Fatal(err)
		}
		appendHour(uint64(h+1), h)
	}
	if grown := pages(); grown > full+full/10 {
		t.Fatalf("database grew from %d to %d pages at a constant retention", full, grown)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func monitorKey(i int) string {
	return fmt.Sprintf("group-%d_monitor-%d", i%26, i)
}

// TestRecentIndexFallsBack: batches appended out of time order (a peer
// catching up) push a newer batch out of a monitor's ring; the reads must
// notice and scan.
func TestRecentIndexFallsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := openTest(t, path, Options{RecentBatches: 2})
	ctx := context.Background()
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 1, Results: []monitor.Result{httpResult("m", "n1", at(100), time.Millisecond)}})
	for seq := range 3 { // older results, appended later
		mustAppend(t, st, history.Batch{Origin: "n2", Seq: uint64(seq + 1), Results: []monitor.Result{httpResult("m", "n2", at(10+seq), time.Millisecond)}})
	}
	ids, evicted, ok := st.recent.lookup(count(t, st, `SELECT id FROM monitors WHERE key = 'm'`))
	if !ok || len(ids) != 2 || evicted != at(100).UnixMilli() {
		t.Fatalf("ring %v, evicted %d, ok %v; want 2 batches and evicted at the newest result", ids, evicted, ok)
	}
	for _, c := range []struct {
		page, size int
		want       []time.Time
	}{
		{1, 1, []time.Time{at(100)}},
		{1, 2, []time.Time{at(12), at(100)}},
		{2, 2, []time.Time{at(10), at(11)}},
	} {
		rs, err := st.Results(ctx, "m", c.page, c.size)
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Time
		for _, r := range rs {
			got = append(got, r.Time)
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Results(page %d, size %d) times (-want +got):\n%s", c.page, c.size, d)
		}
	}
	// So must windows.
	rs, err := st.ResultsBetween(ctx, "m", at(11), at(13), 10)
	if err != nil || len(rs) != 2 {
		t.Fatalf("ResultsBetween = %d results, %v; want 2", len(rs), err)
	}
}
