// Package history stores check results, the events derived from them and
// hourly rollups, behind one port (Store) with one adapter per database
// (sqlite/, postgres/ later) and one conformance suite (historytest/) that
// every adapter must pass.
//
// Results arrive in batches. A batch is keyed by the node that produced it
// (Origin) and a per-origin sequence number (Seq), so appending is
// idempotent: a batch at or below the origin's watermark is ignored. This is
// what lets a cluster stream batches to every peer and lets a node that was
// away catch up without duplicating rows.
//
// What a store keeps of a monitor.Result: Monitor, Node, Time (to the
// millisecond), Success, Duration (to the microsecond), Status, IP,
// DNSRCode, Connected, Errors and Conditions exactly, and
// CertificateExpiration and DomainExpiration to within a second (adapters
// may keep the expiry instant, Time+expiration, to the second, so a
// certificate's expiry is stored once and not once per check). Hostname is not
// stored: it is derived from the monitor's URL, and comes back empty.
package history

import (
	"context"
	"errors"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// Batch is a group of results (and events) written in one transaction.
type Batch struct {
	Origin  string // node id that produced the batch
	Seq     uint64 // per-origin sequence, strictly increasing from 1
	Results []monitor.Result
	Events  []Event
}

// EventType is Gatus's event type.
type EventType string

const (
	EventStart     EventType = "START"
	EventHealthy   EventType = "HEALTHY"
	EventUnhealthy EventType = "UNHEALTHY"
)

// Event is a change of a monitor's health.
type Event struct {
	Monitor string
	Type    EventType
	Time    time.Time
}

// Stats aggregates results over a window.
type Stats struct {
	Total       int64
	Successes   int64
	DurationSum time.Duration // over all results in the window
	// Buckets counts results by duration: Buckets[i] counts durations <=
	// LatencyBounds[i] (and above the previous bound); the last bucket counts
	// everything above the last bound. len(Buckets) == len(LatencyBounds)+1.
	Buckets []int64
}

// Uptime is Successes/Total, or 0 without results.
func (s Stats) Uptime() float64 {
	if s.Total == 0 {
		return 0
	}
	return float64(s.Successes) / float64(s.Total)
}

// MeanDuration is DurationSum/Total, or 0 without results.
func (s Stats) MeanDuration() time.Duration {
	if s.Total == 0 {
		return 0
	}
	return s.DurationSum / time.Duration(s.Total)
}

// LatencyBounds are the upper bounds of the latency histogram buckets kept in
// hourly rollups. Fixed: changing them would make old rollups unreadable.
var LatencyBounds = []time.Duration{
	1 * time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	1 * time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second,
	30 * time.Second,
}

// Hour is the rollup of one monitor over one hour.
type Hour struct {
	Start time.Time // truncated to the hour, UTC
	Stats
}

// Retention says what Prune removes.
type Retention struct {
	ResultsBefore time.Time // raw results (and their batches) older than this
	// RollupsBefore: hourly rollups older than this (an hour goes once it
	// ends at or before RollupsBefore).
	RollupsBefore time.Time
	// MaxEvents keeps at most this many events per monitor (0: no limit).
	MaxEvents int
}

// ErrClosed is returned by a store used after Close.
var ErrClosed = errors.New("history: store is closed")

// ErrInvalid is wrapped by errors about bad arguments: an empty origin or
// monitor key, a zero Seq, a page, page size or limit below 1.
var ErrInvalid = errors.New("history: invalid argument")

// Store is the port every adapter implements. All methods are safe for
// concurrent use. Times are stored with millisecond precision at least.
// Results and events with equal times are ordered by (origin, Seq, position
// in the batch), so every store fed the same batches answers identically.
type Store interface {
	// Append writes a batch atomically. It returns applied=false, and writes
	// nothing, when b.Seq is not above the watermark of b.Origin.
	Append(ctx context.Context, b Batch) (applied bool, err error)
	// Watermark is the highest Seq appended for origin (0 if none).
	Watermark(ctx context.Context, origin string) (uint64, error)
	// Origins lists every origin with its watermark.
	Origins(ctx context.Context) (map[string]uint64, error)
	// BatchesSince returns up to limit batches of origin with Seq > after, in
	// Seq order, as they were appended (for peers that catch up). Batches
	// already pruned are not returned. Within a batch, results come back
	// ordered by (Time, Monitor) and events by Time, ties in appended order;
	// fields come back as described in the package doc.
	BatchesSince(ctx context.Context, origin string, after uint64, limit int) ([]Batch, error)

	// Results returns one page of a monitor's results, newest page first
	// (page 1 holds the pageSize most recent); within a page results are in
	// chronological order, as Gatus returns them.
	Results(ctx context.Context, monitor string, page, pageSize int) ([]monitor.Result, error)
	// ResultsBetween returns a monitor's results with from <= Time < to, in
	// chronological order, at most limit of them (the most recent ones).
	ResultsBetween(ctx context.Context, monitor string, from, to time.Time, limit int) ([]monitor.Result, error)
	// Events returns one page of a monitor's events, newest page first,
	// chronological within the page.
	Events(ctx context.Context, monitor string, page, pageSize int) ([]Event, error)
	// Stats aggregates a monitor's results with from <= Time < to, from
	// hourly rollups: from is rounded down and to up to whole hours.
	Stats(ctx context.Context, monitor string, from, to time.Time) (Stats, error)
	// Hourly returns a monitor's hourly rollups between from and to (rounded
	// as in Stats), oldest first, omitting hours without results.
	Hourly(ctx context.Context, monitor string, from, to time.Time) ([]Hour, error)

	// Prune deletes what the retention says is old. Results go batch-wise: a
	// batch (with its results) goes once all its results are older than
	// ResultsBefore. Watermarks survive pruning, so a pruned batch appended
	// again is still ignored. A zero ResultsBefore or RollupsBefore prunes
	// nothing of that kind.
	Prune(ctx context.Context, r Retention) error
	// Close flushes what is buffered and releases the database.
	Close() error
}
