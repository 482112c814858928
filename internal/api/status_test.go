package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// statusFixture stores a few results for an HTTP and a TCP monitor.
func statusFixture(t *testing.T, store history.Store) Options {
	t.Helper()
	api, db := httpMonitor(), tcpMonitor()
	at := func(min int) time.Time { return time.Date(2025, 3, 10, 14, min, 0, 0, time.UTC) }
	appendResults(t, store, 1, []monitor.Result{
		{Monitor: api.Key, Node: "n1", Time: at(0), Success: true, Duration: 120 * time.Millisecond, Status: 200,
			Hostname: "api.example.com", Conditions: []condition.Result{{Condition: "[STATUS] == 200", Success: true}}},
		{Monitor: api.Key, Node: "n1", Time: at(10), Success: false, Duration: 2500 * time.Millisecond, Status: 500,
			Hostname: "api.example.com", Errors: []string{"connection reset"},
			Conditions: []condition.Result{{Condition: "[STATUS] (500) == 200", Success: false}}},
		{Monitor: db.Key, Node: "n1", Time: at(5), Success: true, Duration: 3 * time.Millisecond, Connected: true},
	}, history.Event{Monitor: api.Key, Type: history.EventStart, Time: at(0)},
		history.Event{Monitor: api.Key, Type: history.EventUnhealthy, Time: at(10)})
	return Options{Monitors: newMonitorSet(api, db), History: store}
}

// The golden bodies are Gatus's shapes: field names, order, omitted empty
// fields, nanosecond durations and RFC 3339 timestamps.
const goldenStatuses = `[` +
	`{"name":"db","key":"_db","results":[` +
	`{"hostname":"db.internal","duration":3000000,"success":true,"timestamp":"2025-03-10T14:05:00Z"}]},` +
	`{"name":"api","group":"core","key":"core_api","results":[` +
	`{"status":200,"hostname":"api.example.com","duration":120000000,"conditionResults":[{"condition":"[STATUS] == 200","success":true}],"success":true,"timestamp":"2025-03-10T14:00:00Z"},` +
	`{"status":500,"hostname":"api.example.com","duration":2500000000,"errors":["connection reset"],"conditionResults":[{"condition":"[STATUS] (500) == 200","success":false}],"success":false,"timestamp":"2025-03-10T14:10:00Z"}]}]`

const goldenStatus = `{"name":"api","group":"core","key":"core_api","results":[` +
	`{"status":200,"hostname":"api.example.com","duration":120000000,"conditionResults":[{"condition":"[STATUS] == 200","success":true}],"success":true,"timestamp":"2025-03-10T14:00:00Z"},` +
	`{"status":500,"hostname":"api.example.com","duration":2500000000,"errors":["connection reset"],"conditionResults":[{"condition":"[STATUS] (500) == 200","success":false}],"success":false,"timestamp":"2025-03-10T14:10:00Z"}],` +
	`"events":[{"type":"START","timestamp":"2025-03-10T14:00:00Z"},{"type":"UNHEALTHY","timestamp":"2025-03-10T14:10:00Z"}]}`

func TestStatusesGolden(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			srv := serve(t, statusFixture(t, b.open(t)))
			cases := []struct {
				path, want string
			}{
				{"/api/v1/endpoints/statuses", goldenStatuses},
				{"/api/v1/endpoints/core_api/statuses", goldenStatus},
				{"/api/v1/endpoints/CORE_API/statuses", goldenStatus}, // Gatus lower-cases keys
			}
			for _, c := range cases {
				r := get(t, srv.URL+c.path)
				if r.code != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
					t.Fatalf("GET %s: %d %q %s", c.path, r.code, r.header.Get("Content-Type"), r.body)
				}
				if diff := cmp.Diff(c.want, r.body); diff != "" {
					t.Errorf("GET %s body (-want +got):\n%s", c.path, diff)
				}
			}
		})
	}
}

func TestStatusWithoutResults(t *testing.T) {
	ext := externalMonitor()
	srv := serve(t, Options{Monitors: newMonitorSet(ext), History: newMemStore()})
	r := get(t, srv.URL+"/api/v1/endpoints/jobs_backup/statuses")
	want := `{"name":"backup","group":"jobs","key":"jobs_backup","results":[]}`
	if r.code != http.StatusOK || r.body != want {
		t.Errorf("got %d %s, want 200 %s", r.code, r.body, want)
	}
}

func TestHiddenFieldsStayHidden(t *testing.T) {
	store := newMemStore()
	sp := httpMonitor()
	sp.UI.HideHostname, sp.UI.HideErrors, sp.UI.HideConditions = true, true, true
	// Stored before the options were tightened.
	appendResults(t, store, 1, []monitor.Result{{Monitor: sp.Key, Time: testNow, Success: false, Status: 503,
		Hostname: "api.example.com", Errors: []string{"api.example.com said no"},
		Conditions: []condition.Result{{Condition: "[STATUS] (503) == 200"}}}})
	srv := serve(t, Options{Monitors: newMonitorSet(sp), History: store})
	r := get(t, srv.URL+"/api/v1/endpoints/core_api/statuses")
	want := `{"name":"api","group":"core","key":"core_api","results":[{"status":503,"duration":0,"success":false,"timestamp":"2025-03-10T14:30:00Z"}]}`
	if r.body != want {
		t.Errorf("body:\n got %s\nwant %s", r.body, want)
	}
}

// pagingFixture stores 12 results of core_api, one a minute, with
// durations 1..12 ms so each is recognisable.
func pagingFixture(t *testing.T, store history.Store, maxResults int) string {
	t.Helper()
	sp := httpMonitor()
	var rs []monitor.Result
	for i := 1; i <= 12; i++ {
		rs = append(rs, monitor.Result{Monitor: sp.Key, Time: testNow.Add(time.Duration(i-12) * time.Minute),
			Success: true, Duration: time.Duration(i) * time.Millisecond})
	}
	appendResults(t, store, 1, rs)
	return serve(t, Options{Monitors: newMonitorSet(sp), History: store, MaxResults: maxResults}).URL
}

// pageDurations fetches a page and returns the results' durations in ms.
func pageDurations(t *testing.T, url string) (int, string, []int) {
	t.Helper()
	r := get(t, url)
	if r.code != http.StatusOK {
		return r.code, r.body, nil
	}
	var ms []int
	for _, part := range strings.Split(r.body, `"duration":`)[1:] {
		end := strings.IndexByte(part, ',')
		ns, err := strconv.Atoi(part[:end])
		if err != nil {
			t.Fatalf("parse duration in %s: %v", r.body, err)
		}
		ms = append(ms, ns/int(time.Millisecond))
	}
	return r.code, r.body, ms
}

func TestPaging(t *testing.T) {
	cases := []struct {
		query      string
		maxResults int
		wantCode   int
		want       []int  // durations in ms, i.e. result numbers, chronological
		wantBody   string // for errors
	}{
		{"", 100, 200, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, ""},
		{"?page=1&pageSize=5", 100, 200, []int{8, 9, 10, 11, 12}, ""},
		{"?page=2&pageSize=5", 100, 200, []int{3, 4, 5, 6, 7}, ""},
		{"?page=3&pageSize=5", 100, 200, []int{1, 2}, ""},
		{"?page=4&pageSize=5", 100, 200, nil, ""},
		{"?pageSize=3", 100, 200, []int{10, 11, 12}, ""},
		{"?page=2", 100, 200, nil, ""},
		// Gatus: on page 1 a page size over the maximum shrinks to it.
		{"?page=1&pageSize=999999", 4, 200, []int{9, 10, 11, 12}, ""},
		// Only the maxResults most recent results exist, as in Gatus's store.
		{"?page=2&pageSize=3", 5, 200, []int{8, 9}, ""},
		{"?page=3&pageSize=3", 5, 200, nil, ""},
		{"?page=9223372036854775807&pageSize=9223372036854775807", 100, 200, nil, ""},
		{"?page=0", 100, 400, nil, "invalid page \"0\": must be a whole number >= 1\n"},
		{"?page=-1", 100, 400, nil, "invalid page \"-1\": must be a whole number >= 1\n"},
		{"?pageSize=abc", 100, 400, nil, "invalid pageSize \"abc\": must be a whole number >= 1\n"},
		{"?pageSize=1e3", 100, 400, nil, "invalid pageSize \"1e3\": must be a whole number >= 1\n"},
		{"?page=99999999999999999999999", 100, 400, nil, "invalid page \"99999999999999999999999\": must be a whole number >= 1\n"},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			servers := map[int]string{} // URL by maxResults
			for _, c := range cases {
				base, ok := servers[c.maxResults]
				if !ok {
					base = pagingFixture(t, b.open(t), c.maxResults)
					servers[c.maxResults] = base
				}
				for _, path := range []string{"/api/v1/endpoints/core_api/statuses", "/api/v1/endpoints/statuses"} {
					code, body, got := pageDurations(t, base+path+c.query)
					if code != c.wantCode {
						t.Errorf("GET %s%s (max %d): status %d (%s), want %d", path, c.query, c.maxResults, code, body, c.wantCode)
						continue
					}
					if code != http.StatusOK {
						if body != c.wantBody {
							t.Errorf("GET %s%s: body %q, want %q", path, c.query, body, c.wantBody)
						}
						continue
					}
					if diff := cmp.Diff(c.want, got); diff != "" {
						t.Errorf("GET %s%s (max %d) results (-want +got):\n%s", path, c.query, c.maxResults, diff)
					}
				}
			}
		})
	}
}

func TestEventsLimitedToMaxEvents(t *testing.T) {
	store := newMemStore()
	sp := httpMonitor()
	var events []history.Event
	for i := range 5 {
		typ := history.EventHealthy
		if i%2 == 1 {
			typ = history.EventUnhealthy
		}
		events = append(events, history.Event{Monitor: sp.Key, Type: typ, Time: testNow.Add(time.Duration(i) * time.Minute)})
	}
	appendResults(t, store, 1, nil, events...)
	srv := serve(t, Options{Monitors: newMonitorSet(sp), History: store, MaxEvents: 2})
	r := get(t, srv.URL+"/api/v1/endpoints/core_api/statuses")
	want := `{"name":"api","group":"core","key":"core_api","results":[],"events":[` +
		`{"type":"UNHEALTHY","timestamp":"2025-03-10T14:33:00Z"},{"type":"HEALTHY","timestamp":"2025-03-10T14:34:00Z"}]}`
	if r.body != want {
		t.Errorf("body:\n got %s\nwant %s", r.body, want)
	}
}

func TestStoreFailureIs500(t *testing.T) {
	store := newMemStore()
	store.failWith = errBoom
	srv := serve(t, Options{Monitors: newMonitorSet(httpMonitor()), History: store})
	for _, path := range []string{
		"/api/v1/endpoints/statuses",
		"/api/v1/endpoints/core_api/statuses",
		"/api/v1/endpoints/core_api/uptimes/24h",
		"/api/v1/endpoints/core_api/uptimes/24h/badge.svg",
		"/api/v1/endpoints/core_api/response-times/24h",
		"/api/v1/endpoints/core_api/response-times/24h/badge.svg",
		"/api/v1/endpoints/core_api/response-times/24h/chart.svg",
		"/api/v1/endpoints/core_api/response-times/24h/history",
		"/api/v1/endpoints/core_api/health/badge.svg",
		"/api/v1/endpoints/core_api/health/badge.shields",
	} {
		r := get(t, srv.URL+path)
		if r.code != http.StatusInternalServerError || !strings.Contains(r.body, errBoom.Error()) {
			t.Errorf("GET %s: %d %q, want 500 naming the store error", path, r.code, r.body)
		}
	}
}

func TestUnknownKeyAndBadDuration(t *testing.T) {
	srv := serve(t, Options{Monitors: newMonitorSet(httpMonitor()), History: newMemStore()})
	keyed := []string{
		"/statuses", "/uptimes/24h", "/uptimes/7d/badge.svg", "/response-times/30d",
		"/response-times/24h/badge.svg", "/response-times/7d/chart.svg", "/response-times/7d/history",
		"/health/badge.svg", "/health/badge.shields",
	}
	for _, p := range keyed {
		r := get(t, srv.URL+"/api/v1/endpoints/nope"+p)
		if r.code != http.StatusNotFound || r.body != "endpoint not found\n" {
			t.Errorf("GET unknown key %s: %d %q, want 404 \"endpoint not found\"", p, r.code, r.body)
		}
	}
	stats := "durations supported: 90d, 30d, 7d, 24h, 1h\n"
	charts := "durations supported: 90d, 30d, 7d, 24h\n"
	for _, c := range []struct{ path, want string }{
		{"/uptimes/2h", `invalid duration "2h": ` + stats},
		{"/uptimes/1d/badge.svg", `invalid duration "1d": ` + stats},
		{"/response-times/365d", `invalid duration "365d": ` + stats},
		{"/response-times/7D/badge.svg", `invalid duration "7D": ` + stats},
		{"/response-times/1h/chart.svg", `invalid duration "1h": ` + charts},
		{"/response-times/1h/history", `invalid duration "1h": ` + charts},
		{"/uptimes/" + strings.Repeat("9", 100), fmt.Sprintf("invalid duration %q: ", strings.Repeat("9", 32)) + stats},
	} {
		// The duration is checked before the key, as Gatus does.
		for _, key := range []string{"core_api", "nope"} {
			r := get(t, srv.URL+"/api/v1/endpoints/"+key+c.path)
			if r.code != http.StatusBadRequest || r.body != c.want {
				t.Errorf("GET %s %s: %d %q, want 400 %q", key, c.path, r.code, r.body, c.want)
			}
		}
	}
}
