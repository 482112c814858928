package teamsworkflows_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
	"github.com/custodes/custodes/internal/notify/teamsworkflows"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, teamsworkflows.Provider, "teams-workflows", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func card(style, items string) string {
	return `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4",` +
		`"body":[{"type":"Container","style":"` + style + `","items":[{"type":"Container","style":"Default","items":[` + items + `]}]}],` +
		`"msteams":{"width":"Full"}}}]}`
}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/workflows/abc/triggers/manual/paths/invoke?sig=s\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/workflows/abc/triggers/manual/paths/invoke?sig=s", jsonHeaders, card("Attention",
		`{"type":"TextBlock","text":"⛑️ custodes","size":"Medium","weight":"Bolder"},`+
			`{"type":"TextBlock","text":"An alert for **core/api** has been triggered due to having failed 3 time(s) in a row.","wrap":true},`+
			`{"type":"TextBlock","text":"**Description**: API health","wrap":true},`+
			`{"type":"FactSet","facts":[{"title":"❌","value":"[STATUS] (503) == 200"},{"title":"❌","value":"[BODY].status (DOWN) == \"UP\""}]}`))
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/wf\ntitle: Prod status\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/wf", jsonHeaders, card("Good",
		`{"type":"TextBlock","text":"Prod status","size":"Medium","weight":"Bolder"},`+
			`{"type":"TextBlock","text":"An alert for **core/api** has been resolved after passing successfully 2 time(s) in a row.","wrap":true},`+
			`{"type":"TextBlock","text":"**Description**: API health","wrap":true}`))
}

func TestTestEvent(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := notifier(t, "webhook-url: "+rec.URL+"\n", "", nil).Notify(context.Background(), notifytest.Test()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/", jsonHeaders, card("Accent",
		`{"type":"TextBlock","text":"⛑️ custodes","size":"Medium","weight":"Bolder"},`+
			`{"type":"TextBlock","text":"This is a test notification from custodes.","wrap":true},`+
			`{"type":"TextBlock","text":"**Description**: sent from the admin page","wrap":true}`))
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "webhook-url: "+base+"/wf\n", "", nil)
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
	section := "webhook-url: " + rec.URL + "/default\noverrides:\n  - group: core\n    webhook-url: " + rec.URL + "/core\n    title: Core\n"
	cases := []struct {
		group    string
		override map[string]any
		path     string
		title    string
	}{
		{"edge", nil, "/default", "⛑️ custodes"},
		{"core", nil, "/core", "Core"},
		{"core", map[string]any{"title": "Paged"}, "/core", "Paged"},
		{"edge", map[string]any{"webhook-url": rec.URL + "/alert"}, "/alert", "⛑️ custodes"},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if got.Path != c.path || !strings.Contains(got.Body, `"text":"`+c.title+`"`) {
			t.Errorf("case %d: sent %s %s", i, got.Path, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing webhook-url", "title: x\n", "alerting.teams-workflows.webhook-url: is required"},
		{"bad webhook-url", "webhook-url: prod-00.westus.logic.azure.com/workflows\n", "alerting.teams-workflows.webhook-url: must be an absolute http(s) URL"},
		{"unknown key", "webhook-url: https://t.example/x\ncolor: red\n", "custodes.yaml:2: alerting.teams-workflows.color: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, teamsworkflows.Provider, "teams-workflows", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, teamsworkflows.Provider, "teams-workflows", "webhook-url: https://t.example/x\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"webhook-url": ""}); err != nil {
		t.Errorf("an empty provider-override value keeps the section's: %v", err)
	}
	if _, err := c.Notifier("", map[string]any{"webhook-url": "relative/path"}); err == nil ||
		err.Error() != "alerting.teams-workflows: provider-override.webhook-url: must be an absolute http(s) URL" {
		t.Errorf("provider-override error = %v", err)
	}
}
