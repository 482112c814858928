package telegram_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
	"github.com/custodes/custodes/internal/notify/telegram"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "123456:ABC-def_ghi"

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, telegram.Provider, "telegram", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "token: "+token+"\nid: -100200300\ntopic-id: '42'\napi-url: "+rec.URL+"\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/bot"+token+"/sendMessage", jsonHeaders,
		`{"chat_id":"-100200300","text":"⛑ <b>custodes</b>\nAn alert for <b>core/api</b> has been triggered:\n—\n    <i>healthcheck failed 3 time(s) in a row</i>\n—`+
			`\n<b>Description</b>\nAPI health\n\n<b>Errors</b>\n❌ - <code>[STATUS] (503) == 200</code>\n❌ - <code>[BODY].status (DOWN) == \"UP\"</code>",`+
			`"parse_mode":"HTML","message_thread_id":42}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	// A YAML integer chat id is accepted, as in Gatus.
	n := notifier(t, "token: "+token+"\nid: 987\napi-url: "+rec.URL+"/\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/bot"+token+"/sendMessage", jsonHeaders,
		`{"chat_id":"987","text":"⛑ <b>custodes</b>\nAn alert for <b>core/api</b> has been resolved:\n—\n    <i>healthcheck passing successfully 2 time(s) in a row</i>\n—`+
			`\n<b>Description</b>\nAPI health","parse_mode":"HTML"}`)
}

func TestEscapingAndClusterEvents(t *testing.T) {
	m := notifytest.Degraded("down")
	m.Monitor.Name = "a<b>&_*c"
	m.Errors = []string{"<html>"}
	want := "⛑ <b>custodes</b>\nAn alert for <b>core/a&lt;b&gt;&amp;_*c</b> has been triggered:\n—\n    <i>healthcheck failed 3 time(s) in a row</i>\n—" +
		"\n<b>Description</b>\nAPI health\n<i>" + notify.DegradedNote + "</i>\n\n<b>Errors</b>\n❌ - <code>&lt;html&gt;</code>"
	if got := telegram.Text(m); got != want {
		t.Errorf("Text =\n%s\nwant\n%s", got, want)
	}
	if got, want := telegram.Text(notifytest.NodeDown()), "⛑ <b>custodes</b>\nA custodes cluster node is down\n<b>Description</b>\nnode n2 (10.0.0.2) unreachable since 2025-03-04T05:06:07Z"; got != want {
		t.Errorf("Text(node-down) =\n%s\nwant\n%s", got, want)
	}
	if got, want := telegram.Text(notifytest.Reminder()), "⛑ <b>custodes</b>\nReminder: an alert for <b>core/api</b> is still triggered (failing since 2025-03-04T05:06:07Z)"+
		"\n<b>Description</b>\nAPI health\n\n<b>Errors</b>\n❌ - <code>[STATUS] (503) == 200</code>\n❌ - <code>[BODY].status (DOWN) == \"UP\"</code>"; got != want {
		t.Errorf("Text(reminder) =\n%s\nwant\n%s", got, want)
	}
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "token: "+token+"\nid: '1'\napi-url: "+base+"\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "token: "+token+"\nid: '1'\napi-url: "+base+"\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		if reqs[0].Path != "/bot"+token+"/sendMessage" {
			t.Errorf("path = %s", reqs[0].Path)
		}
		if strings.Contains(reqs[0].Body, "degraded mode") != m.IsDegraded() {
			t.Errorf("degraded note wrong: %s", reqs[0].Body)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "token: " + token + "\nid: '1'\napi-url: " + rec.URL + "\noverrides:\n  - group: core\n    id: '2'\n    topic-id: '7'\n"
	cases := []struct {
		group    string
		override map[string]any
		path     string
		prefix   string
	}{
		{"edge", nil, "/bot" + token + "/sendMessage", `{"chat_id":"1"`},
		{"core", nil, "/bot" + token + "/sendMessage", `{"chat_id":"2"`},
		{"core", map[string]any{"id": -5}, "/bot" + token + "/sendMessage", `{"chat_id":"-5"`},
		{"edge", map[string]any{"token": "9:zz"}, "/bot9:zz/sendMessage", `{"chat_id":"1"`},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if got.Path != c.path || !strings.HasPrefix(got.Body, c.prefix) {
			t.Errorf("case %d: sent %s %s", i, got.Path, got.Body)
		}
		if want := c.group == "core"; strings.Contains(got.Body, `"message_thread_id":7`) != want {
			t.Errorf("case %d: topic wrong: %s", i, got.Body)
		}
	}
}

func TestDefaultAPIURL(t *testing.T) {
	if telegram.DefaultAPIURL != "https://api.telegram.org" {
		t.Fatal(telegram.DefaultAPIURL)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing token and id", "topic-id: '1'\n", "alerting.telegram.token: is required\nalerting.telegram.id: is required"},
		{"bad token", "token: 12/../x\nid: '1'\n", "alerting.telegram.token: must be a bot token (digits, a colon, then letters, digits, - or _)"},
		{"bad topic", "token: " + token + "\nid: '1'\ntopic-id: general\n", `alerting.telegram.topic-id: must be an integer, got "general"`},
		{"bad api-url", "token: " + token + "\nid: '1'\napi-url: api.telegram.org\n", "alerting.telegram.api-url: must be an absolute http(s) URL"},
		{"unknown key", "token: " + token + "\nid: '1'\nchat: x\n", "custodes.yaml:3: alerting.telegram.chat: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, telegram.Provider, "telegram", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, telegram.Provider, "telegram", "token: "+token+"\nid: '1'\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"topic-id": "x"}); err == nil ||
		err.Error() != `alerting.telegram: provider-override.topic-id: must be an integer, got "x"` {
		t.Errorf("provider-override error = %v", err)
	}
}
