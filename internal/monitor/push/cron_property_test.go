package push_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/custodes/custodes/internal/monitor/push"
)

var cronZones = []string{
	"UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe",
	"America/Santiago", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns",
}

// refSchedule is a schedule as plain sets, with an independent matcher: the
// reference the parser and Next are checked against.
type refSchedule struct {
	minutes, hours, days, months, weekdays []int
	lastDay                                bool
	lastWeekdays                           []int
	nth                                    [][2]int // weekday, week
	minuteStar, hourStar, dayStar, wdStar  bool
	expr                                   string
}

func (r *refSchedule) wallClock() bool { return !r.minuteStar && !r.hourStar }

func (r *refSchedule) match(w time.Time) bool { // w: a wall time, as UTC
	y, m, d := w.Date()
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	wd := int(w.Weekday())
	dom := slices.Contains(r.days, d) || (r.lastDay && d == last)
	dow := slices.Contains(r.weekdays, wd) ||
		(slices.Contains(r.lastWeekdays, wd) && d+7 > last) ||
		slices.Contains(r.nth, [2]int{wd, (d-1)/7 + 1})
	day := dom || dow
	if r.dayStar || r.wdStar {
		day = dom && dow
	}
	return day && slices.Contains(r.minutes, w.Minute()) && slices.Contains(r.hours, w.Hour()) &&
		slices.Contains(r.months, int(m))
}

func span(lo, hi int) []int {
	var s []int
	for v := lo; v <= hi; v++ {
		s = append(s, v)
	}
	return s
}

var monthNames = []string{"", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
var weekdayNames = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

// genField draws a star (rendered "*" or "*/1") or a list of values.
func genField(t *rapid.T, name string, lo, hi, maxLen int, render func(int) string) (star bool, vals []int, text []string) {
	if rapid.IntRange(0, 2).Draw(t, name+"Star") == 0 {
		return true, span(lo, hi), []string{rapid.SampledFrom([]string{"*", "*/1"}).Draw(t, name+"StarText")}
	}
	vals = rapid.SliceOfNDistinct(rapid.IntRange(lo, hi), 1, maxLen, rapid.ID[int]).Draw(t, name)
	for _, v := range vals {
		text = append(text, render(v))
	}
	return false, vals, text
}

// genSchedule draws a schedule whose hours and minutes often fall around
// the local wall time of anchor (a DST transition), where the rules differ.
func genSchedule(t *rapid.T, anchor time.Time) *refSchedule {
	r := &refSchedule{}
	num := strconv.Itoa
	var f [5][]string
	r.minuteStar, r.minutes, f[0] = genField(t, "minute", 0, 59, 4, num)
	r.hourStar, r.hours, f[1] = genField(t, "hour", 0, 23, 4, num)
	if !r.hourStar && rapid.Bool().Draw(t, "nearTransition") {
		before := anchor.Add(-time.Second)
		for _, h := range []int{before.Hour(), anchor.Hour()} {
			if !slices.Contains(r.hours, h) {
				r.hours = append(r.hours, h)
				f[1] = append(f[1], num(h))
			}
		}
		if !r.minuteStar {
			m := rapid.SampledFrom([]int{0, 15, 30, 45, before.Minute(), anchor.Minute()}).Draw(t, "nearMinute")
			if !slices.Contains(r.minutes, m) {
				r.minutes = append(r.minutes, m)
				f[0] = append(f[0], num(m))
			}
		}
	}
	r.dayStar, r.days, f[2] = genField(t, "day", 1, 31, 5, num)
	if !r.dayStar && rapid.IntRange(0, 3).Draw(t, "L") == 0 {
		r.lastDay = true
		f[2] = append(f[2], "L")
	}
	var monthStar bool
	if monthStar = rapid.IntRange(0, 3).Draw(t, "monthStar") != 0; monthStar {
		r.months, f[3] = span(1, 12), []string{"*"}
	} else {
		_, r.months, f[3] = genField(t, "month", 1, 12, 6, func(v int) string {
			if rapid.Bool().Draw(t, "monthName") {
				return strings.ToLower(monthNames[v])
			}
			return num(v)
		})
		if len(r.months) == 12 { // genField may draw a star
			f[3] = []string{"*"}
		}
	}
	r.wdStar, r.weekdays, f[4] = genField(t, "weekday", 0, 6, 3, func(v int) string {
		switch rapid.IntRange(0, 2).Draw(t, "weekdayText") {
		case 0:
			return weekdayNames[v]
		case 1:
			if v == 0 {
				return "7"
			}
		}
		return num(v)
	})
	if !r.wdStar {
		for _, wd := range rapid.SliceOfNDistinct(rapid.IntRange(0, 6), 0, 2, rapid.ID[int]).Draw(t, "lastWeekdays") {
			r.lastWeekdays = append(r.lastWeekdays, wd)
			f[4] = append(f[4], num(wd)+"L")
		}
		for i := range rapid.IntRange(0, 2).Draw(t, "nths") {
			wd := rapid.IntRange(0, 6).Draw(t, fmt.Sprint("nthWeekday", i))
			n := rapid.IntRange(1, 5).Draw(t, fmt.Sprint("nthWeek", i))
			r.nth = append(r.nth, [2]int{wd, n})
			f[4] = append(f[4], weekdayNames[wd]+"#"+num(n))
		}
	}
	var parts []string
	for _, terms := range f {
		parts = append(parts, strings.Join(terms, ","))
	}
	r.expr = strings.Join(parts, " ")
	return r
}

// wallOf is x's local wall time, as UTC.
func wallOf(x time.Time) time.Time {
	return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
}

const bruteMinutes = 8 * 24 * 60

// bruteNext scans real minutes after `after` (at most eight days) and
// returns the first run by the documented rule, or zero if none.
func bruteNext(r *refSchedule, after time.Time) time.Time {
	loc := after.Location()
	x := after.Truncate(time.Minute).Add(time.Minute) // all zones used have whole-minute offsets
	if !r.wallClock() {
		for range bruteMinutes {
			if r.match(wallOf(x.In(loc))) {
				return x.In(loc)
			}
			x = x.Add(time.Minute)
		}
		return time.Time{}
	}
	// Wall-clock jobs: a matching wall time runs the first time the clock
	// reaches or passes it. high is the latest wall time reached so far.
	high := wallOf(after.In(loc))
	for y := after.Add(-4 * time.Hour).Truncate(time.Minute); y.Before(after); y = y.Add(time.Minute) {
		if w := wallOf(y.In(loc)); w.After(high) {
			high = w
		}
	}
	for range bruteMinutes {
		w := wallOf(x.In(loc))
		for v := high.Truncate(time.Minute).Add(time.Minute); !v.After(w); v = v.Add(time.Minute) {
			if r.match(v) {
				return x.In(loc)
			}
		}
		if w.After(high) {
			high = w
		}
		x = x.Add(time.Minute)
	}
	return time.Time{}
}

// genAfter draws a zone, one of its DST transitions (anchor; Jan 1 for
// zones without) and an instant within two days of it.
func genAfter(t *rapid.T) (after, anchor time.Time) {
	zone := rapid.SampledFrom(cronZones).Draw(t, "zone")
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatalf("load %s: %v", zone, err)
	}
	anchor = time.Date(rapid.IntRange(2000, 2035).Draw(t, "year"), time.January, 1, 0, 0, 0, 0, loc)
	for range rapid.IntRange(0, 2).Draw(t, "transition") {
		if _, end := anchor.ZoneBounds(); !end.IsZero() {
			anchor = end
		}
	}
	after = anchor.Add(time.Duration(rapid.IntRange(-2*24*60, 2*24*60).Draw(t, "minutes"))*time.Minute +
		time.Duration(rapid.IntRange(-59, 59).Draw(t, "seconds"))*time.Second).In(loc)
	return after, anchor.In(loc)
}

func TestNextMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		after, anchor := genAfter(t)
		r := genSchedule(t, anchor)
		s, err := push.Parse(r.expr)
		if err != nil {
			var pe *push.ParseError
			if errors.As(err, &pe) && strings.HasSuffix(pe.Reason, "never occurs in the selected months") {
				return // a valid rejection (e.g. day 30 in February only)
			}
			t.Fatalf("Parse(%q): %v", r.expr, err)
		}
		got := s.Next(after)
		want := bruteNext(r, after)
		if want.IsZero() {
			if limit := after.Add(bruteMinutes * time.Minute); !got.IsZero() && !got.After(limit) {
				t.Fatalf("%q after %s: Next = %s, brute force finds no run before %s", r.expr, after, got, limit)
			}
			return
		}
		if !got.Equal(want) {
			t.Fatalf("%q after %s: Next = %s, brute force %s", r.expr, after, got, want)
		}
	})
}

func FuzzParseNext(f *testing.F) {
	for _, expr := range []string{
		"* * * * *", "*/15 2 * * *", "30 2 * * *", "0 0 L * *", "0 0 * * 5L", "0 0 * 2 MON#5",
		"0 9-17/4 1,15 JAN-jun mon-fri", "5/20 * * * 0,7", "0 0 31 * *", "59 23 29 2 *",
	} {
		f.Add(expr, int64(1711846800), uint8(1))
	}
	var locs []*time.Location
	for _, z := range cronZones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			f.Fatal(err)
		}
		locs = append(locs, loc)
	}
	f.Fuzz(func(t *testing.T, expr string, unix int64, zone uint8) {
		s, err := push.Parse(expr)
		if err != nil {
			var pe *push.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, want *ParseError", expr, err)
			}
			return
		}
		// Between the years 1900 and 2100.
		after := time.Unix(-2208988800+unix%(200*365*86400), 0).In(locs[int(zone)%len(locs)])
		next := s.Next(after)
		if next.IsZero() {
			t.Fatalf("%q: no run after %s", expr, after)
		}
		if !next.After(after) {
			t.Fatalf("%q: Next(%s) = %s, not after", expr, after, next)
		}
		if next.Second() != 0 || next.Nanosecond() != 0 {
			t.Fatalf("%q: Next(%s) = %s, not on a whole minute", expr, after, next)
		}
		again, err := push.Parse(s.String())
		if err != nil || !again.Next(after).Equal(next) {
			t.Fatalf("%q: String() = %q does not round-trip (err %v)", expr, s.String(), err)
		}
	})
}
