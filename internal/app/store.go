package app

import (
	"context"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/metrics"
)

// timedStore measures appends for the history flush metrics.
type timedStore struct {
	history.Store
	m *metrics.Metrics
}

func (s timedStore) Append(ctx context.Context, b history.Batch) (bool, error) {
	start := time.Now()
	ok, err := s.Store.Append(ctx, b)
	s.m.ObserveHistoryFlush(time.Since(start), len(b.Results), err)
	return ok, err
}
