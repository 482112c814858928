package googlechat_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/googlechat"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, googlechat.Provider, "googlechat", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

const button = `{"buttons":[{"textButton":{"text":"URL","onClick":{"openLink":{"url":"https://api.example.com/health"}}}}]}`

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/v1/spaces/AAA/messages?key=k&token=t\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/v1/spaces/AAA/messages?key=k&token=t", jsonHeaders,
		`{"cards":[{"sections":[{"widgets":[`+
			`{"keyValue":{"topLabel":"core/api","content":"<font color='#DD0000'>An alert has been triggered due to having failed 3 time(s) in a row</font>",`+
			`"contentMultiline":"true","bottomLabel":":: API health","icon":"BOOKMARK"}},`+
			`{"keyValue":{"topLabel":"Errors","content":"❌   [STATUS] (503) == 200<br>❌   [BODY].status (DOWN) == \"UP\"<br>","contentMultiline":"true","icon":"DESCRIPTION"}},`+
			button+`]}]}]}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "webhook-url: "+rec.URL+"/chat\n", "core", nil)
	if _, err := n.Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/chat", jsonHeaders,
		`{"cards":[{"sections":[{"widgets":[`+
			`{"keyValue":{"topLabel":"core/api","content":"<font color='#36A64F'>An alert has been resolved after passing successfully 2 time(s) in a row</font>",`+
			`"contentMultiline":"true","bottomLabel":":: API health","icon":"BOOKMARK"}},`+
			button+`]}]}]}`)
}

func TestNonWebMonitorAndDegraded(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	m := notifytest.Degraded("down")
	m.Monitor.URL = "tcp://db:5432"
	m.Errors = []string{"<dial> & fail"}
	m.Description = ""
	if _, err := notifier(t, "webhook-url: "+rec.URL+"\n", "", nil).Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/", jsonHeaders,
		`{"cards":[{"sections":[{"widgets":[`+
			`{"keyValue":{"topLabel":"core/api","content":"<font color='#DD0000'>An alert has been triggered due to having failed 3 time(s) in a row</font><br><i>`+notify.DegradedNote+`</i>",`+
			`"contentMultiline":"true","icon":"BOOKMARK"}},`+
			`{"keyValue":{"topLabel":"Errors","content":"❌   &lt;dial&gt; &amp; fail<br>","contentMultiline":"true","icon":"DESCRIPTION"}}]}]}]}`)
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "webhook-url: "+base+"/chat\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "webhook-url: "+base+"\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		label := m.DisplayName()
		if label == "" {
			label = "custodes"
		}
		if !strings.Contains(reqs[0].Body, `"topLabel":"`+label+`"`) {
			t.Errorf("body lacks the label %q: %s", label, reqs[0].Body)
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
	}{
		{"edge", nil, "/default"},
		{"core", nil, "/core"},
		{"core", map[string]any{"webhook-url": rec.URL + "/alert"}, "/alert"},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		if got := rec.Requests()[i]; got.Path != c.path {
			t.Errorf("case %d: sent to %s, want %s", i, got.Path, c.path)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing webhook-url", "client: {insecure: true}\n", "alerting.googlechat.webhook-url: is required"},
		{"bad webhook-url", "webhook-url: chat.googleapis.com/v1\n", "alerting.googlechat.webhook-url: must be an absolute http(s) URL"},
		{"unknown key", "webhook-url: https://chat.example/x\nspace: y\n", "custodes.yaml:2: alerting.googlechat.space: unknown key"},
		{"bad override", "webhook-url: https://chat.example/x\noverrides:\n  - group: g\n    webhook-url: ftp://x\n", "alerting.googlechat.overrides[0].webhook-url: must be an absolute http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, googlechat.Provider, "googlechat", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, googlechat.Provider, "googlechat", "webhook-url: https://chat.example/x\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"client": map[string]any{"insecure": "maybe"}}); err == nil ||
		err.Error() != `alerting.googlechat: provider-override.client.insecure: expected a boolean, got string "maybe"` {
		t.Errorf("provider-override error = %v", err)
	}
}
