package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// Append writes a batch in one transaction; see history.Store.
func (s *Store) Append(ctx context.Context, b history.Batch) (bool, error) {
	if err := validateBatch(&b); err != nil {
		return false, err
	}
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.life.RUnlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	applied, err := s.append(ctx, &b)
	if err != nil {
		return false, fmt.Errorf("sqlite history: append %s/%d: %w", b.Origin, b.Seq, err)
	}
	return applied, nil
}

func validateBatch(b *history.Batch) error {
	switch {
	case b.Origin == "":
		return fmt.Errorf("sqlite history: append: %w: empty origin", history.ErrInvalid)
	case b.Seq == 0:
		return fmt.Errorf("sqlite history: append %s: %w: seq 0 (sequences start at 1)", b.Origin, history.ErrInvalid)
	case b.Seq > 1<<63-1:
		return fmt.Errorf("sqlite history: append %s: %w: seq %d too large", b.Origin, history.ErrInvalid, b.Seq)
	}
	for i := range b.Results {
		if b.Results[i].Monitor == "" {
			return fmt.Errorf("sqlite history: append %s/%d: %w: result %d has no monitor key", b.Origin, b.Seq, history.ErrInvalid, i)
		}
	}
	for i, e := range b.Events {
		if e.Monitor == "" || e.Type == "" {
			return fmt.Errorf("sqlite history: append %s/%d: %w: event %d needs a monitor key and a type", b.Origin, b.Seq, history.ErrInvalid, i)
		}
	}
	return nil
}

// recentShapes is how many not-interned shapes per monitor are remembered:
// a shape is interned the second time it is seen among them. Shapes that
// never repeat (resolved conditions quoting a response time) stay inline
// and do not fill the shapes table.
const recentShapes = 4

// maxShapeIDs bounds the writer's cache of interned shapes.
const maxShapeIDs = 1 << 16

// writeState is what the writer keeps between appends; wmu guards it.
type writeState struct {
	stmts    writerStmts
	shapeIDs map[string]int64 // interned shape body -> id
	recent   map[int64]*[recentShapes]uint64
	seed     maphash.Seed

	through   int64 // last batch included in written rollups
	lastBatch int64 // last batch appended

	// Rollup write timing, in result time (ms): a write happens when the
	// newest result is RollupFlushInterval past the last write, or in a new
	// hour.
	maxTimeMS, lastFlushMS, maxHour int64

	// Rows created by the current transaction, published to the caches only
	// when it commits.
	newOrigins  map[string]int64
	newMonitors map[string]int64
	newShapes   map[string]int64

	// Scratch reused by every append.
	order  []int32
	ids    []int64
	times  []int64
	rows   []resultRow
	arena  []byte
	shape  []byte
	args   []any
	deltas []rollupDelta
}

// resultRow is one results row; extra is arena[extraFrom:extraTo], absent
// when extraTo == 0.
type resultRow struct {
	monitorID, ord, t, dur, shapeID int64
	extraFrom, extraTo              int
}

func newWriteState() *writeState {
	return &writeState{
		shapeIDs:    map[string]int64{},
		recent:      map[int64]*[recentShapes]uint64{},
		seed:        maphash.MakeSeed(),
		newOrigins:  map[string]int64{},
		newMonitors: map[string]int64{},
		newShapes:   map[string]int64{},
	}
}

// begin starts a write transaction. BEGIN and COMMIT run without the
// caller's cancellation: the driver reports a context cancelled while a
// statement ran as that statement's failure even when it succeeded, which
// would leave a transaction open, or report committed data as lost. A
// cancelled context still fails the statements in between, and the
// transaction is rolled back.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.wconn.ExecContext(context.WithoutCancel(ctx), "BEGIN IMMEDIATE"); err != nil {
		s.rollback()
		return fmt.Errorf("begin: %w", err)
	}
	return nil
}

func (s *Store) commit(ctx context.Context) error {
	if _, err := s.wconn.ExecContext(context.WithoutCancel(ctx), "COMMIT"); err != nil {
		s.rollback()
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// rollback ends a failed transaction (without the caller's context, which
// may be what failed) and forgets the rows it created.
func (s *Store) rollback() {
	// An error here means there was no transaction left to roll back.
	_, _ = s.wconn.ExecContext(context.Background(), "ROLLBACK")
	clear(s.w.newOrigins)
	clear(s.w.newMonitors)
	for body := range s.w.newShapes {
		delete(s.w.shapeIDs, body)
	}
	clear(s.w.newShapes)
}

// publish makes the rows of a committed transaction visible in the caches.
func (s *Store) publish() {
	for name, id := range s.w.newOrigins {
		s.names.addOrigin(name, id)
	}
	for key, id := range s.w.newMonitors {
		s.names.addMonitor(key, id)
	}
	clear(s.w.newOrigins)
	clear(s.w.newMonitors)
	clear(s.w.newShapes)
}

func (s *Store) append(ctx context.Context, b *history.Batch) (bool, error) {
	w := s.w
	if err := s.begin(ctx); err != nil {
		return false, err
	}
	done := false
	defer func() {
		if !done {
			s.rollback()
		}
	}()
	originID, err := s.originIDFor(ctx, b.Origin)
	if err != nil {
		return false, err
	}
	var watermark int64
	if err := w.stmts.watermark.QueryRowContext(ctx, originID).Scan(&watermark); err != nil {
		return false, fmt.Errorf("reading watermark: %w", err)
	}
	if int64(b.Seq) <= watermark {
		return false, nil // the deferred rollback undoes nothing written
	}

	if err := s.sortResults(ctx, b.Results); err != nil {
		return false, err
	}
	// The batch's time range covers its results and events; it is what
	// reads and Prune go by.
	var minT, maxT any // NULL for an empty batch
	if len(w.times) > 0 || len(b.Events) > 0 {
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for _, t := range w.times {
			lo, hi = min(lo, t), max(hi, t)
		}
		for i := range b.Events {
			t := b.Events[i].Time.UnixMilli()
			lo, hi = min(lo, t), max(hi, t)
		}
		minT, maxT = lo, hi
		if span := hi - lo; span > s.maxSpan.Load() {
			if _, err := w.stmts.setMeta.ExecContext(ctx, span, "max_span"); err != nil {
				return false, fmt.Errorf("writing max_span: %w", err)
			}
			// Raised before the commit: readers may look a little too far,
			// never not far enough.
			s.maxSpan.Store(span)
		}
	}
	res, err := w.stmts.insertBatch.ExecContext(ctx, originID, int64(b.Seq), minT, maxT)
	if err != nil {
		return false, fmt.Errorf("inserting batch: %w", err)
	}
	batchID, err := res.LastInsertId()
	if err != nil {
		return false, fmt.Errorf("inserting batch: %w", err)
	}
	if len(w.order) > 0 {
		if err := s.encodeResults(ctx, b, minT.(int64)); err != nil {
			return false, err
		}
		if err := s.insertResults(ctx, batchID); err != nil {
			return false, err
		}
		// Before the commit, so that no reader can see the batch without
		// the index knowing it (a failed commit leaves an id that matches
		// nothing).
		for k, i := range w.order {
			if k+1 == len(w.order) || w.ids[w.order[k+1]] != w.ids[i] {
				s.recent.add(w.ids[i], batchID, w.times[i]) // the monitor's newest
			}
		}
	}
	if err := s.insertEvents(ctx, originID, b); err != nil {
		return false, err
	}

	// Rollups: this batch's deltas, written now with the pending ones if it
	// is time, else added to pending after the commit.
	w.deltas = s.rollupDeltas(b, w.deltas[:0])
	newMax, newHour := w.maxTimeMS, w.maxHour
	if maxT != nil {
		newMax = max(newMax, maxT.(int64))
		newHour = max(newHour, floorDiv(maxT.(int64), msPerHour))
	}
	flush := newHour > w.maxHour ||
		newMax-w.lastFlushMS >= s.opts.RollupFlushInterval.Milliseconds() ||
		s.pending.count()+len(w.deltas) > s.opts.MaxPendingRollups
	if flush {
		if err := s.writeRollups(ctx, w.deltas, batchID); err != nil {
			return false, err
		}
	}
	// rollMu is held from the commit until pending matches it: a reader that
	// saw this batch's results then reads Stats sees them counted, once.
	s.rollMu.Lock()
	defer s.rollMu.Unlock()
	if err := s.commit(ctx); err != nil {
		return false, err
	}
	if flush {
		clear(s.pending)
		w.through, w.lastFlushMS = batchID, newMax
	} else {
		for i := range w.deltas {
			s.pending.add(w.deltas[i].monitorID, &w.deltas[i].hourRollup)
		}
	}
	done = true
	s.publish()
	w.lastBatch, w.maxTimeMS, w.maxHour = batchID, newMax, newHour
	return true, nil
}

// sortResults fills w.ids and w.times for the results and w.order with
// their indexes sorted by (monitor id, time, index): the order of the rows.
func (s *Store) sortResults(ctx context.Context, results []monitor.Result) error {
	w := s.w
	w.ids, w.times, w.order = w.ids[:0], w.times[:0], w.order[:0]
	for i := range results {
		id, err := s.monitorIDFor(ctx, results[i].Monitor)
		if err != nil {
			return err
		}
		w.ids = append(w.ids, id)
		w.times = append(w.times, results[i].Time.UnixMilli())
		w.order = append(w.order, int32(i))
	}
	slices.SortFunc(w.order, func(a, b int32) int {
		if c := cmp.Compare(w.ids[a], w.ids[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(w.times[a], w.times[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return nil
}

// encodeResults turns the sorted results into rows, interning shapes.
func (s *Store) encodeResults(ctx context.Context, b *history.Batch, minT int64) error {
	w := s.w
	w.rows, w.arena = w.rows[:0], w.arena[:0]
	var prevID, ord int64 = -1, 0
	for _, i := range w.order {
		r := &b.Results[i]
		id := w.ids[i]
		if id != prevID {
			prevID, ord = id, 0
		} else {
			ord++
		}
		row := resultRow{monitorID: id, ord: ord, t: w.times[i] - minT, dur: r.Duration.Microseconds()}
		rec := shapeOf(r)
		w.shape = appendRecord(w.shape[:0], &rec)
		shapeID, err := s.shapeIDFor(ctx, id, w.shape)
		if err != nil {
			return err
		}
		var extra record
		if shapeID == 0 {
			extra = rec // not interned: the whole shape goes inline
		}
		if r.Node != b.Origin {
			extra.node = r.Node
			if r.Node == "" {
				// An empty node is kept apart from "same as the origin".
				extra.node = emptyNode
			}
		}
		if shapeID == 0 || extra.node != "" {
			row.extraFrom = len(w.arena)
			w.arena = appendRecord(w.arena, &extra)
			row.extraTo = len(w.arena)
		}
		row.shapeID = shapeID
		w.rows = append(w.rows, row)
	}
	return nil
}

// emptyNode stands for Result.Node == "" in a record; node ids are never
// this string.
const emptyNode = "\x00"

// shapeIDFor returns the id of an interned shape body, interning it when it
// was recently seen for the monitor, or 0 to keep it inline.
func (s *Store) shapeIDFor(ctx context.Context, monitorID int64, body []byte) (int64, error) {
	w := s.w
	if id, ok := w.shapeIDs[string(body)]; ok {
		return id, nil
	}
	var id int64
	err := w.stmts.selectShape.QueryRowContext(ctx, body).Scan(&id)
	switch {
	case err == nil:
		s.cacheShapeID(string(body), id)
		return id, nil
	case !isNoRows(err):
		return 0, fmt.Errorf("looking up shape: %w", err)
	}
	h := maphash.Bytes(w.seed, body)
	ring := w.recent[monitorID]
	if ring == nil {
		ring = new([recentShapes]uint64)
		w.recent[monitorID] = ring
	}
	if !slices.Contains(ring[:], h) {
		copy(ring[1:], ring[:recentShapes-1])
		ring[0] = h
		return 0, nil
	}
	res, err := w.stmts.insertShape.ExecContext(ctx, body)
	if err != nil {
		return 0, fmt.Errorf("interning shape: %w", err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("interning shape: %w", err)
	}
	w.newShapes[string(body)] = id
	s.cacheShapeID(string(body), id)
	return id, nil
}

func (s *Store) cacheShapeID(body string, id int64) {
	if len(s.w.shapeIDs) >= maxShapeIDs {
		// Start over, keeping this transaction's new shapes, which rollback
		// must be able to find.
		clear(s.w.shapeIDs)
		for b, id := range s.w.newShapes {
			s.w.shapeIDs[b] = id
		}
	}
	s.w.shapeIDs[body] = id
}

// insertResults writes w.rows with multi-row inserts of power-of-two sizes.
func (s *Store) insertResults(ctx context.Context, batchID int64) error {
	w := s.w
	rows := w.rows
	for len(rows) > 0 {
		k := len(w.stmts.insertResults) - 1
		for 1<<k > len(rows) {
			k--
		}
		n := 1 << k
		args := w.args[:0]
		for _, r := range rows[:n] {
			var shape, extra any
			if r.shapeID != 0 {
				shape = r.shapeID
			}
			if r.extraTo != 0 {
				extra = w.arena[r.extraFrom:r.extraTo]
			}
			args = append(args, batchID, r.monitorID, r.ord, r.t, r.dur, shape, extra)
		}
		w.args = args
		if _, err := w.stmts.insertResults[k].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("inserting results: %w", err)
		}
		rows = rows[n:]
	}
	clear(w.args) // drop references to the arena
	return nil
}

func (s *Store) insertEvents(ctx context.Context, originID int64, b *history.Batch) error {
	for i, e := range b.Events {
		id, err := s.monitorIDFor(ctx, e.Monitor)
		if err != nil {
			return err
		}
		if _, err := s.w.stmts.insertEvent.ExecContext(ctx, id, e.Time.UnixMilli(), originID, int64(b.Seq), i, string(e.Type)); err != nil {
			return fmt.Errorf("inserting event %d: %w", i, err)
		}
	}
	return nil
}

// rollupDeltas adds up the batch's results per (monitor, hour), walking them
// in row order so that equal keys are adjacent.
func (s *Store) rollupDeltas(b *history.Batch, out []rollupDelta) []rollupDelta {
	w := s.w
	for _, i := range w.order {
		id, hour := w.ids[i], floorDiv(w.times[i], msPerHour)
		if n := len(out); n == 0 || out[n-1].monitorID != id || out[n-1].hour != hour {
			out = append(out, rollupDelta{monitorID: id, hourRollup: hourRollup{hour: hour}})
		}
		out[len(out)-1].addResult(b.Results[i].Success, b.Results[i].Duration.Microseconds())
	}
	return out
}

// monitorIDFor returns the id of a monitor key, creating the row if needed.
func (s *Store) monitorIDFor(ctx context.Context, key string) (int64, error) {
	if id, ok := s.names.cachedMonitorID(key); ok {
		return id, nil
	}
	if id, ok := s.w.newMonitors[key]; ok {
		return id, nil
	}
	id, ok, err := s.names.monitorID(ctx, s.wconn, key)
	if err != nil || ok {
		return id, err
	}
	res, err := s.w.stmts.insertMonitor.ExecContext(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("inserting monitor %q: %w", key, err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("inserting monitor %q: %w", key, err)
	}
	s.w.newMonitors[key] = id
	return id, nil
}

// originIDFor returns the id of an origin, creating the row if needed.
func (s *Store) originIDFor(ctx context.Context, name string) (int64, error) {
	if id, ok := s.names.cachedOriginID(name); ok {
		return id, nil
	}
	if id, ok := s.w.newOrigins[name]; ok {
		return id, nil
	}
	id, ok, err := s.names.originID(ctx, s.wconn, name)
	if err != nil || ok {
		return id, err
	}
	res, err := s.w.stmts.insertOrigin.ExecContext(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("inserting origin %q: %w", name, err)
	}
	if id, err = res.LastInsertId(); err != nil {
		return 0, fmt.Errorf("inserting origin %q: %w", name, err)
	}
	s.w.newOrigins[name] = id
	return id, nil
}

func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows)
}

// resultPlaceholders is "(?, ?, ?, ?, ?, ?, ?), ..." for n rows.
func resultPlaceholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n), ", ")
}
