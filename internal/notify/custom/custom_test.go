package custom_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/custom"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, custom.Provider, "custom", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

// statusPage is a Gatus-style custom section for a JSON API.
func statusPage(base string) string {
	return `url: ` + base + `/api/v1/alert?service=[ENDPOINT_NAME]&status=[ALERT_TRIGGERED_OR_RESOLVED]
method: POST
body: |
  {"text":"[ALERT_TRIGGERED_OR_RESOLVED]: [ENDPOINT_GROUP] - [ENDPOINT_NAME] - [ALERT_DESCRIPTION] - [RESULT_ERRORS]","url":"[ENDPOINT_URL]","event":"[EVENT]","incident":"[INCIDENT_ID]","conditions":"[RESULT_CONDITIONS]"}
headers:
  Content-Type: application/json
  Authorization: Bearer tok
  X-Event: "[EVENT]"
placeholders:
  ALERT_TRIGGERED_OR_RESOLVED:
    TRIGGERED: partial_outage
    RESOLVED: operational
`
}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := notifier(t, statusPage(rec.URL), "core", nil).Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	got := rec.Only(t)
	notifytest.Expect(t, got, "POST", "/api/v1/alert?service=api&status=partial_outage",
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer tok", "X-Event": "triggered"},
		`{"text":"partial_outage: core - api - API health - [STATUS] (503) == 200,[BODY].status (DOWN) == \"UP\"","url":"https://api.example.com/health","event":"triggered","incident":"inc-1","conditions":""}`+"\n")
	if !json.Valid([]byte(got.Body)) {
		t.Error("body is not valid JSON")
	}
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := notifier(t, statusPage(rec.URL), "core", nil).Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/api/v1/alert?service=api&status=operational",
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer tok", "X-Event": "resolved"},
		`{"text":"operational: core - api - API health - ","url":"https://api.example.com/health","event":"resolved","incident":"inc-1","conditions":""}`+"\n")
}

func TestDefaultsAsGatus(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	// No method: GET. No Content-Type: values as they are, but the quotes of
	// the errors escaped (Gatus's behaviour, relied on by JSON bodies sent
	// without a JSON Content-Type). URL values are escaped.
	section := "url: " + rec.URL + "/hook/[ENDPOINT_GROUP]?d=[ALERT_DESCRIPTION]&s=[ALERT_TRIGGERED_OR_RESOLVED]\nbody: '[RESULT_ERRORS] / [ALERT_DESCRIPTION]'\n"
	if _, err := notifier(t, section, "", nil).Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "GET", "/hook/core?d=API%20health&s=TRIGGERED", map[string]string{"Content-Type": ""},
		`[STATUS] (503) == 200,[BODY].status (DOWN) == \"UP\" / API health`)
}

func TestPlaceholderValuesAreNotExpandedTwice(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	m := notifytest.Triggered()
	m.Description = "[ENDPOINT_NAME] & \"x\"\n"
	section := "url: " + rec.URL + "\nmethod: put\nbody: '{\"d\":\"[ALERT_DESCRIPTION]\"}'\nheaders: {Content-Type: application/vnd.api+json}\n"
	if _, err := notifier(t, section, "", nil).Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "PUT", "/", nil, `{"d":"[ENDPOINT_NAME] & \"x\"\n"}`)
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, statusPage(base), "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, statusPage(base), "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		if !json.Valid([]byte(reqs[0].Body)) {
			t.Errorf("invalid JSON: %s", reqs[0].Body)
		}
		want := "status=partial_outage"
		if m.Recovery() {
			want = "status=operational"
		}
		if !strings.Contains(reqs[0].Query, want) || reqs[0].Header.Get("X-Event") != string(m.Event) {
			t.Errorf("%s: query %s, X-Event %s", m.Event, reqs[0].Query, reqs[0].Header.Get("X-Event"))
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "url: " + rec.URL + "/default\nmethod: POST\nbody: b\noverrides:\n  - group: core\n    url: " + rec.URL + "/core\n    body: core\n"
	cases := []struct {
		group    string
		override map[string]any
		path     string
		body     string
	}{
		{"edge", nil, "/default", "b"},
		{"core", nil, "/core", "core"},
		{"core", map[string]any{"body": "alert [ENDPOINT_NAME]"}, "/core", "alert api"},
		{"edge", map[string]any{"url": rec.URL + "/alert"}, "/alert", "b"},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Triggered()); err != nil {
			t.Fatal(err)
		}
		if got := rec.Requests()[i]; got.Path != c.path || got.Body != c.body {
			t.Errorf("case %d: sent %s %q", i, got.Path, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing url", "method: POST\n", "alerting.custom.url: is required"},
		{"bad url", "url: '[ENDPOINT_URL]'\n", "alerting.custom.url: must be an absolute http(s) URL"},
		{"bad method", "url: https://x.example\nmethod: 'PO ST'\n", `alerting.custom.method: is not a valid HTTP method, got "PO ST"`},
		{"bad header", "url: https://x.example\nheaders: {'a:b': c}\n", "alerting.custom.headers.a:b: is not a valid header name"},
		{"unknown placeholder", "url: https://x.example\nplaceholders: {ENDPOINT_NAME: {a: b}}\n", "alerting.custom.placeholders.ENDPOINT_NAME: unknown placeholder (only ALERT_TRIGGERED_OR_RESOLVED has mapped values)"},
		{"unknown value", "url: https://x.example\nplaceholders: {ALERT_TRIGGERED_OR_RESOLVED: {DOWN: x, RESOLVED: y}}\n", "alerting.custom.placeholders.ALERT_TRIGGERED_OR_RESOLVED.DOWN: unknown value (use TRIGGERED or RESOLVED)"},
		{"client", "url: https://x.example\nclient: {insecure: maybe}\n", `custodes.yaml:2: alerting.custom.client.insecure: invalid boolean "maybe" (use true or false)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, custom.Provider, "custom", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, custom.Provider, "custom", "url: https://x.example/[ENDPOINT_NAME]\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"placeholders": map[string]any{"X": map[string]any{}}}); err == nil ||
		err.Error() != "alerting.custom: provider-override.placeholders.X: unknown placeholder (only ALERT_TRIGGERED_OR_RESOLVED has mapped values)" {
		t.Errorf("provider-override error = %v", err)
	}
}
