package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// FuzzExternalPush throws arbitrary keys, query strings and Authorization
// headers at the push route: it must answer one of Gatus's codes, never
// panic, and record a result exactly when it answers 200.
func FuzzExternalPush(f *testing.F) {
	f.Add("jobs_backup", "success=true&duration=1s", "Bearer s3cr3t-token")
	f.Add("jobs_backup", "success=false&error=boom", "Bearer s3cr3t-token")
	f.Add("jobs_backup", "success=true&duration=-3h", "Bearer s3cr3t-token")
	f.Add("jobs_backup", "success=true&duration=9999999999999999999h", "Bearer s3cr3t-token")
	f.Add("JOBS_BACKUP", "success=false&error=%ff%fe", "Bearer s3cr3t-token")
	f.Add("core_api", "success=true", "Bearer s3cr3t-token")
	f.Add("x/../y", "success=%zz", "Basic Zm9vOmJhcg==")
	f.Add("", ";;&&==", "Bearer ")
	f.Fuzz(func(t *testing.T, key, rawQuery, authorization string) {
		sink := &recordingSink{}
		h := New(Options{Monitors: newMonitorSet(externalMonitor(), httpMonitor()), History: newMemStore(),
			External: sink, Now: func() time.Time { return testNow }})
		target := "/api/v1/endpoints/" + url.PathEscape(key) + "/external?" + rawQuery
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://api"+target, nil)
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Authorization", authorization)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		pushed := sink.results()
		switch rec.Code {
		case http.StatusOK:
			if len(pushed) != 1 {
				t.Fatalf("200 with %d results recorded", len(pushed))
			}
			r := pushed[0]
			q, _ := url.ParseQuery(rawQuery)
			if r.Monitor != "jobs_backup" || r.Success != (q.Get("success") == "true") || r.Duration < 0 ||
				!r.Time.Equal(testNow) {
				t.Fatalf("recorded %+v for query %q", r, rawQuery)
			}
			if len(r.Errors) > 1 || (len(r.Errors) == 1 && (r.Success || len(r.Errors[0]) > maxPushedErrorBytes)) {
				t.Fatalf("recorded errors %q for query %q", r.Errors, rawQuery)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusMethodNotAllowed,
			http.StatusMovedPermanently, http.StatusTemporaryRedirect:
			// 301/307: ServeMux cleans paths such as "a/../b" by redirecting.
			if len(pushed) != 0 {
				t.Fatalf("status %d yet %d results recorded", rec.Code, len(pushed))
			}
		default:
			t.Fatalf("unexpected status %d (%s) for key %q query %q auth %q", rec.Code, rec.Body, key, rawQuery, authorization)
		}
	})
}

// FuzzPaging checks the page parameters: refused with 400, or a page the
// store is asked for that can never exceed the maximum shown.
func FuzzPaging(f *testing.F) {
	f.Add("1", "50", 100)
	f.Add("2", "999999", 10)
	f.Add("9223372036854775807", "9223372036854775807", 100)
	f.Add("-1", "0", 1)
	f.Add("abc", "", 5)
	f.Fuzz(func(t *testing.T, page, pageSize string, maxResults int) {
		if maxResults < 1 || maxResults > 1000 {
			return
		}
		q := url.Values{"page": {page}, "pageSize": {pageSize}}
		p, err := parsePaging(q, maxResults)
		if err != nil {
			return
		}
		if p.page < 1 || p.size < 1 || (p.page == 1 && p.size > maxResults) {
			t.Fatalf("parsePaging(%q, %q, %d) = %+v", page, pageSize, maxResults, p)
		}
		store := newMemStore()
		var rs []monitor.Result
		for i := range 30 {
			rs = append(rs, monitor.Result{Monitor: "k", Time: testNow.Add(time.Duration(i) * time.Second)})
		}
		appendResults(t, store, 1, rs)
		s := &server{history: store, maxResults: maxResults}
		got, err := s.resultsPage(context.Background(), "k", p)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > p.size || len(got) > maxResults {
			t.Fatalf("page %+v (max %d): %d results", p, maxResults, len(got))
		}
	})
}
