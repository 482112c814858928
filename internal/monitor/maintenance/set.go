package maintenance

import (
	"fmt"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// Set is all the maintenance windows that apply to a monitor (its own and
// the global one). It is active when any of its windows is.
type Set []Window

// CompileSet compiles windows, all in zones given by zone (which returns the
// location for a window's Timezone, nil for UTC). Errors name the window by
// its index.
func CompileSet(windows []monitor.MaintenanceWindow, zone func(name string) *time.Location) (Set, error) {
	set := make(Set, 0, len(windows))
	for i, w := range windows {
		var loc *time.Location
		if zone != nil {
			loc = zone(w.Timezone)
		}
		c, err := Compile(w, loc)
		if err != nil {
			return nil, fmt.Errorf("maintenance window %d: %w", i, err)
		}
		set = append(set, c)
	}
	return set, nil
}

// Active reports whether any window of the set is active at t.
func (s Set) Active(t time.Time) bool {
	for _, w := range s {
		if w.Active(t) {
			return true
		}
	}
	return false
}

// maxMerge bounds how many overlapping or adjacent occurrences Next joins.
const maxMerge = 32

// Next returns the maintenance period active at t, or else the next one, as
// [start, end): the earliest-opening occurrence among the windows, extended
// through every occurrence that overlaps or touches it (so a 22:00-02:00
// window followed by a 02:00-04:00 one yields 22:00-04:00). Joining stops
// after maxMerge occurrences, which only happens for permanent maintenance
// (e.g. a daily 24h window); the set is then still active at end, so a
// caller that re-checks Active(end) stays correct. An empty or disabled set
// returns zero times.
func (s Set) Next(t time.Time) (start, end time.Time) {
	for _, w := range s {
		ws, we := w.Next(t)
		if ws.IsZero() {
			continue
		}
		if start.IsZero() || ws.Before(start) || (ws.Equal(start) && we.After(end)) {
			start, end = ws, we
		}
	}
	if start.IsZero() {
		return time.Time{}, time.Time{}
	}
	for range maxMerge {
		extended := false
		for _, w := range s {
			ws, we := w.Next(end)
			if !ws.IsZero() && !ws.After(end) && we.After(end) {
				end, extended = we, true
			}
		}
		if !extended {
			break
		}
	}
	return start, end
}
