package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/history/historytest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openTest opens a store and closes it when the test ends.
func openTest(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	st, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestConformanceFile(t *testing.T) {
	historytest.RunPersistent(t, func(t *testing.T, dir string) history.Store {
		return openTest(t, filepath.Join(dir, "history.db"), Options{})
	})
}

// TestConformanceMemory also runs without the recent index: every read of
// results scans.
func TestConformanceMemory(t *testing.T) {
	historytest.Run(t, func(t *testing.T) history.Store {
		return openTest(t, ":memory:", Options{RecentBatches: -1})
	})
}

// TestConformanceSmallBuffers writes rollups at every append, so the suite
// reads rollups from the database rather than from memory, and remembers
// only 2 batches per monitor, so reads mix the index and the scan.
func TestConformanceSmallBuffers(t *testing.T) {
	historytest.Run(t, func(t *testing.T) history.Store {
		return openTest(t, filepath.Join(t.TempDir(), "history.db"), Options{MaxPendingRollups: 1, Readers: 2, RecentBatches: 2})
	})
}
