package config

import (
	"crypto/tls"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
)

// rawClient is Gatus's endpoint client section.
type rawClient struct {
	Insecure           bool          `yaml:"insecure"`
	IgnoreRedirect     bool          `yaml:"ignore-redirect"`
	Timeout            time.Duration `yaml:"timeout"`
	DNSResolver        string        `yaml:"dns-resolver"`
	ProxyURL           string        `yaml:"proxy-url"`
	Network            string        `yaml:"network"`
	TLS                *rawClientTLS `yaml:"tls"`
	OAuth2             *rawOAuth2    `yaml:"oauth2"`
	IdentityAwareProxy *yaml.Node    `yaml:"identity-aware-proxy"`
	Kerberos           *yaml.Node    `yaml:"kerberos"`
	Tunnel             string        `yaml:"tunnel"`
	StoreCookies       bool          `yaml:"store-cookies"`
}

type rawClientTLS struct {
	CertificateFile string `yaml:"certificate-file"`
	PrivateKeyFile  string `yaml:"private-key-file"`
	Renegotiation   string `yaml:"renegotiation"`
}

type rawOAuth2 struct {
	TokenURL     string   `yaml:"token-url"`
	ClientID     string   `yaml:"client-id"`
	ClientSecret string   `yaml:"client-secret"`
	Scopes       []string `yaml:"scopes"`
}

// client validates an endpoint's client section (at path) and applies its
// defaults: a 10s timeout and the "ip" network.
func (l *loader) client(t *tree, raw *rawClient, path string) monitor.ClientOptions {
	opts := monitor.ClientOptions{Timeout: monitor.DefaultTimeout, Network: "ip"}
	if raw == nil {
		return opts
	}
	opts.Insecure = raw.Insecure
	opts.IgnoreRedirect = raw.IgnoreRedirect
	switch {
	case raw.Timeout < 0 || raw.Timeout > 0 && raw.Timeout < time.Millisecond:
		t.errorf(join(path, "timeout"), "must be at least 1ms, got %s", raw.Timeout)
	case raw.Timeout > 0:
		opts.Timeout = raw.Timeout
	}
	if raw.DNSResolver != "" {
		opts.DNSResolver = raw.DNSResolver
		if msg := checkDNSResolver(raw.DNSResolver); msg != "" {
			t.errorf(join(path, "dns-resolver"), "%s", msg)
		}
	}
	if raw.ProxyURL != "" {
		opts.ProxyURL = raw.ProxyURL
		if msg := checkProxyURL(raw.ProxyURL); msg != "" {
			t.errorf(join(path, "proxy-url"), "%s", msg)
		}
	}
	switch raw.Network {
	case "":
	case "ip", "ip4", "ip6":
		opts.Network = raw.Network
	default:
		t.errorf(join(path, "network"), "invalid network %q: use ip, ip4 or ip6", raw.Network)
	}
	if raw.TLS != nil {
		opts.TLS = l.clientTLS(t, raw.TLS, join(path, "tls"))
	}
	if raw.OAuth2 != nil {
		opts.OAuth2 = checkOAuth2(t, raw.OAuth2, join(path, "oauth2"))
	}
	for _, key := range []string{"identity-aware-proxy", "kerberos", "tunnel"} {
		if kp := join(path, key); t.has(kp) {
			t.warnf(kp, "not supported by custodes: ignored, requests are sent without it")
		}
	}
	if raw.StoreCookies {
		t.warnf(join(path, "store-cookies"), "not supported by custodes: ignored, cookies are not kept between checks")
	}
	return opts
}

// dnsResolver is the form Gatus accepts for client.dns-resolver.
var dnsResolver = regexp.MustCompile(`^([a-z0-9]+)://([A-Za-z0-9.-]+):([0-9]+)$`)

func checkDNSResolver(s string) string {
	const want = ": the format is {proto}://{host}:{port}, e.g. udp://1.1.1.1:53"
	m := dnsResolver.FindStringSubmatch(s)
	if m == nil {
		return "invalid DNS resolver " + quote(s) + want
	}
	switch m[1] {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return "invalid DNS resolver " + quote(s) + ": the protocol must be tcp or udp"
	}
	if port, err := strconv.Atoi(m[3]); err != nil || port < 1 || port > 65535 {
		return "invalid DNS resolver " + quote(s) + ": the port must be between 1 and 65535"
	}
	return ""
}

func checkProxyURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "invalid proxy URL: " + strings.TrimPrefix(err.Error(), "parse "+quote(s)+": ")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return "invalid proxy URL: the scheme must be http, https or socks5"
	}
	if u.Host == "" {
		return "invalid proxy URL: the host is missing"
	}
	return ""
}

// clientTLS checks an mTLS client certificate; like Gatus it loads the pair
// now so a wrong path fails at load time rather than at the first check.
func (l *loader) clientTLS(t *tree, raw *rawClientTLS, path string) *monitor.ClientTLS {
	out := &monitor.ClientTLS{
		CertificateFile: raw.CertificateFile,
		PrivateKeyFile:  raw.PrivateKeyFile,
		Renegotiation:   raw.Renegotiation,
	}
	switch raw.Renegotiation {
	case "":
		out.Renegotiation = "never"
	case "never", "once", "freely":
	default:
		t.errorf(join(path, "renegotiation"), "invalid renegotiation %q: use never, once or freely", raw.Renegotiation)
	}
	if raw.CertificateFile == "" || raw.PrivateKeyFile == "" {
		t.errorf(path, "certificate-file and private-key-file must both be set")
		return out
	}
	if _, err := tls.LoadX509KeyPair(raw.CertificateFile, raw.PrivateKeyFile); err != nil {
		t.errorf(path, "cannot load the certificate and key: %v", err)
	}
	return out
}

func checkOAuth2(t *tree, raw *rawOAuth2, path string) *monitor.OAuth2 {
	for _, f := range []struct{ key, value string }{
		{"token-url", raw.TokenURL}, {"client-id", raw.ClientID}, {"client-secret", raw.ClientSecret},
	} {
		if f.value == "" {
			t.errorf(join(path, f.key), "is required for the client credentials flow")
		}
	}
	if len(raw.Scopes) == 0 {
		t.errorf(join(path, "scopes"), "at least one scope is required for the client credentials flow")
	}
	if raw.TokenURL != "" {
		if msg := checkHTTPURL(raw.TokenURL); msg != "" {
			t.errorf(join(path, "token-url"), "%s", msg)
		}
	}
	return &monitor.OAuth2{TokenURL: raw.TokenURL, ClientID: raw.ClientID, ClientSecret: raw.ClientSecret, Scopes: raw.Scopes}
}

// rawEndpointUI is Gatus's endpoint ui section.
type rawEndpointUI struct {
	HideConditions              bool `yaml:"hide-conditions"`
	HideHostname                bool `yaml:"hide-hostname"`
	HideURL                     bool `yaml:"hide-url"`
	HidePort                    bool `yaml:"hide-port"`
	HideErrors                  bool `yaml:"hide-errors"`
	DontResolveFailedConditions bool `yaml:"dont-resolve-failed-conditions"`
	ResolveSuccessfulConditions bool `yaml:"resolve-successful-conditions"`
	Badge                       *struct {
		ResponseTime *struct {
			Thresholds []int `yaml:"thresholds"`
		} `yaml:"response-time"`
	} `yaml:"badge"`
}

// DefaultBadgeThresholds are Gatus's response-time badge thresholds, in ms.
var DefaultBadgeThresholds = [5]int{50, 200, 300, 500, 750}

func (l *loader) endpointUI(t *tree, raw *rawEndpointUI, path string) monitor.UIOptions {
	opts := monitor.UIOptions{ResponseTimeBadgeThresholds: DefaultBadgeThresholds}
	if raw == nil {
		return opts
	}
	opts.HideConditions = raw.HideConditions
	opts.HideHostname = raw.HideHostname
	opts.HideURL = raw.HideURL
	opts.HidePort = raw.HidePort
	opts.HideErrors = raw.HideErrors
	opts.DontResolveFailedConditions = raw.DontResolveFailedConditions
	opts.ResolveSuccessfulConditions = raw.ResolveSuccessfulConditions
	if raw.Badge == nil || raw.Badge.ResponseTime == nil {
		return opts
	}
	th := raw.Badge.ResponseTime.Thresholds
	tp := join(path, "badge.response-time.thresholds")
	if len(th) != 5 || !slices.IsSorted(th) || th[0] < 0 {
		t.errorf(tp, "expected 5 ascending response times in milliseconds (e.g. [50, 200, 300, 500, 750]), got %v", th)
		return opts
	}
	copy(opts.ResponseTimeBadgeThresholds[:], th)
	return opts
}

// rawDNS is Gatus's endpoint dns section.
type rawDNS struct {
	QueryType string `yaml:"query-type"`
	QueryName string `yaml:"query-name"`
}

// dnsQuery checks the dns section as Gatus does: a query name (made fully
// qualified) and a known record type (A, AAAA, MX, ...; any case).
func (l *loader) dnsQuery(t *tree, raw *rawDNS, path string) *monitor.DNSQuery {
	q := &monitor.DNSQuery{QueryType: strings.ToUpper(raw.QueryType), QueryName: raw.QueryName}
	if q.QueryName == "" {
		t.errorf(join(path, "query-name"), "is required (e.g. example.org)")
	} else if !strings.HasSuffix(q.QueryName, ".") {
		q.QueryName += "."
	}
	if _, ok := dns.StringToType[q.QueryType]; !ok || q.QueryType == "" {
		t.errorf(join(path, "query-type"), "invalid query type %q (e.g. A, AAAA, CNAME, MX, NS, TXT)", raw.QueryType)
	}
	return q
}
