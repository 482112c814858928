package scheduler

// runState is where a job's current run is.
type runState uint8

const (
	idle    runState = iota // no run queued or running
	queued                  // a run is on the ready heap, waiting for a slot
	running                 // a check is running
)

// entry is one job's scheduling state. All times are ticks: nanoseconds
// since Scheduler.epoch on the monotonic clock.
type entry struct {
	key      string
	hash     uint64 // keyHash(key)
	interval int64
	timeout  int64
	offset   int64
	jitter   int64 // bound on |start - due|

	due     int64 // next periodic due time
	fire    int64 // due moved by jitter: when the timer heap starts it
	readyAt int64 // when the queued/running run fell due (ready-heap order)
	runDue  int64 // the due time given to Check for the queued/running run

	pos     [2]int // index in the timer heap and the ready heap; -1 if absent
	gen     uint64 // Set generation that last named this job
	state   runState
	removed bool // dropped by Set while running; forgotten when the run ends
}

// heapKind selects the order of an entryHeap and which entry.pos it keeps.
type heapKind uint8

const (
	byFire  heapKind = 0 // timer heap: next start time
	byReady heapKind = 1 // ready heap: when the run fell due
)

// entryHeap is a binary min-heap of entries that keeps every entry's index
// up to date, so entries can be removed or moved in O(log n). Each slot
// holds its entry's sort time, so sifting compares without touching the
// entries. Ties are broken by key so the order never depends on insertion
// history.
type entryHeap struct {
	kind  heapKind
	items []heapItem
}

type heapItem struct {
	at int64 // entry.fire or entry.readyAt, by kind
	e  *entry
}

func (h *entryHeap) len() int { return len(h.items) }

func (h *entryHeap) min() *entry { return h.items[0].e }

func (h *entryHeap) less(a, b heapItem) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.e.key < b.e.key
}

func (h *entryHeap) item(e *entry) heapItem {
	if h.kind == byFire {
		return heapItem{e.fire, e}
	}
	return heapItem{e.readyAt, e}
}

func (h *entryHeap) push(e *entry) {
	e.pos[h.kind] = len(h.items)
	h.items = append(h.items, h.item(e))
	h.up(len(h.items) - 1)
}

func (h *entryHeap) pop() *entry {
	e := h.items[0].e
	h.remove(e)
	return e
}

// remove takes e out of the heap; it does nothing if e is not in it.
func (h *entryHeap) remove(e *entry) {
	i := e.pos[h.kind]
	if i < 0 {
		return
	}
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items[last] = heapItem{}
	h.items = h.items[:last]
	e.pos[h.kind] = -1
	if i != last {
		h.fix(i)
	}
}

// update restores the order after e's sort time changed, or pushes e if
// absent.
func (h *entryHeap) update(e *entry) {
	if i := e.pos[h.kind]; i >= 0 {
		h.items[i] = h.item(e)
		h.fix(i)
		return
	}
	h.push(e)
}

func (h *entryHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *entryHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.items[i].e.pos[h.kind] = i
	h.items[j].e.pos[h.kind] = j
}

func (h *entryHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(h.items[i], h.items[parent]) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

// down sifts item i towards the leaves and reports whether it moved.
func (h *entryHeap) down(i int) bool {
	start, n := i, len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && h.less(h.items[right], h.items[child]) {
			child = right
		}
		if !h.less(h.items[child], h.items[i]) {
			break
		}
		h.swap(i, child)
		i = child
	}
	return i > start
}
