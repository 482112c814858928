package historytest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
)

// eventBatches: 7 events of monitor m over three batches of two origins,
// two of them at the same instant, plus events of another monitor.
func eventBatches() ([]history.Batch, []history.Event) {
	ev := func(typ history.EventType, d time.Duration) history.Event {
		return history.Event{Monitor: "m", Type: typ, Time: at(d)}
	}
	batches := []history.Batch{
		{Origin: "n2", Seq: 1, Events: []history.Event{
			ev(history.EventUnhealthy, 3*time.Minute),
			ev(history.EventStart, 0),
			{Monitor: "other", Type: history.EventStart, Time: at(time.Second)},
		}},
		{Origin: "n1", Seq: 1, Events: []history.Event{
			ev(history.EventHealthy, time.Minute),
			ev(history.EventHealthy, 3*time.Minute), // ties n2's: n1 first
			ev(history.EventHealthy, 5*time.Minute),
		}},
		{Origin: "n1", Seq: 2, Events: []history.Event{
			ev(history.EventUnhealthy, 7*time.Minute),
			ev(history.EventHealthy, 9*time.Minute),
		}},
	}
	want := []history.Event{ // chronological
		ev(history.EventStart, 0),
		ev(history.EventHealthy, time.Minute),
		ev(history.EventHealthy, 3*time.Minute),   // n1
		ev(history.EventUnhealthy, 3*time.Minute), // n2
		ev(history.EventHealthy, 5*time.Minute),
		ev(history.EventUnhealthy, 7*time.Minute),
		ev(history.EventHealthy, 9*time.Minute),
	}
	return batches, want
}

func eventPage(all []history.Event, p, size int) []history.Event {
	end := len(all) - (p-1)*size
	if end <= 0 {
		return nil
	}
	return all[max(0, end-size):end]
}

func testEventsPaging(t *testing.T, open func(t *testing.T) history.Store) {
	st := open(t)
	defer closeStore(t, st)
	ctx := context.Background()
	batches, all := eventBatches()
	appendAll(t, st, batches)
	for _, size := range []int{1, 2, 3, 7, 10} {
		for p := 1; p <= 7/size+2; p++ {
			got, err := st.Events(ctx, "m", p, size)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, fmt.Sprintf("Events(page %d, size %d)", p, size), eventPage(all, p, size), got)
		}
	}
	got, err := st.Events(ctx, "other", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Events(other)", []history.Event{{Monitor: "other", Type: history.EventStart, Time: at(time.Second)}}, got)
}
