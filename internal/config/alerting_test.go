package config

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
)

func TestDefaultAlertMerge(t *testing.T) {
	cfg, warns := mustLoad(t, `alerting:
  slack:
    webhook-url: https://hooks.example/slack
    default-alert:
      enabled: false
      failure-threshold: 5
      success-threshold: 4
      send-on-resolved: true
      description: from default
      minimum-reminder-interval: 10m
  pagerduty:
    integration-key: k
  discord:
    webhook-url: https://hooks.example/discord
    default-alert:
      description: zero thresholds
external-endpoints:
  - name: ext
    token: secret
    alerts:
      - type: slack
      - type: slack
        enabled: true
        failure-threshold: 1
        success-threshold: 1
        send-on-resolved: false
        description: ""
        minimum-reminder-interval: 1h
      - type: slack
        failure-threshold: 0
      - type: pagerduty
      - type: discord
      - type: teams
`)
	file := cfg.Files[0]
	src := func(line int) string { return fmt.Sprintf("%s:%d", file, line) }
	want := []monitor.Alert{
		{Type: "slack", Enabled: false, FailureThreshold: 5, SuccessThreshold: 4, SendOnResolved: true, Description: "from default", MinimumReminderInterval: 10 * time.Minute, Source: src(21)},
		{Type: "slack", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: false, Description: "", MinimumReminderInterval: time.Hour, Source: src(22)},
		{Type: "slack", Enabled: false, FailureThreshold: 5, SuccessThreshold: 4, SendOnResolved: true, Description: "from default", MinimumReminderInterval: 10 * time.Minute, Source: src(29)},
		{Type: "pagerduty", Enabled: true, FailureThreshold: 3, SuccessThreshold: 2, Source: src(31)},
		{Type: "discord", Enabled: true, FailureThreshold: 3, SuccessThreshold: 2, Description: "zero thresholds", Source: src(32)},
		{Type: "teams", Enabled: false, FailureThreshold: 3, SuccessThreshold: 2, Source: src(33)},
	}
	if diff := cmp.Diff(want, cfg.Monitors[0].Alerts, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	wantWarns := []string{"custodes.yaml:33: external-endpoints[0].alerts[5].type: no alerting.teams section is configured: this alert is ignored"}
	if diff := cmp.Diff(wantWarns, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// The provider sections no longer contain default-alert.
	for name, s := range cfg.Alerting {
		var m map[string]any
		if err := s.Decode(&m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := m["default-alert"]; ok {
			t.Errorf("%s: section still has default-alert", name)
		}
	}
}

// slackSettings stands for a notifier's own settings type.
type slackSettings struct {
	WebhookURL string        `yaml:"webhook-url"`
	Source     *netip.Addr   `yaml:"source"`
	Title      string        `yaml:"title"`
	Timeout    time.Duration `yaml:"timeout"`
	Overrides  []struct {
		Group        string `yaml:"group"`
		slackChannel `yaml:",inline"`
	} `yaml:"overrides"`
	Level level `yaml:"level"`
}

type slackChannel struct {
	Channel string `yaml:"channel"`
}

// level implements yaml.Unmarshaler.
type level int

func (l *level) UnmarshalYAML(n *yaml.Node) error {
	switch n.Value {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return fmt.Errorf("level must be low or high, got %q", n.Value)
	}
	return nil
}

func TestSectionDecode(t *testing.T) {
	cfg, _ := mustLoad(t, `alerting:
  slack:
    webhook-url: https://hooks.example/slack
    source: 10.0.0.1
    title: Down!
    timeout: 1d2h
    level: high
    overrides:
      - group: core
        channel: "#core"
    default-alert:
      failure-threshold: 2
`)
	s := cfg.Alerting["slack"]
	if s.Name != "slack" || s.File != cfg.Files[0] || s.Node.Line != 3 || len(s.Node.Content) != 12 {
		t.Errorf("section: name %q file %q line %d", s.Name, s.File, s.Node.Line)
	}
	var got slackSettings
	if err := s.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.WebhookURL != "https://hooks.example/slack" || got.Source.String() != "10.0.0.1" || got.Title != "Down!" || got.Timeout != 26*time.Hour || got.Level != 2 {
		t.Errorf("decoded %+v", got)
	}
	if len(got.Overrides) != 1 || got.Overrides[0].Group != "core" || got.Overrides[0].Channel != "#core" {
		t.Errorf("overrides %+v", got.Overrides)
	}
	if err := s.Decode(got); err == nil {
		t.Error("Decode into a non-pointer: no error")
	}
}

func TestSectionDecodeErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.yaml": "alerting:\n  slack:\n    source: 10.0.0.256\n    tite: x\n",
		"b.yaml": "alerting:\n  slack:\n    timeout: soon\n    level: medium\n    overrides:\n      - group: [x]\n        chanel: y\n",
	})
	cfg, err := Load(context.Background(), dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var got slackSettings
	err = cfg.Alerting["slack"].Decode(&got)
	var list *Errors
	if !errors.As(err, &list) {
		t.Fatalf("Decode error %T %v, want *Errors", err, err)
	}
	want := []string{
		`a.yaml:3: alerting.slack.source: invalid value "10.0.0.256": ParseAddr("10.0.0.256"): IPv4 field has value >255`,
		`a.yaml:4: alerting.slack.tite: unknown key (did you mean "title"?)`,
		`b.yaml:3: alerting.slack.timeout: invalid duration "soon"`,
		`b.yaml:4: alerting.slack.level: level must be low or high, got "medium"`,
		`b.yaml:6: alerting.slack.overrides[0].group: expected a string, got a list`,
		`b.yaml:7: alerting.slack.overrides[0].chanel: unknown key (did you mean "channel"?)`,
	}
	if diff := cmp.Diff(want, strings.Split(relative(dir, list.Error()), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestAlertingSectionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"not a mapping", "alerting: [slack]\n", []string{
			"custodes.yaml:1: alerting: expected a mapping of providers (e.g. slack:), got a list",
		}},
		{"provider not a mapping", "alerting:\n  slack: https://hooks.example\n", []string{
			`custodes.yaml:2: alerting.slack: expected a mapping of the provider's settings, got "https://hooks.example"`,
		}},
		{"default-alert", `alerting:
  slack:
    webhook-url: x
    default-alert:
      failure-treshold: 2
      success-threshold: -1
      minimum-reminder-interval: 4m
      send-on-resolved: sometimes
`, []string{
			`custodes.yaml:5: alerting.slack.default-alert.failure-treshold: unknown key (did you mean "failure-threshold"?)`,
			"custodes.yaml:6: alerting.slack.default-alert.success-threshold: must be 1 or more, got -1",
			"custodes.yaml:7: alerting.slack.default-alert.minimum-reminder-interval: must be omitted, 0, or at least 5m0s, got 4m0s",
			`custodes.yaml:8: alerting.slack.default-alert.send-on-resolved: invalid boolean "sometimes" (use true or false)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, loadErrors(t, tc.yaml, noEnv)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmptyProviderSection(t *testing.T) {
	cfg, warns := mustLoad(t, "alerting:\n  slack:\n  discord: {webhook-url: x}\n")
	if _, ok := cfg.Alerting["slack"]; ok {
		t.Error("empty slack section kept")
	}
	if _, ok := cfg.Alerting["discord"]; !ok {
		t.Error("discord section missing")
	}
	want := []string{
		"custodes.yaml: no endpoints, external-endpoints or push-endpoints defined; monitors can still be added through the API",
		`custodes.yaml:2: alerting.slack: empty provider section: alerts of type "slack" are ignored`,
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestSectionDecodeOfSplitSection(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"1.yaml":     "alerting:\n  custom:\n    url: https://example.org/hook\n",
		"sub/2.yaml": "alerting:\n  custom:\n    method: POST\n    headers: {X-A: b}\n",
	})
	cfg, err := Load(context.Background(), dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		URL     string            `yaml:"url"`
		Method  string            `yaml:"method"`
		Headers map[string]string `yaml:"headers"`
	}
	s := cfg.Alerting["custom"]
	if err := s.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.URL != "https://example.org/hook" || got.Method != "POST" || got.Headers["X-A"] != "b" {
		t.Errorf("decoded %+v", got)
	}
	if s.File != filepath.Join(dir, "1.yaml") {
		t.Errorf("File %q, want the first file", s.File)
	}
}

// TestSectionDecodeKinds covers the value kinds a notifier's settings may
// use: unsigned and float numbers, inline structs and an inline map that
// collects the remaining keys.
func TestSectionDecodeKinds(t *testing.T) {
	cfg, _ := mustLoad(t, `alerting:
  custom:
    priority: 0x0F
    ratio: 0.25
    ids: [1, 2, 3]
    limits: {a: 1, b: 2}
    anything: {x: [1, two]}
    channel: "#ops"
    extra-one: 1
    extra-two: two
`)
	var got struct {
		Priority     uint8          `yaml:"priority"`
		Ratio        float64        `yaml:"ratio"`
		IDs          []int          `yaml:"ids"`
		Limits       map[string]int `yaml:"limits"`
		Anything     any            `yaml:"anything"`
		slackChannel `yaml:",inline"`
		Rest         map[string]any `yaml:",inline"`
		Ignored      string         `yaml:"-"`
	}
	if err := cfg.Alerting["custom"].Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Priority != 15 || got.Ratio != 0.25 || len(got.IDs) != 3 || got.Limits["b"] != 2 || got.Channel != "#ops" {
		t.Errorf("decoded %+v", got)
	}
	if diff := cmp.Diff(map[string]any{"x": []any{1, "two"}}, got.Anything); diff != "" {
		t.Errorf("anything (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"extra-one": 1, "extra-two": "two"}, got.Rest); diff != "" {
		t.Errorf("inline map (-want +got):\n%s", diff)
	}

	cfg, _ = mustLoad(t, "alerting:\n  custom:\n    priority: 256\n    ratio: half\n    ids: [1, x]\n    limits: [1]\n")
	err := cfg.Alerting["custom"].Decode(&got)
	want := []string{
		`custodes.yaml:3: alerting.custom.priority: invalid unsigned integer "256"`,
		`custodes.yaml:4: alerting.custom.ratio: invalid number "half"`,
		`custodes.yaml:5: alerting.custom.ids[1]: invalid integer "x"`,
		"custodes.yaml:6: alerting.custom.limits: expected a mapping, got a list",
	}
	var list *Errors
	if !errors.As(err, &list) {
		t.Fatalf("error %v, want *Errors", err)
	}
	if diff := cmp.Diff(want, strings.Split(relative(filepath.Dir(cfg.Files[0]), list.Error()), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
