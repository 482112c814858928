// Package notify turns incident transitions into messages on the wire.
//
// A provider (webhook, slack, pagerduty, ...) is one sub-package that
// decodes its own `alerting.<provider>` config section and implements
// Notifier; it is registered by one line in internal/notify/providers.
// The dispatcher (leader only) takes outbox entries from the replicated
// state, sends them through the Retrier, and records the outcome.
package notify

import (
	"context"
	"time"
)

// Event is what happened.
type Event string

const (
	EventTriggered Event = "triggered"
	EventResolved  Event = "resolved"
	EventReminder  Event = "reminder"
	EventDegraded  Event = "degraded" // sent in quorum-loss fallback mode
	EventNodeDown  Event = "node-down"
	EventNodeUp    Event = "node-up"
	// EventNotifierDown reports a notifier that has failed for longer than
	// the configured time, through the other notifiers.
	EventNotifierDown Event = "notifier-down"
	// EventTest is a test message (POST /api/v1/notifiers/{name}/test).
	EventTest Event = "test"
)

// Message is one notification, provider-agnostic. Its JSON form is exactly
// the generic webhook payload of DESIGN.md §3.
type Message struct {
	Event          Event       `json:"event"`
	IdempotencyKey string      `json:"idempotency_key"`
	Monitor        MonitorRef  `json:"monitor"`
	Incident       IncidentRef `json:"incident"`
	State          string      `json:"state"` // "down" | "up"
	Description    string      `json:"description"`
	Errors         []string    `json:"errors"`
	Observers      []Observer  `json:"observers"`
	SentBy         string      `json:"sent_by"`
	Degraded       bool        `json:"degraded"`

	// Alert carries the settings of the endpoint alert that produced the
	// message (not part of the JSON payload).
	Alert AlertRef `json:"-"`
}

// MonitorRef identifies the monitor.
type MonitorRef struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Group string `json:"group"`
	URL   string `json:"url"`
}

// IncidentRef identifies the incident.
type IncidentRef struct {
	ID        string    `json:"id"`
	StartedAt time.Time `json:"started_at"`
}

// Observer is one vantage point's latest view.
type Observer struct {
	Node    string `json:"node"`
	Success bool   `json:"success"`
	Error   string `json:"error,omitempty"`
}

// AlertRef is what a provider may need from the endpoint alert.
type AlertRef struct {
	Type             string
	FailureThreshold int
	SuccessThreshold int
	SendOnResolved   bool
	// Override is the alert's provider-override, already applied by the
	// dispatcher when building the notifier; kept for providers that read
	// per-alert fields.
	Override map[string]any
}

// Notifier sends messages to one receiver. Notify returns whether a failure
// is worth retrying; it must return when ctx is done.
type Notifier interface {
	Notify(ctx context.Context, m *Message) (retryable bool, err error)
}

// Decoder decodes a provider's config section strictly into a struct with
// yaml tags (config.Section implements it; errors carry file:line).
type Decoder interface {
	Decode(into any) error
}
