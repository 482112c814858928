package maintenance_test

import (
	"testing"
	"time"
	_ "time/tzdata" // hermetic zones: the tests do not depend on the host's tz database

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/maintenance"
)

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatalf("parse %s: %v", s, err)
	}
	return t
}

func mustCompile(tb testing.TB, w monitor.MaintenanceWindow) maintenance.Window {
	tb.Helper()
	var loc *time.Location
	if w.Timezone != "" {
		loc = mustLoad(tb, w.Timezone)
	}
	c, err := maintenance.Compile(w, loc)
	if err != nil {
		tb.Fatalf("compile %+v: %v", w, err)
	}
	return c
}

func window(start string, d time.Duration, tz string, every ...time.Weekday) monitor.MaintenanceWindow {
	return monitor.MaintenanceWindow{Enabled: true, Start: start, Duration: d, Timezone: tz, Every: every}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		w    monitor.MaintenanceWindow
		loc  *time.Location
		want string
	}{
		{"no separator", window("0000", time.Hour, ""), nil,
			`maintenance: start "0000": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"hour 24", window("24:00", time.Hour, ""), nil,
			`maintenance: start "24:00": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"minute 60", window("23:60", time.Hour, ""), nil,
			`maintenance: start "23:60": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"one-digit hour", window("1:00", time.Hour, ""), nil,
			`maintenance: start "1:00": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"sign", window("+1:00", time.Hour, ""), nil,
			`maintenance: start "+1:00": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"letters", window("zz:00", time.Hour, ""), nil,
			`maintenance: start "zz:00": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"wrong separator", window("23x00", time.Hour, ""), nil,
			`maintenance: start "23x00": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"empty start", window("", time.Hour, ""), nil,
			`maintenance: start "": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`},
		{"zero duration", window("23:00", 0, ""), nil,
			`maintenance: duration 0s: must be more than 0 and at most 24h`},
		{"negative duration", window("23:00", -time.Minute, ""), nil,
			`maintenance: duration -1m0s: must be more than 0 and at most 24h`},
		{"longer than a day", window("23:00", 24*time.Hour+time.Second, ""), nil,
			`maintenance: duration 24h0m1s: must be more than 0 and at most 24h`},
		{"bad weekday", window("23:00", time.Hour, "", time.Monday, time.Weekday(7)), nil,
			`maintenance: every[1]: 7 is not a weekday (0 = Sunday ... 6 = Saturday)`},
		{"negative weekday", window("23:00", time.Hour, "", time.Weekday(-1)), nil,
			`maintenance: every[0]: -1 is not a weekday (0 = Sunday ... 6 = Saturday)`},
		{"zone not passed", window("23:00", time.Hour, "Europe/Amsterdam"), nil,
			`maintenance: timezone "Europe/Amsterdam": no location given for it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := maintenance.Compile(tt.w, tt.loc)
			if err == nil {
				t.Fatalf("Compile(%+v) = nil error, want %q", tt.w, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Compile(%+v) error\n got %q\nwant %q", tt.w, err, tt.want)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, w := range []monitor.MaintenanceWindow{
		window("00:00", time.Nanosecond, ""),
		window("23:59", 24*time.Hour, "UTC"),
		window("09:05", time.Hour, "", time.Sunday, time.Saturday),
		// A disabled window is not validated, as in Gatus.
		{Enabled: false, Start: "nonsense", Duration: -1},
	} {
		if _, err := maintenance.Compile(w, nil); err != nil {
			t.Errorf("Compile(%+v): %v", w, err)
		}
	}
}

func TestDisabledWindowIsNeverActive(t *testing.T) {
	w := mustCompile(t, monitor.MaintenanceWindow{Start: "00:00", Duration: 24 * time.Hour})
	at := mustTime(t, "2024-01-10T12:00:00Z")
	if w.Enabled() || w.Active(at) {
		t.Errorf("disabled window: Enabled=%v Active=%v, want false false", w.Enabled(), w.Active(at))
	}
	if s, e := w.Next(at); !s.IsZero() || !e.IsZero() {
		t.Errorf("disabled window: Next = %v, %v; want zero times", s, e)
	}
	var zero maintenance.Window
	if zero.Active(at) {
		t.Error("zero Window is active")
	}
}

// TestNext pins exact instants, including every DST situation the package
// documents. 2024-01-08 is a Monday.
func TestNext(t *testing.T) {
	tests := []struct {
		name       string
		w          monitor.MaintenanceWindow
		at         string
		active     bool
		start, end string // RFC3339 instants
	}{
		// UTC basics.
		{"utc before", window("23:00", 2*time.Hour, ""), "2024-01-10T12:00:00Z", false,
			"2024-01-10T23:00:00Z", "2024-01-11T01:00:00Z"},
		{"utc crossing midnight", window("23:00", 2*time.Hour, ""), "2024-01-11T00:30:00Z", true,
			"2024-01-10T23:00:00Z", "2024-01-11T01:00:00Z"},
		{"utc start instant is inside", window("23:00", 2*time.Hour, "UTC"), "2024-01-10T23:00:00Z", true,
			"2024-01-10T23:00:00Z", "2024-01-11T01:00:00Z"},
		{"utc end instant is outside", window("23:00", 2*time.Hour, ""), "2024-01-11T01:00:00Z", false,
			"2024-01-11T23:00:00Z", "2024-01-12T01:00:00Z"},
		{"utc one nanosecond before end", window("23:00", 2*time.Hour, ""), "2024-01-11T00:59:59.999999999Z", true,
			"2024-01-10T23:00:00Z", "2024-01-11T01:00:00Z"},
		// Gatus compares only hours: at 10:10 it would not see the window that
		// opened yesterday at 10:30 for 24h.
		{"utc 24h window opened yesterday", window("10:30", 24*time.Hour, ""), "2024-01-11T10:10:00Z", true,
			"2024-01-10T10:30:00Z", "2024-01-11T10:30:00Z"},
		{"utc daily 24h is always active", window("00:00", 24*time.Hour, ""), "2024-01-11T00:00:00Z", true,
			"2024-01-11T00:00:00Z", "2024-01-12T00:00:00Z"},

		// Every refers to the weekday the window opens on.
		{"monday window on tuesday morning", window("23:00", 2*time.Hour, "", time.Monday), "2024-01-09T00:30:00Z", true,
			"2024-01-08T23:00:00Z", "2024-01-09T01:00:00Z"},
		{"monday window on tuesday night", window("23:00", 2*time.Hour, "", time.Monday), "2024-01-09T23:30:00Z", false,
			"2024-01-15T23:00:00Z", "2024-01-16T01:00:00Z"},
		{"friday and sunday from a monday", window("08:00", 8*time.Hour, "", time.Friday, time.Sunday), "2024-01-08T09:00:00Z", false,
			"2024-01-12T08:00:00Z", "2024-01-12T16:00:00Z"},
		{"friday and sunday on a saturday", window("08:00", 8*time.Hour, "", time.Friday, time.Sunday), "2024-01-13T09:00:00Z", false,
			"2024-01-14T08:00:00Z", "2024-01-14T16:00:00Z"},

		// Europe/Amsterdam: CET +01, CEST +02; 2024-03-31 02:00 -> 03:00,
		// 2024-10-27 03:00 -> 02:00.
		{"ams ordinary winter day", window("02:30", time.Hour, "Europe/Amsterdam"), "2024-03-30T00:00:00Z", false,
			"2024-03-30T01:30:00Z", "2024-03-30T02:30:00Z"},
		{"ams start in spring gap opens at the transition", window("02:30", time.Hour, "Europe/Amsterdam"), "2024-03-31T00:00:00Z", false,
			"2024-03-31T01:00:00Z", "2024-03-31T02:00:00Z"},
		{"ams ordinary summer day", window("02:30", time.Hour, "Europe/Amsterdam"), "2024-03-31T12:00:00Z", false,
			"2024-04-01T00:30:00Z", "2024-04-01T01:30:00Z"},
		{"ams window spanning spring-forward ends at 05:00 local", window("01:00", 3*time.Hour, "Europe/Amsterdam"), "2024-03-31T02:30:00Z", true,
			"2024-03-31T00:00:00Z", "2024-03-31T03:00:00Z"},
		{"ams repeated start opens at first occurrence", window("02:30", time.Hour, "Europe/Amsterdam"), "2024-10-27T00:00:00Z", false,
			"2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z"},
		{"ams second occurrence does not reopen", window("02:30", 10*time.Minute, "Europe/Amsterdam"), "2024-10-27T01:35:00Z", false,
			"2024-10-28T01:30:00Z", "2024-10-28T01:40:00Z"},
		{"ams window spanning fall-back ends at 03:00 local", window("01:00", 3*time.Hour, "Europe/Amsterdam"), "2024-10-27T01:30:00Z", true,
			"2024-10-26T23:00:00Z", "2024-10-27T02:00:00Z"},
		{"ams window spanning fall-back is closed at its end", window("01:00", 3*time.Hour, "Europe/Amsterdam"), "2024-10-27T02:00:00Z", false,
			"2024-10-28T00:00:00Z", "2024-10-28T03:00:00Z"},
		{"ams saturday night into the spring-forward sunday", window("23:00", 4*time.Hour, "Europe/Amsterdam", time.Saturday), "2024-03-31T01:30:00Z", true,
			"2024-03-30T22:00:00Z", "2024-03-31T02:00:00Z"},

		// America/New_York: EST -05, EDT -04; 2024-03-10 02:00 -> 03:00,
		// 2024-11-03 02:00 -> 01:00. (time.Date picks the other side of the
		// transition here than in Amsterdam; the result must not care.)
		{"nyc start in spring gap", window("02:15", 30*time.Minute, "America/New_York"), "2024-03-10T05:00:00Z", false,
			"2024-03-10T07:00:00Z", "2024-03-10T07:30:00Z"},
		{"nyc repeated start opens at first occurrence", window("01:30", time.Hour, "America/New_York", time.Sunday), "2024-11-03T05:00:00Z", false,
			"2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z"},
		{"nyc inside during the repeated hour", window("01:30", time.Hour, "America/New_York", time.Sunday), "2024-11-03T06:15:00Z", true,
			"2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z"},
		{"nyc second 01:45 is after the window", window("01:30", time.Hour, "America/New_York", time.Sunday), "2024-11-03T06:45:00Z", false,
			"2024-11-10T06:30:00Z", "2024-11-10T07:30:00Z"},
		{"nyc 24h window on the 25h day", window("00:00", 24*time.Hour, "America/New_York"), "2024-11-04T04:30:00Z", false,
			"2024-11-04T05:00:00Z", "2024-11-05T05:00:00Z"},
		{"nyc 24h windows overlap on the 23h day", window("00:00", 24*time.Hour, "America/New_York"), "2024-03-11T03:30:00Z", true,
			"2024-03-10T05:00:00Z", "2024-03-11T05:00:00Z"},

		// Australia/Lord_Howe: +10:30 standard, +11 summer, a 30-minute
		// shift; 2024-10-06 02:00 -> 02:30, 2024-04-07 02:00 -> 01:30.
		{"lhi start in the 30-minute gap", window("02:15", time.Hour, "Australia/Lord_Howe"), "2024-10-05T12:00:00Z", false,
			"2024-10-05T15:30:00Z", "2024-10-05T16:30:00Z"},
		{"lhi repeated start opens at first occurrence", window("01:45", 30*time.Minute, "Australia/Lord_Howe"), "2024-04-06T12:00:00Z", false,
			"2024-04-06T14:45:00Z", "2024-04-06T15:15:00Z"},
		{"lhi second 01:50 is after the window", window("01:45", 30*time.Minute, "Australia/Lord_Howe"), "2024-04-06T15:20:00Z", false,
			"2024-04-07T15:15:00Z", "2024-04-07T15:45:00Z"},

		// Pacific/Apia skipped 2011-12-30 entirely (-10 -> +14 at midnight):
		// that day's window opens when the clock jumps past 10:00.
		{"apia skipped day", window("10:00", time.Hour, "Pacific/Apia"), "2011-12-30T09:00:00Z", false,
			"2011-12-30T10:00:00Z", "2011-12-30T11:00:00Z"},
		{"apia day after the skipped day", window("10:00", time.Hour, "Pacific/Apia"), "2011-12-30T11:00:00Z", false,
			"2011-12-30T20:00:00Z", "2011-12-30T21:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := mustCompile(t, tt.w)
			at := mustTime(t, tt.at)
			start, end := w.Next(at)
			if !start.Equal(mustTime(t, tt.start)) || !end.Equal(mustTime(t, tt.end)) {
				t.Errorf("Next(%s) = [%s, %s), want [%s, %s)", tt.at,
					start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), tt.start, tt.end)
			}
			if got := w.Active(at); got != tt.active {
				t.Errorf("Active(%s) = %v, want %v", tt.at, got, tt.active)
			}
			if tt.w.Timezone != "" && start.Location().String() != tt.w.Timezone {
				t.Errorf("Next returned times in %s, want the window's zone %s", start.Location(), tt.w.Timezone)
			}
		})
	}
}

func BenchmarkWindowActive(b *testing.B) {
	w := mustCompile(b, window("02:30", 90*time.Minute, "Europe/Amsterdam", time.Sunday, time.Wednesday))
	at := mustTime(b, "2024-10-27T01:35:00Z")
	b.ReportAllocs()
	for b.Loop() {
		w.Active(at)
	}
}
