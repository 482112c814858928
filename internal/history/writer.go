package history

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Origin is the id of this node: the Origin of every batch. Required.
	Origin string
	// FlushInterval is how often buffered results are written (default 1s).
	FlushInterval time.Duration
	// MaxBatch is the most results in one batch; a full batch is written at
	// once (default 5000).
	MaxBatch int
	// MaxBuffered bounds what is held, written or not yet: Add waits for
	// room beyond it (default 4 × MaxBatch).
	MaxBuffered int
	// RetryBackoff is the wait after a failed write, doubled after each
	// further failure up to 30 s (default 100 ms).
	RetryBackoff time.Duration
	// OnError, if set, is called from the writing goroutine with every
	// failed write (which is retried); for logs and metrics.
	OnError func(error)
}

// ErrWriterClosed is returned by Add and AddEvent after Close.
var ErrWriterClosed = errors.New("history: writer is closed")

// maxRetryBackoff caps the wait between retries.
const maxRetryBackoff = 30 * time.Second

// Writer buffers the results and events of the local node and appends them
// to a Store as batches of Origin, numbered on from the store's watermark,
// every FlushInterval or as soon as MaxBatch results are buffered. It never
// drops anything: when the store is slow or failing, writes are retried
// with backoff and Add waits once MaxBuffered items are held.
//
// Start starts the writing goroutine, Close stops it after writing what is
// buffered. All methods are safe for concurrent use. There must be one
// Writer per origin: a batch whose Seq another writer took is renumbered,
// but a failed write is taken as done if the watermark passed it.
type Writer struct {
	store Store
	opts  WriterOptions

	mu      sync.Mutex
	results []monitor.Result
	events  []Event
	cut     int           // items in the batch being written, still held
	space   chan struct{} // closed, and replaced, when room is freed
	full    chan struct{} // tells the loop a full batch is waiting
	// Counts of items ever added and written, per kind: a flush is done
	// when both written counts reach the added counts it started with.
	added, written counts
	started        bool
	closed         bool

	// flushMu serializes writing; it guards seq and batch.
	flushMu sync.Mutex
	seq     uint64 // the last Seq written
	batch   *Batch // cut and not yet known to be written
	tried   bool   // batch was attempted and failed: it may have been written

	stopLoop context.CancelFunc
	loopDone chan struct{}
}

// NewWriter returns a writer to store; it does no I/O until Start.
func NewWriter(store Store, opts WriterOptions) (*Writer, error) {
	if opts.Origin == "" {
		return nil, fmt.Errorf("history writer: %w: empty Origin", ErrInvalid)
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 5000
	}
	if opts.MaxBuffered <= 0 {
		opts.MaxBuffered = 4 * opts.MaxBatch
	}
	if opts.MaxBuffered < opts.MaxBatch {
		return nil, fmt.Errorf("history writer: %w: MaxBuffered %d below MaxBatch %d", ErrInvalid, opts.MaxBuffered, opts.MaxBatch)
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 100 * time.Millisecond
	}
	return &Writer{
		store: store,
		opts:  opts,
		space: make(chan struct{}),
		full:  make(chan struct{}, 1),
	}, nil
}

// Start reads the origin's watermark, so batches continue its sequence, and
// starts the writing goroutine. ctx bounds the read, not the goroutine.
func (w *Writer) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return ErrWriterClosed
	case w.started:
		return fmt.Errorf("history writer: already started")
	}
	wm, err := w.store.Watermark(ctx, w.opts.Origin)
	if err != nil {
		return fmt.Errorf("history writer: reading the watermark of %s: %w", w.opts.Origin, err)
	}
	w.seq = wm
	w.started = true
	loopCtx, cancel := context.WithCancel(context.Background())
	w.stopLoop, w.loopDone = cancel, make(chan struct{})
	go w.loop(loopCtx)
	return nil
}

// Add buffers a result. It waits while MaxBuffered items are held, until
// there is room, ctx is done or the writer is closed.
func (w *Writer) Add(ctx context.Context, r monitor.Result) error {
	return w.add(ctx, func() { w.results = append(w.results, r); w.added.results++ })
}

// AddEvent buffers an event, as Add.
func (w *Writer) AddEvent(ctx context.Context, e Event) error {
	return w.add(ctx, func() { w.events = append(w.events, e); w.added.events++ })
}

// counts are numbers of results and events.
type counts struct{ results, events uint64 }

func (c counts) reached(target counts) bool {
	return c.results >= target.results && c.events >= target.events
}

func (w *Writer) add(ctx context.Context, push func()) error {
	for {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return ErrWriterClosed
		}
		if w.heldLocked() < w.opts.MaxBuffered {
			push()
			if len(w.results)+len(w.events)-w.cut >= w.opts.MaxBatch {
				select {
				case w.full <- struct{}{}:
				default:
				}
			}
			w.mu.Unlock()
			return nil
		}
		room := w.space
		w.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return fmt.Errorf("history writer: waiting for room: %w", ctx.Err())
		}
	}
}

func (w *Writer) heldLocked() int { return len(w.results) + len(w.events) }

// Pending returns how many results and events are held, written or not yet.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.heldLocked()
}

// Flush writes everything added before it was called. It returns the first
// write error (what failed stays buffered and is retried later).
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	started, target := w.started, w.added
	w.mu.Unlock()
	if !started {
		return fmt.Errorf("history writer: flush before Start")
	}
	return w.writeUntil(ctx, target)
}

// writeUntil writes batches until the written counts reach target.
func (w *Writer) writeUntil(ctx context.Context, target counts) error {
	for {
		w.mu.Lock()
		done := w.written.reached(target)
		w.mu.Unlock()
		if done {
			return nil
		}
		if err := w.writeOne(ctx); err != nil {
			return err
		}
	}
}

// Close stops the writing goroutine and writes what is held, retrying
// failed writes with backoff until ctx is done. Add fails from now on.
// Close again returns nil.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	started := w.started
	close(w.space) // wake waiting Adds: they fail
	w.space = make(chan struct{})
	w.mu.Unlock()
	if !started {
		if n := w.Pending(); n > 0 {
			return fmt.Errorf("history writer: closed before Start with %d items not written", n)
		}
		return nil
	}
	w.stopLoop()
	<-w.loopDone
	backoff := w.opts.RetryBackoff
	for {
		err := w.Flush(ctx)
		if err == nil {
			return nil
		}
		w.report(err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("history writer: closing with %d items not written: %w", w.Pending(), err)
		case <-t.C:
		}
		backoff = min(2*backoff, maxRetryBackoff)
	}
}

// loop writes every FlushInterval, and as soon as a batch is full, until
// ctx is cancelled by Close. After a failure it waits a backoff before the
// next attempt.
func (w *Writer) loop(ctx context.Context) {
	defer close(w.loopDone)
	ticker := time.NewTicker(w.opts.FlushInterval)
	defer ticker.Stop()
	backoff := w.opts.RetryBackoff
	all := false // write everything held, not just full batches
	for {
		if !all {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				all = true
			case <-w.full:
			}
		}
		var err error
		if all {
			err = w.writeHeld(ctx)
		} else {
			err = w.writeFull(ctx)
		}
		if err == nil {
			backoff, all = w.opts.RetryBackoff, false
			continue
		}
		if ctx.Err() != nil {
			return // Close writes the rest
		}
		w.report(err)
		// Retry everything after the backoff, without waiting for a tick.
		all = true
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxRetryBackoff)
	}
}

// writeFull writes batches while a full one is held.
func (w *Writer) writeFull(ctx context.Context) error {
	for {
		w.mu.Lock()
		full := len(w.results)+len(w.events)-w.cut >= w.opts.MaxBatch
		w.mu.Unlock()
		if !full {
			return nil
		}
		if err := w.writeOne(ctx); err != nil {
			return err
		}
	}
}

// writeHeld writes batches until nothing added before it is held.
func (w *Writer) writeHeld(ctx context.Context) error {
	w.mu.Lock()
	target := w.added
	w.mu.Unlock()
	return w.writeUntil(ctx, target)
}

func (w *Writer) report(err error) {
	if w.opts.OnError != nil {
		w.opts.OnError(err)
	}
}

// writeOne writes the batch being written, or cuts the next one from what
// is held and writes it.
func (w *Writer) writeOne(ctx context.Context) error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if w.batch == nil && !w.cutBatch() {
		return nil
	}
	b := w.batch
	if w.tried {
		// The failed attempt may have been written after all (an error after
		// the commit): the watermark tells.
		wm, err := w.store.Watermark(ctx, b.Origin)
		if err != nil {
			return fmt.Errorf("history writer: checking batch %d: %w", b.Seq, err)
		}
		if wm >= b.Seq {
			w.markWritten(b.Seq)
			return nil
		}
	}
	for range 3 {
		applied, err := w.store.Append(ctx, *b)
		if err != nil {
			w.tried = true
			return fmt.Errorf("history writer: writing batch %d of %d results: %w", b.Seq, len(b.Results), err)
		}
		if applied {
			w.markWritten(b.Seq)
			return nil
		}
		// Another writer used this origin's sequence: continue after it.
		wm, err := w.store.Watermark(ctx, b.Origin)
		if err != nil {
			return fmt.Errorf("history writer: batch %d was taken; reading the watermark: %w", b.Seq, err)
		}
		b.Seq = wm + 1
	}
	return fmt.Errorf("history writer: origin %s: batch sequence keeps being taken by another writer", b.Origin)
}

// cutBatch moves up to MaxBatch held results (and the held events) into
// w.batch; it reports false when nothing is held. The caller holds flushMu.
func (w *Writer) cutBatch() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	nr := min(len(w.results), w.opts.MaxBatch)
	ne := min(len(w.events), w.opts.MaxBatch)
	if nr+ne == 0 {
		return false
	}
	b := &Batch{Origin: w.opts.Origin, Seq: w.seq + 1}
	if nr > 0 {
		b.Results = append([]monitor.Result(nil), w.results[:nr]...)
	}
	if ne > 0 {
		b.Events = append([]Event(nil), w.events[:ne]...)
	}
	w.cut = nr + ne
	w.batch, w.tried = b, false
	return true
}

// markWritten records the batch as written (as seq) and frees its room.
// The caller holds flushMu.
func (w *Writer) markWritten(seq uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	nr, ne := len(w.batch.Results), len(w.batch.Events)
	w.results = dropFront(w.results, nr)
	w.events = dropFront(w.events, ne)
	w.cut = 0
	w.written.results += uint64(nr)
	w.written.events += uint64(ne)
	w.seq, w.batch, w.tried = seq, nil, false
	close(w.space)
	w.space = make(chan struct{})
}

// dropFront removes the first n elements in place, clearing the vacated
// tail so that the buffer holds no references to written items.
func dropFront[T any](s []T, n int) []T {
	m := copy(s, s[n:])
	clear(s[m:])
	return s[:m]
}
