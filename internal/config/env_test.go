package config

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpand(t *testing.T) {
	env := envOf(map[string]string{"HOST": "example.org", "PORT": "8080", "EMPTY": "", "A_1": "x", "1": "one", "@": "at"})
	for _, tc := range []struct {
		in, want string
		bad      []string
	}{
		{"plain", "plain", nil},
		{"$HOST", "example.org", nil},
		{"${HOST}:${PORT}", "example.org:8080", nil},
		{"https://$HOST/x", "https://example.org/x", nil},
		{"$A_1-$A_1", "x-x", nil},
		{"[$EMPTY]", "[]", nil},
		{"$$HOST", "$HOST", nil},
		{"$$$HOST", "$example.org", nil},
		{"$$$$", "$$", nil},
		{"cost $ 5", "cost $ 5", nil},
		{"trailing $", "trailing $", nil},
		{"$1 and ${@}", "one and at", nil},
		{"$.name", "$.name", nil},
		{"${MISSING}", "", []string{`environment variable "MISSING" is not set (write $$ for a literal $)`}},
		// As os.Expand: "$1" is a one-character special variable, so "$10" is "$1" then "0".
		{"$2a$10$hash", "aone0", []string{
			`environment variable "2" is not set (write $$ for a literal $)`,
			`environment variable "hash" is not set (write $$ for a literal $)`,
		}},
		{"${unterminated", "unterminated", []string{`"${" without a closing "}" (write $$ for a literal $)`}},
		{"a${}b", "ab", []string{`empty variable reference "${}" (write $$ for a literal $)`}},
	} {
		got, bad := expand(tc.in, env)
		var msgs []string
		for _, b := range bad {
			msgs = append(msgs, b.msg)
		}
		if got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if diff := cmp.Diff(tc.bad, msgs); diff != "" {
			t.Errorf("expand(%q) problems (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestEnvInConfig(t *testing.T) {
	dir := writeTree(t, map[string]string{"custodes.yaml": `# Comments are not expanded: $UNSET_IN_COMMENT
web:
  port: ${PORT}
metrics: $ON
endpoints:
  - name: site-$DOMAIN
    url: https://${DOMAIN}/health
    interval: ${EMPTY}
    headers:
      Authorization: "Bearer $TOKEN"
      X-Literal: "$$NOT_A_VAR"
    body: |
      {"domain": "$DOMAIN"}
    conditions: ["[STATUS] == 200"]
`})
	path := filepath.Join(dir, "custodes.yaml")
	cfg, err := Load(context.Background(), path, envOf(map[string]string{"PORT": "9090", "TOKEN": "s3cr3t", "DOMAIN": "example.org", "EMPTY": "", "ON": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Monitors[0]
	if cfg.Web.Port != 9090 || !cfg.Metrics || m.Name != "site-example.org" || m.URL != "https://example.org/health" {
		t.Errorf("port %d, metrics %v, name %q, url %q", cfg.Web.Port, cfg.Metrics, m.Name, m.URL)
	}
	if m.Interval != DefaultInterval {
		t.Errorf("interval %s: an empty plain value is null, so the default applies", m.Interval)
	}
	if m.Body != "{\"domain\": \"example.org\"}\n" {
		t.Errorf("body %q", m.Body)
	}
	headers := map[string]string{}
	for _, h := range m.Headers {
		headers[h.Name] = h.Value
	}
	if headers["Authorization"] != "Bearer s3cr3t" || headers["X-Literal"] != "$NOT_A_VAR" {
		t.Errorf("headers %v", headers)
	}
	// The fingerprint is of the file as written, before expansion.
	cfg2, err := Load(context.Background(), path, envOf(map[string]string{"PORT": "1", "TOKEN": "other", "DOMAIN": "example.com", "EMPTY": "", "ON": "false"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.Fingerprint != cfg.Fingerprint || cfg2.Web.Port != 1 {
		t.Errorf("fingerprint depends on the environment, or the environment was not used (port %d)", cfg2.Web.Port)
	}
}

func TestEnvErrors(t *testing.T) {
	got := loadErrors(t, `web:
  port: ${PORT}
  address: $ADDR
endpoints:
  - name: a
    url: https://example.org
    headers:
      Authorization: Bearer ${TOKEN}
    body: |
      line one
      uses $SECRET here
    conditions: ["[STATUS] == 200"]
  - name: b
    url: https://example.org
    interval: 5x
    conditions: ["[STATUS] == 200"]
security:
  basic:
    username: u
    password-bcrypt-base64: $2a$10$abc
`, envOf(map[string]string{"ADDR": "127.0.0.1"}))
	want := []string{
		`custodes.yaml:2: web.port: environment variable "PORT" is not set (write $$ for a literal $)`,
		`custodes.yaml:8: endpoints[0].headers.Authorization: environment variable "TOKEN" is not set (write $$ for a literal $)`,
		`custodes.yaml:11: endpoints[0].body: environment variable "SECRET" is not set (write $$ for a literal $)`,
		`custodes.yaml:15: endpoints[1].interval: invalid duration "5x"`,
		`custodes.yaml:20: security.basic.password-bcrypt-base64: environment variable "2" is not set (write $$ for a literal $)`,
		`custodes.yaml:20: security.basic.password-bcrypt-base64: environment variable "1" is not set (write $$ for a literal $)`,
		`custodes.yaml:20: security.basic.password-bcrypt-base64: environment variable "abc" is not set (write $$ for a literal $)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
