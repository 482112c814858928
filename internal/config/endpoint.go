package config

import (
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
	"github.com/custodes/custodes/internal/monitor/incident"
)

// Endpoint defaults, as in Gatus.
const (
	DefaultInterval  = time.Minute
	DefaultUserAgent = "custodes/1.0"
	// minDomainExpirationInterval is Gatus's floor for endpoints reading
	// [DOMAIN_EXPIRATION], so WHOIS services are not hammered.
	minDomainExpirationInterval = 5 * time.Minute
)

// rawEndpoint is one entry of endpoints: Gatus's keys plus custodes'
// vantage, confirm and node-labels.
type rawEndpoint struct {
	Enabled            *bool             `yaml:"enabled"`
	Name               string            `yaml:"name"`
	Group              string            `yaml:"group"`
	URL                string            `yaml:"url"`
	Method             string            `yaml:"method"`
	Body               string            `yaml:"body"`
	GraphQL            bool              `yaml:"graphql"`
	Headers            map[string]string `yaml:"headers"`
	Interval           time.Duration     `yaml:"interval"`
	Conditions         []string          `yaml:"conditions"`
	Alerts             []rawAlert        `yaml:"alerts"`
	MaintenanceWindows []rawMaintenance  `yaml:"maintenance-windows"`
	DNS                *rawDNS           `yaml:"dns"`
	SSH                *yaml.Node        `yaml:"ssh"`
	Client             *rawClient        `yaml:"client"`
	UI                 *rawEndpointUI    `yaml:"ui"`
	ExtraLabels        map[string]string `yaml:"extra-labels"`
	Store              *yaml.Node        `yaml:"store"`
	AlwaysRun          *yaml.Node        `yaml:"always-run"`

	Vantage     int               `yaml:"vantage"`
	Confirm     int               `yaml:"confirm"`
	NodeLabels  map[string]string `yaml:"node-labels"`
	FailureRate *rawFailureRate   `yaml:"failure-rate"`
}

// rawFailureRate is custodes' failure-rate rule (gomon's): more than
// max-failures failed checks within window open an incident.
type rawFailureRate struct {
	MaxFailures int           `yaml:"max-failures"`
	Window      time.Duration `yaml:"window"`
	Only5xx     bool          `yaml:"only-5xx"`
}

// endpoint reads the endpoint at path. It returns nil when the endpoint is
// of a kind custodes cannot probe (after a warning) or has errors.
func (l *loader) endpoint(n *yaml.Node, path string) *monitor.Spec {
	var raw rawEndpoint
	errsBefore := len(l.errs)
	t := l.decode(n, path, &raw)
	if resolve(n).Kind != yaml.MappingNode {
		return nil
	}
	spec := &monitor.Spec{
		Name:        raw.Name,
		Group:       raw.Group,
		URL:         raw.URL,
		Body:        raw.Body,
		GraphQL:     raw.GraphQL,
		Interval:    raw.Interval,
		Enabled:     raw.Enabled == nil || *raw.Enabled,
		ExtraLabels: raw.ExtraLabels,
		Vantage:     raw.Vantage,
		Confirm:     raw.Confirm,
		NodeLabels:  raw.NodeLabels,
		Origin:      "file",
		Source:      t.source(path),
	}
	l.identify(t, spec, path)

	if raw.DNS != nil {
		spec.DNS = l.dnsQuery(t, raw.DNS, join(path, "dns"))
	}
	spec.Kind = monitor.KindOf(raw.URL, spec.DNS)
	supported := l.checkTarget(t, spec, join(path, "url"))
	if raw.SSH != nil && supported {
		t.warnf(join(path, "ssh"), "only used by ssh:// endpoints, which custodes does not support: ignored")
	}

	switch {
	case raw.Interval < 0:
		t.errorf(join(path, "interval"), "must be positive, got %s", raw.Interval)
	case raw.Interval == 0:
		spec.Interval = DefaultInterval
	}
	spec.Conditions = l.conditions(t, raw.Conditions, spec.Interval, join(path, "conditions"))
	l.request(t, &raw, spec, path)
	spec.Client = l.client(t, raw.Client, join(path, "client"))
	spec.UI = l.endpointUI(t, raw.UI, join(path, "ui"))
	spec.Alerts = l.alerts(t, raw.Alerts, join(path, "alerts"))
	spec.MaintenanceWindows = l.maintenanceWindows(t, raw.MaintenanceWindows, join(path, "maintenance-windows"))
	checkLabels(t, raw.ExtraLabels, join(path, "extra-labels"))
	checkLabels(t, raw.NodeLabels, join(path, "node-labels"))
	for _, key := range []string{"store", "always-run"} {
		if t.has(join(path, key)) {
			t.warnf(join(path, key), "only used by endpoints inside suites, which custodes does not support: ignored")
		}
	}
	if raw.Vantage < 0 {
		t.errorf(join(path, "vantage"), "must be 0 (the cluster default) or more, got %d", raw.Vantage)
	}
	if raw.Confirm < 0 {
		t.errorf(join(path, "confirm"), "must be 0 (a majority of vantage) or more, got %d", raw.Confirm)
	}
	if raw.Vantage > 0 && raw.Confirm > raw.Vantage {
		t.errorf(join(path, "confirm"), "must not exceed vantage (%d), got %d", raw.Vantage, raw.Confirm)
	}
	if r := raw.FailureRate; r != nil {
		fp := join(path, "failure-rate")
		if r.MaxFailures < 1 || r.MaxFailures > incident.MaxRateFailures {
			t.errorf(join(fp, "max-failures"), "must be from 1 to %d, got %d", incident.MaxRateFailures, r.MaxFailures)
		}
		if r.Window <= 0 {
			t.errorf(join(fp, "window"), "must be a positive duration, e.g. 10m")
		}
		spec.FailureRate = &monitor.FailureRate{MaxFailures: r.MaxFailures, Window: r.Window, Only5xx: r.Only5xx}
	}
	if !supported || len(l.errs) > errsBefore {
		return nil
	}
	return spec
}

// identify checks name and group and claims the monitor's key.
func (l *loader) identify(t *tree, spec *monitor.Spec, path string) {
	switch {
	case spec.Name == "":
		t.errorf(join(path, "name"), "is required")
	case strings.ContainsAny(spec.Name, `"\`):
		t.errorf(join(path, "name"), `must not contain " or \`)
	}
	if strings.ContainsAny(spec.Group, `"\`) {
		t.errorf(join(path, "group"), `must not contain " or \`)
	}
	if spec.Name == "" {
		return
	}
	spec.Key = monitor.Key(spec.Group, spec.Name)
	if prev, dup := l.keys[spec.Key]; dup {
		t.errorf(path, "duplicate key %q (from group %q and name %q): already defined at %s", spec.Key, spec.Group, spec.Name, prev)
		return
	}
	l.keys[spec.Key] = t.source(path)
}

// unsupportedSchemes are Gatus endpoint kinds custodes does not probe.
var unsupportedSchemes = []string{"ssh", "grpc", "grpcs", "ws", "wss", "sctp"}

// checkTarget validates the url for the endpoint's kind. It reports false,
// with a warning, for a kind custodes cannot probe.
func (l *loader) checkTarget(t *tree, spec *monitor.Spec, path string) bool {
	raw := spec.URL
	if raw == "" {
		t.errorf(path, "is required")
		return true
	}
	scheme, rest, hasScheme := strings.Cut(raw, "://")
	if spec.Kind == "" {
		if !hasScheme || scheme == "" || strings.ContainsAny(scheme, " /") {
			t.errorf(path, "unknown endpoint type: the url must start with http://, https://, tcp://, udp://, icmp://, tls:// or starttls:// (or the endpoint needs a dns section)")
			return true
		}
		what := "a kind"
		if slices.Contains(unsupportedSchemes, strings.ToLower(scheme)) {
			what = "a Gatus endpoint kind"
		}
		t.warnf(path, "%s:// is %s custodes cannot probe: endpoint %q is not monitored", scheme, what, spec.Name)
		return false
	}
	var msg string
	switch spec.Kind {
	case monitor.KindHTTP:
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			msg = "invalid URL: " + strings.TrimPrefix(err.Error(), "parse "+quote(raw)+": ")
		case u.Host == "":
			msg = "invalid URL: the host is missing"
		}
	case monitor.KindTCP, monitor.KindUDP, monitor.KindTLS, monitor.KindSTARTTLS:
		if m := checkHostPort(rest, false); m != "" {
			msg = m + " (e.g. " + scheme + "://example.org:443)"
		}
	case monitor.KindICMP:
		if rest == "" || strings.ContainsAny(rest, " /") {
			msg = "invalid address " + quote(rest) + ": want icmp://host"
		}
	case monitor.KindDNS:
		if strings.ContainsAny(raw, " /") {
			msg = "invalid DNS server " + quote(raw) + ": want host or host:port (e.g. 8.8.8.8)"
		} else if _, _, err := net.SplitHostPort(raw); err == nil {
			msg = checkHostPort(raw, false)
		}
	}
	if msg != "" {
		t.errorf(path, "%s", msg)
	}
	return true
}

// conditions parses an endpoint's conditions; at least one is required.
func (l *loader) conditions(t *tree, raw []string, interval time.Duration, path string) []*condition.Condition {
	if len(raw) == 0 {
		t.errorf(path, "at least one condition is required (e.g. \"[STATUS] == 200\")")
		return nil
	}
	out := make([]*condition.Condition, 0, len(raw))
	for i, text := range raw {
		c, err := condition.Parse(text)
		if err != nil {
			t.errorf(index(path, i), "%s", conditionError(text, err))
			continue
		}
		if strings.Contains(text, "[DOMAIN_EXPIRATION]") && interval < minDomainExpirationInterval {
			t.errorf(index(path, i), "[DOMAIN_EXPIRATION] needs an interval of at least %s, got %s", minDomainExpirationInterval, interval)
		}
		out = append(out, c)
	}
	return out
}

// request checks the HTTP request fields: method, headers, graphql. They
// only apply to HTTP endpoints; elsewhere they are ignored with a warning.
func (l *loader) request(t *tree, raw *rawEndpoint, spec *monitor.Spec, path string) {
	if spec.Kind != monitor.KindHTTP && spec.Kind != "" {
		for _, key := range []string{"method", "headers", "graphql"} {
			if t.has(join(path, key)) {
				t.warnf(join(path, key), "only used by HTTP endpoints: ignored for %s", spec.Kind)
			}
		}
		return
	}
	spec.Method = raw.Method
	if spec.Method == "" {
		spec.Method = "GET"
	} else if !isToken(spec.Method) {
		t.errorf(join(path, "method"), "invalid method %q", spec.Method)
	}
	seen := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(raw.Headers)) {
		value := raw.Headers[name]
		hp := join(join(path, "headers"), name)
		if !isToken(name) {
			t.errorf(hp, "invalid header name %q", name)
		}
		if !validHeaderValue(value) {
			t.errorf(hp, "header value must not contain control characters")
		}
		canon := strings.ToLower(name)
		if other, dup := seen[canon]; dup {
			first, second := min(other, name), max(other, name)
			t.errorf(join(join(path, "headers"), second), "same header as %q (header names are case-insensitive)", first)
		}
		seen[canon] = name
		spec.Headers = append(spec.Headers, monitor.Header{Name: name, Value: value})
	}
	if _, ok := seen["user-agent"]; !ok {
		spec.Headers = append(spec.Headers, monitor.Header{Name: "User-Agent", Value: DefaultUserAgent})
	}
	if _, ok := seen["content-type"]; !ok && raw.GraphQL {
		spec.Headers = append(spec.Headers, monitor.Header{Name: "Content-Type", Value: "application/json"})
	}
	slices.SortFunc(spec.Headers, func(a, b monitor.Header) int { return strings.Compare(a.Name, b.Name) })
}

// conditionError is condition.Parse's error, naming the condition unless
// the parser's message already does.
func conditionError(text string, err error) string {
	if strings.Contains(err.Error(), quote(text)) {
		return err.Error()
	}
	return "invalid condition " + quote(text) + ": " + err.Error()
}
