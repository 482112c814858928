// Package mattermost sends messages to a Mattermost incoming webhook
// (alerting.mattermost), formatted as Gatus does.
package mattermost

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// Config is the alerting.mattermost section.
type Config struct {
	WebhookURL string              `yaml:"webhook-url"`
	Channel    string              `yaml:"channel"` // overrides the webhook's channel
	Client     notify.ClientConfig `yaml:"client"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.HTTPURL("webhook-url", c.WebhookURL)
	c.Client.Validate(v, "client")
}

// Provider is the mattermost provider.
var Provider = notify.NewProvider("mattermost", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: cfg.Client.HTTPClient(env.HTTPClient())}, nil
})

// Notifier posts to one Mattermost webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	Channel     string       `json:"channel,omitempty"`
	Text        string       `json:"text"`
	Username    string       `json:"username"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Title    string  `json:"title"`
	Fallback string  `json:"fallback"`
	Text     string  `json:"text"`
	Short    bool    `json:"short"`
	Color    string  `json:"color"`
	Fields   []field `json:"fields,omitempty"`
}

type field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

var colors = map[notify.Tone]string{
	notify.ToneAlarm:    "#DD0000",
	notify.ToneRecovery: "#36A64F",
	notify.ToneInfo:     "#439FE0",
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	retry, err := notify.PostJSON(ctx, n.client, n.cfg.WebhookURL, nil, n.body(m))
	if err != nil {
		return retry, fmt.Errorf("mattermost: %w", err)
	}
	return false, nil
}

func (n *Notifier) body(m *notify.Message) body {
	headline := notify.Headline(m, func(s string) string { return "*" + s + "*" })
	text := headline
	if m.Description != "" {
		text += ":\n> " + m.Description
	}
	if m.IsDegraded() {
		text += "\n_" + notify.DegradedNote + "_"
	}
	a := attachment{
		Title:    ":helmet_with_white_cross: " + notify.Title,
		Fallback: notify.Title + " - " + headline,
		Text:     text,
		Color:    colors[m.Tone()],
	}
	if len(m.Errors) > 0 {
		var b strings.Builder
		for _, e := range m.Errors {
			b.WriteString(":x: - `" + e + "`\n")
		}
		a.Fields = []field{{Title: "Errors", Value: b.String()}}
	}
	return body{Channel: n.cfg.Channel, Username: notify.Title, Attachments: []attachment{a}}
}
