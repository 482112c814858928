// Package maintenance decides whether a monitor is inside a maintenance
// window: Gatus's `maintenance` section (a start time of day, a duration,
// optional weekdays and an IANA time zone), evaluated at a time passed in.
//
// The rules are Gatus's, made exact where Gatus is approximate:
//
//   - A window opens at Start in the local wall time of its zone, every day
//     or on each weekday listed in Every, and stays open for Duration of
//     elapsed time: the half-open interval [start, start+Duration). (Gatus
//     excludes the start instant too; custodes includes it, so a timer fired
//     at the start sees the window open.)
//   - Every names the weekday on which a window opens, as in Gatus: a
//     Monday 23:00 window of 2h covers Monday 23:00 to Tuesday 01:00, and
//     is active at Tuesday 00:30 even though Tuesday is not listed.
//   - Duration is more than zero and at most 24h (Gatus rejects longer
//     windows). Because Duration is elapsed time, a daily 24h window
//     leaves one hour uncovered on a 25-hour fall-back day, and two
//     consecutive ones overlap by an hour on a 23-hour spring-forward day.
//   - Daylight saving time: when Start falls in a spring-forward gap (the
//     local clock skips it), the window opens at the transition, the first
//     instant the local clock reads Start or later; when Start is repeated
//     by a fall-back, the window opens at its first occurrence only.
//     Duration is elapsed time, so a 01:00 window of 3h that spans a
//     fall-back hour closes at 03:00 local time, and one that spans a
//     spring-forward hour closes at 05:00. (Gatus adds Start to local
//     midnight as elapsed time, which shifts windows by an hour on
//     transition days, and only compares hours when deciding whether
//     yesterday's window is still open; both are corrected here.)
//
// Windows are compiled once from the configuration (Compile) and then
// queried with any instant; no clock is read and nothing is loaded: the
// caller loads the time zone and passes it in.
package maintenance

import (
	"fmt"
	"time"

	"github.com/custodes/custodes/internal/monitor/wallclock"

	"github.com/custodes/custodes/internal/monitor"
)

// MaxDuration is the longest maintenance window Gatus accepts.
const MaxDuration = 24 * time.Hour

// Window is one compiled maintenance window. The zero Window is disabled:
// never active.
type Window struct {
	enabled     bool
	startMinute int           // minutes after local midnight, 0..1439
	duration    time.Duration // (0, MaxDuration]
	weekdays    uint8         // bit per time.Weekday on which it opens; 0: every day
	loc         *time.Location
}

// Compile validates a configured window and prepares it for queries. loc is
// the zone named by w.Timezone, loaded by the caller; nil means UTC and is
// accepted only when w.Timezone is "" or "UTC".
//
// As in Gatus, a disabled window is not validated: it compiles to a Window
// that is never active.
func Compile(w monitor.MaintenanceWindow, loc *time.Location) (Window, error) {
	if !w.Enabled {
		return Window{}, nil
	}
	start, err := parseStart(w.Start)
	if err != nil {
		return Window{}, err
	}
	if w.Duration <= 0 || w.Duration > MaxDuration {
		return Window{}, fmt.Errorf("maintenance: duration %s: must be more than 0 and at most 24h", w.Duration)
	}
	var weekdays uint8
	for i, d := range w.Every {
		if d < time.Sunday || d > time.Saturday {
			return Window{}, fmt.Errorf("maintenance: every[%d]: %d is not a weekday (0 = Sunday ... 6 = Saturday)", i, int(d))
		}
		weekdays |= 1 << d
	}
	if loc == nil {
		if w.Timezone != "" && w.Timezone != "UTC" {
			return Window{}, fmt.Errorf("maintenance: timezone %q: no location given for it", w.Timezone)
		}
		loc = time.UTC
	}
	return Window{enabled: true, startMinute: start, duration: w.Duration, weekdays: weekdays, loc: loc}, nil
}

// parseStart reads "hh:mm" (two digits each, 00:00 to 23:59) as minutes
// after midnight.
func parseStart(s string) (int, error) {
	bad := fmt.Errorf("maintenance: start %q: must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	for _, i := range [...]int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	hour := int(s[0]-'0')*10 + int(s[1]-'0')
	minute := int(s[3]-'0')*10 + int(s[4]-'0')
	if hour > 23 || minute > 59 {
		return 0, bad
	}
	return hour*60 + minute, nil
}

// Enabled reports whether the window can ever be active.
func (w Window) Enabled() bool { return w.enabled }

// Active reports whether t lies inside one of the window's occurrences.
func (w Window) Active(t time.Time) bool {
	start, end := w.Next(t)
	return !start.IsZero() && !t.Before(start) && t.Before(end)
}

// Next returns the occurrence of the window that is active at t, or else the
// next one to open after t, as [start, end) in the window's zone. A caller
// schedules end-of-maintenance work at end. A disabled window returns zero
// times.
func (w Window) Next(t time.Time) (start, end time.Time) {
	if !w.enabled {
		return time.Time{}, time.Time{}
	}
	y, m, d := t.In(w.loc).Date()
	// Occurrences are ordered by start and, since all last the same elapsed
	// time, by end: the first that ends after t is the answer. One that
	// opened two days before t cannot reach it (duration <= 24h, and DST
	// moves a start by less than a day); the next weekly one opens within
	// eight days.
	for i := -2; i <= 8; i++ {
		date := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		if w.weekdays != 0 && w.weekdays&(1<<date.Weekday()) == 0 {
			continue
		}
		start = wallclock.FirstInstantAtOrAfter(date.Year(), date.Month(), date.Day(), w.startMinute/60, w.startMinute%60, w.loc)
		end = start.Add(w.duration)
		if end.After(t) {
			return start, end
		}
	}
	return time.Time{}, time.Time{} // unreachable: some weekday is within 8 days
}
