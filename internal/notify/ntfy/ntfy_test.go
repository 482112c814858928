package ntfy_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
	"github.com/custodes/custodes/internal/notify/ntfy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, ntfy.Provider, "ntfy", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "topic: alerts\nurl: "+rec.URL+"\npriority: 5\ntoken: tk_abc\nemail: ops@example.com\nclick: https://status.example.com\ndisable-firebase: true\ndisable-cache: true\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/", map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer tk_abc", "Firebase": "no", "Cache": "no",
	}, `{"topic":"alerts","title":"custodes: core/api",`+
		`"message":"An alert has been triggered due to having failed 3 time(s) in a row with the following description: API health\n🔴 [STATUS] (503) == 200\n🔴 [BODY].status (DOWN) == \"UP\"",`+
		`"tags":["rotating_light"],"priority":5,"email":"ops@example.com","click":"https://status.example.com"}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "topic: alerts\nurl: "+rec.URL+"\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/", map[string]string{
		"Content-Type": "application/json", "Authorization": "", "Firebase": "", "Cache": "",
	}, `{"topic":"alerts","title":"custodes: core/api",`+
		`"message":"An alert has been resolved after passing successfully 2 time(s) in a row with the following description: API health",`+
		`"tags":["white_check_mark"],"priority":3}`)
}

func TestMessage(t *testing.T) {
	if got, want := ntfy.Message(notifytest.NodeDown()), "A custodes cluster node is down with the following description: node n2 (10.0.0.2) unreachable since 2025-03-04T05:06:07Z"; got != want {
		t.Errorf("Message(node-down) = %q, want %q", got, want)
	}
	m := notifytest.Degraded("up")
	m.Description = ""
	if got, want := ntfy.Message(m), "An alert has been resolved after passing successfully 2 time(s) in a row\n"+notify.DegradedNote; got != want {
		t.Errorf("Message(degraded) = %q, want %q", got, want)
	}
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "topic: alerts\nurl: "+base+"\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "topic: alerts\nurl: "+base+"\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		want := map[notify.Tone]string{notify.ToneAlarm: "rotating_light", notify.ToneRecovery: "white_check_mark", notify.ToneInfo: "information_source"}[m.Tone()]
		if !strings.Contains(reqs[0].Body, `"tags":["`+want+`"]`) {
			t.Errorf("tag for %s wrong: %s", m.Event, reqs[0].Body)
		}
		if strings.Contains(reqs[0].Body, "degraded mode") != m.IsDegraded() {
			t.Errorf("degraded note wrong: %s", reqs[0].Body)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "topic: all\nurl: " + rec.URL + "\noverrides:\n  - group: core\n    topic: core\n    priority: 4\n"
	cases := []struct {
		group    string
		override map[string]any
		prefix   string
		priority string
	}{
		{"edge", nil, `{"topic":"all"`, `"priority":3`},
		{"core", nil, `{"topic":"core"`, `"priority":4`},
		{"core", map[string]any{"priority": 1}, `{"topic":"core"`, `"priority":1`},
		{"edge", map[string]any{"topic": "paging"}, `{"topic":"paging"`, `"priority":3`},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if !strings.HasPrefix(got.Body, c.prefix) || !strings.Contains(got.Body, c.priority) {
			t.Errorf("case %d: sent %s", i, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing topic", "priority: 3\n", "alerting.ntfy.topic: is required"},
		{"bad url", "topic: a\nurl: ntfy.sh\n", "alerting.ntfy.url: must be an absolute http(s) URL"},
		{"bad priority", "topic: a\npriority: 6\n", "alerting.ntfy.priority: must be between 1 and 5, got 6"},
		{"bad token", "topic: a\ntoken: abc\n", `alerting.ntfy.token: must be an ntfy access token (starting with "tk_")`},
		{"priority type", "topic: a\npriority: high\n", `custodes.yaml:2: alerting.ntfy.priority: invalid integer "high"`},
		{"bad override", "topic: a\noverrides:\n  - group: g\n    priority: -1\n", "alerting.ntfy.overrides[0].priority: must be between 1 and 5, got -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, ntfy.Provider, "ntfy", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, ntfy.Provider, "ntfy", "topic: a\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"priority": 9}); err == nil ||
		err.Error() != "alerting.ntfy: provider-override.priority: must be between 1 and 5, got 9" {
		t.Errorf("provider-override error = %v", err)
	}
}
