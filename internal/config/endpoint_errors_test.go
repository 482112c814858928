package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// endpointErrorCases are invalid endpoints and the exact errors they give.
var endpointErrorCases = []struct {
	name string
	yaml string
	want []string
}{
	{"missing name and url", `endpoints:
  - conditions: ["[STATUS] == 200"]
`, []string{
		"custodes.yaml:2: endpoints[0].name: is required",
		"custodes.yaml:2: endpoints[0].url: is required",
	}},
	{"bad name and group", `endpoints:
  - name: 'a"b'
    group: 'c\d'
    url: https://example.org
    conditions: ["[STATUS] == 200"]
`, []string{
		`custodes.yaml:2: endpoints[0].name: must not contain " or \`,
		`custodes.yaml:3: endpoints[0].group: must not contain " or \`,
	}},
	{"url without scheme", `endpoints:
  - name: a
    url: example.org
    conditions: ["[STATUS] == 200"]
`, []string{
		"custodes.yaml:3: endpoints[0].url: unknown endpoint type: the url must start with http://, https://, tcp://, udp://, icmp://, tls:// or starttls:// (or the endpoint needs a dns section)",
	}},
	{"bad targets", `endpoints:
  - name: a
    url: "https://"
    conditions: ["[STATUS] == 200"]
  - name: b
    url: tcp://example.org
    conditions: ["[CONNECTED] == true"]
  - name: c
    url: udp://example.org:70000
    conditions: ["[CONNECTED] == true"]
  - name: d
    url: "icmp://"
    conditions: ["[CONNECTED] == true"]
  - name: e
    url: "http://exa mple.org/"
    conditions: ["[STATUS] == 200"]
  - name: f
    url: 8.8.8.8:0
    dns: {query-name: example.org, query-type: A}
    conditions: ["[DNS_RCODE] == NOERROR"]
  - name: g
    url: tcp://example.org:smtp
    conditions: ["[CONNECTED] == true"]
  - name: h
    url: tls://example.org:-1
    conditions: ["[CONNECTED] == true"]
`, []string{
		"custodes.yaml:3: endpoints[0].url: invalid URL: the host is missing",
		`custodes.yaml:6: endpoints[1].url: invalid address "example.org": want host:port (e.g. tcp://example.org:443)`,
		`custodes.yaml:9: endpoints[2].url: invalid address "example.org:70000": port must be between 1 and 65535 (e.g. udp://example.org:443)`,
		`custodes.yaml:12: endpoints[3].url: invalid address "": want icmp://host`,
		`custodes.yaml:15: endpoints[4].url: invalid URL: invalid character " " in host name`,
		`custodes.yaml:18: endpoints[5].url: invalid address "8.8.8.8:0": port must be between 1 and 65535`,
		`custodes.yaml:25: endpoints[7].url: invalid address "example.org:-1": port must be between 1 and 65535 (e.g. tls://example.org:443)`,
	}},
	{"intervals", `endpoints:
  - name: a
    url: https://example.org
    interval: 5x
    conditions: ["[STATUS] == 200"]
  - name: b
    url: https://example.org
    interval: 60
    conditions: ["[STATUS] == 200"]
  - name: c
    url: https://example.org
    interval: -1m
    conditions: ["[STATUS] == 200"]
  - name: d
    url: https://example.org
    interval: 1m
    conditions: ["[DOMAIN_EXPIRATION] > 720h"]
`, []string{
		`custodes.yaml:4: endpoints[0].interval: invalid duration "5x"`,
		`custodes.yaml:8: endpoints[1].interval: invalid duration "60" (missing unit, e.g. "60s")`,
		"custodes.yaml:12: endpoints[2].interval: must be positive, got -1m0s",
		"custodes.yaml:17: endpoints[3].conditions[0]: [DOMAIN_EXPIRATION] needs an interval of at least 5m0s, got 1m0s",
	}},
	{"conditions", `endpoints:
  - name: a
    url: https://example.org
  - name: b
    url: https://example.org
    conditions: []
  - name: c
    url: https://example.org
    conditions: "[STATUS] == 200"
  - name: d
    url: https://example.org
    conditions:
      - {status: 200}
`, []string{
		`custodes.yaml:2: endpoints[0].conditions: at least one condition is required (e.g. "[STATUS] == 200")`,
		`custodes.yaml:6: endpoints[1].conditions: at least one condition is required (e.g. "[STATUS] == 200")`,
		`custodes.yaml:9: endpoints[2].conditions: expected a list, got "[STATUS] == 200"`,
		`custodes.yaml:13: endpoints[3].conditions[0]: expected a string, got a mapping`,
	}},
	{"request", `endpoints:
  - name: a
    url: https://example.org
    method: GE T
    headers:
      Bad Header: x
      X-Line: "a\nb"
      x-dup: 1
      X-Dup: 2
    conditions: ["[STATUS] == 200"]
`, []string{
		`custodes.yaml:4: endpoints[0].method: invalid method "GE T"`,
		`custodes.yaml:6: endpoints[0].headers.Bad Header: invalid header name "Bad Header"`,
		`custodes.yaml:7: endpoints[0].headers.X-Line: header value must not contain control characters`,
		`custodes.yaml:8: endpoints[0].headers.x-dup: same header as "X-Dup" (header names are case-insensitive)`,
	}},
	{"client", `endpoints:
  - name: a
    url: https://example.org
    client:
      timeout: 500us
      dns-resolver: 8.8.8.8:53
      proxy-url: ftp://proxy.example
      network: ip5
      tls: {certificate-file: cert.pem}
      oauth2: {token-url: "not a url", client-id: x}
    conditions: ["[STATUS] == 200"]
  - name: b
    url: https://example.org
    client:
      timeout: -1s
      dns-resolver: quic://1.1.1.1:53
      proxy-url: "http://"
    conditions: ["[STATUS] == 200"]
  - name: c
    url: https://example.org
    client:
      dns-resolver: tcp://1.1.1.1:0
    conditions: ["[STATUS] == 200"]
`, []string{
		"custodes.yaml:5: endpoints[0].client.timeout: must be at least 1ms, got 500µs",
		`custodes.yaml:6: endpoints[0].client.dns-resolver: invalid DNS resolver "8.8.8.8:53": the format is {proto}://{host}:{port}, e.g. udp://1.1.1.1:53`,
		"custodes.yaml:7: endpoints[0].client.proxy-url: invalid proxy URL: the scheme must be http, https or socks5",
		`custodes.yaml:8: endpoints[0].client.network: invalid network "ip5": use ip, ip4 or ip6`,
		"custodes.yaml:9: endpoints[0].client.tls: certificate-file and private-key-file must both be set",
		"custodes.yaml:10: endpoints[0].client.oauth2.client-secret: is required for the client credentials flow",
		"custodes.yaml:10: endpoints[0].client.oauth2.scopes: at least one scope is required for the client credentials flow",
		"custodes.yaml:10: endpoints[0].client.oauth2.token-url: invalid URL: the scheme must be http or https",
		"custodes.yaml:15: endpoints[1].client.timeout: must be at least 1ms, got -1s",
		`custodes.yaml:16: endpoints[1].client.dns-resolver: invalid DNS resolver "quic://1.1.1.1:53": the protocol must be tcp or udp`,
		"custodes.yaml:17: endpoints[1].client.proxy-url: invalid proxy URL: the host is missing",
		`custodes.yaml:22: endpoints[2].client.dns-resolver: invalid DNS resolver "tcp://1.1.1.1:0": the port must be between 1 and 65535`,
	}},
	{"ui and dns", `endpoints:
  - name: a
    url: https://example.org
    ui:
      badge:
        response-time:
          thresholds: [50, 200, 300, 500]
    conditions: ["[STATUS] == 200"]
  - name: b
    url: https://example.org
    ui:
      badge:
        response-time:
          thresholds: [500, 200, 300, 500, 750]
    conditions: ["[STATUS] == 200"]
  - name: c
    url: 1.1.1.1
    dns:
      query-type: BOGUS
    conditions: ["[DNS_RCODE] == NOERROR"]
`, []string{
		"custodes.yaml:7: endpoints[0].ui.badge.response-time.thresholds: expected 5 ascending response times in milliseconds (e.g. [50, 200, 300, 500, 750]), got [50 200 300 500]",
		"custodes.yaml:14: endpoints[1].ui.badge.response-time.thresholds: expected 5 ascending response times in milliseconds (e.g. [50, 200, 300, 500, 750]), got [500 200 300 500 750]",
		"custodes.yaml:18: endpoints[2].dns.query-name: is required (e.g. example.org)",
		`custodes.yaml:19: endpoints[2].dns.query-type: invalid query type "BOGUS" (e.g. A, AAAA, CNAME, MX, NS, TXT)`,
	}},
	{"custodes fields", `endpoints:
  - name: a
    url: https://example.org
    vantage: -1
    confirm: -2
    extra-labels: {"bad label": x}
    node-labels: {region: "eu\nwest"}
    conditions: ["[STATUS] == 200"]
  - name: b
    url: https://example.org
    vantage: 2
    confirm: 3
    conditions: ["[STATUS] == 200"]
`, []string{
		"custodes.yaml:4: endpoints[0].vantage: must be 0 (the cluster default) or more, got -1",
		"custodes.yaml:5: endpoints[0].confirm: must be 0 (a majority of vantage) or more, got -2",
		`custodes.yaml:6: endpoints[0].extra-labels.bad label: invalid label name "bad label": use letters, digits, '_', '.', '/' and '-' (at most 63)`,
		"custodes.yaml:7: endpoints[0].node-labels.region: label value must be one line",
		"custodes.yaml:12: endpoints[1].confirm: must not exceed vantage (2), got 3",
	}},
	{"unknown keys and wrong types", `endpoints:
  - name: a
    url: https://example.org
    intervall: 1m
    frobnicate: true
    enabled: maybe
    vantage: three
    headers: [a]
    client: {timeout: {}}
    conditions: ["[STATUS] == 200"]
`, []string{
		`custodes.yaml:4: endpoints[0].intervall: unknown key (did you mean "interval"?)`,
		"custodes.yaml:5: endpoints[0].frobnicate: unknown key",
		`custodes.yaml:6: endpoints[0].enabled: invalid boolean "maybe" (use true or false)`,
		`custodes.yaml:7: endpoints[0].vantage: invalid integer "three"`,
		"custodes.yaml:8: endpoints[0].headers: expected a mapping, got a list",
		"custodes.yaml:9: endpoints[0].client.timeout: expected a duration, got a mapping",
	}},
	{"duplicate keys", `endpoints:
  - name: api
    group: core
    url: https://example.org
    conditions: ["[STATUS] == 200"]
  - name: API
    group: Core
    url: https://example.com
    conditions: ["[STATUS] == 200"]
external-endpoints:
  - name: a b
    token: t
push-endpoints:
  - name: a.b
    token: abcdefgh
    period: 1h
`, []string{
		`custodes.yaml:6: endpoints[1]: duplicate key "core_api" (from group "Core" and name "API"): already defined at custodes.yaml:2`,
		`custodes.yaml:14: push-endpoints[0]: duplicate key "_a-b" (from group "" and name "a.b"): already defined at custodes.yaml:11`,
	}},
	{"alerts", `alerting:
  slack: {webhook-url: "https://hooks.example/x"}
endpoints:
  - name: a
    url: https://example.org
    conditions: ["[STATUS] == 200"]
    alerts:
      - description: no type
      - type: slack
        failure-threshold: -1
        success-threshold: -2
        minimum-reminder-interval: 1m
      - type: slack
        provider-override: [x]
`, []string{
		"custodes.yaml:8: endpoints[0].alerts[0].type: is required (the alerting provider, e.g. slack)",
		"custodes.yaml:10: endpoints[0].alerts[1].failure-threshold: must be 1 or more, got -1",
		"custodes.yaml:11: endpoints[0].alerts[1].success-threshold: must be 1 or more, got -2",
		"custodes.yaml:12: endpoints[0].alerts[1].minimum-reminder-interval: must be omitted, 0, or at least 5m0s, got 1m0s",
		"custodes.yaml:14: endpoints[0].alerts[2].provider-override: expected a mapping, got a list",
	}},
	{"maintenance windows", `endpoints:
  - name: a
    url: https://example.org
    conditions: ["[STATUS] == 200"]
    maintenance-windows:
      - start: "7:30"
        duration: 25h
        timezone: Mars/Olympus
        every: [Funday]
      - timezone: Local
      - start: "24:00"
        duration: 0s
        enabled: false
`, []string{
		`custodes.yaml:6: endpoints[0].maintenance-windows[0].start: invalid start "7:30": must be hh:mm between 00:00 and 23:59 (e.g. 23:00)`,
		"custodes.yaml:7: endpoints[0].maintenance-windows[0].duration: must be more than 0 and at most 24h, got 25h0m0s",
		`custodes.yaml:8: endpoints[0].maintenance-windows[0].timezone: invalid timezone "Mars/Olympus": use an IANA name (e.g. America/Sao_Paulo)`,
		`custodes.yaml:9: endpoints[0].maintenance-windows[0].every[0]: invalid day "Funday": use Sunday, Monday, Tuesday, Wednesday, Thursday, Friday or Saturday`,
		"custodes.yaml:10: endpoints[0].maintenance-windows[1].start: is required (hh:mm, e.g. 23:00)",
		"custodes.yaml:10: endpoints[0].maintenance-windows[1].duration: is required (e.g. 1h)",
		`custodes.yaml:10: endpoints[0].maintenance-windows[1].timezone: invalid timezone "Local": use an IANA name (e.g. Europe/Berlin), since nodes may run in different zones`,
		`custodes.yaml:11: endpoints[0].maintenance-windows[2].start: invalid start "24:00": must be hh:mm between 00:00 and 23:59 (e.g. 23:00)`,
		"custodes.yaml:12: endpoints[0].maintenance-windows[2].duration: must be more than 0 and at most 24h, got 0s",
	}},
	{"shapes", `endpoints:
  - just a string
  - name: ok
    url: https://example.org
    conditions: ["[STATUS] == 200"]
external-endpoints: {name: x}
`, []string{
		`custodes.yaml:2: endpoints[0]: expected a mapping, got "just a string"`,
		"custodes.yaml:6: external-endpoints: expected a list, got a mapping",
	}},
}

func TestEndpointErrors(t *testing.T) {
	for _, tc := range endpointErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			got := loadErrors(t, tc.yaml, noEnv)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
