package api

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// memStore is a small in-memory history.Store with the port's documented
// semantics, for handler tests that do not need a database; the
// end-to-end tests run on the SQLite adapter.
type memStore struct {
	mu         sync.Mutex
	watermarks map[string]uint64
	batches    map[string][]history.Batch
	results    map[string][]monitor.Result // per monitor, chronological
	events     map[string][]history.Event
	failWith   error // when set, every read fails with it
}

var _ history.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{
		watermarks: map[string]uint64{},
		batches:    map[string][]history.Batch{},
		results:    map[string][]monitor.Result{},
		events:     map[string][]history.Event{},
	}
}

func (m *memStore) Append(_ context.Context, b history.Batch) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b.Seq <= m.watermarks[b.Origin] {
		return false, nil
	}
	m.watermarks[b.Origin] = b.Seq
	m.batches[b.Origin] = append(m.batches[b.Origin], b)
	for _, r := range b.Results {
		rs := append(m.results[r.Monitor], r)
		slices.SortStableFunc(rs, func(a, b monitor.Result) int { return a.Time.Compare(b.Time) })
		m.results[r.Monitor] = rs
	}
	for _, e := range b.Events {
		es := append(m.events[e.Monitor], e)
		slices.SortStableFunc(es, func(a, b history.Event) int { return a.Time.Compare(b.Time) })
		m.events[e.Monitor] = es
	}
	return true, nil
}

func (m *memStore) Watermark(_ context.Context, origin string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.watermarks[origin], nil
}

func (m *memStore) Origins(context.Context) (map[string]uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]uint64, len(m.watermarks))
	for k, v := range m.watermarks {
		out[k] = v
	}
	return out, nil
}

func (m *memStore) BatchesSince(_ context.Context, origin string, after uint64, limit int) ([]history.Batch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []history.Batch
	for _, b := range m.batches[origin] {
		if b.Seq > after && len(out) < limit {
			out = append(out, b)
		}
	}
	return out, nil
}

// newestPage cuts page (1 = most recent) of size out of a chronological
// slice, keeping chronological order.
func newestPage[T any](all []T, page, size int) []T {
	end := len(all) - (page-1)*size
	if page < 1 || size < 1 || end <= 0 {
		return nil
	}
	return slices.Clone(all[max(0, end-size):end])
}

func (m *memStore) Results(_ context.Context, key string, page, size int) ([]monitor.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return nil, m.failWith
	}
	return newestPage(m.results[key], page, size), nil
}

func (m *memStore) ResultsBetween(_ context.Context, key string, from, to time.Time, limit int) ([]monitor.Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []monitor.Result
	for _, r := range m.results[key] {
		if !r.Time.Before(from) && r.Time.Before(to) {
			out = append(out, r)
		}
	}
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

func (m *memStore) Events(_ context.Context, key string, page, size int) ([]history.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return nil, m.failWith
	}
	return newestPage(m.events[key], page, size), nil
}

func ceilHour(t time.Time) time.Time {
	if f := t.Truncate(time.Hour); f.Before(t) {
		return f.Add(time.Hour)
	}
	return t
}

func (m *memStore) Stats(_ context.Context, key string, from, to time.Time) (history.Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return history.Stats{}, m.failWith
	}
	return statsOf(m.results[key], from.Truncate(time.Hour), ceilHour(to)), nil
}

func statsOf(rs []monitor.Result, from, to time.Time) history.Stats {
	st := history.Stats{Buckets: make([]int64, len(history.LatencyBounds)+1)}
	for _, r := range rs {
		if r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		st.Total++
		if r.Success {
			st.Successes++
		}
		st.DurationSum += r.Duration
		i, _ := slices.BinarySearch(history.LatencyBounds, r.Duration)
		st.Buckets[i]++
	}
	return st
}

func (m *memStore) Hourly(_ context.Context, key string, from, to time.Time) ([]history.Hour, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failWith != nil {
		return nil, m.failWith
	}
	var out []history.Hour
	for h := from.Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		if st := statsOf(m.results[key], h, h.Add(time.Hour)); st.Total > 0 {
			out = append(out, history.Hour{Start: h.UTC(), Stats: st})
		}
	}
	return out, nil
}

func (m *memStore) Prune(context.Context, history.Retention) error { return nil }
func (m *memStore) Close() error                                   { return nil }
