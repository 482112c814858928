package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// maxBatchesSince bounds the limit of one BatchesSince call.
const maxBatchesSince = 10000

// BatchesSince returns up to limit batches of origin after a Seq; see
// history.Store.
func (s *Store) BatchesSince(ctx context.Context, origin string, after uint64, limit int) ([]history.Batch, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.life.RUnlock()
	switch {
	case origin == "":
		return nil, fmt.Errorf("sqlite history: batches: %w: empty origin", history.ErrInvalid)
	case limit < 1 || limit > maxBatchesSince:
		return nil, fmt.Errorf("sqlite history: batches of %s: %w: limit %d (want 1 to %d)", origin, history.ErrInvalid, limit, maxBatchesSince)
	case after > 1<<63-1:
		return nil, nil
	}
	out, err := s.batchesSince(ctx, origin, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite history: batches of %s after %d: %w", origin, after, err)
	}
	return out, nil
}

type storedBatch struct {
	id, seq int64
	minTime sql.NullInt64
}

func (s *Store) batchesSince(ctx context.Context, origin string, after int64, limit int) ([]history.Batch, error) {
	q, release := s.reader()
	defer release()
	originID, ok, err := s.names.originID(ctx, q, origin)
	if err != nil || !ok {
		return nil, err
	}
	// One snapshot for all the queries below: a concurrent Prune must not
	// remove results between reading a batch and its rows.
	conn, done, err := snapshot(ctx, q)
	if err != nil {
		return nil, err
	}
	defer done()

	batches, err := queryBatches(ctx, conn, originID, after, limit)
	if err != nil || len(batches) == 0 {
		return nil, err
	}
	out := make([]history.Batch, len(batches))
	for i, b := range batches {
		out[i] = history.Batch{Origin: origin, Seq: uint64(b.seq)}
		if b.minTime.Valid {
			if out[i].Results, err = s.batchResults(ctx, conn, origin, b); err != nil {
				return nil, err
			}
		}
		if out[i].Events, err = s.batchEvents(ctx, conn, originID, b.seq); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// snapshot pins one connection in a read transaction. In memory mode q is
// already the single connection, held by the caller.
func snapshot(ctx context.Context, q queryer) (queryer, func(), error) {
	db, ok := q.(*sql.DB)
	if !ok {
		return q, func() {}, nil
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("begin read: %w", err)
	}
	// A read-only transaction has nothing to roll back but its snapshot.
	return tx, func() { _ = tx.Rollback() }, nil
}

func queryBatches(ctx context.Context, q queryer, originID, after int64, limit int) ([]storedBatch, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, seq, min_time FROM batches
		WHERE origin_id = ? AND seq > ? AND pruned = 0 ORDER BY seq LIMIT ?`, originID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("querying batches: %w", err)
	}
	defer rows.Close()
	var out []storedBatch
	for rows.Next() {
		var b storedBatch
		if err := rows.Scan(&b.id, &b.seq, &b.minTime); err != nil {
			return nil, fmt.Errorf("reading batches: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading batches: %w", err)
	}
	return out, nil
}

// batchResults reads a batch's results ordered by (time, monitor key, ord).
func (s *Store) batchResults(ctx context.Context, q queryer, origin string, b storedBatch) ([]monitor.Result, error) {
	rows, err := q.QueryContext(ctx, `SELECT monitor_id, ord, t, dur, shape_id, extra FROM results WHERE batch_id = ?`, b.id)
	if err != nil {
		return nil, fmt.Errorf("querying results of batch %d: %w", b.seq, err)
	}
	var (
		ranks    []*ranked
		monitors []int64
	)
	for rows.Next() {
		r := &ranked{origin: origin, seq: b.seq}
		var monitorID, t int64
		if err := rows.Scan(&monitorID, &r.ord, &t, &r.durUS, &r.shapeID, &r.extra); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading results of batch %d: %w", b.seq, err)
		}
		r.timeMS = b.minTime.Int64 + t
		ranks = append(ranks, r)
		monitors = append(monitors, monitorID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading results of batch %d: %w", b.seq, err)
	}
	keys, err := s.names.monitorKeysOf(ctx, q, monitors)
	if err != nil {
		return nil, err
	}
	shapes := map[int64]*record{}
	for _, r := range ranks {
		if r.shapeID.Valid {
			shapes[r.shapeID.Int64] = nil
		}
	}
	if err := s.names.shapesOf(ctx, q, shapes); err != nil {
		return nil, err
	}
	out := make([]monitor.Result, len(ranks))
	for i, r := range ranks {
		if err := decodeResult(&out[i], keys[monitors[i]], r, shapes); err != nil {
			return nil, err
		}
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := out[a].Time.Compare(out[b].Time); c != 0 {
			return c
		}
		if c := strings.Compare(out[a].Monitor, out[b].Monitor); c != 0 {
			return c
		}
		return cmp.Compare(ranks[a].ord, ranks[b].ord)
	})
	sorted := make([]monitor.Result, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted, nil
}

func (s *Store) batchEvents(ctx context.Context, q queryer, originID, seq int64) ([]history.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT monitor_id, time, type FROM events WHERE origin_id = ? AND seq = ? ORDER BY time, ord`, originID, seq)
	if err != nil {
		return nil, fmt.Errorf("querying events of batch %d: %w", seq, err)
	}
	var (
		out      []history.Event
		monitors []int64
	)
	for rows.Next() {
		var monitorID, ms int64
		var typ string
		if err := rows.Scan(&monitorID, &ms, &typ); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading events of batch %d: %w", seq, err)
		}
		out = append(out, history.Event{Type: history.EventType(typ), Time: time.UnixMilli(ms).UTC()})
		monitors = append(monitors, monitorID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading events of batch %d: %w", seq, err)
	}
	keys, err := s.names.monitorKeysOf(ctx, q, monitors)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Monitor = keys[monitors[i]]
	}
	return out, nil
}
