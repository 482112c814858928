package historytest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// pagingBatches are three origins checking two monitors, their batches
// interleaved in time and appended out of time order.
func pagingBatches() []history.Batch {
	monitors := []string{"core_api", "core_web"}
	var all []history.Batch
	all = append(all, traffic("n2", 1, 9, monitors, at(7*time.Second), 20*time.Second)...)
	all = append(all, traffic("n1", 1, 10, monitors, at(0), 20*time.Second)...)
	all = append(all, traffic("n3", 4, 6, monitors, at(13*time.Second), 30*time.Second)...)
	return all
}

func testResultsPaging(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	batches := pagingBatches()
	appendAll(t, st, batches)
	for _, key := range []string{"core_api", "core_web"} {
		all := chronological(key, batches)
		if len(all) != 25 {
			t.Fatalf("test data: %d results of %s, want 25", len(all), key)
		}
		for _, size := range []int{1, 4, 10, 25, 30} {
			for p := 1; p <= 25/size+2; p++ {
				got, err := st.Results(ctx, key, p, size)
				if err != nil {
					t.Fatal(err)
				}
				wantEqual(t, fmt.Sprintf("Results(%s, page %d, size %d)", key, p, size), page(all, p, size), got)
			}
		}
	}
	got, err := st.Results(ctx, "no_such_monitor", 1, 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("Results of an unknown monitor = %d results, %v; want none", len(got), err)
	}
}

func testResultsTies(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	same := at(time.Minute)
	mk := func(node string, dur time.Duration) monitor.Result { return okResult("m", node, same, dur) }
	// Equal times order by origin, then seq, then position in the batch,
	// whatever the order of appending.
	batches := []history.Batch{
		{Origin: "n2", Seq: 1, Results: []monitor.Result{mk("n2", 1*time.Millisecond), mk("n2", 2*time.Millisecond)}},
		{Origin: "n1", Seq: 2, Results: []monitor.Result{mk("n1", 3*time.Millisecond)}},
		{Origin: "n1", Seq: 1, Results: nil}, // after seq 2: ignored
	}
	mustAppend(t, st, batches[0], true)
	mustAppend(t, st, batches[1], true)
	mustAppend(t, st, batches[2], false)
	want := []monitor.Result{
		stored(mk("n1", 3*time.Millisecond)),
		stored(mk("n2", 1*time.Millisecond)),
		stored(mk("n2", 2*time.Millisecond)),
	}
	got, err := st.Results(ctx, "m", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "tied results", want, got)
	got, err = st.Results(ctx, "m", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "oldest page of tied results", want[:1], got)
	got, err = st.ResultsBetween(ctx, "m", same, same.Add(time.Millisecond), 2)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "most recent two tied results", want[1:], got)
}

func testResultsBetween(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	batches := pagingBatches()
	appendAll(t, st, batches)
	all := chronological("core_api", batches)
	windows := []struct {
		from, to time.Duration
		limit    int
	}{
		{0, time.Hour, 100},
		{0, time.Hour, 3},
		{30 * time.Second, 90 * time.Second, 100},
		{20 * time.Second, 20*time.Second + time.Millisecond, 100}, // exactly one instant
		{-time.Hour, 0, 100},                                       // before everything
		{2 * time.Minute, time.Minute, 100},                        // empty window
		{100 * time.Second, 101 * time.Second, 5},
		{0, 3 * time.Minute, 1},
	}
	for _, w := range windows {
		from, to := at(w.from), at(w.to)
		got, err := st.ResultsBetween(ctx, "core_api", from, to, w.limit)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, fmt.Sprintf("ResultsBetween(%v, %v, %d)", w.from, w.to, w.limit), between(all, from, to, w.limit), got)
	}
}

func testResultsPreserved(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	ms := time.Millisecond
	variants := []monitor.Result{
		okResult("m", "n1", at(0), 42*ms),
		failResult("m", "n1", at(1*time.Second), 1500*time.Microsecond),
		// Another node than the origin, and none at all.
		okResult("m", "elsewhere", at(2*time.Second), 7*ms),
		okResult("m", "", at(3*time.Second), 8*ms),
		// Every optional field set, odd strings included.
		{
			Monitor: "m", Node: "n1", Time: at(4*time.Second + 123*ms), Success: false,
			Duration: 29*time.Second + 999*time.Microsecond, Status: -1,
			IP: "2001:db8::1", DNSRCode: "NXDOMAIN", Connected: false,
			Errors:                []string{"", "ünïcødé ✓", "line\nbreak", "dup", "dup"},
			Conditions:            []condition.Result{{Condition: "", Success: true}, {Condition: "[DNS_RCODE] == NOERROR", Success: false}},
			CertificateExpiration: certExpiry.Sub(at(4*time.Second + 123*ms)),
			DomainExpiration:      time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Sub(at(4*time.Second + 123*ms)),
		},
		// Nothing but the key fields.
		{Monitor: "m", Node: "n1", Time: at(5 * time.Second)},
		// Expired certificate: a negative expiration.
		func() monitor.Result {
			r := okResult("m", "n1", at(6*time.Second), ms)
			r.CertificateExpiration = -48 * time.Hour
			return r
		}(),
		// Resolved successful conditions that differ at every check.
		func() monitor.Result {
			r := okResult("m", "n1", at(7*time.Second), 123*ms)
			r.Conditions[1].Condition = "[RESPONSE_TIME] (123) < 500"
			return r
		}(),
	}
	// Each variant several times (stores may intern what repeats), in two
	// batches, the second repeating the first.
	var results []monitor.Result
	for round := range 3 {
		for _, v := range variants {
			v.Time = v.Time.Add(time.Duration(round) * time.Minute)
			if v.CertificateExpiration != 0 && v.CertificateExpiration != -48*time.Hour {
				v.CertificateExpiration -= time.Duration(round) * time.Minute
			}
			if v.DomainExpiration != 0 {
				v.DomainExpiration -= time.Duration(round) * time.Minute
			}
			results = append(results, v)
		}
	}
	half := len(results) / 2
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 1, Results: results[:half]}, true)
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 2, Results: results[half:]}, true)
	got, err := st.Results(ctx, "m", 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "results read back", storedAll(results), got)
	// And through BatchesSince, as a peer gets them.
	bs, err := st.BatchesSince(ctx, "n1", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var viaBatches []monitor.Result
	for _, b := range bs {
		viaBatches = append(viaBatches, b.Results...)
	}
	wantEqual(t, "results read back through BatchesSince", storedAll(results), viaBatches)
}

func testExpirations(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	var results []monitor.Result
	for i := range 20 {
		when := at(time.Duration(i)*time.Second + time.Duration(i*37)*time.Millisecond)
		r := okResult("m", "n1", when, time.Millisecond)
		// Expirations measured a little after the check started, as probes do.
		r.CertificateExpiration = certExpiry.Sub(when) - time.Duration(i*53)*time.Millisecond - 7*time.Microsecond
		r.DomainExpiration = 90*24*time.Hour + time.Duration(i*271)*time.Millisecond
		results = append(results, r)
	}
	mustAppend(t, st, history.Batch{Origin: "n1", Seq: 1, Results: results}, true)
	got, err := st.Results(ctx, "m", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(results) {
		t.Fatalf("got %d results, want %d", len(got), len(results))
	}
	for i, r := range got {
		for _, c := range []struct {
			name      string
			got, want time.Duration
		}{
			{"CertificateExpiration", r.CertificateExpiration, results[i].CertificateExpiration},
			{"DomainExpiration", r.DomainExpiration, results[i].DomainExpiration},
		} {
			if d := (c.got - c.want).Abs(); d >= time.Second {
				t.Errorf("result %d: %s = %v, want %v within a second (off by %v)", i, c.name, c.got, c.want, d)
			}
		}
	}
}
