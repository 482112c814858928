package api

import (
	"fmt"
	"strings"
	"time"
)

// window is a period a badge, uptime or chart covers, named as in the URL.
type window struct {
	name string
	span time.Duration
}

var (
	day = 24 * time.Hour
	// statWindows are the durations of the uptime and response-time routes
	// and badges: Gatus's 1h, 24h, 7d and 30d, plus 90d.
	statWindows = []window{{"1h", time.Hour}, {"24h", day}, {"7d", 7 * day}, {"30d", 30 * day}, {"90d", 90 * day}}
	// chartWindows are those of the chart and history routes (no 1h, as
	// Gatus: one hourly point is no chart).
	chartWindows = statWindows[1:]
)

// parseWindow finds name among allowed; the error lists what is supported.
func parseWindow(name string, allowed []window) (window, error) {
	for _, w := range allowed {
		if w.name == name {
			return w, nil
		}
	}
	names := make([]string, len(allowed))
	for i, w := range allowed {
		names[len(allowed)-1-i] = w.name
	}
	return window{}, fmt.Errorf("invalid duration %q: durations supported: %s",
		truncate(name, 32), strings.Join(names, ", "))
}

// statsRange is the range of hourly rollups a stat over w covers at now,
// as Gatus selects them: the hours starting after now-w, and the current
// hour. For 1h Gatus looks two hours back ("because uptime metrics are
// stored by hour, we have to cheat a little"), so the previous full hour
// counts too.
func statsRange(now time.Time, w window) (from, to time.Time) {
	span := w.span
	if span == time.Hour {
		span = 2 * time.Hour
	}
	start := now.Add(-span)
	from = start.Truncate(time.Hour)
	if from.Before(start) {
		from = from.Add(time.Hour)
	}
	to = now.Truncate(time.Hour).Add(time.Hour)
	return from, to
}

// chartRange is the range a chart over w covers: w back from the start of
// the current hour, to now.
func chartRange(now time.Time, w window) (from, to time.Time) {
	return now.Truncate(time.Hour).Add(-w.span), now
}
