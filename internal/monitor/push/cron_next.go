package push

import (
	"math/bits"
	"time"

	"github.com/custodes/custodes/internal/monitor/wallclock"
)

// horizonYears bounds the search for the next run. Every expression Parse
// accepts runs within 28 years (the rarest, a fifth weekday of February,
// recurs with the 28-year calendar cycle); the bound only guards the loop.
const horizonYears = 100

// Next returns the first run of the schedule strictly after `after`, in the
// zone of after (the caller converts with In). It returns the zero Time if
// there is none within 100 years, which only happens for the zero Schedule.
//
// Daylight saving time is handled as Debian cron and cronsim do, in two
// ways depending on the expression:
//
//   - Jobs at fixed times (neither the minute nor the hour field starts
//     with "*", e.g. "30 2 * * *") follow the local wall clock and run once
//     per matching wall time: a wall time skipped by a spring-forward runs
//     at the transition (the first instant the clock reads that time or
//     later; several skipped times collapse into that one run), and a wall
//     time repeated by a fall-back runs at its first occurrence only.
//   - Other jobs (e.g. "*/15 * * * *", "0 * * * *") run at every real
//     instant whose local wall time matches: none for the skipped wall
//     times, twice for the repeated ones.
//
// Seconds are ignored: runs are on whole local minutes.
func (s Schedule) Next(after time.Time) time.Time {
	if s.IsZero() {
		return time.Time{}
	}
	if s.wallClock {
		return s.nextWallClock(after)
	}
	return s.nextElapsed(after)
}

// maxWallClockSteps bounds nextWallClock's loop: one step per day or
// skipped month over the horizon.
const maxWallClockSteps = 40_000

// nextWallClock walks calendar dates and, on matching ones, the matching
// wall times in order, turning each into an instant with the DST rule. Those
// instants never decrease as the wall time increases, so the first one after
// `after` is the answer.
func (s *Schedule) nextWallClock(after time.Time) time.Time {
	loc := after.Location()
	y, m, d := after.Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // a calendar date; UTC has no DST
	lastMinute := bits.Len64(s.minutes) - 1
	for range maxWallClockSteps {
		if date.Year() > y+horizonYears {
			break
		}
		dy, dm, dd := date.Date()
		if s.months&(1<<dm) == 0 {
			date = time.Date(dy, dm+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !s.matchDay(dy, dm, dd, date.Weekday()) {
			date = date.AddDate(0, 0, 1)
			continue
		}
		for hs := s.hours; hs != 0; hs &= hs - 1 {
			h := bits.TrailingZeros32(hs)
			if !wallclock.FirstInstantAtOrAfter(dy, dm, dd, h, lastMinute, loc).After(after) {
				continue // the whole hour is at or before `after`
			}
			for ms := s.minutes; ms != 0; ms &= ms - 1 {
				if t := wallclock.FirstInstantAtOrAfter(dy, dm, dd, h, bits.TrailingZeros64(ms), loc); t.After(after) {
					return t
				}
			}
		}
		date = date.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// maxElapsedSteps bounds nextElapsed's loop: one step per skipped month, day
// or zone transition over the horizon, plus a few per hour of the final day.
const maxElapsedSteps = 200_000

// nextElapsed walks real time from the minute after `after`, jumping to the
// next local month, day, hour or matching minute boundary whenever a field
// does not match. A jump is computed in the current UTC offset and stops at
// the next zone transition, so no matching minute is ever jumped over.
func (s *Schedule) nextElapsed(after time.Time) time.Time {
	limit := after.Year() + horizonYears
	t := after.Add(time.Minute - sinceLocalMinute(after))
	for range maxElapsedSteps {
		y, m, d := t.Date()
		if y > limit {
			break
		}
		if since := sinceLocalMinute(t); since != 0 { // an offset with seconds
			t = advance(t, time.Minute-since)
			continue
		}
		h, mi, _ := t.Clock()
		sinceMidnight := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
		switch {
		case s.months&(1<<m) == 0:
			t = advance(t, time.Duration(daysIn(y, m)-d+1)*24*time.Hour-sinceMidnight)
		case !s.matchDay(y, m, d, t.Weekday()):
			t = advance(t, 24*time.Hour-sinceMidnight)
		case s.hours&(1<<h) == 0:
			t = advance(t, time.Duration(60-mi)*time.Minute)
		case s.minutes&(1<<mi) == 0:
			later := s.minutes >> (mi + 1) << (mi + 1) // matching minutes after mi
			if later == 0 {
				t = advance(t, time.Duration(60-mi)*time.Minute)
			} else {
				t = advance(t, time.Duration(bits.TrailingZeros64(later)-mi)*time.Minute)
			}
		default:
			return t
		}
	}
	return time.Time{}
}

// sinceLocalMinute is how far t's local wall time is past a whole minute.
func sinceLocalMinute(t time.Time) time.Duration {
	return time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

// advance moves t forward by d, or only to the next zone transition if that
// comes first (the local wall time is linear in real time only within one
// zone).
func advance(t time.Time, d time.Duration) time.Time {
	next := t.Add(d)
	if _, end := t.ZoneBounds(); !end.IsZero() && end.Before(next) {
		return end
	}
	return next
}
