package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/history/sqlite"
	"github.com/custodes/custodes/internal/monitor"
)

// benchAPI serves n monitors with 100 results each from a SQLite file.
func benchAPI(b *testing.B, n int) http.Handler {
	b.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "history.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	specs := make([]*monitor.Spec, n)
	for i := range specs {
		name := fmt.Sprintf("svc-%03d", i)
		specs[i] = &monitor.Spec{Key: monitor.Key("bench", name), Group: "bench", Name: name, Kind: monitor.KindHTTP,
			URL: "https://" + name + ".example.com/"}
	}
	for j := range 100 {
		batch := history.Batch{Origin: "n1", Seq: uint64(j + 1)}
		for _, s := range specs {
			batch.Results = append(batch.Results, monitor.Result{Monitor: s.Key, Node: "n1",
				Time: testNow.Add(time.Duration(j-100) * time.Minute), Success: j%10 != 0,
				Duration: time.Duration(50+j) * time.Millisecond, Status: 200})
		}
		if _, err := store.Append(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	return New(Options{Monitors: newMonitorSet(specs...), History: store, Now: func() time.Time { return testNow }})
}

func benchGet(b *testing.B, h http.Handler, path string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

func BenchmarkStatuses100Monitors(b *testing.B) {
	benchGet(b, benchAPI(b, 100), "/api/v1/endpoints/statuses")
}

func BenchmarkEndpointStatus(b *testing.B) {
	benchGet(b, benchAPI(b, 10), "/api/v1/endpoints/bench_svc-003/statuses")
}

func BenchmarkUptimeBadge7d(b *testing.B) {
	benchGet(b, benchAPI(b, 10), "/api/v1/endpoints/bench_svc-003/uptimes/7d/badge.svg")
}

func BenchmarkHealthBadge(b *testing.B) {
	benchGet(b, benchAPI(b, 10), "/api/v1/endpoints/bench_svc-003/health/badge.svg")
}

func BenchmarkChart30d(b *testing.B) {
	benchGet(b, benchAPI(b, 10), "/api/v1/endpoints/bench_svc-003/response-times/30d/chart.svg")
}
