package monitor

import (
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor/condition"
)

// Kind says which probe checks a monitor. It is derived from the URL scheme
// (and the dns section) exactly as Gatus does.
type Kind string

const (
	KindHTTP     Kind = "HTTP"
	KindTCP      Kind = "TCP"
	KindUDP      Kind = "UDP"
	KindDNS      Kind = "DNS"
	KindTLS      Kind = "TLS"
	KindSTARTTLS Kind = "STARTTLS"
	KindICMP     Kind = "ICMP"
	// KindExternal is a Gatus external endpoint: results are pushed through
	// the API, nothing is probed.
	KindExternal Kind = "EXTERNAL"
	// KindPush is a Healthchecks-style ping check (a dead man's switch).
	KindPush Kind = "PUSH"
)

// KindOf returns the probe kind for an endpoint URL, with dns non-nil when a
// dns section is present. It returns "" for a scheme custodes cannot probe.
func KindOf(url string, dns *DNSQuery) Kind {
	switch {
	case dns != nil:
		return KindDNS
	case strings.HasPrefix(url, "tcp://"):
		return KindTCP
	case strings.HasPrefix(url, "udp://"):
		return KindUDP
	case strings.HasPrefix(url, "icmp://"):
		return KindICMP
	case strings.HasPrefix(url, "starttls://"):
		return KindSTARTTLS
	case strings.HasPrefix(url, "tls://"):
		return KindTLS
	case strings.HasPrefix(url, "http://"), strings.HasPrefix(url, "https://"):
		return KindHTTP
	}
	return ""
}

// Key converts a group and a name to the key Gatus uses in its API and
// metrics: both lower-cased and trimmed, with '/', '_', '.', ',', ' ', '#',
// '+' and '&' replaced by '-', joined by '_'. An endpoint without a group
// gets "_name".
func Key(group, name string) string {
	return sanitize(group) + "_" + sanitize(name)
}

var keyReplacer = strings.NewReplacer("/", "-", "_", "-", ".", "-", ",", "-", " ", "-", "#", "-", "+", "-", "&", "-")

func sanitize(s string) string {
	return keyReplacer.Replace(strings.TrimSpace(strings.ToLower(s)))
}

// Spec is one monitor as configured: an endpoint of the config file, an
// external endpoint, a push check, or a monitor created through the API.
// A Spec is immutable once built; a config reload builds new ones.
type Spec struct {
	Key   string // unique; Key(Group, Name)
	Name  string
	Group string
	Kind  Kind

	URL     string
	Method  string // HTTP only; default GET
	Body    string
	GraphQL bool
	Headers []Header // sorted by name, so equal specs compare equal

	Interval   time.Duration
	Conditions []*condition.Condition

	Client ClientOptions
	DNS    *DNSQuery
	UI     UIOptions

	Enabled     bool
	ExtraLabels map[string]string

	// Vantage is how many nodes check the monitor (0: the cluster default,
	// min(3, nodes)); Confirm how many of them must see it failing before an
	// incident opens (0: a majority of Vantage).
	Vantage int
	Confirm int
	// NodeLabels restricts checking to nodes carrying all these labels.
	NodeLabels map[string]string

	Alerts             []Alert
	MaintenanceWindows []MaintenanceWindow
	// FailureRate opens an incident when too many checks fail within a
	// window, even without a streak (gomon's rule); nil: streaks only.
	FailureRate *FailureRate

	// Heartbeat is, for external endpoints, how long without a pushed result
	// before the endpoint counts as failing (0: never).
	Heartbeat time.Duration
	// ExternalToken is the bearer token an external endpoint must present.
	ExternalToken string

	// Push holds the schedule of a Healthchecks-style push check.
	Push *PushSchedule

	// Origin says where the spec came from: "file" (config file, cannot be
	// changed through the API) or "api".
	Origin string
	// Source is "file:line" of the definition, for error messages; empty for
	// API-made monitors.
	Source string
}

// Header is one request header.
type Header struct{ Name, Value string }

// ClientOptions is Gatus's endpoint `client` section.
type ClientOptions struct {
	Timeout        time.Duration // default 10s
	Insecure       bool
	IgnoreRedirect bool
	DNSResolver    string // "{proto}://{host}:{port}", e.g. "tcp://1.1.1.1:53"
	ProxyURL       string
	Network        string // "ip" (default), "ip4" or "ip6"
	TLS            *ClientTLS
	OAuth2         *OAuth2
	// SourceIP is the local address checks are sent from (custodes'
	// node.source-address; "" lets the kernel choose).
	SourceIP string
}

// ClientTLS is a client certificate for mTLS.
type ClientTLS struct {
	CertificateFile string
	PrivateKeyFile  string
	Renegotiation   string // "never" (default), "once", "freely"
}

// OAuth2 is the client-credentials flow Gatus supports.
type OAuth2 struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string
}

// DNSQuery is Gatus's endpoint `dns` section.
type DNSQuery struct {
	QueryType string // A, AAAA, CNAME, MX, NS, TXT, SRV, PTR, SOA, CAA, ANY...
	QueryName string
}

// UIOptions is Gatus's endpoint `ui` section.
type UIOptions struct {
	HideConditions              bool
	HideHostname                bool
	HideURL                     bool
	HidePort                    bool
	HideErrors                  bool
	DontResolveFailedConditions bool
	ResolveSuccessfulConditions bool
	// ResponseTimeBadgeThresholds are 5 ascending milliseconds values;
	// default [50, 200, 300, 500, 750].
	ResponseTimeBadgeThresholds [5]int
}

// Alert is one entry of an endpoint's `alerts`, after the provider's
// default-alert has been merged in.
type Alert struct {
	Type                    string // provider name, e.g. "slack", "webhook"
	Enabled                 bool
	FailureThreshold        int // default 3
	SuccessThreshold        int // default 2
	SendOnResolved          bool
	Description             string
	MinimumReminderInterval time.Duration // 0: no reminders
	// ProviderOverride holds provider settings that replace the provider's
	// own for this alert (Gatus `provider-override`), as decoded YAML.
	ProviderOverride map[string]any
	Source           string // file:line
}

// FailureRate is "more than MaxFailures failed checks (optionally counting
// only HTTP 5xx answers) within Window".
type FailureRate struct {
	MaxFailures int
	Window      time.Duration
	Only5xx     bool
}

// MaintenanceWindow is a Gatus maintenance section: a start time of day, a
// duration, optional weekdays and an IANA time zone.
type MaintenanceWindow struct {
	Enabled  bool
	Start    string        // "hh:mm"
	Duration time.Duration // > 0
	Timezone string        // IANA name; "" is UTC
	Every    []time.Weekday
}

// PushSchedule is when a push check expects its pings: every Period (with
// Grace), or on the cron expression Cron in time zone Timezone (with Grace).
type PushSchedule struct {
	Token    string // the ping path element: /ping/{token}
	Period   time.Duration
	Cron     string
	Timezone string
	Grace    time.Duration
}

// Timeout is the per-check timeout.
func (s *Spec) Timeout() time.Duration {
	if s.Client.Timeout > 0 {
		return s.Client.Timeout
	}
	return DefaultTimeout
}

// DefaultTimeout is Gatus's default client timeout.
const DefaultTimeout = 10 * time.Second

// DisplayName is "group/name", or "name" without a group.
func (s *Spec) DisplayName() string {
	if s.Group == "" {
		return s.Name
	}
	return s.Group + "/" + s.Name
}

// Needs reports which optional data the conditions need, so probes only
// fetch what is used (the body, the resolved IP, the domain expiration).
func (s *Spec) Needs() condition.Needs {
	var n condition.Needs
	for _, c := range s.Conditions {
		n = n.Union(c.Needs())
	}
	return n
}
