package historytest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
)

// roundTripBatches: two origins, results across three hours, events, an
// empty batch and a batch of events only.
func roundTripBatches() []history.Batch {
	monitors := []string{"core_api", "core_web", "edge_dns"}
	var all []history.Batch
	all = append(all, traffic("n1", 1, 12, monitors, at(-10*time.Minute), 13*time.Minute)...)
	all = append(all, traffic("n2", 1, 12, monitors, at(-5*time.Minute), 11*time.Minute)...)
	all[3].Events = []history.Event{
		{Monitor: "core_api", Type: history.EventUnhealthy, Time: all[3].Results[0].Time},
		{Monitor: "core_web", Type: history.EventStart, Time: all[3].Results[0].Time},
	}
	all[5].Events = []history.Event{{Monitor: "core_api", Type: history.EventHealthy, Time: all[5].Results[0].Time}}
	all = append(all,
		history.Batch{Origin: "n1", Seq: 13},
		history.Batch{Origin: "n2", Seq: 13, Events: []history.Event{
			{Monitor: "edge_dns", Type: history.EventUnhealthy, Time: at(2 * time.Hour)},
			{Monitor: "edge_dns", Type: history.EventHealthy, Time: at(2*time.Hour + time.Second)},
		}},
	)
	return all
}

func testBatchesSinceRoundTrip(t *testing.T, open func(t *testing.T) history.Store) {
	ctx := context.Background()
	a := open(t)
	defer closeStore(t, a)
	b := open(t)
	defer closeStore(t, b)
	batches := roundTripBatches()
	appendAll(t, a, batches)

	// BatchesSince gives back what was appended, in seq order, page by page.
	for _, origin := range []string{"n1", "n2"} {
		var want []history.Batch
		for _, x := range batches {
			if x.Origin == origin {
				want = append(want, canonicalBatch(x))
			}
		}
		var got []history.Batch
		var after uint64
		for range 100 {
			page, err := a.BatchesSince(ctx, origin, after, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 5 {
				t.Fatalf("BatchesSince returned %d batches, limit 5", len(page))
			}
			if len(page) == 0 {
				break
			}
			// Feed the second store as a peer catching up would, and feed it
			// twice: the second time changes nothing.
			for _, x := range page {
				mustAppend(t, b, x, true)
				mustAppend(t, b, x, false)
			}
			got = append(got, page...)
			after = page[len(page)-1].Seq
		}
		wantEqual(t, fmt.Sprintf("BatchesSince(%s)", origin), want, got)
	}

	// Both stores now answer every query identically.
	monitors := []string{"core_api", "core_web", "edge_dns", "unknown"}
	origins := []string{"n1", "n2"}
	wantEqual(t, "answers of the store fed from BatchesSince", collectAnswers(t, a, monitors, origins), collectAnswers(t, b, monitors, origins))
}
