package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

// sample is a provider config exercising every kind of field.
type sample struct {
	URL      string              `yaml:"url"`
	Priority int                 `yaml:"priority"`
	Ratio    float64             `yaml:"ratio"`
	Quiet    bool                `yaml:"quiet"`
	Tags     []string            `yaml:"tags"`
	Headers  map[string]string   `yaml:"headers"`
	Nested   map[string][]string `yaml:"nested"`
	Timeout  time.Duration       `yaml:"timeout"`
	Count    uint8               `yaml:"count"`
	Client   notify.ClientConfig `yaml:"client"`
}

func (s sample) Validate(v *notify.Validation) {
	v.HTTPURL("url", s.URL)
	if s.Priority < 0 || s.Priority > 5 {
		v.Errorf("priority", "must be between 0 and 5, got %d", s.Priority)
	}
	s.Client.Validate(v, "client")
}

func load(t *testing.T, body string) *notify.Settings[sample] {
	t.Helper()
	s, err := notify.LoadSettings[sample]("sample", notifytest.Section(t, "sample", body))
	if err != nil {
		t.Fatalf("LoadSettings: %v", err)
	}
	return s
}

func loadErr(t *testing.T, body string) string {
	t.Helper()
	_, err := notify.LoadSettings[sample]("sample", notifytest.Section(t, "sample", body))
	if err == nil {
		t.Fatalf("LoadSettings succeeded on:\n%s", body)
	}
	return err.Error()
}

func TestLoadSettings(t *testing.T) {
	s := load(t, `
url: https://hooks.example.com/a
priority: 2
tags: [x, y]
headers: {X-A: "1"}
client: {insecure: true, timeout: 5s}
overrides:
  - group: core
    url: https://hooks.example.com/core
    priority: 5
  - group: edge
    quiet: true
`)
	want := sample{URL: "https://hooks.example.com/a", Priority: 2, Tags: []string{"x", "y"}, Headers: map[string]string{"X-A": "1"},
		Client: notify.ClientConfig{Insecure: true, Timeout: 5 * time.Second}}
	if diff := cmp.Diff(want, s.Default); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	cases := []struct {
		group string
		want  sample
	}{
		{"", want},
		{"other", want},
		{"core", func() sample { w := want; w.URL, w.Priority = "https://hooks.example.com/core", 5; return w }()},
		{"edge", func() sample { w := want; w.Quiet = true; return w }()},
	}
	for _, c := range cases {
		got, err := s.For(c.group, nil)
		if err != nil {
			t.Fatalf("For(%q): %v", c.group, err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("For(%q) (-want +got):\n%s", c.group, diff)
		}
	}
}

func TestLoadSettingsErrors(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"missing url", "priority: 1\n", "alerting.sample.url: is required"},
		{"relative url", "url: /hooks\n", "alerting.sample.url: must be an absolute http(s) URL"},
		{"ftp url", "url: ftp://x/y\n", "alerting.sample.url: must be an absolute http(s) URL"},
		{"two problems", "url: x\npriority: 9\n", "alerting.sample.url: must be an absolute http(s) URL\nalerting.sample.priority: must be between 0 and 5, got 9"},
		{"unknown key (decoder)", "url: https://x\nurll: y\n", `custodes.yaml:2: alerting.sample.urll: unknown key (did you mean "url"?)`},
		{"wrong type (decoder)", "url: https://x\npriority: high\n", `custodes.yaml:2: alerting.sample.priority: invalid integer "high"`},
		{"negative client timeout", "url: https://x\nclient: {timeout: -1s}\n", "alerting.sample.client.timeout: must not be negative"},
		{"override without group", "url: https://x\noverrides:\n  - url: https://y\n", "alerting.sample.overrides[0].group: is required (the endpoint group this override applies to)"},
		{"duplicate group", "url: https://x\noverrides:\n  - group: a\n  - group: b\n  - group: a\n",
			`alerting.sample.overrides[2].group: duplicate group "a" (already overridden by overrides[0])`},
		{"bad override value", "url: https://x\noverrides:\n  - group: a\n    url: nope\n", "alerting.sample.overrides[0].url: must be an absolute http(s) URL"},
		{"default problem reported once", "priority: 1\noverrides:\n  - group: a\n    priority: 2\n  - group: b\n    priority: 7\n",
			"alerting.sample.url: is required\nalerting.sample.overrides[1].priority: must be between 0 and 5, got 7"},
		{"override key unknown (decoder)", "url: https://x\noverrides:\n  - group: a\n    webhook: y\n", `custodes.yaml:4: alerting.sample.overrides[0].webhook: unknown key`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := loadErr(t, c.body); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestValidationErrorsAreFieldErrors(t *testing.T) {
	_, err := notify.LoadSettings[sample]("sample", notifytest.Section(t, "sample", "url: x\npriority: 9\n"))
	var fe *notify.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want *FieldError inside", err)
	}
	if fe.Provider != "sample" || fe.Path != "url" || fe.Override {
		t.Errorf("FieldError = %+v", fe)
	}
}

func TestProviderOverride(t *testing.T) {
	s := load(t, `
url: https://hooks.example.com/a
priority: 2
headers: {X-A: "1"}
overrides:
  - group: core
    priority: 4
`)
	got, err := s.For("core", map[string]any{
		"url":     "https://hooks.example.com/alert",
		"tags":    []any{"p1", 7},
		"headers": map[string]any{"X-B": "2"},
		"timeout": "1m30s",
		"ratio":   1,
		"count":   255,
		"nested":  map[any]any{"k": []any{"v"}},
		"client":  map[string]any{"ignore-redirect": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := sample{
		URL: "https://hooks.example.com/alert", Priority: 4, Ratio: 1, Count: 255,
		Tags: []string{"p1", "7"}, Headers: map[string]string{"X-B": "2"}, Nested: map[string][]string{"k": {"v"}},
		Timeout: 90 * time.Second, Client: notify.ClientConfig{IgnoreRedirect: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The provider's own settings are untouched.
	if again, _ := s.For("core", nil); again.URL != "https://hooks.example.com/a" || again.Headers["X-A"] != "1" {
		t.Errorf("override leaked into the section: %+v", again)
	}
}

func TestProviderOverrideErrors(t *testing.T) {
	s := load(t, "url: https://hooks.example.com/a\n")
	cases := []struct {
		name     string
		override map[string]any
		want     string
	}{
		{"unknown key", map[string]any{"webhook": "x"}, "alerting.sample: provider-override.webhook: unknown key"},
		{"group is not a setting", map[string]any{"group": "x"}, "alerting.sample: provider-override.group: unknown key"},
		{"overrides is not a setting", map[string]any{"overrides": []any{}}, "alerting.sample: provider-override.overrides: unknown key"},
		{"invalid after merge", map[string]any{"url": "not a url"}, "alerting.sample: provider-override.url: must be an absolute http(s) URL"},
		{"range", map[string]any{"priority": 6}, "alerting.sample: provider-override.priority: must be between 0 and 5, got 6"},
		{"string for int", map[string]any{"priority": "high"}, `alerting.sample: provider-override.priority: expected an integer, got string "high"`},
		{"float for int", map[string]any{"priority": 1.5}, "alerting.sample: provider-override.priority: expected an integer, got number 1.5"},
		{"list for string", map[string]any{"url": []any{"a"}}, "alerting.sample: provider-override.url: expected a string, got a list"},
		{"map for list", map[string]any{"tags": map[string]any{}}, "alerting.sample: provider-override.tags: expected a list, got a mapping"},
		{"bad list item", map[string]any{"tags": []any{"a", []any{}}}, "alerting.sample: provider-override.tags[1]: expected a string, got a list"},
		{"string for bool", map[string]any{"quiet": "yes"}, `alerting.sample: provider-override.quiet: expected a boolean, got string "yes"`},
		{"bad duration", map[string]any{"timeout": "soon"}, `alerting.sample: provider-override.timeout: invalid duration "soon"`},
		{"int duration", map[string]any{"timeout": 10}, "alerting.sample: provider-override.timeout: expected a duration (e.g. \"10s\"), got integer 10"},
		{"uint overflow", map[string]any{"count": 256}, "alerting.sample: provider-override.count: expected an unsigned integer, got integer 256"},
		{"negative uint", map[string]any{"count": -1}, "alerting.sample: provider-override.count: expected an unsigned integer, got integer -1"},
		{"nested unknown", map[string]any{"client": map[string]any{"tls": map[string]any{}}}, "alerting.sample: provider-override.client.tls: unknown key"},
		{"string for number", map[string]any{"ratio": "x"}, `alerting.sample: provider-override.ratio: expected a number, got string "x"`},
		{"several, sorted", map[string]any{"zz": 1, "aa": 2}, "alerting.sample: provider-override.aa: unknown key\nalerting.sample: provider-override.zz: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.For("", c.override)
			if err == nil {
				t.Fatalf("For succeeded")
			}
			if err.Error() != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, c.want)
			}
			var fe *notify.FieldError
			if !errors.As(err, &fe) || !fe.Override || !strings.HasPrefix(fe.Path, "provider-override.") {
				t.Errorf("want a provider-override *FieldError, got %#v", fe)
			}
		})
	}
}

func TestProviderOverrideOddValuesNeverPanic(t *testing.T) {
	s := load(t, "url: https://hooks.example.com/a\n")
	deep := map[string]any{}
	cur := deep
	for range 100 {
		next := map[string]any{}
		cur["nested"] = next
		cur = next
	}
	odd := []map[string]any{
		{"url": nil},
		{"tags": nil},
		{"headers": map[string]any{"x": nil}},
		{"nested": deep},
		{"nested": map[any]any{1: []any{2}, true: nil}},
		{"client": []any{1, 2}},
		{"priority": uint64(1 << 63)},
		{"priority": 1e300},
		{"ratio": uint64(5)},
		{"url": struct{}{}},
		{"": ""},
	}
	for _, o := range odd {
		_, _ = s.For("", o) // must not panic
	}
}

func TestNewProvider(t *testing.T) {
	var built []sample
	p := notify.NewProvider("sample", func(cfg sample, env notify.Env) (notify.Notifier, error) {
		built = append(built, cfg)
		return nopNotifier{}, nil
	})
	if _, err := p.Load(notifytest.Section(t, "sample", "priority: 1\n"), notify.Env{}); err == nil || err.Error() != "alerting.sample.url: is required" {
		t.Fatalf("Load error = %v", err)
	}
	c := notifytest.Load(t, p, "sample", "url: https://x.example\noverrides:\n  - group: g\n    priority: 3\n", notify.Env{})
	if _, err := c.Notifier("g", map[string]any{"priority": 9}); err == nil {
		t.Fatal("invalid provider-override accepted")
	}
	n := notifytest.Notifier(t, c, "g", map[string]any{"quiet": true})
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	want := []sample{{URL: "https://x.example", Priority: 3, Quiet: true}}
	if diff := cmp.Diff(want, built); diff != "" {
		t.Errorf("built (-want +got):\n%s", diff)
	}
}

type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, *notify.Message) (bool, error) { return false, nil }

func TestEnvHTTPClient(t *testing.T) {
	if (notify.Env{}).HTTPClient() == nil {
		t.Fatal("no default client")
	}
	c := notifytest.Client(t)
	if (notify.Env{HTTP: c}).HTTPClient() != c {
		t.Fatal("injected client not used")
	}
}

// FuzzProviderOverride feeds arbitrary YAML as a provider-override: it may
// be refused, never panic.
func FuzzProviderOverride(f *testing.F) {
	for _, seed := range []string{
		"url: https://x\n", "priority: [1]\n", "headers: {a: {b: c}}\n", "tags: &a [*a]\n",
		"timeout: 1h\n", "count: -3\n", "nested: {k: [1, 2.5, true, null]}\n", "client: {insecure: yes}\n",
	} {
		f.Add(seed)
	}
	s, err := notify.LoadSettings[sample]("sample", notifytest.Section(f, "sample", "url: https://hooks.example.com/a\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var m map[string]any
		if yaml.Unmarshal([]byte(doc), &m) != nil {
			return
		}
		_, _ = s.For("", m)
	})
}
