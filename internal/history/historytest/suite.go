// Package historytest is the conformance suite of history.Store: every
// adapter (SQLite now, PostgreSQL later) runs it, so they all answer alike.
//
//	func TestConformance(t *testing.T) {
//		historytest.Run(t, func(t *testing.T) history.Store { return openEmpty(t) })
//	}
//
// Persistent adapters run RunPersistent, which adds the reopen tests.
package historytest

import (
	"context"
	"testing"

	"github.com/custodes/custodes/internal/history"
)

// Run runs every test of the suite, in parallel. open must return a new,
// empty store each time it is called, and be safe to call concurrently; the
// suite closes what it opens (open may also register a t.Cleanup that
// closes it: Close twice must be harmless).
func Run(t *testing.T, open func(t *testing.T) history.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) history.Store)
	}{
		{"AppendIsIdempotent", testAppendIdempotent},
		{"InvalidArguments", testInvalidArguments},
		{"OutOfOrderOrigins", testOutOfOrderOrigins},
		{"ResultsPaging", testResultsPaging},
		{"ResultsTies", testResultsTies},
		{"ResultsBetween", testResultsBetween},
		{"ResultsPreservedExactly", testResultsPreserved},
		{"ExpirationsWithinASecond", testExpirations},
		{"BatchesSinceRoundTrip", testBatchesSinceRoundTrip},
		{"StatsAndHourly", testStatsAndHourly},
		{"EventsPaging", testEventsPaging},
		{"PruneResults", testPruneResults},
		{"PruneRollupsAndEvents", testPruneRollupsAndEvents},
		{"ConcurrentReadersAndWriter", testConcurrency},
		{"CancelledContext", testCancelled},
		{"ClosedStore", testClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open)
		})
	}
}

// RunPersistent runs Run, then the tests that need the data to survive a
// reopen. open(t, dir) opens the store kept in dir, which the suite takes
// from t.TempDir(): a second call with the same dir must see what the first
// store wrote before it was closed.
func RunPersistent(t *testing.T, open func(t *testing.T, dir string) history.Store) {
	t.Helper()
	Run(t, func(t *testing.T) history.Store { return open(t, t.TempDir()) })
	t.Run("ReopenKeepsEverything", func(t *testing.T) { testReopen(t, open) })
}

// mustAppend appends b and fails unless applied is want.
func mustAppend(t *testing.T, st history.Store, b history.Batch, want bool) {
	t.Helper()
	applied, err := st.Append(context.Background(), b)
	if err != nil {
		t.Fatalf("Append(%s/%d): %v", b.Origin, b.Seq, err)
	}
	if applied != want {
		t.Fatalf("Append(%s/%d) applied = %v, want %v", b.Origin, b.Seq, applied, want)
	}
}

// closeStore closes st and fails on error.
func closeStore(t *testing.T, st history.Store) {
	t.Helper()
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
