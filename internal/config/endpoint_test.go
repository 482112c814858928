package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

func mustParse(t *testing.T, conds ...string) []*condition.Condition {
	t.Helper()
	var out []*condition.Condition
	for _, c := range conds {
		parsed, err := condition.Parse(c)
		if err != nil {
			t.Fatalf("condition.Parse(%q): %v", c, err)
		}
		out = append(out, parsed)
	}
	return out
}

func TestEndpointEveryField(t *testing.T) {
	cfg, warns := mustLoad(t, `alerting:
  slack:
    webhook-url: https://hooks.example/x
endpoints:
  - name: api
    group: core
    url: https://api.example.org/health
    method: POST
    body: '{"ping": true}'
    graphql: true
    headers:
      X-Num: 5
      Authorization: Bearer abc
    interval: 30s
    conditions:
      - "[STATUS] == 200"
      - "[RESPONSE_TIME] < 300"
    alerts:
      - type: slack
        enabled: true
        failure-threshold: 4
        success-threshold: 1
        send-on-resolved: true
        description: api down
        minimum-reminder-interval: 30m
        provider-override:
          webhook-url: https://hooks.example/override
    maintenance-windows:
      - start: "07:30"
        duration: 40m
        timezone: Europe/Berlin
        every: [Monday, friday]
    client:
      timeout: 5s
      insecure: true
      ignore-redirect: true
      dns-resolver: udp://1.1.1.1:53
      proxy-url: http://proxy.example:3128
      network: ip4
      oauth2:
        token-url: https://auth.example/token
        client-id: id
        client-secret: secret
        scopes: [a, b]
    ui:
      hide-conditions: true
      hide-hostname: true
      hide-url: true
      hide-port: true
      hide-errors: true
      dont-resolve-failed-conditions: true
      resolve-successful-conditions: true
      badge:
        response-time:
          thresholds: [10, 20, 20, 40, 50]
    extra-labels:
      env: prod
    vantage: 3
    confirm: 2
    node-labels:
      region: eu
`)
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	file := cfg.Files[0]
	want := &monitor.Spec{
		Key:     "core_api",
		Name:    "api",
		Group:   "core",
		Kind:    monitor.KindHTTP,
		URL:     "https://api.example.org/health",
		Method:  "POST",
		Body:    `{"ping": true}`,
		GraphQL: true,
		Headers: []monitor.Header{
			{Name: "Authorization", Value: "Bearer abc"},
			{Name: "Content-Type", Value: "application/json"},
			{Name: "User-Agent", Value: "custodes/1.0"},
			{Name: "X-Num", Value: "5"},
		},
		Interval:   30 * time.Second,
		Conditions: mustParse(t, "[STATUS] == 200", "[RESPONSE_TIME] < 300"),
		Client: monitor.ClientOptions{
			Timeout:        5 * time.Second,
			Insecure:       true,
			IgnoreRedirect: true,
			DNSResolver:    "udp://1.1.1.1:53",
			ProxyURL:       "http://proxy.example:3128",
			Network:        "ip4",
			OAuth2: &monitor.OAuth2{
				TokenURL: "https://auth.example/token", ClientID: "id", ClientSecret: "secret", Scopes: []string{"a", "b"},
			},
		},
		UI: monitor.UIOptions{
			HideConditions: true, HideHostname: true, HideURL: true, HidePort: true, HideErrors: true,
			DontResolveFailedConditions: true, ResolveSuccessfulConditions: true,
			ResponseTimeBadgeThresholds: [5]int{10, 20, 20, 40, 50},
		},
		Enabled:     true,
		ExtraLabels: map[string]string{"env": "prod"},
		Vantage:     3,
		Confirm:     2,
		NodeLabels:  map[string]string{"region": "eu"},
		Alerts: []monitor.Alert{{
			Type: "slack", Enabled: true, FailureThreshold: 4, SuccessThreshold: 1, SendOnResolved: true,
			Description: "api down", MinimumReminderInterval: 30 * time.Minute,
			ProviderOverride: map[string]any{"webhook-url": "https://hooks.example/override"},
			Source:           file + ":19",
		}},
		MaintenanceWindows: []monitor.MaintenanceWindow{{
			Enabled: true, Start: "07:30", Duration: 40 * time.Minute, Timezone: "Europe/Berlin",
			Every: []time.Weekday{time.Monday, time.Friday},
		}},
		Origin: "file",
		Source: file + ":5",
	}
	if len(cfg.Monitors) != 1 {
		t.Fatalf("got %d monitors, want 1", len(cfg.Monitors))
	}
	if diff := cmp.Diff(want, cfg.Monitors[0], specOptions); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
}

func TestEndpointDefaultsAndKinds(t *testing.T) {
	cfg, warns := mustLoad(t, `endpoints:
  - name: web
    url: http://example.org
    conditions: ["[STATUS] == 200"]
  - name: redis
    group: db
    url: tcp://127.0.0.1:6379
    body: PING
    conditions: ["[CONNECTED] == true"]
  - name: udp
    url: udp://[::1]:53
    conditions: ["[CONNECTED] == true"]
  - name: ping
    url: icmp://example.org
    enabled: false
    conditions: ["[CONNECTED] == true"]
  - name: ldaps
    url: tls://ldap.example.org:636
    conditions: ["[CERTIFICATE_EXPIRATION] > 48h"]
  - name: smtp
    url: starttls://smtp.example.org:587
    conditions: ["[CONNECTED] == true"]
  - name: dns
    url: 8.8.8.8
    dns:
      query-name: example.org
      query-type: aaaa
    conditions: ["[DNS_RCODE] == NOERROR"]
  - name: graphql
    url: https://example.org/graphql
    graphql: true
    headers:
      content-type: application/graphql
      user-agent: mine
    conditions: ["[STATUS] == 200"]
`)
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	type summary struct {
		Key, Method string
		Kind        monitor.Kind
		Enabled     bool
		Headers     []monitor.Header
		DNS         *monitor.DNSQuery
		Interval    time.Duration
		Timeout     time.Duration
		Network     string
		Badge       [5]int
	}
	ua := []monitor.Header{{Name: "User-Agent", Value: DefaultUserAgent}}
	defaults := summary{Enabled: true, Interval: time.Minute, Timeout: 10 * time.Second, Network: "ip", Badge: [5]int{50, 200, 300, 500, 750}}
	with := func(f func(*summary)) summary { s := defaults; f(&s); return s }
	want := []summary{
		with(func(s *summary) { s.Key, s.Kind, s.Method, s.Headers = "_web", monitor.KindHTTP, "GET", ua }),
		with(func(s *summary) { s.Key, s.Kind = "db_redis", monitor.KindTCP }),
		with(func(s *summary) { s.Key, s.Kind = "_udp", monitor.KindUDP }),
		with(func(s *summary) { s.Key, s.Kind, s.Enabled = "_ping", monitor.KindICMP, false }),
		with(func(s *summary) { s.Key, s.Kind = "_ldaps", monitor.KindTLS }),
		with(func(s *summary) { s.Key, s.Kind = "_smtp", monitor.KindSTARTTLS }),
		with(func(s *summary) {
			s.Key, s.Kind, s.DNS = "_dns", monitor.KindDNS, &monitor.DNSQuery{QueryType: "AAAA", QueryName: "example.org."}
		}),
		with(func(s *summary) {
			s.Key, s.Kind, s.Method = "_graphql", monitor.KindHTTP, "GET"
			s.Headers = []monitor.Header{{Name: "content-type", Value: "application/graphql"}, {Name: "user-agent", Value: "mine"}}
		}),
	}
	var got []summary
	for _, m := range cfg.Monitors {
		got = append(got, summary{
			Key: m.Key, Method: m.Method, Kind: m.Kind, Enabled: m.Enabled, Headers: m.Headers, DNS: m.DNS,
			Interval: m.Interval, Timeout: m.Client.Timeout, Network: m.Client.Network, Badge: m.UI.ResponseTimeBadgeThresholds,
		})
	}
	if diff := cmp.Diff(want, got, specOptions); diff != "" {
		t.Errorf("monitors (-want +got):\n%s", diff)
	}
}

func TestEndpointUnsupportedKinds(t *testing.T) {
	cfg, warns := mustLoad(t, `endpoints:
  - name: ssh
    url: ssh://example.org:22
    ssh:
      username: u
      password: p
    conditions: ["[CONNECTED] == true"]
  - name: grpc
    url: grpcs://example.org:443
    conditions: ["[CONNECTED] == true"]
  - name: ws
    url: wss://echo.example.org/
    conditions: ["[CONNECTED] == true"]
  - name: sctp
    url: sctp://127.0.0.1:38412
    conditions: ["[CONNECTED] == true"]
  - name: ftp
    url: ftp://example.org
    conditions: ["[CONNECTED] == true"]
  - name: kept
    url: https://example.org
    conditions: ["[STATUS] == 200"]
`)
	if len(cfg.Monitors) != 1 || cfg.Monitors[0].Key != "_kept" {
		t.Fatalf("monitors: got %d, want only _kept", len(cfg.Monitors))
	}
	want := []string{
		`custodes.yaml:3: endpoints[0].url: ssh:// is a Gatus endpoint kind custodes cannot probe: endpoint "ssh" is not monitored`,
		`custodes.yaml:9: endpoints[1].url: grpcs:// is a Gatus endpoint kind custodes cannot probe: endpoint "grpc" is not monitored`,
		`custodes.yaml:12: endpoints[2].url: wss:// is a Gatus endpoint kind custodes cannot probe: endpoint "ws" is not monitored`,
		`custodes.yaml:15: endpoints[3].url: sctp:// is a Gatus endpoint kind custodes cannot probe: endpoint "sctp" is not monitored`,
		`custodes.yaml:18: endpoints[4].url: ftp:// is a kind custodes cannot probe: endpoint "ftp" is not monitored`,
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestEndpointWarnings(t *testing.T) {
	_, warns := mustLoad(t, `endpoints:
  - name: tcp
    url: tcp://example.org:80
    method: POST
    headers: {X: y}
    graphql: true
    ssh: {username: u}
    store: {id: "[BODY].id"}
    always-run: true
    client:
      identity-aware-proxy: {audience: x}
      kerberos: {principal: a@B}
      tunnel: prod
      store-cookies: true
    conditions: ["[CONNECTED] == true"]
`)
	want := []string{
		"custodes.yaml:4: endpoints[0].method: only used by HTTP endpoints: ignored for TCP",
		"custodes.yaml:5: endpoints[0].headers: only used by HTTP endpoints: ignored for TCP",
		"custodes.yaml:6: endpoints[0].graphql: only used by HTTP endpoints: ignored for TCP",
		"custodes.yaml:7: endpoints[0].ssh: only used by ssh:// endpoints, which custodes does not support: ignored",
		"custodes.yaml:8: endpoints[0].store: only used by endpoints inside suites, which custodes does not support: ignored",
		"custodes.yaml:9: endpoints[0].always-run: only used by endpoints inside suites, which custodes does not support: ignored",
		"custodes.yaml:11: endpoints[0].client.identity-aware-proxy: not supported by custodes: ignored, requests are sent without it",
		"custodes.yaml:12: endpoints[0].client.kerberos: not supported by custodes: ignored, requests are sent without it",
		"custodes.yaml:13: endpoints[0].client.tunnel: not supported by custodes: ignored, requests are sent without it",
		"custodes.yaml:14: endpoints[0].client.store-cookies: not supported by custodes: ignored, cookies are not kept between checks",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestEndpointClientTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir)
	cfg, _ := mustLoad(t, `endpoints:
  - name: mtls
    url: https://example.org
    client:
      tls:
        certificate-file: `+cert+`
        private-key-file: `+key+`
    conditions: ["[STATUS] == 200"]
`)
	want := &monitor.ClientTLS{CertificateFile: cert, PrivateKeyFile: key, Renegotiation: "never"}
	if diff := cmp.Diff(want, cfg.Monitors[0].Client.TLS); diff != "" {
		t.Errorf("client tls (-want +got):\n%s", diff)
	}

	got := loadErrors(t, `endpoints:
  - name: mtls
    url: https://example.org
    client:
      tls:
        certificate-file: `+filepath.Join(dir, "missing.pem")+`
        private-key-file: `+key+`
        renegotiation: sometimes
    conditions: ["[STATUS] == 200"]
`, noEnv)
	want2 := []string{
		`custodes.yaml:5: endpoints[0].client.tls: cannot load the certificate and key: open ` + filepath.Join(dir, "missing.pem") + `: no such file or directory`,
		`custodes.yaml:8: endpoints[0].client.tls.renegotiation: invalid renegotiation "sometimes": use never, once or freely`,
	}
	if diff := cmp.Diff(want2, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestConditionErrors checks that conditions go through condition.Parse and
// that its errors are reported at the condition's line. The expectation is
// derived from condition.Parse itself, so the test holds for any parser.
func TestConditionErrors(t *testing.T) {
	for _, text := range []string{"[STATUS] 200", "[STATUS] ==", "len([BODY] > 1", "[STATUS] == 200"} {
		t.Run(text, func(t *testing.T) {
			content := "endpoints:\n  - name: a\n    url: https://example.org\n    conditions:\n      - \"[CONNECTED] == true\"\n      - " + strconvQuote(text) + "\n"
			_, perr := condition.Parse(text)
			cfg, _, err := loadString(t, content, noEnv)
			if perr == nil {
				if err != nil {
					t.Fatalf("condition.Parse accepts %q but Load fails: %v", text, err)
				}
				if got := cfg.Monitors[0].Conditions[1].String(); got != text {
					t.Errorf("condition: got %q, want %q", got, text)
				}
				return
			}
			if err == nil {
				t.Fatalf("condition.Parse rejects %q (%v) but Load succeeds", text, perr)
			}
			msg := perr.Error()
			if !strings.Contains(msg, strconvQuote(text)) {
				msg = "invalid condition " + strconvQuote(text) + ": " + msg
			}
			want := "custodes.yaml:6: endpoints[0].conditions[1]: " + msg
			dir := filepath.Dir(cfg0Path(err))
			if got := relative(dir, err.Error()); got != want {
				t.Errorf("error:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func strconvQuote(s string) string { return quote(s) }

// cfg0Path returns the file of the first error.
func cfg0Path(err error) string {
	return strings.SplitN(err.Error(), ":", 2)[0]
}

func TestEndpointFailureRate(t *testing.T) {
	cfg, _ := mustLoad(t, `endpoints:
  - name: a
    url: http://127.0.0.1/
    conditions: ["[STATUS] == 200"]
    failure-rate: {max-failures: 5, window: 10m, only-5xx: true}
`)
	want := &monitor.FailureRate{MaxFailures: 5, Window: 10 * time.Minute, Only5xx: true}
	if got := cfg.Monitors[0].FailureRate; got == nil || *got != *want {
		t.Fatalf("failure-rate %+v, want %+v", got, want)
	}
	got := loadErrors(t, `endpoints:
  - name: a
    url: http://127.0.0.1/
    conditions: ["[STATUS] == 200"]
    failure-rate: {max-failures: 0, window: 0s}
`, noEnv)
	want2 := []string{
		"custodes.yaml:5: endpoints[0].failure-rate.max-failures: must be from 1 to 10000, got 0",
		"custodes.yaml:5: endpoints[0].failure-rate.window: must be a positive duration, e.g. 10m",
	}
	if !cmp.Equal(got, want2) {
		t.Fatalf("errors %q, want %q", got, want2)
	}
}
