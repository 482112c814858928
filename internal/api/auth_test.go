package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestAuthMatrix(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("metrics")) })
	store := newMemStore()
	srv := serve(t, Options{
		Monitors: newMonitorSet(httpMonitor(), externalMonitor()), History: store, External: &recordingSink{},
		Basic: &BasicAuth{Username: "admin", PasswordHash: hash}, Metrics: metrics,
	})
	basic := func(user, pass string) http.Header {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(user, pass)
		return req.Header
	}
	good := basic("admin", "hunter2")
	routes := []struct {
		method, path string
		header       http.Header // besides the basic credentials
		protected    bool
		publicCode   int
	}{
		{"GET", "/api/v1/endpoints/statuses", nil, true, 200},
		{"GET", "/api/v1/endpoints/core_api/statuses", nil, true, 200},
		{"GET", "/api/v1/endpoints/nope/statuses", nil, true, 404},
		{"GET", "/api/v1/endpoints/core_api/health/badge.svg", nil, false, 200},
		{"GET", "/api/v1/endpoints/core_api/health/badge.shields", nil, false, 200},
		{"GET", "/api/v1/endpoints/core_api/uptimes/7d", nil, false, 200},
		{"GET", "/api/v1/endpoints/core_api/uptimes/7d/badge.svg", nil, false, 200},
		{"GET", "/api/v1/endpoints/core_api/response-times/7d", nil, false, 200},
		{"GET", "/api/v1/endpoints/core_api/response-times/7d/badge.svg", nil, false, 200},
		{"GET", "/api/v1/endpoints/core_api/response-times/7d/chart.svg", nil, false, 204},
		{"GET", "/api/v1/endpoints/core_api/response-times/7d/history", nil, false, 200},
		{"GET", "/metrics", nil, false, 200},
		{"GET", "/health", nil, false, 200},
		{"GET", "/healthz", nil, false, 200},
		{"GET", "/readyz", nil, false, 200},
		// The push carries its own bearer token, never basic credentials.
		{"POST", "/api/v1/endpoints/jobs_backup/external?success=true", bearer("s3cr3t-token"), false, 200},
	}
	for _, rt := range routes {
		for _, cred := range []struct {
			name   string
			header http.Header
		}{{"none", nil}, {"wrong password", basic("admin", "hunter3")}, {"wrong user", basic("root", "hunter2")}, {"good", good}} {
			h := http.Header{}
			for k, v := range rt.header {
				h[k] = v
			}
			if rt.method == "GET" {
				for k, v := range cred.header {
					h[k] = v
				}
			}
			want := rt.publicCode
			if rt.protected && cred.name != "good" {
				want = http.StatusUnauthorized
			}
			r := do(t, rt.method, srv.URL+rt.path, h)
			if r.code != want {
				t.Errorf("%s %s with %s credentials: %d, want %d", rt.method, rt.path, cred.name, r.code, want)
			}
			if want == http.StatusUnauthorized && (r.header.Get("WWW-Authenticate") != "Basic" || r.body != "Unauthorized\n") {
				t.Errorf("%s %s: 401 answer %q %q, want WWW-Authenticate: Basic and Unauthorized", rt.method, rt.path,
					r.header.Get("WWW-Authenticate"), r.body)
			}
		}
	}
	// Remembered passwords do not outlive a change of user.
	if r := get(t, srv.URL+"/api/v1/endpoints/statuses"); r.code != http.StatusUnauthorized {
		t.Errorf("no credentials after a good login: %d, want 401", r.code)
	}
}

func TestBasicCheckerCache(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	c := newBasicChecker(BasicAuth{Username: "u", PasswordHash: hash})
	for i := range 3 {
		if !c.check("u", "pw") {
			t.Fatalf("attempt %d: good credentials refused", i)
		}
	}
	if c.check("x", "pw") || c.check("u", "PW") || c.check("", "") {
		t.Error("bad credentials accepted after a cached success")
	}
	if len(c.verified) != 1 {
		t.Errorf("%d remembered passwords, want 1 (failures are never remembered)", len(c.verified))
	}
	for i := range 3 {
		c.check("u", "wrong"+strconv.Itoa(i))
	}
	if len(c.verified) != 1 {
		t.Errorf("%d remembered passwords after failures, want 1", len(c.verified))
	}
}

func TestNoAuthConfigured(t *testing.T) {
	srv := serve(t, Options{Monitors: newMonitorSet(httpMonitor()), History: newMemStore()})
	if r := get(t, srv.URL+"/api/v1/endpoints/statuses"); r.code != http.StatusOK {
		t.Errorf("statuses without security: %d, want 200", r.code)
	}
	if r := get(t, srv.URL+"/metrics"); r.code != http.StatusNotFound {
		t.Errorf("/metrics with metrics disabled: %d, want 404", r.code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var readyErr error
	srv := serve(t, Options{Monitors: newMonitorSet(), History: newMemStore(),
		Ready: func(ctx context.Context) error { return readyErr }})
	check := func(path string, code int, body, ctype string) {
		t.Helper()
		r := get(t, srv.URL+path)
		if r.code != code || r.body != body || r.header.Get("Content-Type") != ctype {
			t.Errorf("GET %s: %d %q %q, want %d %q %q", path, r.code, r.body, r.header.Get("Content-Type"), code, body, ctype)
		}
	}
	check("/healthz", 200, "ok", "text/plain; charset=utf-8")
	check("/readyz", 200, "ok", "text/plain; charset=utf-8")
	check("/health", 200, `{"status":"UP"}`, "application/json")
	readyErr = errors.New("raft: no leader")
	check("/readyz", 503, "not ready: raft: no leader\n", "text/plain; charset=utf-8")
	check("/healthz", 200, "ok", "text/plain; charset=utf-8")
}
