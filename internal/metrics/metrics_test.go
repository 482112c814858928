package metrics

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scrape fetches /metrics through a real HTTP server and returns the sample
// lines (no comments) of the families whose name starts with one of
// prefixes, in exposition order.
func scrape(t *testing.T, m *Metrics, prefixes ...string) []string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(body), "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				lines = append(lines, l)
				break
			}
		}
	}
	return lines
}

func spec(group, name string, kind monitor.Kind, extra map[string]string) *monitor.Spec {
	return &monitor.Spec{Key: monitor.Key(group, name), Group: group, Name: name, Kind: kind, ExtraLabels: extra}
}

func TestGatusResultMetrics(t *testing.T) {
	m := New("1.2.3")
	api := spec("core", "api", monitor.KindHTTP, map[string]string{"environment": "prod"})
	db := spec("", "db", monitor.KindTCP, nil)
	ns := spec("infra", "ns", monitor.KindDNS, map[string]string{"team": "net"})
	ext := spec("jobs", "backup", monitor.KindExternal, nil)

	m.ObserveResult(api, &monitor.Result{Success: true, Duration: 250 * time.Millisecond, Status: 200, Connected: true,
		CertificateExpiration: 720 * time.Hour})
	m.ObserveResult(api, &monitor.Result{Success: true, Duration: 150 * time.Millisecond, Status: 200, Connected: true,
		CertificateExpiration: 719 * time.Hour})
	m.ObserveResult(api, &monitor.Result{Success: false, Duration: 2 * time.Second, Status: 503, Connected: true})
	m.ObserveResult(db, &monitor.Result{Success: false, Duration: 10 * time.Second, Errors: []string{"timeout"}})
	m.ObserveResult(ns, &monitor.Result{Success: true, Duration: 5 * time.Millisecond, DNSRCode: "NOERROR", Connected: true,
		DomainExpiration: 1000 * time.Hour})
	m.ObserveResult(ext, &monitor.Result{Success: true, Duration: time.Minute})

	got := scrape(t, m, "gatus_")
	want := []string{
		`gatus_results_certificate_expiration_seconds{environment="prod",group="core",key="core_api",name="api",team="",type="HTTP"} 2.5884e+06`,
		`gatus_results_code_total{code="200",environment="prod",group="core",key="core_api",name="api",team="",type="HTTP"} 2`,
		`gatus_results_code_total{code="503",environment="prod",group="core",key="core_api",name="api",team="",type="HTTP"} 1`,
		`gatus_results_code_total{code="NOERROR",environment="",group="infra",key="infra_ns",name="ns",team="net",type="DNS"} 1`,
		`gatus_results_connected_total{environment="",group="infra",key="infra_ns",name="ns",team="net",type="DNS"} 1`,
		`gatus_results_connected_total{environment="prod",group="core",key="core_api",name="api",team="",type="HTTP"} 3`,
		`gatus_results_domain_expiration_seconds{environment="",group="infra",key="infra_ns",name="ns",team="net",type="DNS"} 3.6e+06`,
		`gatus_results_duration_seconds{environment="",group="",key="_db",name="db",team="",type="TCP"} 10`,
		`gatus_results_duration_seconds{environment="",group="infra",key="infra_ns",name="ns",team="net",type="DNS"} 0.005`,
		`gatus_results_duration_seconds{environment="",group="jobs",key="jobs_backup",name="backup",team="",type="UNKNOWN"} 60`,
		`gatus_results_duration_seconds{environment="prod",group="core",key="core_api",name="api",team="",type="HTTP"} 2`,
		`gatus_results_endpoint_success{environment="",group="",key="_db",name="db",team="",type="TCP"} 0`,
		`gatus_results_endpoint_success{environment="",group="infra",key="infra_ns",name="ns",team="net",type="DNS"} 1`,
		`gatus_results_endpoint_success{environment="",group="jobs",key="jobs_backup",name="backup",team="",type="UNKNOWN"} 1`,
		`gatus_results_endpoint_success{environment="prod",group="core",key="core_api",name="api",team="",type="HTTP"} 0`,
		`gatus_results_total{environment="",group="",key="_db",name="db",success="false",team="",type="TCP"} 1`,
		`gatus_results_total{environment="",group="infra",key="infra_ns",name="ns",success="true",team="net",type="DNS"} 1`,
		`gatus_results_total{environment="",group="jobs",key="jobs_backup",name="backup",success="true",team="",type="UNKNOWN"} 1`,
		`gatus_results_total{environment="prod",group="core",key="core_api",name="api",success="false",team="",type="HTTP"} 1`,
		`gatus_results_total{environment="prod",group="core",key="core_api",name="api",success="true",team="",type="HTTP"} 2`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gatus metrics (-want +got):\n%s", diff)
	}
}

func TestGatusMetricTypesAndHelp(t *testing.T) {
	m := New("dev")
	m.ObserveResult(spec("g", "n", monitor.KindHTTP, nil), &monitor.Result{Success: true, Status: 200, Connected: true,
		CertificateExpiration: time.Hour, DomainExpiration: time.Hour})
	got := scrapeComments(t, m, "gatus_")
	want := []string{
		"# HELP gatus_results_certificate_expiration_seconds Number of seconds until the certificate expires",
		"# TYPE gatus_results_certificate_expiration_seconds gauge",
		"# HELP gatus_results_code_total Total number of results by code",
		"# TYPE gatus_results_code_total counter",
		"# HELP gatus_results_connected_total Total number of results in which a connection was successfully established",
		"# TYPE gatus_results_connected_total counter",
		"# HELP gatus_results_domain_expiration_seconds Number of seconds until the domain expires",
		"# TYPE gatus_results_domain_expiration_seconds gauge",
		"# HELP gatus_results_duration_seconds Duration of the request in seconds",
		"# TYPE gatus_results_duration_seconds gauge",
		"# HELP gatus_results_endpoint_success Displays whether or not the endpoint was a success",
		"# TYPE gatus_results_endpoint_success gauge",
		"# HELP gatus_results_total Number of results per endpoint",
		"# TYPE gatus_results_total counter",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HELP/TYPE lines (-want +got):\n%s", diff)
	}
}

func scrapeComments(t *testing.T, m *Metrics, prefix string) []string {
	t.Helper()
	return scrape(t, m, "# HELP "+prefix, "# TYPE "+prefix)
}

func TestForgetDropsSeries(t *testing.T) {
	m := New("dev")
	a := spec("", "a", monitor.KindHTTP, nil)
	b := spec("", "b", monitor.KindHTTP, nil)
	m.ObserveResult(a, &monitor.Result{Success: true})
	m.ObserveResult(b, &monitor.Result{Success: true})
	m.Forget("_a")
	m.Forget("_unknown") // no-op
	got := scrape(t, m, "gatus_results_total")
	want := []string{`gatus_results_total{group="",key="_b",name="b",success="true",type="HTTP"} 1`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Forget (-want +got):\n%s", diff)
	}
	m.Forget("_b")
	if got := scrape(t, m, "gatus_"); len(got) != 0 {
		t.Errorf("after forgetting every monitor, gatus series remain: %q", got)
	}
}

func TestReloadKeepsCountersUnlessLabelsChange(t *testing.T) {
	m := New("dev")
	v1 := spec("g", "n", monitor.KindHTTP, map[string]string{"env": "a"})
	m.ObserveResult(v1, &monitor.Result{Success: true})
	// A reload builds a new, equal spec: the counter continues.
	v2 := spec("g", "n", monitor.KindHTTP, map[string]string{"env": "a"})
	m.ObserveResult(v2, &monitor.Result{Success: true})
	want := []string{`gatus_results_total{env="a",group="g",key="g_n",name="n",success="true",type="HTTP"} 2`}
	if diff := cmp.Diff(want, scrape(t, m, "gatus_results_total")); diff != "" {
		t.Errorf("same labels (-want +got):\n%s", diff)
	}
	// A reload that changes a label value starts a new series.
	v3 := spec("g", "n", monitor.KindHTTP, map[string]string{"env": "b"})
	m.ObserveResult(v3, &monitor.Result{Success: true})
	want = []string{`gatus_results_total{env="b",group="g",key="g_n",name="n",success="true",type="HTTP"} 1`}
	if diff := cmp.Diff(want, scrape(t, m, "gatus_results_total")); diff != "" {
		t.Errorf("changed labels (-want +got):\n%s", diff)
	}
}

func TestBadLabelsNeverPanic(t *testing.T) {
	m := New("dev")
	s := &monitor.Spec{Key: "k\xff", Group: "gr\xffoup", Name: "n", Kind: monitor.KindHTTP, ExtraLabels: map[string]string{
		"ok_label": "v\xfe", "9starts_with_digit": "x", "has-dash": "x", "__reserved": "x",
		"key": "x", "code": "x", "": "x",
	}}
	m.ObserveResult(s, &monitor.Result{Success: true})
	m.ObserveResult(nil, &monitor.Result{Success: true})
	m.ObserveResult(s, nil)
	got := scrape(t, m, "gatus_results_total")
	want := []string{"gatus_results_total{group=\"gr\uFFFDoup\",key=\"k\uFFFD\",name=\"n\",ok_label=\"v\uFFFD\",success=\"true\",type=\"HTTP\"} 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sanitised labels (-want +got):\n%s", diff)
	}
}

func TestCodeSeriesAreBounded(t *testing.T) {
	m := New("dev")
	s := spec("", "flappy", monitor.KindHTTP, nil)
	for code := 100; code < 100+maxCodesPerMonitor+10; code++ {
		m.ObserveResult(s, &monitor.Result{Status: code})
	}
	got := scrape(t, m, "gatus_results_code_total")
	if len(got) != maxCodesPerMonitor+1 {
		t.Fatalf("got %d code series, want %d", len(got), maxCodesPerMonitor+1)
	}
	wantOther := `gatus_results_code_total{code="other",group="",key="_flappy",name="flappy",type="HTTP"} 10`
	if !slices.Contains(got, wantOther) {
		t.Errorf("missing %s in %q", wantOther, got)
	}
}

func TestCustodesMetrics(t *testing.T) {
	m := New("1.2.3")
	h := spec("", "web", monitor.KindHTTP, nil)
	m.ObserveResult(h, &monitor.Result{Success: true, Duration: 3 * time.Millisecond})
	m.ObserveResult(h, &monitor.Result{Success: false, Duration: 40 * time.Second})
	m.ObserveResult(spec("", "x", monitor.KindExternal, nil), &monitor.Result{Success: true})
	m.ObserveResult(spec("", "y", "SMTP", nil), &monitor.Result{Success: false, Duration: time.Second})
	m.CheckStarted()
	m.CheckStarted()
	m.CheckFinished()
	m.ObserveQueueDelay(20 * time.Millisecond)
	m.ObserveQueueDelay(2 * time.Second)
	m.ObserveHistoryFlush(30*time.Millisecond, 120, nil)
	m.ObserveHistoryFlush(2*time.Second, 7, errors.New("disk full"))

	got := scrape(t, m,
		"custodes_checks_total{",
		"custodes_checks_running", "custodes_build_info",
		"custodes_check_duration_seconds_bucket{type=\"HTTP\",le=\"0.005\"}", "custodes_check_duration_seconds_bucket{type=\"HTTP\",le=\"30\"}",
		"custodes_check_duration_seconds_bucket{type=\"HTTP\",le=\"+Inf\"}", "custodes_check_duration_seconds_count{type=\"HTTP\"}",
		"custodes_scheduler_queue_delay_seconds_bucket{le=\"0.05\"}", "custodes_scheduler_queue_delay_seconds_count",
		"custodes_scheduler_queue_delay_seconds_sum",
		"custodes_history_flush_batch_size_bucket{le=\"100\"}", "custodes_history_flush_batch_size_bucket{le=\"250\"}",
		"custodes_history_flush_batch_size_sum", "custodes_history_flush_duration_seconds_count",
		"custodes_history_flush_errors_total",
	)
	want := []string{
		`custodes_build_info{goversion="` + runtime.Version() + `",version="1.2.3"} 1`,
		`custodes_check_duration_seconds_bucket{type="HTTP",le="0.005"} 1`,
		`custodes_check_duration_seconds_bucket{type="HTTP",le="30"} 1`,
		`custodes_check_duration_seconds_bucket{type="HTTP",le="+Inf"} 2`,
		`custodes_check_duration_seconds_count{type="HTTP"} 2`,
		`custodes_checks_running 1`,
		// Every known type is initialised at zero, so rates exist from
		// the first scrape.
		`custodes_checks_total{outcome="failure",type="DNS"} 0`,
		`custodes_checks_total{outcome="failure",type="HTTP"} 1`,
		`custodes_checks_total{outcome="failure",type="ICMP"} 0`,
		`custodes_checks_total{outcome="failure",type="PUSH"} 0`,
		`custodes_checks_total{outcome="failure",type="SMTP"} 1`,
		`custodes_checks_total{outcome="failure",type="STARTTLS"} 0`,
		`custodes_checks_total{outcome="failure",type="TCP"} 0`,
		`custodes_checks_total{outcome="failure",type="TLS"} 0`,
		`custodes_checks_total{outcome="failure",type="UDP"} 0`,
		`custodes_checks_total{outcome="failure",type="UNKNOWN"} 0`,
		`custodes_checks_total{outcome="success",type="DNS"} 0`,
		`custodes_checks_total{outcome="success",type="HTTP"} 1`,
		`custodes_checks_total{outcome="success",type="ICMP"} 0`,
		`custodes_checks_total{outcome="success",type="PUSH"} 0`,
		`custodes_checks_total{outcome="success",type="SMTP"} 0`,
		`custodes_checks_total{outcome="success",type="STARTTLS"} 0`,
		`custodes_checks_total{outcome="success",type="TCP"} 0`,
		`custodes_checks_total{outcome="success",type="TLS"} 0`,
		`custodes_checks_total{outcome="success",type="UDP"} 0`,
		`custodes_checks_total{outcome="success",type="UNKNOWN"} 1`,
		`custodes_history_flush_batch_size_bucket{le="100"} 1`,
		`custodes_history_flush_batch_size_bucket{le="250"} 2`,
		`custodes_history_flush_batch_size_sum 127`,
		`custodes_history_flush_duration_seconds_count 2`,
		`custodes_history_flush_errors_total 1`,
		`custodes_scheduler_queue_delay_seconds_bucket{le="0.05"} 1`,
		`custodes_scheduler_queue_delay_seconds_sum 2.02`,
		`custodes_scheduler_queue_delay_seconds_count 2`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("custodes metrics (-want +got):\n%s", diff)
	}
}

func TestRuntimeAndHandlerMetricsPresent(t *testing.T) {
	m := New("dev")
	for _, family := range []string{"go_goroutines ", "process_start_time_seconds ", "promhttp_metric_handler_requests_total{code=\"200\"}"} {
		// The handler counts the scrape after serving it: scrape twice.
		scrape(t, m, family)
		if got := scrape(t, m, family); len(got) != 1 {
			t.Errorf("family %q: got %q, want one sample", family, got)
		}
	}
}

// TestConcurrentObserveAndScrape runs writers and scrapers together; the
// race detector checks the lock-free paths and the final count is exact.
func TestConcurrentObserveAndScrape(t *testing.T) {
	m := New("dev")
	specs := []*monitor.Spec{spec("", "a", monitor.KindHTTP, nil), spec("", "b", monitor.KindTCP, nil)}
	const writers, perWriter = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				s := specs[(w+i)%2]
				if i%100 == 0 { // reloads race with observations
					s = spec(s.Group, s.Name, s.Kind, nil)
				}
				m.ObserveResult(s, &monitor.Result{Success: true, Status: 200 + i%3})
			}
		}()
	}
	for range 5 {
		scrape(t, m, "gatus_")
	}
	wg.Wait()
	got := scrape(t, m, "gatus_results_total")
	want := []string{
		`gatus_results_total{group="",key="_a",name="a",success="true",type="HTTP"} 2000`,
		`gatus_results_total{group="",key="_b",name="b",success="true",type="TCP"} 2000`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after concurrent writes (-want +got):\n%s", diff)
	}
}

func BenchmarkObserveResult(b *testing.B) {
	m := New("dev")
	specs := make([]*monitor.Spec, 1000)
	for i := range specs {
		specs[i] = spec("group", fmt.Sprintf("monitor-%04d", i), monitor.KindHTTP, map[string]string{"env": "prod"})
	}
	r := &monitor.Result{Success: true, Duration: 120 * time.Millisecond, Status: 200, Connected: true,
		CertificateExpiration: 48 * time.Hour}
	for _, s := range specs {
		m.ObserveResult(s, r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.ObserveResult(specs[i%len(specs)], r)
			i++
		}
	})
}

func BenchmarkScrape(b *testing.B) {
	m := New("dev")
	for i := range 1000 {
		s := spec("group", fmt.Sprintf("monitor-%04d", i), monitor.KindHTTP, map[string]string{"env": "prod"})
		m.ObserveResult(s, &monitor.Result{Success: true, Status: 200, Connected: true})
	}
	h := m.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func TestNotificationCounters(t *testing.T) {
	m := New("test")
	m.ObserveNotification("webhook", nil, false)
	m.ObserveNotification("webhook", errors.New("500"), true)
	m.ObserveNotification("webhook", nil, true)
	body := strings.Join(scrape(t, m, "custodes_notifications"), "\n") + "\n"
	for _, want := range []string{
		`custodes_notifications_total{outcome="delivered",provider="webhook"} 2`,
		`custodes_notifications_total{outcome="failed",provider="webhook"} 1`,
		`custodes_notifications_resent_total{provider="webhook"} 2`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
