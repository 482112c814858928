package discord_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/discord"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, discord.Provider, "discord", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/api/webhooks/1/tok\nmessage-content: <@&42>\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/api/webhooks/1/tok", jsonHeaders,
		`{"content":"<@&42>","embeds":[{"title":":helmet_with_white_cross: custodes",`+
			`"description":"An alert for **core/api** has been triggered due to having failed 3 time(s) in a row:\n> API health",`+
			`"color":15158332,"fields":[{"name":"Errors",`+
			`"value":":x: - `+"`[STATUS] (503) == 200`"+`\n:x: - `+"`[BODY].status (DOWN) == \\\"UP\\\"`"+`\n","inline":false}]}]}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/hook\ntitle: Prod\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/hook", jsonHeaders,
		`{"content":"","embeds":[{"title":"Prod",`+
			`"description":"An alert for **core/api** has been resolved after passing successfully 2 time(s) in a row:\n> API health",`+
			`"color":3066993}]}`)
}

func TestNodeDown(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := notifier(t, "webhook-url: "+rec.URL+"\n", "", nil).Notify(context.Background(), notifytest.NodeDown()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/", jsonHeaders,
		`{"content":"","embeds":[{"title":":helmet_with_white_cross: custodes",`+
			`"description":"A custodes cluster node is down:\n> node n2 (10.0.0.2) unreachable since 2025-03-04T05:06:07Z",`+
			`"color":15158332}]}`)
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
		if !strings.Contains(reqs[0].Body, notify.Headline(m, func(s string) string { return "**" + s + "**" })) {
			t.Errorf("body lacks the headline: %s", reqs[0].Body)
		}
		if strings.Contains(reqs[0].Body, "degraded mode") != m.IsDegraded() {
			t.Errorf("degraded note wrong: %s", reqs[0].Body)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "webhook-url: " + rec.URL + "/default\nmessage-content: all\noverrides:\n  - group: core\n    webhook-url: " + rec.URL + "/core\n    message-content: core\n"
	cases := []struct {
		group    string
		override map[string]any
		path     string
		content  string
	}{
		{"edge", nil, "/default", "all"},
		{"core", nil, "/core", "core"},
		{"core", map[string]any{"message-content": "<@1>"}, "/core", "<@1>"},
		{"edge", map[string]any{"webhook-url": rec.URL + "/alert"}, "/alert", "all"},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if got.Path != c.path || !strings.HasPrefix(got.Body, `{"content":"`+c.content+`"`) {
			t.Errorf("case %d: sent %s %s", i, got.Path, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing webhook-url", "title: x\n", "alerting.discord.webhook-url: is required"},
		{"bad webhook-url", "webhook-url: discord.com/api/webhooks/1\n", "alerting.discord.webhook-url: must be an absolute http(s) URL"},
		{"long content", "webhook-url: https://d.example/x\nmessage-content: " + strings.Repeat("x", 2001) + "\n", "alerting.discord.message-content: must be at most 2000 characters (Discord's limit)"},
		{"unknown key", "webhook-url: https://d.example/x\nusername: bot\n", "custodes.yaml:2: alerting.discord.username: unknown key"},
		{"override without group", "webhook-url: https://d.example/x\noverrides:\n  - webhook-url: https://d.example/y\n", "alerting.discord.overrides[0].group: is required (the endpoint group this override applies to)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, discord.Provider, "discord", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, discord.Provider, "discord", "webhook-url: https://d.example/x\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"webhook-url": 5}); err == nil ||
		err.Error() != "alerting.discord: provider-override.webhook-url: must be an absolute http(s) URL" {
		t.Errorf("provider-override error = %v", err)
	}
}
