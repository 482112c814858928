package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testNow is the fixed clock of the tests: half past two.
var testNow = time.Date(2025, 3, 10, 14, 30, 0, 0, time.UTC)

// monitorSet is a fixed Monitors.
type monitorSet struct{ specs []*monitor.Spec }

func newMonitorSet(specs ...*monitor.Spec) *monitorSet {
	s := &monitorSet{specs: slices.Clone(specs)}
	slices.SortFunc(s.specs, func(a, b *monitor.Spec) int { return strings.Compare(a.Key, b.Key) })
	return s
}

func (s *monitorSet) Monitors() []*monitor.Spec { return s.specs }

func (s *monitorSet) Monitor(key string) (*monitor.Spec, bool) {
	for _, sp := range s.specs {
		if sp.Key == key {
			return sp, true
		}
	}
	return nil, false
}

// recordingSink is an ExternalSink that keeps what it is given and can
// write it to a history store, as the app's sink does.
type recordingSink struct {
	mu      sync.Mutex
	pushed  []monitor.Result
	store   history.Store
	seq     uint64
	failure error
}

func (s *recordingSink) PushExternal(ctx context.Context, r monitor.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure != nil {
		return s.failure
	}
	s.pushed = append(s.pushed, r)
	if s.store != nil {
		s.seq++
		if _, err := s.store.Append(ctx, history.Batch{Origin: "n1", Seq: s.seq, Results: []monitor.Result{r}}); err != nil {
			return err
		}
	}
	return nil
}

func (s *recordingSink) results() []monitor.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.pushed)
}

// appendResults writes results (and events) to store as one batch.
func appendResults(t testing.TB, store history.Store, seq uint64, results []monitor.Result, events ...history.Event) {
	t.Helper()
	applied, err := store.Append(context.Background(), history.Batch{Origin: "n1", Seq: seq, Results: results, Events: events})
	if err != nil || !applied {
		t.Fatalf("append batch %d: applied=%v err=%v", seq, applied, err)
	}
}

// serve starts the API on a loopback HTTP server.
func serve(t testing.TB, o Options) *httptest.Server {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	return srv
}

// response is what a test needs of an HTTP answer.
type response struct {
	code   int
	header http.Header
	body   string
}

func do(t testing.TB, method, url string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, nil)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, url, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("read %s %s: %v", method, url, err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: string(body)}
}

func get(t testing.TB, url string) response { return do(t, http.MethodGet, url, nil) }

var errBoom = errors.New("disk on fire")

// Fixture monitors.
func httpMonitor() *monitor.Spec {
	return &monitor.Spec{Key: "core_api", Group: "core", Name: "api", Kind: monitor.KindHTTP,
		URL: "https://api.example.com/health", Enabled: true}
}

func tcpMonitor() *monitor.Spec {
	return &monitor.Spec{Key: "_db", Name: "db", Kind: monitor.KindTCP, URL: "tcp://db.internal:5432", Enabled: true}
}

func externalMonitor() *monitor.Spec {
	return &monitor.Spec{Key: "jobs_backup", Group: "jobs", Name: "backup", Kind: monitor.KindExternal,
		ExternalToken: "s3cr3t-token", Enabled: true}
}
