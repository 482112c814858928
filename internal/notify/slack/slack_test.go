package slack_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
	"github.com/custodes/custodes/internal/notify/slack"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, slack.Provider, "slack", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/services/T0/B0/XYZ\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/services/T0/B0/XYZ", jsonHeaders,
		`{"text":"","attachments":[{"title":":helmet_with_white_cross: custodes",`+
			`"text":"An alert for *core/api* has been triggered due to having failed 3 time(s) in a row:\n> API health",`+
			`"short":false,"color":"#DD0000","fields":[{"title":"Errors",`+
			`"value":":x: - `+"`[STATUS] (503) == 200`"+`\n:x: - `+"`[BODY].status (DOWN) == \\\"UP\\\"`"+`\n","short":false}]}]}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/hook\ntitle: Status <prod>\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/hook", jsonHeaders,
		`{"text":"","attachments":[{"title":"Status <prod>",`+
			`"text":"An alert for *core/api* has been resolved after passing successfully 2 time(s) in a row:\n> API health",`+
			`"short":false,"color":"#36A64F"}]}`)
}

func TestEscapesAndDegraded(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	m := notifytest.Degraded("down")
	m.Monitor.Name = "a<b>&c"
	m.Errors = nil
	m.Description = ""
	if _, err := notifier(t, "webhook-url: "+rec.URL+"\n", "", nil).Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/", jsonHeaders,
		`{"text":"","attachments":[{"title":":helmet_with_white_cross: custodes",`+
			`"text":"An alert for *core/a&lt;b&gt;&amp;c* has been triggered due to having failed 3 time(s) in a row\n_`+notify.DegradedNote+`_",`+
			`"short":false,"color":"#DD0000"}]}`)
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "webhook-url: "+base+"/hook\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "webhook-url: "+base+"\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		if !strings.Contains(reqs[0].Body, notify.Headline(m, func(s string) string { return "*" + s + "*" })) {
			t.Errorf("body lacks the headline: %s", reqs[0].Body)
		}
		if strings.Contains(reqs[0].Body, "degraded mode") != m.IsDegraded() {
			t.Errorf("degraded note wrong: %s", reqs[0].Body)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "webhook-url: " + rec.URL + "/default\noverrides:\n  - group: core\n    webhook-url: " + rec.URL + "/core\n"
	cases := []struct {
		group    string
		override map[string]any
		path     string
		title    string
	}{
		{"edge", nil, "/default", slack.DefaultTitle},
		{"core", nil, "/core", slack.DefaultTitle},
		{"core", map[string]any{"title": "T"}, "/core", "T"},
		{"edge", map[string]any{"webhook-url": rec.URL + "/alert"}, "/alert", slack.DefaultTitle},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if got.Path != c.path || !strings.Contains(got.Body, `"title":"`+c.title+`"`) {
			t.Errorf("case %d: sent %s %s", i, got.Path, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing webhook-url", "title: x\n", "alerting.slack.webhook-url: is required"},
		{"bad webhook-url", "webhook-url: hooks.slack.com/services/x\n", "alerting.slack.webhook-url: must be an absolute http(s) URL"},
		{"unknown key", "webhook-url: https://hooks.slack.com/x\nchannel: ops\n", "custodes.yaml:2: alerting.slack.channel: unknown key"},
		{"wrong type", "webhook-url: [a]\n", "custodes.yaml:1: alerting.slack.webhook-url: expected a string, got a list"},
		{"duplicate override", "webhook-url: https://h.example/x\noverrides:\n  - group: a\n  - group: a\n",
			`alerting.slack.overrides[1].group: duplicate group "a" (already overridden by overrides[0])`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, slack.Provider, "slack", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, slack.Provider, "slack", "webhook-url: https://h.example/x\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"webhook-url": "x"}); err == nil ||
		err.Error() != "alerting.slack: provider-override.webhook-url: must be an absolute http(s) URL" {
		t.Errorf("provider-override error = %v", err)
	}
}
