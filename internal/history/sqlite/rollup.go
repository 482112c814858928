package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/custodes/custodes/internal/history"
)

// bucketCount is the number of latency buckets of a rollup: one per
// history.LatencyBounds and one above the last (columns b0..b14).
const bucketCount = 15

const msPerHour = int64(time.Hour / time.Millisecond)

// boundsUS are history.LatencyBounds in microseconds.
var boundsUS = func() []int64 {
	b := make([]int64, len(history.LatencyBounds))
	for i, d := range history.LatencyBounds {
		b[i] = d.Microseconds()
	}
	return b
}()

// bucketOf returns the bucket of a duration in µs: the first bound it does
// not exceed, or the last bucket.
func bucketOf(us int64) int {
	i := sort.Search(len(boundsUS), func(i int) bool { return us <= boundsUS[i] })
	return min(i, bucketCount-1)
}

// rollup aggregates results; durSum is in µs.
type rollup struct {
	total, successes, durSum int64
	buckets                  [bucketCount]int64
}

func (r *rollup) addResult(success bool, durUS int64) {
	r.total++
	if success {
		r.successes++
	}
	r.durSum += durUS
	r.buckets[bucketOf(durUS)]++
}

func (r *rollup) merge(o *rollup) {
	r.total += o.total
	r.successes += o.successes
	r.durSum += o.durSum
	for i := range r.buckets {
		r.buckets[i] += o.buckets[i]
	}
}

func (r *rollup) stats() history.Stats {
	st := history.Stats{
		Total:       r.total,
		Successes:   r.successes,
		DurationSum: time.Duration(r.durSum) * time.Microsecond,
		Buckets:     make([]int64, len(history.LatencyBounds)+1),
	}
	copy(st.Buckets, r.buckets[:])
	return st
}

// hourRollup is the rollup of one monitor over one hour (unix ms / 1h).
type hourRollup struct {
	hour int64
	rollup
}

// pendingRollups are the rollups not yet written, by monitor id; each
// monitor has few hours pending, so a slice is searched linearly.
type pendingRollups map[int64][]hourRollup

func (p pendingRollups) add(monitorID int64, h *hourRollup) {
	hours := p[monitorID]
	for i := range hours {
		if hours[i].hour == h.hour {
			hours[i].merge(&h.rollup)
			return
		}
	}
	p[monitorID] = append(hours, *h)
}

func (p pendingRollups) count() int {
	n := 0
	for _, hours := range p {
		n += len(hours)
	}
	return n
}

// rollupDelta is a batch's contribution to one monitor's hour.
type rollupDelta struct {
	monitorID int64
	hourRollup
}

// flushRollups writes the pending rollups in a transaction of their own.
// The caller holds wmu.
func (s *Store) flushRollups(ctx context.Context) error {
	if len(s.pending) == 0 {
		return nil
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	err := s.writeRollups(ctx, nil, s.w.lastBatch)
	if err != nil {
		s.rollback()
		return err
	}
	s.rollMu.Lock()
	defer s.rollMu.Unlock()
	if err := s.commit(ctx); err != nil {
		return err
	}
	clear(s.pending)
	s.w.through = s.w.lastBatch
	return nil
}

// writeRollups upserts the pending rollups plus delta inside the current
// transaction and records through as the last batch they include.
func (s *Store) writeRollups(ctx context.Context, delta []rollupDelta, through int64) error {
	st := s.w.stmts.upsertRollup
	args := make([]any, 5+bucketCount)
	upsert := func(monitorID int64, h *hourRollup) error {
		args[0], args[1], args[2], args[3], args[4] = h.hour, monitorID, h.total, h.successes, h.durSum
		for i, b := range h.buckets {
			args[5+i] = b
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("writing rollup of monitor %d hour %d: %w", monitorID, h.hour, err)
		}
		return nil
	}
	// Pending and delta may hold the same (monitor, hour): upserts add up.
	for monitorID, hours := range s.pending {
		for i := range hours {
			if err := upsert(monitorID, &hours[i]); err != nil {
				return err
			}
		}
	}
	for i := range delta {
		if err := upsert(delta[i].monitorID, &delta[i].hourRollup); err != nil {
			return err
		}
	}
	if _, err := s.w.stmts.setMeta.ExecContext(ctx, through, "rollups_through"); err != nil {
		return fmt.Errorf("writing rollups_through: %w", err)
	}
	return nil
}

const upsertRollupSQL = `INSERT INTO rollups (hour, monitor_id, total, successes, dur_sum,
	b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (hour, monitor_id) DO UPDATE SET
	total = total + excluded.total, successes = successes + excluded.successes,
	dur_sum = dur_sum + excluded.dur_sum,
	b0 = b0 + excluded.b0, b1 = b1 + excluded.b1, b2 = b2 + excluded.b2,
	b3 = b3 + excluded.b3, b4 = b4 + excluded.b4, b5 = b5 + excluded.b5,
	b6 = b6 + excluded.b6, b7 = b7 + excluded.b7, b8 = b8 + excluded.b8,
	b9 = b9 + excluded.b9, b10 = b10 + excluded.b10, b11 = b11 + excluded.b11,
	b12 = b12 + excluded.b12, b13 = b13 + excluded.b13, b14 = b14 + excluded.b14`

// rebuildPending recomputes, at open, the rollups of the batches appended
// after the last rollup write: they were in memory only when the process
// stopped without Close.
func (s *Store) rebuildPending(ctx context.Context) error {
	err := s.wconn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM batches`).Scan(&s.w.lastBatch)
	if err != nil {
		return fmt.Errorf("reading last batch: %w", err)
	}
	if s.w.lastBatch <= s.w.through {
		return nil
	}
	type row struct {
		monitorID, timeMS, durUS int64
		shapeID                  sql.NullInt64
		extra                    []byte
	}
	rows, err := s.wconn.QueryContext(ctx, `SELECT r.monitor_id, b.min_time + r.t, r.dur, r.shape_id, r.extra
		FROM batches b JOIN results r ON r.batch_id = b.id WHERE b.id > ?`, s.w.through)
	if err != nil {
		return fmt.Errorf("reading results to roll up: %w", err)
	}
	var all []row
	shapes := map[int64]*record{}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.monitorID, &r.timeMS, &r.durUS, &r.shapeID, &r.extra); err != nil {
			rows.Close()
			return fmt.Errorf("reading results to roll up: %w", err)
		}
		if r.shapeID.Valid {
			shapes[r.shapeID.Int64] = nil
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading results to roll up: %w", err)
	}
	if err := s.names.shapesOf(ctx, s.wconn, shapes); err != nil {
		return err
	}
	for _, r := range all {
		var success bool
		if r.extra != nil {
			rec, err := decodeRecord(r.extra)
			if err != nil {
				return fmt.Errorf("result of monitor %d at %d: %w", r.monitorID, r.timeMS, err)
			}
			success = rec.success
		}
		if r.shapeID.Valid {
			success = shapes[r.shapeID.Int64].success
		}
		h := hourRollup{hour: floorDiv(r.timeMS, msPerHour)}
		h.addResult(success, r.durUS)
		s.pending.add(r.monitorID, &h)
	}
	return nil
}

// hourly reads a monitor's rollups with fromHour <= hour < toHour, adding
// the pending ones, oldest first.
func (s *Store) hourly(ctx context.Context, key string, from, to time.Time) ([]hourRollup, error) {
	fromHour := floorDiv(from.UnixMilli(), msPerHour)
	toHour := floorDiv(to.UnixMilli()+msPerHour-1, msPerHour) // rounded up
	if toHour <= fromHour {
		return nil, nil
	}
	q, release := s.reader()
	defer release()
	monitorID, ok, err := s.names.monitorID(ctx, q, key)
	if err != nil || !ok {
		return nil, err
	}
	s.rollMu.RLock()
	defer s.rollMu.RUnlock()
	// Only hours that hold rollups at all are visited, one seek each.
	var lo, hi sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT min(hour), max(hour) FROM rollups`).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("reading rollup range: %w", err)
	}
	var out []hourRollup
	if lo.Valid {
		start, end := max(fromHour, lo.Int64), min(toHour, hi.Int64+1)
		if start < end {
			if out, err = readRollups(ctx, q, monitorID, start, end); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range s.pending[monitorID] {
		if p.hour < fromHour || p.hour >= toHour {
			continue
		}
		i := sort.Search(len(out), func(i int) bool { return out[i].hour >= p.hour })
		if i < len(out) && out[i].hour == p.hour {
			out[i].merge(&p.rollup)
		} else {
			out = append(out, hourRollup{})
			copy(out[i+1:], out[i:])
			out[i] = p
		}
	}
	return out, nil
}

func readRollups(ctx context.Context, q queryer, monitorID, start, end int64) ([]hourRollup, error) {
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE hours(h) AS (SELECT ?1 UNION ALL SELECT h + 1 FROM hours WHERE h + 1 < ?2)
		SELECT r.hour, r.total, r.successes, r.dur_sum,
			r.b0, r.b1, r.b2, r.b3, r.b4, r.b5, r.b6, r.b7, r.b8, r.b9, r.b10, r.b11, r.b12, r.b13, r.b14
		FROM hours CROSS JOIN rollups r ON r.hour = hours.h AND r.monitor_id = ?3
		ORDER BY r.hour`, start, end, monitorID)
	if err != nil {
		return nil, fmt.Errorf("reading rollups: %w", err)
	}
	defer rows.Close()
	var out []hourRollup
	dest := make([]any, 4+bucketCount)
	for rows.Next() {
		var h hourRollup
		dest[0], dest[1], dest[2], dest[3] = &h.hour, &h.total, &h.successes, &h.durSum
		for i := range h.buckets {
			dest[4+i] = &h.buckets[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("reading rollups: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading rollups: %w", err)
	}
	return out, nil
}

// Stats sums a monitor's hourly rollups over [from, to), from rounded down
// and to rounded up to whole hours, including rollups not yet written.
func (s *Store) Stats(ctx context.Context, monitor string, from, to time.Time) (history.Stats, error) {
	if err := s.enter(); err != nil {
		return history.Stats{}, err
	}
	defer s.life.RUnlock()
	if monitor == "" {
		return history.Stats{}, fmt.Errorf("sqlite history: stats: %w: empty monitor key", history.ErrInvalid)
	}
	hours, err := s.hourly(ctx, monitor, from, to)
	if err != nil {
		return history.Stats{}, fmt.Errorf("sqlite history: stats of %s: %w", monitor, err)
	}
	var sum rollup
	for i := range hours {
		sum.merge(&hours[i].rollup)
	}
	return sum.stats(), nil
}

// Hourly returns a monitor's hourly rollups over [from, to) rounded as in
// Stats, oldest first.
func (s *Store) Hourly(ctx context.Context, monitor string, from, to time.Time) ([]history.Hour, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	if monitor == "" {
		return nil, fmt.Errorf("sqlite history: hourly: %w: empty monitor key", history.ErrInvalid)
	}
	hours, err := s.hourly(ctx, monitor, from, to)
	if err != nil {
		return nil, fmt.Errorf("sqlite history: hourly of %s: %w", monitor, err)
	}
	out := make([]history.Hour, 0, len(hours))
	for i := range hours {
		out = append(out, history.Hour{
			Start: time.UnixMilli(hours[i].hour * msPerHour).UTC(),
			Stats: hours[i].stats(),
		})
	}
	return out, nil
}
