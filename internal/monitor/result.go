package monitor

import (
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor/condition"
)

// Observation is what a probe saw: the inputs of the conditions plus what
// went wrong. Probes fill it; they never judge success themselves.
type Observation struct {
	condition.Input

	Hostname string // from the URL, shown in results (unless hidden)
	Port     string // from the URL, only used to redact it (ui.hide-port)
	Errors   []string
	Timings  Timings
}

// AddError appends err unless the same text is already there (as Gatus).
func (o *Observation) AddError(err string) {
	for _, e := range o.Errors {
		if e == err {
			return
		}
	}
	o.Errors = append(o.Errors, err)
}

// Timings break an HTTP check's duration down (zero for other kinds).
type Timings struct {
	DNS, Connect, TLS, FirstByte time.Duration
}

// Result is one check of one monitor by one node: what is stored in history,
// served by the API and fed to the incident engine.
type Result struct {
	Monitor  string    // Spec.Key
	Node     string    // node id of the checker
	Time     time.Time // when the check started
	Success  bool
	Duration time.Duration

	Status     int // HTTP status; 0 for other kinds
	Hostname   string
	IP         string
	DNSRCode   string
	Connected  bool
	Errors     []string
	Conditions []condition.Result

	CertificateExpiration time.Duration
	DomainExpiration      time.Duration
}

// Evaluate judges an observation against the spec's conditions and returns
// the result, applying the spec's ui options (redaction) as Gatus does. A
// result is a success when the probe reported no error and every condition
// holds.
func Evaluate(spec *Spec, obs *Observation, node string, at time.Time) Result {
	r := Result{
		Monitor:               spec.Key,
		Node:                  node,
		Time:                  at,
		Success:               len(obs.Errors) == 0,
		Duration:              obs.ResponseTime,
		Status:                obs.Status,
		Hostname:              obs.Hostname,
		IP:                    obs.IP,
		DNSRCode:              obs.DNSRCode,
		Connected:             obs.Connected,
		CertificateExpiration: obs.CertificateExpiration,
		DomainExpiration:      obs.DomainExpiration,
	}
	if len(obs.Errors) > 0 {
		r.Errors = append([]string(nil), obs.Errors...)
	}
	opts := condition.Options{
		DontResolveFailed: spec.UI.DontResolveFailedConditions,
		ResolveSuccessful: spec.UI.ResolveSuccessfulConditions,
	}
	if len(spec.Conditions) > 0 {
		// EvaluateAll decodes a JSON body once for all conditions.
		r.Conditions = condition.EvaluateAll(make([]condition.Result, 0, len(spec.Conditions)), spec.Conditions, &obs.Input, opts)
		for _, c := range r.Conditions {
			if !c.Success {
				r.Success = false
			}
		}
	}
	redact(spec, obs, &r)
	return r
}

// redact applies ui.hide-* the way Gatus does: the URL, hostname and port
// are replaced by "<redacted>" in errors; hidden fields are dropped.
func redact(spec *Spec, obs *Observation, r *Result) {
	replaceInErrors := func(s string) {
		if s == "" {
			return
		}
		for i, e := range r.Errors {
			r.Errors[i] = strings.ReplaceAll(e, s, "<redacted>")
		}
	}
	if spec.UI.HideURL {
		replaceInErrors(spec.URL)
	}
	if spec.UI.HideHostname {
		replaceInErrors(r.Hostname)
		r.Hostname = ""
	}
	if spec.UI.HidePort {
		replaceInErrors(obs.Port)
	}
	if spec.UI.HideErrors {
		r.Errors = nil
	}
	if spec.UI.HideConditions {
		r.Conditions = nil
	}
}
