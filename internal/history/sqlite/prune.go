package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/custodes/custodes/internal/history"
)

// pruneChunk is how many batches one pruning transaction removes, so that
// appends wait at most for one chunk.
const pruneChunk = 1000

// Prune deletes what the retention says is old; see history.Store. Freed
// pages are reused by later appends (the file stops growing once the
// retention is reached; it does not shrink).
func (s *Store) Prune(ctx context.Context, r history.Retention) error {
	if r.MaxEvents < 0 {
		return fmt.Errorf("sqlite history: prune: %w: MaxEvents %d", history.ErrInvalid, r.MaxEvents)
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.life.RUnlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// Rollups first: pruned batches must already be rolled up.
	if err := s.flushRollups(ctx); err != nil {
		return fmt.Errorf("sqlite history: prune: %w", err)
	}
	if !r.ResultsBefore.IsZero() {
		if err := s.pruneResults(ctx, r.ResultsBefore.UnixMilli()); err != nil {
			return fmt.Errorf("sqlite history: prune results: %w", err)
		}
	}
	if !r.RollupsBefore.IsZero() {
		hour := floorDiv(r.RollupsBefore.UnixMilli(), msPerHour)
		if err := s.inTx(ctx, func() error {
			_, err := s.wconn.ExecContext(ctx, `DELETE FROM rollups WHERE hour < ?`, hour)
			return err
		}); err != nil {
			return fmt.Errorf("sqlite history: prune rollups: %w", err)
		}
	}
	if r.MaxEvents > 0 {
		if err := s.inTx(ctx, func() error { return s.pruneEvents(ctx, r.MaxEvents) }); err != nil {
			return fmt.Errorf("sqlite history: prune events: %w", err)
		}
	}
	return nil
}

// inTx runs f in a write transaction. The caller holds wmu.
func (s *Store) inTx(ctx context.Context, f func() error) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := f(); err != nil {
		s.rollback()
		return err
	}
	return s.commit(ctx)
}

// pruneResults removes, chunk by chunk from the oldest, the batches whose
// newest row is older than cutoff, with their results. The newest batch of
// each origin stays as a tombstone (pruned = 1): it holds the watermark.
func (s *Store) pruneResults(ctx context.Context, cutoff int64) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var n int
		err := s.inTx(ctx, func() error {
			ids, err := s.oldBatches(ctx, cutoff)
			if err != nil || len(ids) == 0 {
				return err
			}
			n = len(ids)
			for _, id := range ids {
				if _, err := s.wconn.ExecContext(ctx, `DELETE FROM results WHERE batch_id = ?`, id); err != nil {
					return fmt.Errorf("deleting results of batch %d: %w", id, err)
				}
			}
			list := idList(ids)
			if _, err := s.wconn.ExecContext(ctx, `DELETE FROM batches WHERE id IN (`+list+`)
				AND seq < (SELECT max(seq) FROM batches b WHERE b.origin_id = batches.origin_id)`); err != nil {
				return fmt.Errorf("deleting batches: %w", err)
			}
			if _, err := s.wconn.ExecContext(ctx, `UPDATE batches SET pruned = 1 WHERE id IN (`+list+`)`); err != nil {
				return fmt.Errorf("marking batches pruned: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if n < pruneChunk {
			break
		}
	}
	// Batches that held nothing, and tombstones no longer the newest of
	// their origin.
	// Both are found through the max_time index: below the cutoff only
	// tombstones are left.
	return s.inTx(ctx, func() error {
		const notNewest = ` AND seq < (SELECT max(seq) FROM batches b WHERE b.origin_id = batches.origin_id)`
		if _, err := s.wconn.ExecContext(ctx, `DELETE FROM batches WHERE max_time IS NULL`+notNewest); err != nil {
			return err
		}
		_, err := s.wconn.ExecContext(ctx, `DELETE FROM batches WHERE max_time < ? AND pruned = 1`+notNewest, cutoff)
		return err
	})
}

func (s *Store) oldBatches(ctx context.Context, cutoff int64) ([]int64, error) {
	rows, err := s.wconn.QueryContext(ctx, `SELECT id FROM batches WHERE max_time < ? AND pruned = 0
		ORDER BY max_time LIMIT ?`, cutoff, pruneChunk)
	if err != nil {
		return nil, fmt.Errorf("finding old batches: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("finding old batches: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding old batches: %w", err)
	}
	return ids, nil
}

func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}

// pruneEvents keeps the max most recent events of each monitor.
func (s *Store) pruneEvents(ctx context.Context, max int) error {
	rows, err := s.wconn.QueryContext(ctx, `SELECT monitor_id FROM events GROUP BY monitor_id HAVING count(*) > ?`, max)
	if err != nil {
		return fmt.Errorf("counting events: %w", err)
	}
	var monitors []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("counting events: %w", err)
		}
		monitors = append(monitors, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("counting events: %w", err)
	}
	for _, id := range monitors {
		_, err := s.wconn.ExecContext(ctx, `DELETE FROM events WHERE id IN (
			SELECT e.id FROM events e JOIN origins o ON o.id = e.origin_id WHERE e.monitor_id = ?
			ORDER BY e.time DESC, o.name DESC, e.seq DESC, e.ord DESC LIMIT -1 OFFSET ?)`, id, max)
		if err != nil {
			return fmt.Errorf("deleting events of monitor %d: %w", id, err)
		}
	}
	return nil
}
