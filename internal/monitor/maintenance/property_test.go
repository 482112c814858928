package maintenance_test

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/maintenance"
)

var propertyZones = []string{
	"UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe",
	"America/Santiago", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns",
}

// bruteStart is an independent, slow statement of the documented rule: the
// first instant (scanning minute by minute) whose local wall clock reads the
// wanted wall time or later.
func bruteStart(y int, m time.Month, d, hour, minute int, loc *time.Location) time.Time {
	want := time.Date(y, m, d, hour, minute, 0, 0, time.UTC)
	// No zone is ahead of UTC by 15h, so this instant's wall time is earlier.
	x := want.Add(-15 * time.Hour)
	for i := 0; i < 40*60; i++ {
		lt := x.In(loc)
		wall := time.Date(lt.Year(), lt.Month(), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), 0, time.UTC)
		if !wall.Before(want) {
			return lt
		}
		x = x.Add(time.Minute)
	}
	panic(fmt.Sprintf("bruteStart %v in %s did not converge", want, loc))
}

// bruteNext lists the occurrences around t by brute force and returns the
// first that ends after t.
func bruteNext(w monitor.MaintenanceWindow, loc *time.Location, t time.Time) (time.Time, time.Time) {
	var hour, minute int
	fmt.Sscanf(w.Start, "%d:%d", &hour, &minute)
	y, m, d := t.In(loc).Date()
	for i := -3; i <= 9; i++ {
		date := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		allowed := len(w.Every) == 0
		for _, wd := range w.Every {
			allowed = allowed || wd == date.Weekday()
		}
		if !allowed {
			continue
		}
		s := bruteStart(date.Year(), date.Month(), date.Day(), hour, minute, loc)
		if e := s.Add(w.Duration); e.After(t) {
			return s, e
		}
	}
	return time.Time{}, time.Time{}
}

// genCase draws a window and an instant near a DST transition of the zone
// (the interesting part), with the start often near the transition's wall
// time.
func genCase(t *rapid.T) (monitor.MaintenanceWindow, *time.Location, time.Time) {
	zone := rapid.SampledFrom(propertyZones).Draw(t, "zone")
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatalf("load %s: %v", zone, err)
	}
	year := rapid.IntRange(2000, 2035).Draw(t, "year")
	anchor := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
	for range rapid.IntRange(0, 2).Draw(t, "transition") {
		if _, end := anchor.ZoneBounds(); !end.IsZero() {
			anchor = end
		}
	}
	var start string
	if rapid.Bool().Draw(t, "startNearTransition") {
		lt := anchor.Add(-time.Second).In(loc).Add(time.Duration(rapid.IntRange(-90, 90).Draw(t, "startShift")) * time.Minute)
		start = fmt.Sprintf("%02d:%02d", lt.Hour(), lt.Minute())
	} else {
		start = fmt.Sprintf("%02d:%02d", rapid.IntRange(0, 23).Draw(t, "hour"), rapid.IntRange(0, 59).Draw(t, "minute"))
	}
	var every []time.Weekday
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if rapid.IntRange(0, 3).Draw(t, "day"+wd.String()) == 0 {
			every = append(every, wd)
		}
	}
	w := monitor.MaintenanceWindow{
		Enabled:  true,
		Start:    start,
		Duration: time.Duration(rapid.IntRange(1, 24*60).Draw(t, "minutes")) * time.Minute,
		Timezone: zone,
		Every:    every,
	}
	at := anchor.Add(time.Duration(rapid.IntRange(-2*24*60, 2*24*60).Draw(t, "offset")) * time.Minute).
		Add(time.Duration(rapid.IntRange(-1, 1).Draw(t, "nudge")) * time.Second)
	return w, loc, at
}

func TestNextMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w, loc, at := genCase(t)
		c, err := maintenance.Compile(w, loc)
		if err != nil {
			t.Fatalf("compile %+v: %v", w, err)
		}
		gotS, gotE := c.Next(at)
		wantS, wantE := bruteNext(w, loc, at)
		if !gotS.Equal(wantS) || !gotE.Equal(wantE) {
			t.Fatalf("%+v at %s: Next = [%s, %s), brute force [%s, %s)", w, at.In(loc),
				gotS.In(loc), gotE.In(loc), wantS.In(loc), wantE.In(loc))
		}
		if !gotE.After(at) {
			t.Fatalf("Next(%s) ends at %s, not after the query", at, gotE)
		}
		wantActive := !at.Before(wantS) && at.Before(wantE)
		if got := c.Active(at); got != wantActive {
			t.Fatalf("%+v: Active(%s) = %v, want %v", w, at.In(loc), got, wantActive)
		}
	})
}
