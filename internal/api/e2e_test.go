package api

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestExternalPushThenRead goes through the whole path on the SQLite
// adapter: results pushed over HTTP reach the store through the sink and
// come back through the read routes.
func TestExternalPushThenRead(t *testing.T) {
	store := openSQLite(t)
	var (
		mu  sync.Mutex
		now = testNow.Add(-20 * time.Minute)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	sink := &recordingSink{store: store}
	srv := serve(t, Options{Monitors: newMonitorSet(externalMonitor()), History: store, External: sink, Node: "n1", Now: clock})

	for _, q := range []string{"success=true&duration=100ms", "success=false&duration=200ms&error=exit+code+3", "success=true&duration=100ms"} {
		r := do(t, http.MethodPost, srv.URL+"/api/v1/endpoints/jobs_backup/external?"+q, bearer("s3cr3t-token"))
		if r.code != http.StatusOK || r.body != "" {
			t.Fatalf("push %s: %d %q", q, r.code, r.body)
		}
		advance(10 * time.Minute)
	}
	want := `{"name":"backup","group":"jobs","key":"jobs_backup","results":[` +
		`{"duration":100000000,"success":true,"timestamp":"2025-03-10T14:10:00Z"},` +
		`{"duration":200000000,"errors":["exit code 3"],"success":false,"timestamp":"2025-03-10T14:20:00Z"},` +
		`{"duration":100000000,"success":true,"timestamp":"2025-03-10T14:30:00Z"}]}`
	checks := []struct{ path, want string }{
		{"/api/v1/endpoints/jobs_backup/statuses", want},
		{"/api/v1/endpoints/jobs_backup/uptimes/1h", "0.666667"},
		{"/api/v1/endpoints/jobs_backup/response-times/24h", "133"},
		{"/api/v1/endpoints/jobs_backup/health/badge.shields", `{"color":"brightgreen","label":"custodes","message":"up","schemaVersion":1}`},
	}
	for _, c := range checks {
		if r := get(t, srv.URL+c.path); r.code != http.StatusOK || r.body != c.want {
			t.Errorf("GET %s:\n got %d %s\nwant 200 %s", c.path, r.code, r.body, c.want)
		}
	}
}
