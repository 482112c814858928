package mattermost_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/mattermost"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, mattermost.Provider, "mattermost", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/hooks/xyz\nchannel: ops\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/hooks/xyz", jsonHeaders,
		`{"channel":"ops","text":"","username":"custodes","attachments":[{"title":":helmet_with_white_cross: custodes",`+
			`"fallback":"custodes - An alert for *core/api* has been triggered due to having failed 3 time(s) in a row",`+
			`"text":"An alert for *core/api* has been triggered due to having failed 3 time(s) in a row:\n> API health",`+
			`"short":false,"color":"#DD0000","fields":[{"title":"Errors",`+
			`"value":":x: - `+"`[STATUS] (503) == 200`"+`\n:x: - `+"`[BODY].status (DOWN) == \\\"UP\\\"`"+`\n","short":false}]}]}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/hooks/xyz\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/hooks/xyz", jsonHeaders,
		`{"text":"","username":"custodes","attachments":[{"title":":helmet_with_white_cross: custodes",`+
			`"fallback":"custodes - An alert for *core/api* has been resolved after passing successfully 2 time(s) in a row",`+
			`"text":"An alert for *core/api* has been resolved after passing successfully 2 time(s) in a row:\n> API health",`+
			`"short":false,"color":"#36A64F"}]}`)
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "webhook-url: "+base+"/hook\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "webhook-url: "+base+"\nclient: {timeout: 5s}\n", "", nil)
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
	section := "webhook-url: " + rec.URL + "/default\nchannel: all\noverrides:\n  - group: core\n    webhook-url: " + rec.URL + "/core\n"
	cases := []struct {
		group    string
		override map[string]any
		path     string
		channel  string
	}{
		{"edge", nil, "/default", "all"},
		{"core", nil, "/core", "all"},
		{"core", map[string]any{"channel": "core-ops"}, "/core", "core-ops"},
		{"edge", map[string]any{"webhook-url": rec.URL + "/alert"}, "/alert", "all"},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if got.Path != c.path || !strings.HasPrefix(got.Body, `{"channel":"`+c.channel+`"`) {
			t.Errorf("case %d: sent %s %s", i, got.Path, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing webhook-url", "channel: x\n", "alerting.mattermost.webhook-url: is required"},
		{"bad webhook-url", "webhook-url: mm.example/hooks/x\n", "alerting.mattermost.webhook-url: must be an absolute http(s) URL"},
		{"bad client timeout", "webhook-url: https://mm.example/x\nclient:\n  timeout: -5s\n", "alerting.mattermost.client.timeout: must not be negative"},
		{"unsupported client key", "webhook-url: https://mm.example/x\nclient:\n  proxy-url: http://p\n", "custodes.yaml:3: alerting.mattermost.client.proxy-url: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, mattermost.Provider, "mattermost", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, mattermost.Provider, "mattermost", "webhook-url: https://mm.example/x\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"channel": []any{}}); err == nil ||
		err.Error() != "alerting.mattermost: provider-override.channel: expected a string, got a list" {
		t.Errorf("provider-override error = %v", err)
	}
}
