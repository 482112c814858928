package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// writerStmts are the writer's prepared statements, bound to wconn.
type writerStmts struct {
	watermark     *sql.Stmt
	insertBatch   *sql.Stmt
	insertOrigin  *sql.Stmt
	insertMonitor *sql.Stmt
	selectShape   *sql.Stmt
	insertShape   *sql.Stmt
	insertEvent   *sql.Stmt
	upsertRollup  *sql.Stmt
	setMeta       *sql.Stmt
	// insertResults[k] inserts 1<<k rows.
	insertResults []*sql.Stmt
}

// maxRowsLog2 makes the largest results insert 1<<7 = 128 rows (896
// parameters, well below SQLite's limit).
const maxRowsLog2 = 7

func (s *Store) prepareWriter(ctx context.Context) error {
	st := &s.w.stmts
	prep := func(dst **sql.Stmt, query string) error {
		if *dst != nil {
			return nil
		}
		stmt, err := s.wconn.PrepareContext(ctx, query)
		if err != nil {
			return fmt.Errorf("preparing %q: %w", query, err)
		}
		*dst = stmt
		return nil
	}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.watermark, `SELECT coalesce(max(seq), 0) FROM batches WHERE origin_id = ?`},
		{&st.insertBatch, `INSERT INTO batches (origin_id, seq, min_time, max_time) VALUES (?, ?, ?, ?)`},
		{&st.insertOrigin, `INSERT INTO origins (name) VALUES (?)`},
		{&st.insertMonitor, `INSERT INTO monitors (key) VALUES (?)`},
		{&st.selectShape, `SELECT id FROM shapes WHERE body = ?`},
		{&st.insertShape, `INSERT INTO shapes (body) VALUES (?)`},
		{&st.insertEvent, `INSERT INTO events (monitor_id, time, origin_id, seq, ord, type) VALUES (?, ?, ?, ?, ?, ?)`},
		{&st.upsertRollup, upsertRollupSQL},
		{&st.setMeta, `UPDATE meta SET value = ? WHERE key = ?`},
	} {
		if err := prep(p.dst, p.query); err != nil {
			return err
		}
	}
	st.insertResults = make([]*sql.Stmt, maxRowsLog2+1)
	for k := range st.insertResults {
		q := `INSERT INTO results (batch_id, monitor_id, ord, t, dur, shape_id, extra) VALUES ` + resultPlaceholders(1<<k)
		if err := prep(&st.insertResults[k], q); err != nil {
			return err
		}
	}
	return nil
}

func (w *writeState) closeStmts() {
	st := &w.stmts
	for _, stmt := range append([]*sql.Stmt{st.watermark, st.insertBatch, st.insertOrigin, st.insertMonitor,
		st.selectShape, st.insertShape, st.insertEvent, st.upsertRollup, st.setMeta}, st.insertResults...) {
		if stmt != nil {
			// Closing a statement of a connection being closed cannot fail
			// in a way that matters.
			_ = stmt.Close()
		}
	}
}
