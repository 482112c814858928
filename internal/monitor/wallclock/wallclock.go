// Package wallclock turns local wall times into instants the same way for
// every part of the domain (maintenance windows, cron schedules), whatever
// daylight saving time does.
package wallclock

import "time"

// FirstInstantAtOrAfter returns the first instant at which the wall clock of
// loc reads y-m-d hour:minute or later. It is how a local wall time becomes an
// instant when daylight saving time gets in the way:
//
//   - in a spring-forward gap (the wall time never happens), it is the
//     transition itself, the first instant whose local time is past it;
//   - in a fall-back overlap (the wall time happens twice), it is the first
//     occurrence.
//
// time.Date leaves both choices unspecified (and in practice picks
// differently per zone), hence this helper (maintenance windows and cron schedules share it, so they agree). Dates are normalised as by
// time.Date (day 32 is the 1st of the next month).
func FirstInstantAtOrAfter(y int, m time.Month, d, hour, minute int, loc *time.Location) time.Time {
	want := time.Date(y, m, d, hour, minute, 0, 0, time.UTC).Unix()
	t := time.Date(y, m, d, hour, minute, 0, 0, loc)
	switch w := Seconds(t); {
	case w == want:
		// t is valid; an earlier occurrence may exist in the previous zone.
		start, _ := t.ZoneBounds()
		if start.IsZero() {
			return t
		}
		_, prevOffset := start.Add(-time.Second).Zone()
		earlier := time.Unix(want-int64(prevOffset), 0).In(loc)
		if earlier.Before(t) && Seconds(earlier) == want {
			return earlier
		}
		return t
	case w > want:
		// t lies after a forward jump that skipped the wall time.
		start, _ := t.ZoneBounds()
		if !start.IsZero() && Seconds(start) >= want && Seconds(start.Add(-time.Second)) < want {
			return start
		}
		return t
	default:
		// t lies before a forward jump that skips the wall time.
		_, end := t.ZoneBounds()
		if !end.IsZero() && Seconds(end) >= want {
			return end
		}
		return t
	}
}

// Seconds is t's local wall time as seconds since the Unix epoch, as if
// the wall time were UTC.
func Seconds(t time.Time) int64 {
	_, offset := t.Zone()
	return t.Unix() + int64(offset)
}
