package notifytest

import (
	"time"

	"github.com/custodes/custodes/internal/notify"
)

// StartedAt is when the sample incident started.
var StartedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// Triggered returns a sample triggered message for monitor core/api, whose
// errors hold characters that need escaping in JSON, HTML and Markdown.
func Triggered() *notify.Message {
	return &notify.Message{
		Event:          notify.EventTriggered,
		IdempotencyKey: "inc-1/triggered/test",
		Monitor:        notify.MonitorRef{Key: "core_api", Name: "api", Group: "core", URL: "https://api.example.com/health"},
		Incident:       notify.IncidentRef{ID: "inc-1", StartedAt: StartedAt},
		State:          "down",
		Description:    "API health",
		Errors:         []string{"[STATUS] (503) == 200", `[BODY].status (DOWN) == "UP"`},
		Observers: []notify.Observer{
			{Node: "n1", Success: false, Error: "[STATUS] (503) == 200"},
			{Node: "n2", Success: false, Error: "[STATUS] (503) == 200"},
		},
		SentBy: "n1",
		Alert:  notify.AlertRef{Type: "test", FailureThreshold: 3, SuccessThreshold: 2, SendOnResolved: true},
	}
}

// Resolved returns the resolution of Triggered's incident.
func Resolved() *notify.Message {
	return &notify.Message{
		Event:          notify.EventResolved,
		IdempotencyKey: "inc-1/resolved/test",
		Monitor:        notify.MonitorRef{Key: "core_api", Name: "api", Group: "core", URL: "https://api.example.com/health"},
		Incident:       notify.IncidentRef{ID: "inc-1", StartedAt: StartedAt},
		State:          "up",
		Description:    "API health",
		Observers: []notify.Observer{
			{Node: "n1", Success: true},
			{Node: "n2", Success: true},
		},
		SentBy: "n1",
		Alert:  notify.AlertRef{Type: "test", FailureThreshold: 3, SuccessThreshold: 2, SendOnResolved: true},
	}
}

// Reminder returns a reminder of Triggered's incident.
func Reminder() *notify.Message {
	m := Triggered()
	m.Event = notify.EventReminder
	m.IdempotencyKey = "inc-1/reminder-1/test"
	return m
}

// Degraded returns Triggered (state "down") or Resolved (state "up") as
// sent in quorum-loss fallback mode.
func Degraded(state string) *notify.Message {
	m := Triggered()
	if state == "up" {
		m = Resolved()
	}
	m.Event = notify.EventDegraded
	m.Degraded = true
	m.IdempotencyKey = "inc-1/degraded-" + state + "/test"
	return m
}

// NodeDown returns a cluster event without a monitor.
func NodeDown() *notify.Message {
	return &notify.Message{
		Event:          notify.EventNodeDown,
		IdempotencyKey: "node-n2-1/node-down/test",
		Incident:       notify.IncidentRef{ID: "node-n2-1", StartedAt: StartedAt},
		State:          "down",
		Description:    "node n2 (10.0.0.2) unreachable since 2025-03-04T05:06:07Z",
		SentBy:         "n1",
	}
}

// NodeUp returns the end of NodeDown.
func NodeUp() *notify.Message {
	m := NodeDown()
	m.Event = notify.EventNodeUp
	m.IdempotencyKey = "node-n2-1/node-up/test"
	m.State = "up"
	m.Description = "node n2 (10.0.0.2) is back"
	return m
}

// NotifierDown returns a report of a failing notifier.
func NotifierDown() *notify.Message {
	return &notify.Message{
		Event:          notify.EventNotifierDown,
		IdempotencyKey: "notifier-slack-1/notifier-down/test",
		Description:    `notifier "slack" has failed for 30m0s: POST https://hooks.slack.com: unexpected status 500`,
		SentBy:         "n1",
	}
}

// Test returns a test message (POST /api/v1/notifiers/{name}/test).
func Test() *notify.Message {
	return &notify.Message{
		Event:          notify.EventTest,
		IdempotencyKey: "test-1/test/test",
		Description:    "sent from the admin page",
		SentBy:         "n1",
	}
}

// AllEvents returns one message of every event kind (degraded both ways).
func AllEvents() []*notify.Message {
	return []*notify.Message{
		Triggered(), Resolved(), Reminder(), Degraded("down"), Degraded("up"),
		NodeDown(), NodeUp(), NotifierDown(), Test(),
	}
}
