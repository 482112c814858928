package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	_ "modernc.org/sqlite" // the same pure-Go SQLite custodes uses
)

// dbStats describes a stopped node's history database.
type dbStats struct {
	FileBytes int64 // custodes.db + custodes.db-wal as left on disk
	Results   int64 // rows of the results table
	// TableBytes are the pages of each table and index (SQLite's dbstat),
	// nil when dbstat is not compiled in.
	TableBytes map[string]int64
}

// historyBytes is the part of the file that grows with results: the
// results and batches trees and the interned shapes.
func (d dbStats) historyBytes() int64 {
	var n int64
	for _, t := range []string{"results", "batches", "batches_by_max_time", "shapes", "sqlite_autoindex_shapes_1", "sqlite_autoindex_batches_1"} {
		n += d.TableBytes[t]
	}
	return n
}

// readDBStats measures the database at path after the node stopped. The
// file sizes are taken before SQLite opens it (opening may checkpoint the
// WAL).
func readDBStats(ctx context.Context, path string) (dbStats, error) {
	var d dbStats
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && p != path {
			continue
		}
		if err != nil {
			return d, err
		}
		d.FileBytes += fi.Size()
	}
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		return d, fmt.Errorf("opening %s: %w", path, err)
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM results").Scan(&d.Results); err != nil {
		return d, fmt.Errorf("counting results in %s: %w", path, err)
	}
	rows, err := db.QueryContext(ctx, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name")
	if err != nil {
		return d, nil // no dbstat: the file size is still the figure asked for
	}
	defer rows.Close()
	d.TableBytes = map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return d, fmt.Errorf("dbstat of %s: %w", path, err)
		}
		d.TableBytes[name] = n
	}
	return d, rows.Err()
}
