// Package teamsworkflows sends messages to a Microsoft Teams channel
// through a Workflows (Power Automate) webhook (alerting.teams-workflows),
// as the adaptive card Gatus sends.
package teamsworkflows

import (
	"context"
	"fmt"
	"net/http"

	"github.com/custodes/custodes/internal/notify"
)

// Config is the alerting.teams-workflows section.
type Config struct {
	WebhookURL string `yaml:"webhook-url"`
	Title      string `yaml:"title"` // default "⛑️ custodes"
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.HTTPURL("webhook-url", c.WebhookURL)
}

// DefaultTitle is the card title unless configured.
const DefaultTitle = "⛑️ " + notify.Title

// Provider is the teams-workflows provider.
var Provider = notify.NewProvider("teams-workflows", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: env.HTTPClient()}, nil
})

// Notifier posts to one Teams workflow webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type message struct {
	Type        string       `json:"type"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	ContentType string `json:"contentType"`
	Content     card   `json:"content"`
}

type card struct {
	Type    string  `json:"type"`
	Version string  `json:"version"`
	Body    []block `json:"body"`
	MSTeams msTeams `json:"msteams"`
}

type msTeams struct {
	Width string `json:"width"`
}

type block struct {
	Type   string  `json:"type"`
	Text   string  `json:"text,omitempty"`
	Wrap   bool    `json:"wrap,omitempty"`
	Size   string  `json:"size,omitempty"`
	Weight string  `json:"weight,omitempty"`
	Style  string  `json:"style,omitempty"`
	Items  []block `json:"items,omitempty"`
	Facts  []fact  `json:"facts,omitempty"`
}

type fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

var styles = map[notify.Tone]string{
	notify.ToneAlarm:    "Attention", // red
	notify.ToneRecovery: "Good",      // green
	notify.ToneInfo:     "Accent",    // blue
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	retry, err := notify.PostJSON(ctx, n.client, n.cfg.WebhookURL, nil, n.message(m))
	if err != nil {
		return retry, fmt.Errorf("teams-workflows: %w", err)
	}
	return false, nil
}

func (n *Notifier) message(m *notify.Message) message {
	title := n.cfg.Title
	if title == "" {
		title = DefaultTitle
	}
	items := []block{
		{Type: "TextBlock", Text: title, Size: "Medium", Weight: "Bolder"},
		{Type: "TextBlock", Text: notify.Headline(m, func(s string) string { return "**" + s + "**" }) + ".", Wrap: true},
	}
	if m.Description != "" {
		items = append(items, block{Type: "TextBlock", Text: "**Description**: " + m.Description, Wrap: true})
	}
	if m.IsDegraded() {
		items = append(items, block{Type: "TextBlock", Text: "_" + notify.DegradedNote + "_", Wrap: true})
	}
	if len(m.Errors) > 0 {
		facts := make([]fact, len(m.Errors))
		for i, e := range m.Errors {
			facts[i] = fact{Title: "❌", Value: e}
		}
		items = append(items, block{Type: "FactSet", Facts: facts})
	}
	c := card{
		Type:    "AdaptiveCard",
		Version: "1.4", // the newest Teams renders
		Body: []block{{
			Type:  "Container",
			Style: styles[m.Tone()],
			Items: []block{{Type: "Container", Style: "Default", Items: items}},
		}},
		MSTeams: msTeams{Width: "Full"},
	}
	return message{Type: "message", Attachments: []attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: c}}}
}
