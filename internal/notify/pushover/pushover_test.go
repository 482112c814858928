package pushover

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	app  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	user = "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
	keys = "application-token: " + app + "\nuser-key: " + user + "\n"
)

func notifier(t *testing.T, api, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, newProvider(api), "pushover", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, rec.URL, keys+"priority: 1\nsound: siren\nttl: 600\ndevice: phone\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/1/messages.json", jsonHeaders,
		`{"token":"`+app+`","user":"`+user+`","title":"custodes: core/api",`+
			`"message":"An alert for <b>core/api</b> has been triggered due to having failed 3 time(s) in a row with the following description: API health\n❌ - [STATUS] (503) == 200\n❌ - [BODY].status (DOWN) == \"UP\"",`+
			`"priority":1,"html":1,"sound":"siren","ttl":600,"device":"phone"}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, rec.URL, keys+"priority: 1\nresolved-priority: -1\ntitle: Prod\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/1/messages.json", jsonHeaders,
		`{"token":"`+app+`","user":"`+user+`","title":"Prod",`+
			`"message":"An alert for <b>core/api</b> has been resolved after passing successfully 2 time(s) in a row with the following description: API health",`+
			`"priority":-1,"html":1}`)
}

func TestEmergencyPriority(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	m := notifytest.NodeDown()
	m.Description = "n2 <down>"
	if _, err := notifier(t, rec.URL, keys+"priority: 2\nttl: 60\n", "", nil).Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/1/messages.json", jsonHeaders,
		`{"token":"`+app+`","user":"`+user+`","title":"custodes",`+
			`"message":"A custodes cluster node is down with the following description: n2 &lt;down&gt;",`+
			`"priority":2,"html":1,"retry":60,"expire":3600}`)
}

func TestProductionURL(t *testing.T) {
	n, err := Provider.Load(notifytest.Section(t, "pushover", keys), notify.Env{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := n.Notifier("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if api := got.(*Notifier).api; api != "https://api.pushover.net" {
		t.Errorf("api = %s", api)
	}
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, base, keys, "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, base, keys+"resolved-priority: -2\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		want := `"priority":0`
		if m.Recovery() {
			want = `"priority":-2`
		}
		if !strings.Contains(reqs[0].Body, want) {
			t.Errorf("want %s: %s", want, reqs[0].Body)
		}
		if strings.Contains(reqs[0].Body, "degraded mode") != m.IsDegraded() {
			t.Errorf("degraded note wrong: %s", reqs[0].Body)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	other := strings.Repeat("g", 30)
	section := keys + "overrides:\n  - group: core\n    user-key: " + other + "\n"
	cases := []struct {
		group    string
		override map[string]any
		user     string
		device   string
	}{
		{"edge", nil, user, ""},
		{"core", nil, other, ""},
		{"core", map[string]any{"device": "pager"}, other, `"device":"pager"`},
	}
	for i, c := range cases {
		if _, err := notifier(t, rec.URL, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if !strings.Contains(got.Body, `"user":"`+c.user+`"`) || !strings.Contains(got.Body, c.device) {
			t.Errorf("case %d: sent %s", i, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing keys", "priority: 1\n", "alerting.pushover.application-token: must be 30 characters long\nalerting.pushover.user-key: must be 30 characters long"},
		{"bad priorities", keys + "priority: 3\nresolved-priority: -3\n", "alerting.pushover.priority: must be between -2 and 2, got 3\nalerting.pushover.resolved-priority: must be between -2 and 2, got -3"},
		{"long device", keys + "device: " + strings.Repeat("d", 26) + "\n", "alerting.pushover.device: must have 25 characters or less"},
		{"negative ttl", keys + "ttl: -1\n", "alerting.pushover.ttl: must not be negative, got -1"},
		{"unknown key", keys + "url: x\n", "custodes.yaml:3: alerting.pushover.url: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, Provider, "pushover", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, Provider, "pushover", keys, notify.Env{})
	if _, err := c.Notifier("", map[string]any{"user-key": "short"}); err == nil ||
		err.Error() != "alerting.pushover: provider-override.user-key: must be 30 characters long" {
		t.Errorf("provider-override error = %v", err)
	}
}
