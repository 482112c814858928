// Package gotify pushes messages to a Gotify server (alerting.gotify) as
// Gatus does. The application token travels in the X-Gotify-Key header,
// not in the URL, so it cannot show up in errors or proxy logs.
package gotify

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// DefaultPriority is Gatus's.
const DefaultPriority = 5

// Config is the alerting.gotify section.
type Config struct {
	ServerURL string `yaml:"server-url"`
	Token     string `yaml:"token"`    // an application token
	Priority  int    `yaml:"priority"` // default 5
	Title     string `yaml:"title"`    // default "custodes: <monitor>"
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.HTTPURL("server-url", c.ServerURL)
	v.Required("token", c.Token)
	if c.Priority < 0 {
		v.Errorf("priority", "must not be negative, got %d", c.Priority)
	}
}

// Provider is the gotify provider.
var Provider = notify.NewProvider("gotify", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: env.HTTPClient()}, nil
})

// Notifier pushes to one Gotify application.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	Message  string `json:"message"`
	Title    string `json:"title"`
	Priority int    `json:"priority"`
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	b := body{Message: Message(m), Title: n.cfg.Title, Priority: n.cfg.Priority}
	if b.Title == "" {
		b.Title = notify.Title
		if name := m.DisplayName(); name != "" {
			b.Title += ": " + name
		}
	}
	if b.Priority == 0 {
		b.Priority = DefaultPriority
	}
	h := http.Header{"X-Gotify-Key": {n.cfg.Token}}
	retry, err := notify.PostJSON(ctx, n.client, strings.TrimSuffix(n.cfg.ServerURL, "/")+"/message", h, b)
	if err != nil {
		return retry, fmt.Errorf("gotify: %w", err)
	}
	return false, nil
}

// Message is the text of m in Gatus's layout.
func Message(m *notify.Message) string {
	s := notify.Headline(m, func(s string) string { return "`" + s + "`" })
	if m.Description != "" {
		s += " with the following description: " + m.Description
	}
	if m.IsDegraded() {
		s += "\n" + notify.DegradedNote
	}
	for _, e := range m.Errors {
		s += "\n✕ - " + e
	}
	return s
}
