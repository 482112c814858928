// Package pagerduty sends events to PagerDuty's Events API v2
// (alerting.pagerduty). The dedup_key is the incident id: a trigger, its
// reminders and re-sends all land on one PagerDuty incident, and the
// resolution closes it.
package pagerduty

import (
	"context"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/custodes/custodes/internal/notify"
)

// EventsURL is PagerDuty's Events API v2 host.
const EventsURL = "https://events.pagerduty.com"

// Config is the alerting.pagerduty section.
type Config struct {
	IntegrationKey string `yaml:"integration-key"` // 32 characters
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	if len(c.IntegrationKey) != 32 {
		v.Errorf("integration-key", "must have exactly 32 characters")
	}
}

// Provider is the pagerduty provider.
var Provider = newProvider(EventsURL)

// newProvider sends to api instead of PagerDuty (tests use a loopback server).
func newProvider(api string) notify.Provider {
	return notify.NewProvider("pagerduty", func(cfg Config, env notify.Env) (notify.Notifier, error) {
		return &Notifier{cfg: cfg, client: env.HTTPClient(), api: api}, nil
	})
}

// Notifier sends to one PagerDuty service integration.
type Notifier struct {
	cfg    Config
	client *http.Client
	api    string
}

type event struct {
	RoutingKey  string   `json:"routing_key"`
	DedupKey    string   `json:"dedup_key"`
	EventAction string   `json:"event_action"` // trigger | resolve
	Payload     *payload `json:"payload,omitempty"`
}

type payload struct {
	Summary       string  `json:"summary"`
	Source        string  `json:"source"`
	Severity      string  `json:"severity"` // critical | error | warning | info
	CustomDetails details `json:"custom_details"`
}

type details struct {
	Event      notify.Event `json:"event"`
	MonitorURL string       `json:"monitor_url,omitempty"`
	Errors     []string     `json:"errors,omitempty"`
	SentBy     string       `json:"sent_by,omitempty"`
	Note       string       `json:"note,omitempty"`
}

// maxSummary is PagerDuty's limit on payload.summary.
const maxSummary = 1024

var severities = map[notify.Event]string{
	notify.EventNodeDown:     "error",
	notify.EventNotifierDown: "warning",
	notify.EventTest:         "info",
}

// Notify implements notify.Notifier: trigger for triggered, reminder and
// down events, resolve for resolved and up events. A test event is
// triggered and at once resolved.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	if m.Recovery() {
		return n.send(ctx, n.resolve(m))
	}
	if retry, err := n.send(ctx, n.trigger(m)); err != nil || m.Event != notify.EventTest {
		return retry, err
	}
	return n.send(ctx, n.resolve(m))
}

func (n *Notifier) send(ctx context.Context, e event) (bool, error) {
	retry, err := notify.PostJSON(ctx, n.client, n.api+"/v2/enqueue", nil, e)
	if err != nil {
		return retry, fmt.Errorf("pagerduty %s: %w", e.EventAction, err)
	}
	return false, nil
}

func (n *Notifier) trigger(m *notify.Message) event {
	severity := severities[m.Event]
	if severity == "" {
		severity = "critical"
	}
	d := details{Event: m.Event, MonitorURL: m.Monitor.URL, Errors: m.Errors, SentBy: m.SentBy}
	if m.IsDegraded() {
		d.Note = notify.DegradedNote
	}
	return event{
		RoutingKey:  n.cfg.IntegrationKey,
		DedupKey:    m.DedupKey(),
		EventAction: "trigger",
		Payload:     &payload{Summary: truncate(notify.Summary(m), maxSummary), Source: notify.Title, Severity: severity, CustomDetails: d},
	}
}

func (n *Notifier) resolve(m *notify.Message) event {
	return event{RoutingKey: n.cfg.IntegrationKey, DedupKey: m.DedupKey(), EventAction: "resolve"}
}

// truncate cuts s to at most limit bytes on a rune boundary.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
