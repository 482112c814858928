// Package sqlite is the history.Store adapter on SQLite (modernc.org/sqlite,
// pure Go), the default storage of a custodes node.
//
// Layout (migrations/00001_history.sql): results are keyed (batch, monitor,
// ord) in a WITHOUT ROWID table, so every appended batch is one contiguous
// run at the end of the tree and a flush dirties a handful of pages whatever
// the number of monitors. A result row holds only small integers: its time
// as an offset to the batch's first, its duration in microseconds and the id
// of an interned "shape" (status, success, IP, conditions, certificate
// expiry instant...), which repeats from check to check; what does not
// repeat goes to a nullable compact record. Hourly rollups accumulate in
// memory and are upserted at most every RollupFlushInterval of result time,
// in the transaction of a batch, with the id of the last batch they include,
// so a restart after a crash rebuilds exactly what was not yet written.
//
// One writer connection (WAL, synchronous=NORMAL, bounded page cache,
// periodic passive checkpoints) serializes appends; reads use a pool of
// read-only connections and never wait for the writer. The in-memory mode
// (Gatus's storage.type memory) uses a single connection for both.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/custodes/custodes/internal/history"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune the store. The zero value gives the defaults.
type Options struct {
	// Memory keeps the database in memory; the path is then ignored. The
	// path ":memory:" does the same.
	Memory bool
	// CacheKiB bounds the page cache of each connection (default 2048).
	CacheKiB int
	// Readers is the number of read connections (default 2). The page
	// caches of all connections together stay within (1+Readers)×CacheKiB.
	Readers int
	// RollupFlushInterval is how often, in result time, pending hourly
	// rollups are written (default 1 minute). They are also written when a
	// result of a new hour arrives, before Prune, and at Close.
	RollupFlushInterval time.Duration
	// MaxPendingRollups forces a rollup write when more (monitor, hour)
	// rollups than this are pending, e.g. while a peer catches up on days of
	// history (default 50000).
	MaxPendingRollups int
	// CheckpointPages is the WAL size, in pages, at which a commit runs a
	// passive checkpoint (default 1000, SQLite's).
	CheckpointPages int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing (default 10 s).
	BusyTimeout time.Duration
	// RecentBatches is how many of each monitor's latest batches are
	// remembered to answer "the latest results" without scanning (default
	// 24, about 300 bytes per monitor; negative: none).
	RecentBatches int
}

func (o *Options) withDefaults() {
	if o.CacheKiB <= 0 {
		o.CacheKiB = 2048
	}
	if o.Readers <= 0 {
		o.Readers = 2
	}
	if o.RollupFlushInterval <= 0 {
		o.RollupFlushInterval = time.Minute
	}
	if o.MaxPendingRollups <= 0 {
		o.MaxPendingRollups = 50000
	}
	if o.CheckpointPages <= 0 {
		o.CheckpointPages = 1000
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10 * time.Second
	}
	if o.RecentBatches == 0 {
		o.RecentBatches = 24
	}
	o.RecentBatches = max(o.RecentBatches, 0)
}

// Store is a history.Store on one SQLite database.
type Store struct {
	opts   Options
	memory bool

	// life is held shared by every call and exclusively by Close.
	life   sync.RWMutex
	closed bool

	wdb *sql.DB // the writer's pool: one connection, pinned as wconn
	rdb *sql.DB // read-only connections; nil in memory mode

	// wmu serializes every use of wconn and of the writer's state.
	wmu   sync.Mutex
	wconn *sql.Conn
	w     *writeState

	names   *names
	maxSpan atomic.Int64 // widest batch, ms; raised before the batch commits
	recent  *recentIndex

	// rollMu guards pending. A rollup write holds it exclusively from its
	// commit until pending is cleared; Stats and Hourly hold it shared while
	// they read rollups and pending, so they never count a result twice or
	// miss one.
	rollMu  sync.RWMutex
	pending pendingRollups
}

var _ history.Store = (*Store)(nil)

// Open opens (creating and migrating if needed) the database at path, or an
// in-memory one for ":memory:" or opts.Memory.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts.withDefaults()
	s := &Store{opts: opts, memory: opts.Memory || path == ":memory:", names: newNames(), pending: pendingRollups{}}
	if !s.memory {
		if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
			return nil, fmt.Errorf("sqlite history: path %q: want a plain file path (without ?, # or file:)", path)
		}
	}
	if err := s.open(ctx, path); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("sqlite history %s: %w", displayPath(s.memory, path), err)
	}
	return s, nil
}

func displayPath(memory bool, path string) string {
	if memory {
		return ":memory:"
	}
	return path
}

func (s *Store) open(ctx context.Context, path string) error {
	common := []string{
		fmt.Sprintf("busy_timeout(%d)", s.opts.BusyTimeout.Milliseconds()),
		fmt.Sprintf("cache_size(%d)", -s.opts.CacheKiB),
		"temp_store(MEMORY)",
	}
	writer := append([]string{}, common...)
	name := ":memory:"
	if !s.memory {
		name = path
		writer = append(writer,
			"journal_mode(WAL)",
			"synchronous(NORMAL)",
			fmt.Sprintf("wal_autocheckpoint(%d)", s.opts.CheckpointPages),
			// The WAL is reused from its start after each checkpoint; this
			// only bounds what it keeps after a burst.
			fmt.Sprintf("journal_size_limit(%d)", 2*s.opts.CheckpointPages*4096),
		)
	}
	var err error
	s.wdb, err = sql.Open("sqlite", dsn(name, writer))
	if err != nil {
		return err
	}
	// One connection, never closed by the pool: in memory mode it is the
	// database.
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxIdleTime(0)
	s.wdb.SetConnMaxLifetime(0)
	if err := migrate(ctx, s.wdb); err != nil {
		return err
	}
	if s.wconn, err = s.wdb.Conn(ctx); err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	if !s.memory {
		s.rdb, err = sql.Open("sqlite", dsn(name, append(common, "query_only(1)")))
		if err != nil {
			return err
		}
		s.rdb.SetMaxOpenConns(s.opts.Readers)
		s.rdb.SetMaxIdleConns(s.opts.Readers)
		if err := s.rdb.PingContext(ctx); err != nil {
			return fmt.Errorf("reader connection: %w", err)
		}
	}
	s.w = newWriteState()
	if err := s.prepareWriter(ctx); err != nil {
		return err
	}
	return s.recover(ctx)
}

func dsn(name string, pragmas []string) string {
	var b strings.Builder
	b.WriteString(name)
	for i, p := range pragmas {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString("_pragma=")
		b.WriteString(p)
	}
	return b.String()
}

// migrate brings the schema up to date with goose's Provider API.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// recover loads the writer's watermarks and rebuilds the pending rollups of
// the batches appended after the last rollup write (those a crash lost).
func (s *Store) recover(ctx context.Context) error {
	var span int64
	var floor sql.NullInt64
	err := s.wconn.QueryRowContext(ctx,
		`SELECT (SELECT value FROM meta WHERE key = 'rollups_through'), (SELECT value FROM meta WHERE key = 'max_span'),
			(SELECT max(max_time) FROM batches)`,
	).Scan(&s.w.through, &span, &floor)
	if err != nil {
		return fmt.Errorf("reading meta: %w", err)
	}
	s.maxSpan.Store(span)
	if !floor.Valid {
		floor.Int64 = math.MinInt64
	}
	s.recent = newRecentIndex(s.opts.RecentBatches, floor.Int64)
	return s.rebuildPending(ctx)
}

// enter starts a call: it fails with ErrClosed after Close. The caller must
// call s.life.RUnlock when done.
func (s *Store) enter() error {
	s.life.RLock()
	if s.closed {
		s.life.RUnlock()
		return history.ErrClosed
	}
	return nil
}

// Close writes the pending rollups and closes the database. Later calls of
// any method return history.ErrClosed; Close itself returns nil again.
func (s *Store) Close() error {
	return s.close(true)
}

func (s *Store) close(flush bool) error {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if flush {
		s.wmu.Lock()
		if err := s.flushRollups(context.Background()); err != nil {
			errs = append(errs, fmt.Errorf("sqlite history: writing rollups at close: %w", err))
		}
		s.wmu.Unlock()
	}
	if err := s.closeDBs(); err != nil {
		errs = append(errs, fmt.Errorf("sqlite history: close: %w", err))
	}
	return errors.Join(errs...)
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.w != nil {
		s.w.closeStmts()
	}
	if s.wconn != nil {
		errs = append(errs, s.wconn.Close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	return errors.Join(errs...)
}

// queryer is what reads need of a *sql.DB or *sql.Conn.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// reader returns where to read: the reader pool, or in memory mode the
// writer's connection, which release gives back.
func (s *Store) reader() (q queryer, release func()) {
	if s.memory {
		s.wmu.Lock()
		return s.wconn, s.wmu.Unlock
	}
	return s.rdb, func() {}
}
