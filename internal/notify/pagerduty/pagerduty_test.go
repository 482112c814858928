package pagerduty

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const key = "0123456789abcdef0123456789abcdef"

func notifier(t *testing.T, api, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, newProvider(api), "pagerduty", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	rec.Reply(202, nil, `{"status":"success","message":"Event processed","dedup_key":"inc-1"}`)
	if _, err := notifier(t, rec.URL, "integration-key: "+key+"\n", "core", nil).Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/v2/enqueue", jsonHeaders,
		`{"routing_key":"`+key+`","dedup_key":"inc-1","event_action":"trigger",`+
			`"payload":{"summary":"TRIGGERED: core/api - API health","source":"custodes","severity":"critical",`+
			`"custom_details":{"event":"triggered","monitor_url":"https://api.example.com/health","errors":["[STATUS] (503) == 200","[BODY].status (DOWN) == \"UP\""],"sent_by":"n1"}}}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := notifier(t, rec.URL, "integration-key: "+key+"\n", "core", nil).Notify(context.Background(), notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/v2/enqueue", jsonHeaders,
		`{"routing_key":"`+key+`","dedup_key":"inc-1","event_action":"resolve"}`)
}

func TestEvents(t *testing.T) {
	cases := []struct {
		m    *notify.Message
		want []string // bodies, in order
	}{
		{notifytest.Reminder(), []string{`{"routing_key":"` + key + `","dedup_key":"inc-1","event_action":"trigger",` +
			`"payload":{"summary":"REMINDER: core/api - API health","source":"custodes","severity":"critical",` +
			`"custom_details":{"event":"reminder","monitor_url":"https://api.example.com/health","errors":["[STATUS] (503) == 200","[BODY].status (DOWN) == \"UP\""],"sent_by":"n1"}}}`}},
		{notifytest.Degraded("up"), []string{`{"routing_key":"` + key + `","dedup_key":"inc-1","event_action":"resolve"}`}},
		{notifytest.NodeDown(), []string{`{"routing_key":"` + key + `","dedup_key":"node-n2-1","event_action":"trigger",` +
			`"payload":{"summary":"NODE DOWN: custodes cluster - node n2 (10.0.0.2) unreachable since 2025-03-04T05:06:07Z","source":"custodes","severity":"error",` +
			`"custom_details":{"event":"node-down","sent_by":"n1"}}}`}},
		{notifytest.NodeUp(), []string{`{"routing_key":"` + key + `","dedup_key":"node-n2-1","event_action":"resolve"}`}},
		{notifytest.Test(), []string{
			`{"routing_key":"` + key + `","dedup_key":"test-1/test/test","event_action":"trigger",` +
				`"payload":{"summary":"TEST: custodes - sent from the admin page","source":"custodes","severity":"info",` +
				`"custom_details":{"event":"test","sent_by":"n1"}}}`,
			`{"routing_key":"` + key + `","dedup_key":"test-1/test/test","event_action":"resolve"}`}},
	}
	for _, c := range cases {
		t.Run(string(c.m.Event), func(t *testing.T) {
			rec := notifytest.NewReceiver(t)
			if _, err := notifier(t, rec.URL, "integration-key: "+key+"\n", "", nil).Notify(context.Background(), c.m); err != nil {
				t.Fatal(err)
			}
			reqs := rec.Requests()
			if len(reqs) != len(c.want) {
				t.Fatalf("sent %d events, want %d", len(reqs), len(c.want))
			}
			for i, want := range c.want {
				notifytest.Expect(t, reqs[i], "POST", "/v2/enqueue", jsonHeaders, want)
			}
		})
	}
}

func TestDegradedNote(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := notifier(t, rec.URL, "integration-key: "+key+"\n", "", nil).Notify(context.Background(), notifytest.Degraded("down")); err != nil {
		t.Fatal(err)
	}
	body := rec.Only(t).Body
	for _, want := range []string{`"summary":"DEGRADED TRIGGERED: core/api - API health"`, `"note":"` + notify.DegradedNote + `"`, `"event_action":"trigger"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
}

func TestTestEventStopsOnFailedTrigger(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	rec.Reply(400, nil, "invalid")
	if _, err := notifier(t, rec.URL, "integration-key: "+key+"\n", "", nil).Notify(context.Background(), notifytest.Test()); err == nil {
		t.Fatal("no error")
	}
	if n := len(rec.Requests()); n != 1 {
		t.Errorf("sent %d events after a failed trigger, want 1", n)
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	got := truncate(long, maxSummary)
	if len(got) > maxSummary || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
	if truncate("short", maxSummary) != "short" {
		t.Error("short string changed")
	}
}

func TestProductionURL(t *testing.T) {
	c := notifytest.Load(t, Provider, "pagerduty", "integration-key: "+key+"\n", notify.Env{})
	n := notifytest.Notifier(t, c, "", nil)
	if api := n.(*Notifier).api; api != "https://events.pagerduty.com" {
		t.Errorf("api = %s", api)
	}
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, base, "integration-key: "+key+"\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, base, "integration-key: "+key+"\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		last := reqs[len(reqs)-1].Body
		if want := m.Recovery() || m.Event == notify.EventTest; strings.Contains(last, `"event_action":"resolve"`) != want {
			t.Errorf("%s: last event %s", m.Event, last)
		}
		if !strings.Contains(last, `"dedup_key":"`+m.DedupKey()+`"`) {
			t.Errorf("%s: dedup key not %s: %s", m.Event, m.DedupKey(), last)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	core := strings.Repeat("c", 32)
	alert := strings.Repeat("a", 32)
	section := "integration-key: " + key + "\noverrides:\n  - group: core\n    integration-key: " + core + "\n"
	cases := []struct {
		group    string
		override map[string]any
		key      string
	}{
		{"edge", nil, key},
		{"core", nil, core},
		{"core", map[string]any{"integration-key": alert}, alert},
	}
	for i, c := range cases {
		if _, err := notifier(t, rec.URL, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		if got := rec.Requests()[i]; !strings.Contains(got.Body, `"routing_key":"`+c.key+`"`) {
			t.Errorf("case %d: sent %s", i, got.Body)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing key", "overrides: []\n", "alerting.pagerduty.integration-key: must have exactly 32 characters"},
		{"short key", "integration-key: abc\n", "alerting.pagerduty.integration-key: must have exactly 32 characters"},
		{"unknown key", "integration-key: " + key + "\nservice: x\n", "custodes.yaml:2: alerting.pagerduty.service: unknown key"},
		{"bad override", "integration-key: " + key + "\noverrides:\n  - group: g\n    integration-key: x\n", "alerting.pagerduty.overrides[0].integration-key: must have exactly 32 characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, Provider, "pagerduty", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, Provider, "pagerduty", "integration-key: "+key+"\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"integration-key": "short"}); err == nil ||
		err.Error() != "alerting.pagerduty: provider-override.integration-key: must have exactly 32 characters" {
		t.Errorf("provider-override error = %v", err)
	}
}
