// Package slack sends messages to a Slack incoming webhook
// (alerting.slack), formatted as Gatus does: one coloured attachment.
package slack

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// Config is the alerting.slack section.
type Config struct {
	WebhookURL string `yaml:"webhook-url"`
	Title      string `yaml:"title"` // default ":helmet_with_white_cross: custodes"
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.HTTPURL("webhook-url", c.WebhookURL)
}

// DefaultTitle is the attachment title unless configured.
const DefaultTitle = ":helmet_with_white_cross: " + notify.Title

// Provider is the slack provider.
var Provider = notify.NewProvider("slack", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: env.HTTPClient()}, nil
})

// Notifier posts to one Slack webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	Text        string       `json:"text"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Title  string  `json:"title"`
	Text   string  `json:"text"`
	Short  bool    `json:"short"`
	Color  string  `json:"color"`
	Fields []field `json:"fields,omitempty"`
}

type field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	retry, err := notify.PostJSON(ctx, n.client, n.cfg.WebhookURL, nil, n.body(m))
	if err != nil {
		return retry, fmt.Errorf("slack: %w", err)
	}
	return false, nil
}

// Colors of the attachment by tone.
var colors = map[notify.Tone]string{
	notify.ToneAlarm:    "#DD0000",
	notify.ToneRecovery: "#36A64F",
	notify.ToneInfo:     "#439FE0",
}

func (n *Notifier) body(m *notify.Message) body {
	text := notify.Headline(m, func(s string) string { return "*" + escape(s) + "*" })
	if m.Description != "" {
		text += ":\n> " + escape(m.Description)
	}
	if m.IsDegraded() {
		text += "\n_" + notify.DegradedNote + "_"
	}
	a := attachment{Title: n.cfg.Title, Text: text, Color: colors[m.Tone()]}
	if a.Title == "" {
		a.Title = DefaultTitle
	}
	if len(m.Errors) > 0 {
		var b strings.Builder
		for _, e := range m.Errors {
			b.WriteString(":x: - `" + escape(e) + "`\n")
		}
		a.Fields = []field{{Title: "Errors", Value: b.String()}}
	}
	return body{Attachments: []attachment{a}}
}

// escape applies Slack's three mandatory escapes to text it must show as is.
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
