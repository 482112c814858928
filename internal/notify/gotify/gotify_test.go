package gotify_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/gotify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, gotify.Provider, "gotify", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "server-url: "+rec.URL+"/gotify/\ntoken: Atoken\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/gotify/message", map[string]string{"Content-Type": "application/json", "X-Gotify-Key": "Atoken"},
		"{\"message\":\"An alert for `core/api` has been triggered due to having failed 3 time(s) in a row with the following description: API health"+
			`\n✕ - [STATUS] (503) == 200\n✕ - [BODY].status (DOWN) == \"UP\"","title":"custodes: core/api","priority":5}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "server-url: "+rec.URL+"\ntoken: Atoken\npriority: 8\ntitle: Prod\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/message", map[string]string{"Content-Type": "application/json", "X-Gotify-Key": "Atoken"},
		"{\"message\":\"An alert for `core/api` has been resolved after passing successfully 2 time(s) in a row with the following description: API health\","+
			`"title":"Prod","priority":8}`)
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "server-url: "+base+"\ntoken: t\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "server-url: "+base+"\ntoken: t\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		if !strings.Contains(reqs[0].Body, notify.Headline(m, func(s string) string { return "`" + s + "`" })) {
			t.Errorf("body lacks the headline: %s", reqs[0].Body)
		}
		if strings.Contains(reqs[0].Body, "degraded mode") != m.IsDegraded() {
			t.Errorf("degraded note wrong: %s", reqs[0].Body)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "server-url: " + rec.URL + "\ntoken: all\noverrides:\n  - group: core\n    token: core\n"
	cases := []struct {
		group    string
		override map[string]any
		token    string
		title    string
	}{
		{"edge", nil, "all", "custodes: core/api"},
		{"core", nil, "core", "custodes: core/api"},
		{"core", map[string]any{"title": "T"}, "core", "T"},
		{"edge", map[string]any{"token": "alert"}, "alert", "custodes: core/api"},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if got.Header.Get("X-Gotify-Key") != c.token || !strings.Contains(got.Body, `"title":"`+c.title+`"`) {
			t.Errorf("case %d: sent %v %s", i, got.Header, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing all", "title: x\n", "alerting.gotify.server-url: is required\nalerting.gotify.token: is required"},
		{"bad server-url", "server-url: gotify.local\ntoken: t\n", "alerting.gotify.server-url: must be an absolute http(s) URL"},
		{"negative priority", "server-url: https://g.example\ntoken: t\npriority: -1\n", "alerting.gotify.priority: must not be negative, got -1"},
		{"unknown key", "server-url: https://g.example\ntoken: t\napp: x\n", "custodes.yaml:3: alerting.gotify.app: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, gotify.Provider, "gotify", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, gotify.Provider, "gotify", "server-url: https://g.example\ntoken: t\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"server-url": "g"}); err == nil ||
		err.Error() != "alerting.gotify: provider-override.server-url: must be an absolute http(s) URL" {
		t.Errorf("provider-override error = %v", err)
	}
}
