package notify_test

import (
	"testing"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func bold(s string) string { return "*" + s + "*" }

func TestMessageText(t *testing.T) {
	noThresholds := notifytest.Triggered()
	noThresholds.Alert = notify.AlertRef{}
	resolvedNoThresholds := notifytest.Resolved()
	resolvedNoThresholds.Alert = notify.AlertRef{}
	ungrouped := notifytest.Triggered()
	ungrouped.Monitor.Group = ""
	keyOnly := notifytest.Triggered()
	keyOnly.Monitor = notify.MonitorRef{Key: "core_api"}
	reminderNoStart := notifytest.Reminder()
	reminderNoStart.Incident = notify.IncidentRef{ID: "inc-1"}
	degradedFlagOnly := notifytest.Triggered()
	degradedFlagOnly.Degraded = true

	cases := []struct {
		name     string
		m        *notify.Message
		headline string
		summary  string
		tone     notify.Tone
		status   string
		display  string
		dedup    string
	}{
		{"triggered", notifytest.Triggered(),
			"An alert for *core/api* has been triggered due to having failed 3 time(s) in a row",
			"TRIGGERED: core/api - API health", notify.ToneAlarm, "TRIGGERED", "core/api", "inc-1"},
		{"resolved", notifytest.Resolved(),
			"An alert for *core/api* has been resolved after passing successfully 2 time(s) in a row",
			"RESOLVED: core/api - API health", notify.ToneRecovery, "RESOLVED", "core/api", "inc-1"},
		{"reminder", notifytest.Reminder(),
			"Reminder: an alert for *core/api* is still triggered (failing since 2025-03-04T05:06:07Z)",
			"REMINDER: core/api - API health", notify.ToneAlarm, "TRIGGERED", "core/api", "inc-1"},
		{"reminder without start", reminderNoStart,
			"Reminder: an alert for *core/api* is still triggered",
			"REMINDER: core/api - API health", notify.ToneAlarm, "TRIGGERED", "core/api", "inc-1"},
		{"degraded down", notifytest.Degraded("down"),
			"An alert for *core/api* has been triggered due to having failed 3 time(s) in a row",
			"DEGRADED TRIGGERED: core/api - API health", notify.ToneAlarm, "TRIGGERED", "core/api", "inc-1"},
		{"degraded up", notifytest.Degraded("up"),
			"An alert for *core/api* has been resolved after passing successfully 2 time(s) in a row",
			"DEGRADED RESOLVED: core/api - API health", notify.ToneRecovery, "RESOLVED", "core/api", "inc-1"},
		{"triggered with degraded flag", degradedFlagOnly,
			"An alert for *core/api* has been triggered due to having failed 3 time(s) in a row",
			"DEGRADED TRIGGERED: core/api - API health", notify.ToneAlarm, "TRIGGERED", "core/api", "inc-1"},
		{"node down", notifytest.NodeDown(),
			"A custodes cluster node is down",
			"NODE DOWN: custodes cluster - node n2 (10.0.0.2) unreachable since 2025-03-04T05:06:07Z", notify.ToneAlarm, "TRIGGERED", "", "node-n2-1"},
		{"node up", notifytest.NodeUp(),
			"A custodes cluster node is back up",
			"NODE UP: custodes cluster - node n2 (10.0.0.2) is back", notify.ToneRecovery, "RESOLVED", "", "node-n2-1"},
		{"notifier down", notifytest.NotifierDown(),
			"A custodes notifier is failing",
			`NOTIFIER DOWN: custodes - notifier "slack" has failed for 30m0s: POST https://hooks.slack.com: unexpected status 500`,
			notify.ToneAlarm, "TRIGGERED", "", "notifier-slack-1/notifier-down/test"},
		{"test", notifytest.Test(),
			"This is a test notification from custodes",
			"TEST: custodes - sent from the admin page", notify.ToneInfo, "TRIGGERED", "", "test-1/test/test"},
		{"no thresholds", noThresholds,
			"An alert for *core/api* has been triggered", "TRIGGERED: core/api - API health", notify.ToneAlarm, "TRIGGERED", "core/api", "inc-1"},
		{"resolved, no thresholds", resolvedNoThresholds,
			"An alert for *core/api* has been resolved", "RESOLVED: core/api - API health", notify.ToneRecovery, "RESOLVED", "core/api", "inc-1"},
		{"no group", ungrouped,
			"An alert for *api* has been triggered due to having failed 3 time(s) in a row", "TRIGGERED: api - API health", notify.ToneAlarm, "TRIGGERED", "api", "inc-1"},
		{"key only", keyOnly,
			"An alert for *core_api* has been triggered due to having failed 3 time(s) in a row", "TRIGGERED: core_api - API health", notify.ToneAlarm, "TRIGGERED", "core_api", "inc-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notify.Headline(c.m, bold); got != c.headline {
				t.Errorf("Headline = %q\n want %q", got, c.headline)
			}
			if got := notify.Summary(c.m); got != c.summary {
				t.Errorf("Summary = %q\n want %q", got, c.summary)
			}
			if got := c.m.Tone(); got != c.tone {
				t.Errorf("Tone = %v, want %v", got, c.tone)
			}
			if got := c.m.Status(); got != c.status {
				t.Errorf("Status = %q, want %q", got, c.status)
			}
			if got := c.m.DisplayName(); got != c.display {
				t.Errorf("DisplayName = %q, want %q", got, c.display)
			}
			if got := c.m.DedupKey(); got != c.dedup {
				t.Errorf("DedupKey = %q, want %q", got, c.dedup)
			}
		})
	}
}

func TestHeadlineWithoutEmphasis(t *testing.T) {
	m := notifytest.Triggered()
	m.Monitor = notify.MonitorRef{}
	if got, want := notify.Headline(m, nil), "An alert has been triggered due to having failed 3 time(s) in a row"; got != want {
		t.Errorf("Headline = %q, want %q", got, want)
	}
	m.Event = notify.EventReminder
	m.Incident = notify.IncidentRef{}
	if got, want := notify.Headline(m, nil), "Reminder: an alert is still triggered"; got != want {
		t.Errorf("Headline = %q, want %q", got, want)
	}
}
