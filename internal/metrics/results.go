package metrics

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/custodes/custodes/internal/monitor"
)

// Gatus's metric names and help texts (TwiN/gatus metrics/metrics.go).
const (
	nameResultsTotal     = "gatus_results_total"
	nameDuration         = "gatus_results_duration_seconds"
	nameConnectedTotal   = "gatus_results_connected_total"
	nameCodeTotal        = "gatus_results_code_total"
	nameCertExpiration   = "gatus_results_certificate_expiration_seconds"
	nameDomainExpiration = "gatus_results_domain_expiration_seconds"
	nameEndpointSuccess  = "gatus_results_endpoint_success"

	helpResultsTotal     = "Number of results per endpoint"
	helpDuration         = "Duration of the request in seconds"
	helpConnectedTotal   = "Total number of results in which a connection was successfully established"
	helpCodeTotal        = "Total number of results by code"
	helpCertExpiration   = "Number of seconds until the certificate expires"
	helpDomainExpiration = "Number of seconds until the domain expires"
	helpEndpointSuccess  = "Displays whether or not the endpoint was a success"
)

// Gatus's own labels; extra-labels may not reuse them.
const (
	labelKey     = "key"
	labelGroup   = "group"
	labelName    = "name"
	labelType    = "type"
	labelSuccess = "success"
	labelCode    = "code"
)

const (
	// maxCodesPerMonitor bounds the code series of one monitor; further
	// codes are counted under otherCodeLabel.
	maxCodesPerMonitor  = 64
	otherCodeLabel      = "other"
	maxLabelValueLength = 1024
)

// resultCollector renders the gatus_results_* families from per-monitor
// records. It is an unchecked collector (Describe sends nothing) because
// the extra labels are the union of the monitors' extra-labels, which
// changes as monitors come and go, as Gatus computes it on (re)load.
type resultCollector struct {
	mu     sync.Mutex // serialises record replacement; observe's fast path does not take it
	series sync.Map   // key -> *record
}

// record holds one monitor's counters; its label values are fixed.
type record struct {
	spec atomic.Pointer[monitor.Spec]

	key, group, name, typ string
	extra                 map[string]string

	failures, successes  atomic.Uint64
	connected            atomic.Uint64
	durationBits         atomic.Uint64 // float64 seconds of the last result
	success              atomic.Bool   // of the last result
	certBits, domainBits atomic.Uint64 // float64 seconds; 0 bits until first set
	certSet, domainSet   atomic.Bool

	codesMu sync.Mutex
	codes   []codeCount
}

// codeCount counts one result code: an HTTP status (status != 0) or a DNS
// rcode. Codes are kept as numbers so counting never formats a string.
type codeCount struct {
	status int
	rcode  string
	n      uint64
}

func newResultCollector() *resultCollector { return &resultCollector{} }

func newRecord(spec *monitor.Spec) *record {
	r := &record{
		key:   cleanValue(spec.Key),
		group: cleanValue(spec.Group),
		name:  cleanValue(spec.Name),
		typ:   gatusType(spec.Kind),
	}
	if len(spec.ExtraLabels) > 0 {
		r.extra = make(map[string]string, len(spec.ExtraLabels))
		for k, v := range spec.ExtraLabels {
			if validExtraLabel(k) {
				r.extra[k] = cleanValue(v)
			}
		}
	}
	r.spec.Store(spec)
	return r
}

// sameLabels reports whether spec would give r's label values.
func (r *record) sameLabels(o *record) bool {
	return r.key == o.key && r.group == o.group && r.name == o.name &&
		r.typ == o.typ && maps.Equal(r.extra, o.extra)
}

// lookup returns the record of spec, creating or relabelling it when spec
// is new (a config reload builds new specs; counters survive a reload that
// keeps the labels, as they would in one Gatus process).
func (c *resultCollector) lookup(spec *monitor.Spec) *record {
	if v, ok := c.series.Load(spec.Key); ok {
		if r := v.(*record); r.spec.Load() == spec {
			return r
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := newRecord(spec)
	if v, ok := c.series.Load(spec.Key); ok {
		r := v.(*record)
		if r.spec.Load() == spec {
			return r
		}
		if r.sameLabels(fresh) {
			r.spec.Store(spec)
			return r
		}
	}
	c.series.Store(spec.Key, fresh)
	return fresh
}

func (c *resultCollector) observe(spec *monitor.Spec, res *monitor.Result) {
	r := c.lookup(spec)
	if res.Success {
		r.successes.Add(1)
	} else {
		r.failures.Add(1)
	}
	r.durationBits.Store(math.Float64bits(res.Duration.Seconds()))
	r.success.Store(res.Success)
	if res.Connected {
		r.connected.Add(1)
	}
	if res.DNSRCode != "" {
		r.countCode(0, res.DNSRCode)
	}
	if res.Status != 0 {
		r.countCode(res.Status, "")
	}
	if res.CertificateExpiration != 0 {
		r.certBits.Store(math.Float64bits(res.CertificateExpiration.Seconds()))
		r.certSet.Store(true)
	}
	if res.DomainExpiration != 0 {
		r.domainBits.Store(math.Float64bits(res.DomainExpiration.Seconds()))
		r.domainSet.Store(true)
	}
}

func (r *record) countCode(status int, rcode string) {
	r.codesMu.Lock()
	defer r.codesMu.Unlock()
	for i := range r.codes {
		if r.codes[i].status == status && r.codes[i].rcode == rcode {
			r.codes[i].n++
			return
		}
	}
	if len(r.codes) >= maxCodesPerMonitor {
		// A misbehaving target cannot grow the series without bound.
		status, rcode = 0, otherCodeLabel
		for i := range r.codes {
			if r.codes[i].status == 0 && r.codes[i].rcode == otherCodeLabel {
				r.codes[i].n++
				return
			}
		}
	}
	r.codes = append(r.codes, codeCount{status: status, rcode: rcode, n: 1})
}

func (c *resultCollector) forget(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.series.Delete(key)
}

// Describe sends nothing: the collector is unchecked (see resultCollector).
func (c *resultCollector) Describe(chan<- *prometheus.Desc) {}

// Collect renders every monitor's series, each family with the sorted union
// of all monitors' extra labels (empty where a monitor lacks one), as Gatus
// does.
func (c *resultCollector) Collect(ch chan<- prometheus.Metric) {
	var records []*record
	names := map[string]struct{}{}
	c.series.Range(func(_, v any) bool {
		r := v.(*record)
		records = append(records, r)
		for k := range r.extra {
			names[k] = struct{}{}
		}
		return true
	})
	if len(records) == 0 {
		return
	}
	extra := slices.Sorted(maps.Keys(names))
	base := append([]string{labelKey, labelGroup, labelName, labelType}, extra...)
	with := func(l string) []string {
		return append([]string{labelKey, labelGroup, labelName, labelType, l}, extra...)
	}
	var (
		total     = prometheus.NewDesc(nameResultsTotal, helpResultsTotal, with(labelSuccess), nil)
		duration  = prometheus.NewDesc(nameDuration, helpDuration, base, nil)
		connected = prometheus.NewDesc(nameConnectedTotal, helpConnectedTotal, base, nil)
		code      = prometheus.NewDesc(nameCodeTotal, helpCodeTotal, with(labelCode), nil)
		cert      = prometheus.NewDesc(nameCertExpiration, helpCertExpiration, base, nil)
		domain    = prometheus.NewDesc(nameDomainExpiration, helpDomainExpiration, base, nil)
		success   = prometheus.NewDesc(nameEndpointSuccess, helpEndpointSuccess, base, nil)
	)
	for _, r := range records {
		values := make([]string, 0, len(base))
		values = append(values, r.key, r.group, r.name, r.typ)
		for _, n := range extra {
			values = append(values, r.extra[n])
		}
		plus := func(v string) []string {
			out := make([]string, 0, len(values)+1)
			out = append(out, values[:4]...)
			out = append(out, v)
			return append(out, values[4:]...)
		}
		emit := func(d *prometheus.Desc, t prometheus.ValueType, v float64, lv []string) {
			m, err := prometheus.NewConstMetric(d, t, v, lv...)
			if err != nil {
				m = prometheus.NewInvalidMetric(d, err)
			}
			ch <- m
		}
		if n := r.successes.Load(); n > 0 {
			emit(total, prometheus.CounterValue, float64(n), plus("true"))
		}
		if n := r.failures.Load(); n > 0 {
			emit(total, prometheus.CounterValue, float64(n), plus("false"))
		}
		emit(duration, prometheus.GaugeValue, math.Float64frombits(r.durationBits.Load()), values)
		if n := r.connected.Load(); n > 0 {
			emit(connected, prometheus.CounterValue, float64(n), values)
		}
		for _, cc := range r.codeSnapshot() {
			label := cc.rcode
			if cc.status != 0 {
				label = strconv.Itoa(cc.status)
			}
			emit(code, prometheus.CounterValue, float64(cc.n), plus(label))
		}
		if r.certSet.Load() {
			emit(cert, prometheus.GaugeValue, math.Float64frombits(r.certBits.Load()), values)
		}
		if r.domainSet.Load() {
			emit(domain, prometheus.GaugeValue, math.Float64frombits(r.domainBits.Load()), values)
		}
		ok := 0.0
		if r.success.Load() {
			ok = 1
		}
		emit(success, prometheus.GaugeValue, ok, values)
	}
}

func (r *record) codeSnapshot() []codeCount {
	r.codesMu.Lock()
	defer r.codesMu.Unlock()
	return slices.Clone(r.codes)
}

// validExtraLabel reports whether name can be an extra label: a valid
// Prometheus label name that is not one of Gatus's own labels (a config
// loader should have refused the others; here they are skipped, never a
// panic).
func validExtraLabel(name string) bool {
	switch name {
	case labelKey, labelGroup, labelName, labelType, labelSuccess, labelCode:
		return false
	}
	if name == "" || strings.HasPrefix(name, "__") {
		return false
	}
	for i, c := range name {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// cleanValue makes s a valid label value: UTF-8, bounded length.
func cleanValue(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) > maxLabelValueLength {
		s = strings.ToValidUTF8(s[:maxLabelValueLength], "")
	}
	return s
}
