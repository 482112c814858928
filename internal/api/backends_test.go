package api

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/history/sqlite"
)

// backend opens an empty history store for a test.
type backend struct {
	name string
	open func(t *testing.T) history.Store
}

// backends are the stores the end-to-end tests run on: the real SQLite
// adapter on a file, and the in-memory fake of memstore_test.go.
var backends = []backend{
	{"sqlite", openSQLite},
	{"memory", func(*testing.T) history.Store { return newMemStore() }},
}

func openSQLite(t *testing.T) history.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "history.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite history: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sqlite history: %v", err)
		}
	})
	return s
}
