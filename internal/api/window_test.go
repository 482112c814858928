package api

import (
	"testing"
	"time"
)

// TestStatsRange pins the hours each window selects, as Gatus's SQL does
// (hour_unix_timestamp >= now-w AND <= now, with 1h looking 2h back).
func TestStatsRange(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2025, 3, d, h, m, 0, 0, time.UTC) }
	cases := []struct {
		now      time.Time
		window   string
		from, to time.Time
	}{
		{at(10, 14, 30), "1h", at(10, 13, 0), at(10, 15, 0)},
		{at(10, 14, 0), "1h", at(10, 12, 0), at(10, 15, 0)},
		{at(10, 14, 30), "24h", at(9, 15, 0), at(10, 15, 0)},
		{at(10, 14, 0), "24h", at(9, 14, 0), at(10, 15, 0)},
		{at(10, 0, 1), "7d", at(3, 1, 0), at(10, 1, 0)},
		{at(10, 14, 30), "90d", time.Date(2024, 12, 10, 15, 0, 0, 0, time.UTC), at(10, 15, 0)},
	}
	for _, c := range cases {
		w, err := parseWindow(c.window, statWindows)
		if err != nil {
			t.Fatal(err)
		}
		from, to := statsRange(c.now, w)
		if !from.Equal(c.from) || !to.Equal(c.to) {
			t.Errorf("%s at %s: [%s, %s), want [%s, %s)", c.window, c.now.Format(time.Kitchen), from, to, c.from, c.to)
		}
	}
}
