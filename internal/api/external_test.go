package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/monitor"
)

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

func TestExternalPush(t *testing.T) {
	const ok = "s3cr3t-token"
	longErr := strings.Repeat("é", 600) // 1200 bytes
	cases := []struct {
		name     string
		path     string // after /api/v1/endpoints/
		header   http.Header
		wantCode int
		wantBody string
		want     *monitor.Result // what the sink receives, if anything
	}{
		{"success", "jobs_backup/external?success=true&duration=1.5s", bearer(ok), 200, "",
			&monitor.Result{Monitor: "jobs_backup", Node: "n1", Time: testNow, Success: true, Duration: 1500 * time.Millisecond}},
		{"failure with error", "jobs_backup/external?success=false&error=" + url.QueryEscape("backup failed: disk full"), bearer(ok), 200, "",
			&monitor.Result{Monitor: "jobs_backup", Node: "n1", Time: testNow, Errors: []string{"backup failed: disk full"}}},
		{"error ignored on success", "jobs_backup/external?success=true&error=nope", bearer(ok), 200, "",
			&monitor.Result{Monitor: "jobs_backup", Node: "n1", Time: testNow, Success: true}},
		{"upper-case key", "JOBS_BACKUP/external?success=true", bearer(ok), 200, "",
			&monitor.Result{Monitor: "jobs_backup", Node: "n1", Time: testNow, Success: true}},
		{"token with spaces around", "jobs_backup/external?success=true", http.Header{"Authorization": {"Bearer   " + ok + "  "}}, 200, "",
			&monitor.Result{Monitor: "jobs_backup", Node: "n1", Time: testNow, Success: true}},
		{"long error truncated", "jobs_backup/external?success=false&error=" + url.QueryEscape(longErr), bearer(ok), 200, "",
			&monitor.Result{Monitor: "jobs_backup", Node: "n1", Time: testNow, Errors: []string{longErr[:1024]}}},

		{"missing success", "jobs_backup/external", bearer(ok), 400, "missing or invalid success query parameter\n", nil},
		{"bad success", "jobs_backup/external?success=yes", bearer(ok), 400, "missing or invalid success query parameter\n", nil},
		{"success checked before auth", "jobs_backup/external?success=1", nil, 400, "missing or invalid success query parameter\n", nil},
		{"no header", "jobs_backup/external?success=true", nil, 401, "invalid Authorization header\n", nil},
		{"basic, not bearer", "jobs_backup/external?success=true", http.Header{"Authorization": {"Basic YTpi"}}, 401, "invalid Authorization header\n", nil},
		// HTTP drops trailing blanks of header values: "Bearer   " is "Bearer".
		{"empty token", "jobs_backup/external?success=true", http.Header{"Authorization": {"Bearer    "}}, 401, "invalid Authorization header\n", nil},
		{"wrong token", "jobs_backup/external?success=true", bearer("guess"), 401, "invalid token\n", nil},
		{"token prefix", "jobs_backup/external?success=true", bearer("s3cr3t"), 401, "invalid token\n", nil},
		{"unknown key", "nope/external?success=true", bearer(ok), 404, "not found\n", nil},
		{"not an external endpoint", "core_api/external?success=true", bearer(ok), 404, "not found\n", nil},
		{"unknown key before bad duration", "nope/external?success=true&duration=x", bearer(ok), 404, "not found\n", nil},
		{"bad duration", "jobs_backup/external?success=true&duration=fast", bearer(ok), 400, "invalid duration: time: invalid duration \"fast\"\n", nil},
		{"negative duration", "jobs_backup/external?success=true&duration=-1s", bearer(ok), 400, "invalid duration: \"-1s\" is negative\n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &recordingSink{}
			noToken := externalMonitor()
			noToken.Key, noToken.Name, noToken.ExternalToken = "jobs_notoken", "notoken", ""
			srv := serve(t, Options{Monitors: newMonitorSet(externalMonitor(), httpMonitor(), noToken),
				History: newMemStore(), External: sink, Node: "n1"})
			r := do(t, http.MethodPost, srv.URL+"/api/v1/endpoints/"+c.path, c.header)
			if r.code != c.wantCode || r.body != c.wantBody {
				t.Errorf("got %d %q, want %d %q", r.code, r.body, c.wantCode, c.wantBody)
			}
			var want []monitor.Result
			if c.want != nil {
				want = []monitor.Result{*c.want}
			}
			if diff := cmp.Diff(want, sink.results()); diff != "" {
				t.Errorf("sink received (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePushAuth(t *testing.T) {
	q := url.Values{"success": {"true"}}
	cases := []struct {
		header string
		want   *pushError
		token  string
	}{
		{"Bearer abc", nil, "abc"},
		{"Bearer  abc \t", nil, "abc"},
		{"Bearer    ", &pushError{401, "bearer token must not be empty"}, ""},
		{"Bearer", &pushError{401, "invalid Authorization header"}, ""},
		{"bearer abc", &pushError{401, "invalid Authorization header"}, ""},
		{"", &pushError{401, "invalid Authorization header"}, ""},
	}
	for _, c := range cases {
		p, err := parsePushAuth(q, c.header)
		if diff := cmp.Diff(c.want, err, cmp.AllowUnexported(pushError{})); diff != "" {
			t.Errorf("header %q: error (-want +got):\n%s", c.header, diff)
		}
		if err == nil && (p.token != c.token || !p.success) {
			t.Errorf("header %q: got %+v, want token %q and success", c.header, p, c.token)
		}
	}
}

func TestExternalPushRefusals(t *testing.T) {
	noToken := externalMonitor()
	noToken.ExternalToken = ""
	t.Run("endpoint without token accepts nothing", func(t *testing.T) {
		sink := &recordingSink{}
		srv := serve(t, Options{Monitors: newMonitorSet(noToken), History: newMemStore(), External: sink})
		r := do(t, http.MethodPost, srv.URL+"/api/v1/endpoints/jobs_backup/external?success=true", bearer("x"))
		if r.code != http.StatusUnauthorized || len(sink.results()) != 0 {
			t.Errorf("got %d, %d pushes; want 401 and none", r.code, len(sink.results()))
		}
	})
	t.Run("no sink", func(t *testing.T) {
		srv := serve(t, Options{Monitors: newMonitorSet(externalMonitor()), History: newMemStore()})
		r := do(t, http.MethodPost, srv.URL+"/api/v1/endpoints/jobs_backup/external?success=true", bearer("s3cr3t-token"))
		if r.code != http.StatusNotFound {
			t.Errorf("got %d, want 404", r.code)
		}
	})
	t.Run("sink failure", func(t *testing.T) {
		sink := &recordingSink{failure: errBoom}
		srv := serve(t, Options{Monitors: newMonitorSet(externalMonitor()), History: newMemStore(), External: sink})
		r := do(t, http.MethodPost, srv.URL+"/api/v1/endpoints/jobs_backup/external?success=true", bearer("s3cr3t-token"))
		if r.code != http.StatusInternalServerError || !strings.Contains(r.body, errBoom.Error()) {
			t.Errorf("got %d %q, want 500 naming the sink error", r.code, r.body)
		}
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		srv := serve(t, Options{Monitors: newMonitorSet(externalMonitor()), History: newMemStore(), External: &recordingSink{}})
		r := get(t, srv.URL+"/api/v1/endpoints/jobs_backup/external?success=true")
		if r.code != http.StatusMethodNotAllowed || r.header.Get("Allow") != "POST" {
			t.Errorf("got %d Allow=%q, want 405 Allow=POST", r.code, r.header.Get("Allow"))
		}
	})
}

func TestOversizedBodies(t *testing.T) {
	sink := &recordingSink{}
	srv := serve(t, Options{Monitors: newMonitorSet(externalMonitor()), History: newMemStore(), External: sink})
	url := srv.URL + "/api/v1/endpoints/jobs_backup/external?success=true"
	big := strings.Repeat("x", maxBodyBytes+1)

	// Declared length over the limit.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(big))
	req.Header.Set("Authorization", "Bearer s3cr3t-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("declared oversized body: %d, want 413", resp.StatusCode)
	}
	// Chunked, so only reading finds it out.
	req, _ = http.NewRequest(http.MethodPost, url, struct{ *strings.Reader }{strings.NewReader(big)})
	req.Header.Set("Authorization", "Bearer s3cr3t-token")
	req.ContentLength = -1
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked oversized body: %d, want 413", resp.StatusCode)
	}
	if n := len(sink.results()); n != 0 {
		t.Errorf("%d oversized pushes recorded, want 0", n)
	}
	// A small body is read and ignored.
	req, _ = http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer s3cr3t-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(sink.results()) != 1 {
		t.Errorf("small body: %d with %d pushes, want 200 and 1", resp.StatusCode, len(sink.results()))
	}
}
