package sqlite

import (
	"cmp"
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// maxRank bounds page*pageSize: how deep into a monitor's history a page
// may reach, which is what a results query holds in memory.
const maxRank = 1 << 20

// Results returns one page of a monitor's results; see history.Store.
func (s *Store) Results(ctx context.Context, key string, page, pageSize int) ([]monitor.Result, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	switch {
	case key == "":
		return nil, fmt.Errorf("sqlite history: results: %w: empty monitor key", history.ErrInvalid)
	case page < 1 || pageSize < 1:
		return nil, fmt.Errorf("sqlite history: results of %s: %w: page %d, page size %d (both must be at least 1)", key, history.ErrInvalid, page, pageSize)
	case page > maxRank/pageSize:
		return nil, fmt.Errorf("sqlite history: results of %s: %w: page %d of size %d reaches past the %d most recent results", key, history.ErrInvalid, page, pageSize, maxRank)
	}
	out, err := s.newest(ctx, key, math.MinInt64, math.MaxInt64, page*pageSize, (page-1)*pageSize)
	if err != nil {
		return nil, fmt.Errorf("sqlite history: results of %s: %w", key, err)
	}
	return out, nil
}

// ResultsBetween returns the most recent results in [from, to); see
// history.Store.
func (s *Store) ResultsBetween(ctx context.Context, key string, from, to time.Time, limit int) ([]monitor.Result, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	switch {
	case key == "":
		return nil, fmt.Errorf("sqlite history: results: %w: empty monitor key", history.ErrInvalid)
	case limit < 1 || limit > maxRank:
		return nil, fmt.Errorf("sqlite history: results of %s: %w: limit %d (want 1 to %d)", key, history.ErrInvalid, limit, maxRank)
	}
	out, err := s.newest(ctx, key, from.UnixMilli(), to.UnixMilli(), limit, 0)
	if err != nil {
		return nil, fmt.Errorf("sqlite history: results of %s: %w", key, err)
	}
	return out, nil
}

// ranked is a result row with its sort key: (time, origin, seq, ord).
type ranked struct {
	timeMS  int64
	origin  string
	seq     int64
	ord     int64
	durUS   int64
	shapeID sql.NullInt64
	extra   []byte
}

func (a *ranked) compare(b *ranked) int {
	if c := cmp.Compare(a.timeMS, b.timeMS); c != 0 {
		return c
	}
	if c := cmp.Compare(a.origin, b.origin); c != 0 {
		return c
	}
	if c := cmp.Compare(a.seq, b.seq); c != 0 {
		return c
	}
	return cmp.Compare(a.ord, b.ord)
}

// oldestFirst is a min-heap: the root is the oldest of the kept results.
type oldestFirst []*ranked

func (h oldestFirst) Len() int           { return len(h) }
func (h oldestFirst) Less(i, j int) bool { return h[i].compare(h[j]) < 0 }
func (h oldestFirst) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *oldestFirst) Push(x any)        { *h = append(*h, x.(*ranked)) }
func (h *oldestFirst) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// newest returns, in chronological order, the n most recent results of a
// monitor with fromMS <= time < toMS, minus the skip most recent of them.
//
// It first tries the batches the recent index names for the monitor, and
// keeps that answer when the index proves it complete. Otherwise it walks
// the batches that may hold such results from the newest (max_time
// descending), seeking the monitor's run in each; it stops at the first
// batch whose newest result is older than all n kept.
func (s *Store) newest(ctx context.Context, key string, fromMS, toMS int64, n, skip int) ([]monitor.Result, error) {
	if toMS <= fromMS {
		return nil, nil
	}
	q, release := s.reader()
	defer release()
	monitorID, ok, err := s.names.monitorID(ctx, q, key)
	if err != nil || !ok {
		return nil, err
	}
	var kept oldestFirst
	if batches, evicted, ok := s.recent.lookup(monitorID); ok && len(batches) > 0 {
		kept, err = scanNewest(ctx, q, n, fromMS, toMS, `SELECT b.max_time, b.min_time + r.t, o.name, b.seq, r.ord, r.dur, r.shape_id, r.extra
			FROM batches b CROSS JOIN results r ON r.batch_id = b.id AND r.monitor_id = ?
			CROSS JOIN origins o ON o.id = b.origin_id
			WHERE b.id IN (`+idList(batches)+`) ORDER BY b.max_time DESC`, monitorID)
		if err != nil {
			return nil, err
		}
		if !(len(kept) == n && kept[0].timeMS > evicted) && evicted >= fromMS {
			kept = nil // not proven complete
		}
	}
	if kept == nil {
		// A batch holding a result before toMS has min_time < toMS, hence
		// max_time < toMS + the widest span.
		upper := int64(math.MaxInt64)
		if span := s.maxSpan.Load(); toMS < math.MaxInt64-span {
			upper = toMS + span + 1
		}
		kept, err = scanNewest(ctx, q, n, fromMS, toMS, `SELECT b.max_time, b.min_time + r.t, o.name, b.seq, r.ord, r.dur, r.shape_id, r.extra
			FROM batches b CROSS JOIN results r ON r.batch_id = b.id AND r.monitor_id = ?1
			CROSS JOIN origins o ON o.id = b.origin_id
			WHERE b.max_time >= ?2 AND b.max_time < ?3 AND b.min_time < ?4
			ORDER BY b.max_time DESC`, monitorID, fromMS, upper, toMS)
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(kept, func(a, b *ranked) int { return a.compare(b) })
	if len(kept) <= skip {
		return nil, nil
	}
	return s.decodeRanked(ctx, q, key, kept[:len(kept)-skip])
}

// scanNewest runs query, whose rows come by batch max_time descending, and
// keeps the n most recent rows with fromMS <= time < toMS.
func scanNewest(ctx context.Context, q queryer, n int, fromMS, toMS int64, query string, args ...any) (oldestFirst, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("querying results: %w", err)
	}
	defer rows.Close()
	kept := make(oldestFirst, 0, min(n, 1024))
	for rows.Next() {
		var batchMax int64
		r := new(ranked)
		if err := rows.Scan(&batchMax, &r.timeMS, &r.origin, &r.seq, &r.ord, &r.durUS, &r.shapeID, &r.extra); err != nil {
			return nil, fmt.Errorf("reading results: %w", err)
		}
		if len(kept) == n && batchMax < kept[0].timeMS {
			break // this batch and all later ones are older than all kept
		}
		if r.timeMS < fromMS || r.timeMS >= toMS {
			continue
		}
		switch {
		case len(kept) < n:
			heap.Push(&kept, r)
		case r.compare(kept[0]) > 0:
			kept[0] = r
			heap.Fix(&kept, 0)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	return kept, nil
}

// decodeRanked turns rows into results.
func (s *Store) decodeRanked(ctx context.Context, q queryer, key string, page []*ranked) ([]monitor.Result, error) {
	shapes := map[int64]*record{}
	for _, r := range page {
		if r.shapeID.Valid {
			shapes[r.shapeID.Int64] = nil
		}
	}
	if err := s.names.shapesOf(ctx, q, shapes); err != nil {
		return nil, err
	}
	out := make([]monitor.Result, len(page))
	for i, r := range page {
		if err := decodeResult(&out[i], key, r, shapes); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decodeResult(res *monitor.Result, key string, r *ranked, shapes map[int64]*record) error {
	*res = monitor.Result{
		Monitor:  key,
		Node:     r.origin,
		Time:     time.UnixMilli(r.timeMS).UTC(),
		Duration: time.Duration(r.durUS) * time.Microsecond,
	}
	if r.shapeID.Valid {
		shapes[r.shapeID.Int64].apply(res, r.timeMS)
	}
	if r.extra != nil {
		rec, err := decodeRecord(r.extra)
		if err != nil {
			return fmt.Errorf("result of %s at %s from %s/%d: %w", key, res.Time.Format(time.RFC3339Nano), r.origin, r.seq, err)
		}
		rec.apply(res, r.timeMS)
	}
	return nil
}

// Events returns one page of a monitor's events; see history.Store.
func (s *Store) Events(ctx context.Context, key string, page, pageSize int) ([]history.Event, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	switch {
	case key == "":
		return nil, fmt.Errorf("sqlite history: events: %w: empty monitor key", history.ErrInvalid)
	case page < 1 || pageSize < 1:
		return nil, fmt.Errorf("sqlite history: events of %s: %w: page %d, page size %d (both must be at least 1)", key, history.ErrInvalid, page, pageSize)
	case page > maxRank/pageSize:
		return nil, fmt.Errorf("sqlite history: events of %s: %w: page %d of size %d too deep", key, history.ErrInvalid, page, pageSize)
	}
	out, err := s.events(ctx, key, page, pageSize)
	if err != nil {
		return nil, fmt.Errorf("sqlite history: events of %s: %w", key, err)
	}
	return out, nil
}

func (s *Store) events(ctx context.Context, key string, page, pageSize int) ([]history.Event, error) {
	q, release := s.reader()
	defer release()
	monitorID, ok, err := s.names.monitorID(ctx, q, key)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT e.time, e.type FROM events e JOIN origins o ON o.id = e.origin_id
		WHERE e.monitor_id = ? ORDER BY e.time DESC, o.name DESC, e.seq DESC, e.ord DESC LIMIT ? OFFSET ?`,
		monitorID, pageSize, (page-1)*pageSize)
	if err != nil {
		return nil, fmt.Errorf("querying events: %w", err)
	}
	defer rows.Close()
	var out []history.Event
	for rows.Next() {
		var ms int64
		var typ string
		if err := rows.Scan(&ms, &typ); err != nil {
			return nil, fmt.Errorf("reading events: %w", err)
		}
		out = append(out, history.Event{Monitor: key, Type: history.EventType(typ), Time: time.UnixMilli(ms).UTC()})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading events: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// Watermark returns the highest Seq appended for origin.
func (s *Store) Watermark(ctx context.Context, origin string) (uint64, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.life.RUnlock()
	if origin == "" {
		return 0, fmt.Errorf("sqlite history: watermark: %w: empty origin", history.ErrInvalid)
	}
	q, release := s.reader()
	defer release()
	var wm int64
	err := q.QueryRowContext(ctx, `SELECT coalesce(max(b.seq), 0) FROM origins o JOIN batches b ON b.origin_id = o.id WHERE o.name = ?`, origin).Scan(&wm)
	if err != nil {
		return 0, fmt.Errorf("sqlite history: watermark of %s: %w", origin, err)
	}
	return uint64(wm), nil
}

// Origins lists every origin with its watermark.
func (s *Store) Origins(ctx context.Context) (map[string]uint64, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	q, release := s.reader()
	defer release()
	rows, err := q.QueryContext(ctx, `SELECT o.name, (SELECT max(seq) FROM batches b WHERE b.origin_id = o.id) AS wm
		FROM origins o WHERE wm IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("sqlite history: origins: %w", err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var name string
		var wm int64
		if err := rows.Scan(&name, &wm); err != nil {
			return nil, fmt.Errorf("sqlite history: origins: %w", err)
		}
		out[name] = uint64(wm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite history: origins: %w", err)
	}
	return out, nil
}
