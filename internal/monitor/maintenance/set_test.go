package maintenance_test

import (
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/maintenance"
)

func compileSet(tb testing.TB, ws ...monitor.MaintenanceWindow) maintenance.Set {
	tb.Helper()
	set, err := maintenance.CompileSet(ws, func(name string) *time.Location {
		if name == "" {
			return nil
		}
		return mustLoad(tb, name)
	})
	if err != nil {
		tb.Fatalf("CompileSet: %v", err)
	}
	return set
}

func TestSetNext(t *testing.T) {
	disabled := monitor.MaintenanceWindow{Start: "00:00", Duration: 24 * time.Hour}
	tests := []struct {
		name       string
		set        []monitor.MaintenanceWindow
		at         string
		active     bool
		start, end string
	}{
		{"adjacent windows join", []monitor.MaintenanceWindow{window("22:00", 4*time.Hour, ""), window("02:00", 2*time.Hour, "")},
			"2024-01-10T23:00:00Z", true, "2024-01-10T22:00:00Z", "2024-01-11T04:00:00Z"},
		{"inside the second of two adjacent windows", []monitor.MaintenanceWindow{window("22:00", 4*time.Hour, ""), window("02:00", 2*time.Hour, "")},
			"2024-01-11T03:00:00Z", true, "2024-01-11T02:00:00Z", "2024-01-11T04:00:00Z"},
		{"next joined period", []monitor.MaintenanceWindow{window("22:00", 4*time.Hour, ""), window("02:00", 2*time.Hour, "")},
			"2024-01-11T05:00:00Z", false, "2024-01-11T22:00:00Z", "2024-01-12T04:00:00Z"},
		{"gap keeps windows apart", []monitor.MaintenanceWindow{window("01:00", time.Hour, ""), window("03:00", time.Hour, "")},
			"2024-01-10T00:00:00Z", false, "2024-01-10T01:00:00Z", "2024-01-10T02:00:00Z"},
		{"window inside another", []monitor.MaintenanceWindow{window("01:00", time.Hour, ""), window("00:00", 6*time.Hour, "")},
			"2024-01-10T01:30:00Z", true, "2024-01-10T00:00:00Z", "2024-01-10T06:00:00Z"},
		{"overlap across zones", []monitor.MaintenanceWindow{window("01:00", 2*time.Hour, "Europe/Amsterdam"), window("01:30", time.Hour, "")},
			"2024-01-10T00:10:00Z", true, "2024-01-10T00:00:00Z", "2024-01-10T02:30:00Z"},
		{"disabled window ignored", []monitor.MaintenanceWindow{disabled, window("03:00", time.Hour, "")},
			"2024-01-10T00:00:00Z", false, "2024-01-10T03:00:00Z", "2024-01-10T04:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := compileSet(t, tt.set...)
			at := mustTime(t, tt.at)
			start, end := set.Next(at)
			if !start.Equal(mustTime(t, tt.start)) || !end.Equal(mustTime(t, tt.end)) {
				t.Errorf("Next(%s) = [%s, %s), want [%s, %s)", tt.at,
					start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), tt.start, tt.end)
			}
			if got := set.Active(at); got != tt.active {
				t.Errorf("Active(%s) = %v, want %v", tt.at, got, tt.active)
			}
		})
	}
}

func TestEmptySet(t *testing.T) {
	at := mustTime(t, "2024-01-10T00:00:00Z")
	for _, set := range []maintenance.Set{nil, compileSet(t, monitor.MaintenanceWindow{Start: "00:00", Duration: time.Hour})} {
		if set.Active(at) {
			t.Errorf("%d-window set without enabled windows is active", len(set))
		}
		if s, e := set.Next(at); !s.IsZero() || !e.IsZero() {
			t.Errorf("Next = %v, %v; want zero times", s, e)
		}
	}
}

// A daily 24h window is a permanent maintenance: Next stops joining after a
// bound, and documents that the set is still active at the returned end.
func TestSetNextPermanentMaintenanceIsBounded(t *testing.T) {
	set := compileSet(t, window("00:00", 24*time.Hour, ""))
	at := mustTime(t, "2024-01-10T12:00:00Z")
	start, end := set.Next(at)
	if want := mustTime(t, "2024-01-10T00:00:00Z"); !start.Equal(want) {
		t.Errorf("start = %s, want %s", start, want)
	}
	if end.Sub(start) < 7*24*time.Hour {
		t.Errorf("end = %s: joined less than a week of a permanent maintenance", end)
	}
	if !set.Active(end) {
		t.Errorf("Active(end=%s) = false, want true (joining was cut short)", end)
	}
}

func TestCompileSetNamesTheWindow(t *testing.T) {
	_, err := maintenance.CompileSet([]monitor.MaintenanceWindow{
		window("01:00", time.Hour, ""),
		window("25:00", time.Hour, ""),
	}, nil)
	want := `maintenance window 1: maintenance: start "25:00": must be hh:mm, between 00:00 and 23:59 (e.g. 23:00)`
	if err == nil || err.Error() != want {
		t.Errorf("CompileSet error = %v, want %q", err, want)
	}
	_, err = maintenance.CompileSet([]monitor.MaintenanceWindow{window("01:00", time.Hour, "Mars/Olympus")},
		func(string) *time.Location { return nil })
	want = `maintenance window 0: maintenance: timezone "Mars/Olympus": no location given for it`
	if err == nil || err.Error() != want {
		t.Errorf("CompileSet error = %v, want %q", err, want)
	}
}

func FuzzCompile(f *testing.F) {
	f.Add("23:00", int64(2*time.Hour), []byte{1}, int64(1704927600))
	f.Add("02:30", int64(24*time.Hour), []byte{}, int64(1711846800))
	f.Add("9:5", int64(-1), []byte{9}, int64(0))
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, start string, duration int64, every []byte, unix int64) {
		days := make([]time.Weekday, len(every))
		for i, b := range every {
			days[i] = time.Weekday(int8(b))
		}
		w, err := maintenance.Compile(monitor.MaintenanceWindow{
			Enabled: true, Start: start, Duration: time.Duration(duration), Timezone: "Europe/Amsterdam", Every: days,
		}, ams)
		if err != nil {
			return
		}
		if len(start) != 5 || start[2] != ':' || start > "23:59" || start < "00:00" {
			t.Fatalf("accepted start %q", start)
		}
		at := time.Unix(unix%(1<<40), 0)
		s, e := w.Next(at)
		if !e.After(at) || e.Sub(s) != time.Duration(duration) {
			t.Fatalf("Next(%s) = [%s, %s) for duration %s", at, s, e, time.Duration(duration))
		}
		if w.Active(at) != !at.Before(s) {
			t.Fatalf("Active(%s) = %v but Next = [%s, %s)", at, w.Active(at), s, e)
		}
	})
}
