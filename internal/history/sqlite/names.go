package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// names caches what ids stand for: monitor keys, origin names and decoded
// shapes. Only committed rows enter it, so readers and the writer share it.
// Ids are never reused, so entries never go stale.
type names struct {
	mu          sync.RWMutex
	monitorIDs  map[string]int64
	monitorKeys map[int64]string
	originIDs   map[string]int64
	originNames map[int64]string
	shapes      map[int64]*record
}

// maxCachedShapes bounds the decoded shapes kept; past it the cache starts
// over (shapes are few unless results vary wildly).
const maxCachedShapes = 1 << 16

func newNames() *names {
	return &names{
		monitorIDs:  map[string]int64{},
		monitorKeys: map[int64]string{},
		originIDs:   map[string]int64{},
		originNames: map[int64]string{},
		shapes:      map[int64]*record{},
	}
}

func (n *names) addMonitor(key string, id int64) {
	n.mu.Lock()
	n.monitorIDs[key] = id
	n.monitorKeys[id] = key
	n.mu.Unlock()
}

func (n *names) addOrigin(name string, id int64) {
	n.mu.Lock()
	n.originIDs[name] = id
	n.originNames[id] = name
	n.mu.Unlock()
}

func (n *names) cachedMonitorID(key string) (int64, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	id, ok := n.monitorIDs[key]
	return id, ok
}

func (n *names) cachedOriginID(name string) (int64, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	id, ok := n.originIDs[name]
	return id, ok
}

// monitorID returns the id of key, reading it from q when not cached; ok is
// false when the monitor has no rows at all.
func (n *names) monitorID(ctx context.Context, q queryer, key string) (id int64, ok bool, err error) {
	if id, ok := n.cachedMonitorID(key); ok {
		return id, true, nil
	}
	err = q.QueryRowContext(ctx, `SELECT id FROM monitors WHERE key = ?`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("looking up monitor %q: %w", key, err)
	}
	n.addMonitor(key, id)
	return id, true, nil
}

// originID is monitorID for origins.
func (n *names) originID(ctx context.Context, q queryer, name string) (id int64, ok bool, err error) {
	if id, ok := n.cachedOriginID(name); ok {
		return id, true, nil
	}
	err = q.QueryRowContext(ctx, `SELECT id FROM origins WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("looking up origin %q: %w", name, err)
	}
	n.addOrigin(name, id)
	return id, true, nil
}

// monitorKeys returns the keys of ids, reading the ones not cached from q.
func (n *names) monitorKeysOf(ctx context.Context, q queryer, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	var missing []int64
	n.mu.RLock()
	for _, id := range ids {
		if k, ok := n.monitorKeys[id]; ok {
			out[id] = k
		} else {
			missing = append(missing, id)
		}
	}
	n.mu.RUnlock()
	for _, id := range missing {
		if _, done := out[id]; done {
			continue
		}
		var key string
		if err := q.QueryRowContext(ctx, `SELECT key FROM monitors WHERE id = ?`, id).Scan(&key); err != nil {
			return nil, fmt.Errorf("looking up monitor id %d: %w", id, err)
		}
		n.addMonitor(key, id)
		out[id] = key
	}
	return out, nil
}

// shapesOf returns the decoded shapes of ids, reading the ones not cached
// from q.
func (n *names) shapesOf(ctx context.Context, q queryer, ids map[int64]*record) error {
	var missing []int64
	n.mu.RLock()
	for id := range ids {
		if r, ok := n.shapes[id]; ok {
			ids[id] = r
		} else {
			missing = append(missing, id)
		}
	}
	n.mu.RUnlock()
	for _, id := range missing {
		var body []byte
		if err := q.QueryRowContext(ctx, `SELECT body FROM shapes WHERE id = ?`, id).Scan(&body); err != nil {
			return fmt.Errorf("looking up shape %d: %w", id, err)
		}
		rec, err := decodeRecord(body)
		if err != nil {
			return fmt.Errorf("shape %d: %w", id, err)
		}
		ids[id] = &rec
		n.mu.Lock()
		if len(n.shapes) >= maxCachedShapes {
			clear(n.shapes)
		}
		n.shapes[id] = &rec
		n.mu.Unlock()
	}
	return nil
}
