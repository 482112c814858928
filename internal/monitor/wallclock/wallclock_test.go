package wallclock

import (
	"testing"
	"time"
)

func TestFirstInstantAtOrAfter(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name            string
		y               int
		m               time.Month
		d, hour, minute int
		loc             *time.Location
		want            string // RFC3339 in UTC
	}{
		{"ordinary", 2026, time.June, 1, 9, 30, ams, "2026-06-01T07:30:00Z"},
		// 2026-03-29 02:00 CET jumps to 03:00 CEST: 02:30 never happens; the
		// answer is the transition, 01:00 UTC.
		{"spring-forward gap", 2026, time.March, 29, 2, 30, ams, "2026-03-29T01:00:00Z"},
		// 2026-10-25 03:00 CEST falls back to 02:00 CET: 02:30 happens twice;
		// the first occurrence is 00:30 UTC.
		{"fall-back overlap", 2026, time.October, 25, 2, 30, ams, "2026-10-25T00:30:00Z"},
		{"new york gap", 2026, time.March, 8, 2, 15, ny, "2026-03-08T07:00:00Z"},
		{"new york overlap", 2026, time.November, 1, 1, 30, ny, "2026-11-01T05:30:00Z"},
		{"normalised day", 2026, time.January, 32, 0, 0, time.UTC, "2026-02-01T00:00:00Z"},
	} {
		got := FirstInstantAtOrAfter(tc.y, tc.m, tc.d, tc.hour, tc.minute, tc.loc).UTC().Format(time.RFC3339)
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestSeconds(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	at := time.Date(2026, 6, 1, 7, 30, 0, 0, time.UTC).In(ams) // 09:30 local
	if got, want := Seconds(at), time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC).Unix(); got != want {
		t.Fatalf("Seconds = %d, want %d (local wall time as if UTC)", got, want)
	}
}
