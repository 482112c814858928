// Package discord sends messages to a Discord webhook (alerting.discord),
// formatted as Gatus does: one coloured embed.
package discord

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// Config is the alerting.discord section.
type Config struct {
	WebhookURL string `yaml:"webhook-url"`
	Title      string `yaml:"title"` // default ":helmet_with_white_cross: custodes"
	// MessageContent is sent as the message text, to ping users or roles
	// (e.g. "<@123456789>" or "<@&987654321>").
	MessageContent string `yaml:"message-content"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.HTTPURL("webhook-url", c.WebhookURL)
	if len(c.MessageContent) > 2000 {
		v.Errorf("message-content", "must be at most 2000 characters (Discord's limit)")
	}
}

// DefaultTitle is the embed title unless configured.
const DefaultTitle = ":helmet_with_white_cross: " + notify.Title

// Provider is the discord provider.
var Provider = notify.NewProvider("discord", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: env.HTTPClient()}, nil
})

// Notifier posts to one Discord webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	Content string  `json:"content"`
	Embeds  []embed `json:"embeds"`
}

type embed struct {
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Color       int     `json:"color"`
	Fields      []field `json:"fields,omitempty"`
}

type field struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

var colors = map[notify.Tone]int{
	notify.ToneAlarm:    15158332, // red
	notify.ToneRecovery: 3066993,  // green
	notify.ToneInfo:     3447003,  // blue
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	retry, err := notify.PostJSON(ctx, n.client, n.cfg.WebhookURL, nil, n.body(m))
	if err != nil {
		return retry, fmt.Errorf("discord: %w", err)
	}
	return false, nil
}

func (n *Notifier) body(m *notify.Message) body {
	text := notify.Headline(m, func(s string) string { return "**" + s + "**" })
	if m.Description != "" {
		text += ":\n> " + m.Description
	}
	if m.IsDegraded() {
		text += "\n*" + notify.DegradedNote + "*"
	}
	e := embed{Title: n.cfg.Title, Description: text, Color: colors[m.Tone()]}
	if e.Title == "" {
		e.Title = DefaultTitle
	}
	if len(m.Errors) > 0 {
		var b strings.Builder
		for _, err := range m.Errors {
			b.WriteString(":x: - `" + err + "`\n")
		}
		e.Fields = []field{{Name: "Errors", Value: b.String()}}
	}
	return body{Content: n.cfg.MessageContent, Embeds: []embed{e}}
}
