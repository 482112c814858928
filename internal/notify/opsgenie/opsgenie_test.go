package opsgenie

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, api, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, newProvider(api), "opsgenie", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var headers = map[string]string{"Content-Type": "application/json", "Authorization": "GenieKey key-1"}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	rec.Reply(202, nil, `{"result":"Request will be processed","requestId":"r"}`)
	n := notifier(t, rec.URL, "api-key: key-1\npriority: P2\ntags: [prod, api]\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/v2/alerts", headers,
		`{"message":"[core] api - API health","alias":"custodes-healthcheck-inc-1",`+
			`"description":"An alert for *core/api* has been triggered due to having failed 3 time(s) in a row\n▢ - `+"`[STATUS] (503) == 200`"+`\n▢ - `+"`[BODY].status (DOWN) == \\\"UP\\\"`"+`\n",`+
			`"entity":"custodes-core-api","source":"custodes","priority":"P2","tags":["prod","api"],`+
			`"details":{"custodes:event":"triggered","custodes:incident":"inc-1","custodes:sent_by":"n1","endpoint:group":"core","endpoint:url":"https://api.example.com/health",`+
			`"result:errors":"[STATUS] (503) == 200,[BODY].status (DOWN) == \"UP\""}}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, rec.URL, "api-key: key-1\nsource: monitoring\nalias-prefix: cust-\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/v2/alerts/cust-inc-1/close?identifierType=alias", headers,
		`{"source":"monitoring","note":"RESOLVED: core/api - API health"}`)
}

func TestEvents(t *testing.T) {
	cases := []struct {
		m     *notify.Message
		paths []string
		check string
	}{
		{notifytest.Reminder(), []string{"/v2/alerts"}, `"message":"REMINDER: core/api - API health","alias":"custodes-healthcheck-inc-1"`},
		{notifytest.Degraded("down"), []string{"/v2/alerts"}, `"message":"DEGRADED TRIGGERED: core/api - API health"`},
		{notifytest.Degraded("up"), []string{"/v2/alerts/custodes-healthcheck-inc-1/close?identifierType=alias"}, `"note":"DEGRADED RESOLVED: core/api - API health"`},
		{notifytest.NodeDown(), []string{"/v2/alerts"}, `"alias":"custodes-healthcheck-node-n2-1","description":"A custodes cluster node is down\n","entity":"custodes-cluster"`},
		{notifytest.NodeUp(), []string{"/v2/alerts/custodes-healthcheck-node-n2-1/close?identifierType=alias"}, `"note":"NODE UP: custodes cluster - node n2 (10.0.0.2) is back"`},
		{notifytest.Test(), []string{"/v2/alerts", "/v2/alerts/custodes-healthcheck-test-1%2Ftest%2Ftest/close?identifierType=alias"}, `"note":"TEST: custodes - sent from the admin page"`},
	}
	for _, c := range cases {
		t.Run(string(c.m.Event), func(t *testing.T) {
			rec := notifytest.NewReceiver(t)
			if _, err := notifier(t, rec.URL, "api-key: key-1\n", "", nil).Notify(context.Background(), c.m); err != nil {
				t.Fatal(err)
			}
			reqs := rec.Requests()
			if len(reqs) != len(c.paths) {
				t.Fatalf("sent %d requests, want %d", len(reqs), len(c.paths))
			}
			for i, p := range c.paths {
				got := reqs[i].Path
				if reqs[i].Query != "" {
					got += "?" + reqs[i].Query
				}
				if got != p {
					t.Errorf("request %d to %s, want %s", i, got, p)
				}
			}
			if last := reqs[len(reqs)-1].Body; !strings.Contains(last, c.check) {
				t.Errorf("body lacks %s:\n%s", c.check, last)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	m := notifytest.Triggered()
	m.Description = strings.Repeat("d", 300)
	req := (&Notifier{cfg: Config{AliasPrefix: "p-", EntityPrefix: "e-"}}).createRequest(m)
	if n := len([]rune(req.Message)); n != maxMessage || !strings.HasSuffix(req.Message, "…") {
		t.Errorf("message of %d runes", n)
	}
	m.Incident.ID = strings.Repeat("i", 600)
	if a := (&Notifier{cfg: Config{AliasPrefix: "p-"}}).alias(m); len([]rune(a)) != maxAlias {
		t.Errorf("alias of %d runes", len(a))
	}
}

func TestProductionURL(t *testing.T) {
	c := notifytest.Load(t, Provider, "opsgenie", "api-key: k\n", notify.Env{})
	n := notifytest.Notifier(t, c, "", nil).(*Notifier)
	if n.api != "https://api.opsgenie.com" || n.cfg.Priority != "P1" || n.cfg.Source != "custodes" || n.cfg.EntityPrefix != "custodes-" || n.cfg.AliasPrefix != "custodes-healthcheck-" {
		t.Errorf("defaults: %s %+v", n.api, n.cfg)
	}
}

func TestRetries(t *testing.T) {
	t.Run("create", func(t *testing.T) {
		notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
			return notifier(t, base, "api-key: k\n", "", nil)
		})
	})
	t.Run("close", func(t *testing.T) {
		notifytest.CheckRetries(t, notifytest.Resolved(), func(t *testing.T, base string) notify.Notifier {
			return notifier(t, base, "api-key: k\n", "", nil)
		})
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, base, "api-key: k\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		closes := strings.HasSuffix(reqs[len(reqs)-1].Path, "/close")
		if want := m.Recovery() || m.Event == notify.EventTest; closes != want {
			t.Errorf("%s: last request %s", m.Event, reqs[len(reqs)-1].Path)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "api-key: all\noverrides:\n  - group: core\n    api-key: core\n    priority: P3\n"
	cases := []struct {
		group    string
		override map[string]any
		key      string
		priority string
	}{
		{"edge", nil, "all", "P1"},
		{"core", nil, "core", "P3"},
		{"core", map[string]any{"priority": "P5"}, "core", "P5"},
		{"edge", map[string]any{"api-key": "alert"}, "alert", "P1"},
	}
	for i, c := range cases {
		if _, err := notifier(t, rec.URL, section, c.group, c.override).Notify(context.Background(), notifytest.Triggered()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if got.Header.Get("Authorization") != "GenieKey "+c.key || !strings.Contains(got.Body, `"priority":"`+c.priority+`"`) {
			t.Errorf("case %d: sent %v %s", i, got.Header, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing key", "priority: P1\n", "alerting.opsgenie.api-key: is required"},
		{"bad priority", "api-key: k\npriority: high\n", `alerting.opsgenie.priority: must be one of P1, P2, P3, P4 or P5, got "high"`},
		{"tags type", "api-key: k\ntags: prod\n", "custodes.yaml:2: alerting.opsgenie.tags: expected a list, got \"prod\""},
		{"unknown key", "api-key: k\nteam: x\n", "custodes.yaml:2: alerting.opsgenie.team: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, Provider, "opsgenie", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, Provider, "opsgenie", "api-key: k\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"priority": "P9"}); err == nil ||
		err.Error() != `alerting.opsgenie: provider-override.priority: must be one of P1, P2, P3, P4 or P5, got "P9"` {
		t.Errorf("provider-override error = %v", err)
	}
}
