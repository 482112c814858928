package sqlite

import (
	"math"
	"sync"
)

// recentIndex remembers, per monitor, the last batches appended that hold
// its results, so that reading a monitor's most recent results seeks a few
// batches instead of every batch of the period (a monitor checked every
// minute has one result in 60 one-second batches).
//
// It is exact, not a cache that may be stale: each monitor also keeps
// evicted, an upper bound of its result times in every batch not in its
// ring (those evicted from it, and all batches appended before the store
// was opened). When the results found in the ring are all newer than
// evicted, no other batch can hold a newer one; otherwise the read falls
// back to the full scan. It lives in memory only: after a restart a
// monitor's reads use the full scan until its ring holds newer results.
type recentIndex struct {
	size int // entries per monitor; 0 disables the index

	mu        sync.RWMutex
	byMonitor map[int64]*recentRing
	// floor bounds the result times of the batches appended before the
	// store was opened.
	floor int64
}

// recentRing is one monitor's ring. Batch ids are kept as uint32 to halve
// the memory (4 billion batches: over a century at one a second).
type recentRing struct {
	ids     []uint32
	maxMS   []int64 // the monitor's newest result time in ids[i]
	next    int
	evicted int64
}

func newRecentIndex(size int, floor int64) *recentIndex {
	return &recentIndex{size: size, byMonitor: map[int64]*recentRing{}, floor: floor}
}

// add records that batch holds results of monitorID, the newest at maxMS.
func (x *recentIndex) add(monitorID, batch, maxMS int64) {
	if x.size == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	r := x.byMonitor[monitorID]
	if r == nil {
		r = &recentRing{evicted: x.floor}
		x.byMonitor[monitorID] = r
	}
	if batch > math.MaxUint32 {
		// Out of range: everything counts as evicted, reads scan.
		r.evicted = math.MaxInt64
		return
	}
	if len(r.ids) < x.size {
		r.ids = append(r.ids, uint32(batch))
		r.maxMS = append(r.maxMS, maxMS)
		return
	}
	r.evicted = max(r.evicted, r.maxMS[r.next])
	r.ids[r.next], r.maxMS[r.next] = uint32(batch), maxMS
	r.next = (r.next + 1) % x.size
}

// lookup returns the batches of monitorID in the ring and the bound of its
// result times elsewhere; ok is false without a ring.
func (x *recentIndex) lookup(monitorID int64) (batches []int64, evicted int64, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	r := x.byMonitor[monitorID]
	if r == nil || r.evicted == math.MaxInt64 {
		return nil, 0, false
	}
	batches = make([]int64, len(r.ids))
	for i, id := range r.ids {
		batches[i] = int64(id)
	}
	return batches, r.evicted, true
}
