package api

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// windowFixture stores results of core_api spread over 60 days before
// testNow (14:30) so every window selects a different subset.
func windowFixture(t *testing.T, store history.Store) *monitor.Spec {
	t.Helper()
	sp := httpMonitor()
	r := func(at time.Time, ok bool, ms int) monitor.Result {
		return monitor.Result{Monitor: sp.Key, Time: at, Success: ok, Duration: time.Duration(ms) * time.Millisecond}
	}
	d := func(days, hour, min int) time.Time { return time.Date(2025, 3, 10-days, hour, min, 0, 0, time.UTC) }
	appendResults(t, store, 1, []monitor.Result{
		r(d(60, 9, 0), true, 900),   // 90d only
		r(d(8, 10, 0), false, 100),  // 30d and up
		r(d(1, 14, 59), false, 500), // 7d and up: the hour starting 24h30m ago is not in 24h
		r(d(1, 15, 5), true, 400),   // 24h and up
		r(d(0, 12, 50), false, 1000),
		r(d(0, 13, 15), true, 200), // 1h covers the previous full hour, as Gatus
		r(d(0, 14, 10), true, 100),
		r(d(0, 14, 20), false, 300),
	})
	return sp
}

func TestUptimeAndResponseTimeRaw(t *testing.T) {
	cases := []struct {
		window       string
		uptime, mean string
	}{
		{"1h", "0.666667", "200"},
		{"24h", "0.600000", "400"},
		{"7d", "0.500000", "416"},
		{"30d", "0.428571", "371"},
		{"90d", "0.500000", "437"},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t)
			sp := windowFixture(t, store)
			srv := serve(t, Options{Monitors: newMonitorSet(sp), History: store})
			for _, c := range cases {
				for _, x := range []struct{ route, want string }{{"uptimes", c.uptime}, {"response-times", c.mean}} {
					path := fmt.Sprintf("/api/v1/endpoints/core_api/%s/%s", x.route, c.window)
					r := get(t, srv.URL+path)
					if r.code != http.StatusOK || r.body != x.want {
						t.Errorf("GET %s: %d %q, want 200 %q", path, r.code, r.body, x.want)
					}
					for k, v := range map[string]string{"Content-Type": "text/plain", "Cache-Control": "no-cache, no-store, must-revalidate", "Expires": "0"} {
						if got := r.header.Get(k); got != v {
							t.Errorf("GET %s: header %s=%q, want %q", path, k, got, v)
						}
					}
				}
			}
		})
	}
}

func TestNoResultsMeansZero(t *testing.T) {
	srv := serve(t, Options{Monitors: newMonitorSet(httpMonitor()), History: newMemStore()})
	for path, want := range map[string]string{
		"/api/v1/endpoints/core_api/uptimes/7d":        "0.000000",
		"/api/v1/endpoints/core_api/response-times/7d": "0",
	} {
		if r := get(t, srv.URL+path); r.code != http.StatusOK || r.body != want {
			t.Errorf("GET %s: %d %q, want 200 %q", path, r.code, r.body, want)
		}
	}
	r := get(t, srv.URL+"/api/v1/endpoints/core_api/response-times/7d/chart.svg")
	if r.code != http.StatusNoContent || r.body != "" {
		t.Errorf("chart without data: %d %q, want 204 and no body", r.code, r.body)
	}
	r = get(t, srv.URL+"/api/v1/endpoints/core_api/response-times/7d/history")
	if want := `{"timestamps":[],"values":[]}`; r.code != http.StatusOK || r.body != want {
		t.Errorf("history without data: %d %q, want 200 %s", r.code, r.body, want)
	}
}

func TestResponseTimeHistory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t)
			sp := windowFixture(t, store)
			srv := serve(t, Options{Monitors: newMonitorSet(sp), History: store})
			ms := func(days, hour int) int64 { return time.Date(2025, 3, 10-days, hour, 0, 0, 0, time.UTC).UnixMilli() }

			r := get(t, srv.URL+"/api/v1/endpoints/core_api/response-times/24h/history")
			want := fmt.Sprintf(`{"timestamps":[%d,%d,%d,%d,%d],"values":[500,400,1000,200,200]}`,
				ms(1, 14), ms(1, 15), ms(0, 12), ms(0, 13), ms(0, 14))
			if r.code != http.StatusOK || r.body != want {
				t.Errorf("24h history:\n got %d %s\nwant 200 %s", r.code, r.body, want)
			}

			// Over 7d, the hours before the first result are filled with 0.
			r = get(t, srv.URL+"/api/v1/endpoints/core_api/response-times/7d/history")
			var zeros []string
			var stamps []string
			for h := time.Date(2025, 3, 3, 14, 0, 0, 0, time.UTC); h.Before(time.Date(2025, 3, 9, 14, 0, 0, 0, time.UTC)); h = h.Add(time.Hour) {
				zeros = append(zeros, "0")
				stamps = append(stamps, fmt.Sprint(h.UnixMilli()))
			}
			want = fmt.Sprintf(`{"timestamps":[%s,%d,%d,%d,%d,%d],"values":[%s,500,400,1000,200,200]}`,
				strings.Join(stamps, ","), ms(1, 14), ms(1, 15), ms(0, 12), ms(0, 13), ms(0, 14), strings.Join(zeros, ","))
			if len(zeros) != 144 {
				t.Fatalf("fixture: %d filled hours, want 144", len(zeros))
			}
			if diff := cmp.Diff(want, r.body); r.code != http.StatusOK || diff != "" {
				t.Errorf("7d history: status %d (-want +got):\n%s", r.code, diff)
			}
		})
	}
}

func TestResponseTimeChart(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t)
			sp := windowFixture(t, store)
			srv := serve(t, Options{Monitors: newMonitorSet(sp), History: store})
			r := get(t, srv.URL+"/api/v1/endpoints/core_api/response-times/24h/chart.svg")
			if r.code != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" ||
				r.header.Get("Cache-Control") != "no-cache, no-store" {
				t.Fatalf("chart: %d %v", r.code, r.header)
			}
			// One point per hour with results, in order, with its mean.
			wantTitles := []string{
				"2025-03-09T14:00:00Z: 500ms", "2025-03-09T15:00:00Z: 400ms", "2025-03-10T12:00:00Z: 1000ms",
				"2025-03-10T13:00:00Z: 200ms", "2025-03-10T14:00:00Z: 200ms",
			}
			var titles []string
			for _, part := range strings.Split(r.body, "<circle ")[1:] {
				s := part[strings.Index(part, "<title>")+len("<title>"):]
				titles = append(titles, s[:strings.Index(s, "</title>")])
			}
			if diff := cmp.Diff(wantTitles, titles); diff != "" {
				t.Errorf("chart points (-want +got):\n%s", diff)
			}
			// y runs to ceil(1.25 * 1000ms): the tallest point sits at 80% of
			// the plot height; the first point is on the left edge.
			wantPoints := fmt.Sprintf(`points="%.1f,%.1f `, float64(chartLeft), chartTop+chartPlotH-500.0/1250*chartPlotH)
			if !strings.Contains(r.body, wantPoints) {
				t.Errorf("chart polyline does not start with %s:\n%s", wantPoints, r.body)
			}
			for _, s := range []string{"<title>Average response time per hour</title>", ">1000ms</text>", ">500ms</text>", ">0ms</text>", ">3:00PM</text>"} {
				if !strings.Contains(r.body, s) {
					t.Errorf("chart lacks %q", s)
				}
			}
		})
	}
}
