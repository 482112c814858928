// Package metrics exposes custodes' Prometheus metrics on a registry of its
// own (never the global one): Gatus's per-endpoint result metrics, with the
// same names, types and labels, so existing dashboards and alert rules keep
// working, plus custodes' own operational metrics (prefix custodes_).
//
// ObserveResult is on the checking hot path. It keeps one small record of
// atomic counters per monitor, found through a lock-free map, and renders
// the Gatus series only when Prometheus scrapes; a steady-state call does
// not allocate.
package metrics

import (
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// Metrics holds custodes' registry and every collector on it. All methods
// are safe for concurrent use. The zero value is not usable; call New.
type Metrics struct {
	registry *prometheus.Registry
	handler  http.Handler
	results  *resultCollector

	// checks and checkDuration are resolved per monitor kind once, in New,
	// so ObserveResult never builds label values.
	checks        map[monitor.Kind]*kindSeries
	checksVec     *prometheus.CounterVec
	durationVec   *prometheus.HistogramVec
	queueDelay    prometheus.Histogram
	running       prometheus.Gauge
	flushDuration prometheus.Histogram
	flushBatch    prometheus.Histogram
	flushErrors   prometheus.Counter
	notify        notifySeries
}

// kindSeries are the custodes_ series of one monitor kind.
type kindSeries struct {
	success, failure prometheus.Counter
	duration         prometheus.Observer
}

// allKinds are the kinds whose series New resolves in advance.
var allKinds = []monitor.Kind{
	monitor.KindHTTP, monitor.KindTCP, monitor.KindUDP, monitor.KindDNS,
	monitor.KindTLS, monitor.KindSTARTTLS, monitor.KindICMP,
	monitor.KindExternal, monitor.KindPush,
}

// New builds the registry: Gatus's result metrics, custodes' own, the Go
// runtime and process collectors, and custodes_build_info{version}.
func New(version string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		results:  newResultCollector(),
		checks:   make(map[monitor.Kind]*kindSeries, len(allKinds)),
		checksVec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodes_checks_total",
			Help: "Checks run by this node, by monitor type and outcome (success or failure).",
		}, []string{"type", "outcome"}),
		durationVec: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "custodes_check_duration_seconds",
			Help:    "Duration of the checks run by this node, by monitor type.",
			Buckets: durationBuckets(history.LatencyBounds),
		}, []string{"type"}),
		queueDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "custodes_scheduler_queue_delay_seconds",
			Help:    "How late checks started compared to when they were due.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 5, 10, 30},
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "custodes_checks_running",
			Help: "Checks running right now on this node.",
		}),
		flushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "custodes_history_flush_duration_seconds",
			Help:    "Time taken to write one batch of results to the history store.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		flushBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "custodes_history_flush_batch_size",
			Help:    "Number of results in one batch written to the history store.",
			Buckets: []float64{1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000},
		}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "custodes_history_flush_errors_total",
			Help: "Batches the history store failed to write.",
		}),
		notify: newNotifySeries(),
	}
	for _, k := range allKinds {
		m.checks[k] = m.resolveKind(k)
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "custodes_build_info",
		Help:        "Always 1; the labels say which custodes build is running.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	reg.MustRegister(
		m.results, m.checksVec, m.durationVec, m.queueDelay, m.running,
		m.flushDuration, m.flushBatch, m.flushErrors, m.notify.sent, m.notify.resends, m.notify.skew, m.notify.drift, buildInfo,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Gatus serves its registry uncompressed and instrumented the same way.
	m.handler = promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		DisableCompression: true,
		Registry:           reg,
	}))
	return m
}

func durationBuckets(bounds []time.Duration) []float64 {
	b := make([]float64, len(bounds))
	for i, d := range bounds {
		b[i] = d.Seconds()
	}
	return b
}

func (m *Metrics) resolveKind(k monitor.Kind) *kindSeries {
	t := gatusType(k)
	return &kindSeries{
		success:  m.checksVec.WithLabelValues(t, "success"),
		failure:  m.checksVec.WithLabelValues(t, "failure"),
		duration: m.durationVec.WithLabelValues(t),
	}
}

// ObserveResult records one result of the monitor spec: Gatus's
// gatus_results_* series for the monitor and custodes_checks_total /
// custodes_check_duration_seconds for its type. Nil arguments are ignored.
func (m *Metrics) ObserveResult(spec *monitor.Spec, r *monitor.Result) {
	if spec == nil || r == nil {
		return
	}
	m.results.observe(spec, r)
	ks, ok := m.checks[spec.Kind]
	if !ok {
		ks = m.resolveKind(spec.Kind)
	}
	if r.Success {
		ks.success.Inc()
	} else {
		ks.failure.Inc()
	}
	ks.duration.Observe(r.Duration.Seconds())
}

// Forget drops the gatus_results_* series of a removed monitor. Call it
// once the monitor's checks have stopped: a later ObserveResult for the key
// starts its series again from zero.
func (m *Metrics) Forget(key string) { m.results.forget(key) }

// Handler serves the registry in the Prometheus text format (for
// /metrics).
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registerer lets other components (cluster, notifiers) add their own
// collectors to the same registry.
func (m *Metrics) Registerer() prometheus.Registerer { return m.registry }

// Gatherer returns the registry, for tests and for remote write.
func (m *Metrics) Gatherer() prometheus.Gatherer { return m.registry }

// ObserveQueueDelay records how late the scheduler started a check.
func (m *Metrics) ObserveQueueDelay(d time.Duration) { m.queueDelay.Observe(d.Seconds()) }

// CheckStarted counts a check as running until CheckFinished is called.
func (m *Metrics) CheckStarted() { m.running.Inc() }

// CheckFinished ends what CheckStarted began.
func (m *Metrics) CheckFinished() { m.running.Dec() }

// ObserveHistoryFlush records one write of a batch of results to the
// history store: its duration and size, and whether it failed.
func (m *Metrics) ObserveHistoryFlush(d time.Duration, results int, err error) {
	m.flushDuration.Observe(d.Seconds())
	m.flushBatch.Observe(float64(results))
	if err != nil {
		m.flushErrors.Inc()
	}
}

// gatusType is the `type` label Gatus gives an endpoint. Gatus's external
// endpoints have no URL, so Gatus reports them as UNKNOWN.
func gatusType(k monitor.Kind) string {
	switch k {
	case monitor.KindExternal, "":
		return "UNKNOWN"
	}
	return string(k)
}
