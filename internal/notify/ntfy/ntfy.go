// Package ntfy publishes messages to an ntfy topic (alerting.ntfy), as
// Gatus does: JSON to the server root.
package ntfy

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// Defaults, as Gatus.
const (
	DefaultURL      = "https://ntfy.sh"
	DefaultPriority = 3
	tokenPrefix     = "tk_"
)

// Config is the alerting.ntfy section.
type Config struct {
	Topic           string `yaml:"topic"`
	URL             string `yaml:"url"`      // default DefaultURL
	Priority        int    `yaml:"priority"` // 1..5, default 3
	Token           string `yaml:"token"`    // an access token, "tk_..."
	Email           string `yaml:"email"`    // also e-mail the message
	Click           string `yaml:"click"`    // URL opened when the notification is tapped
	DisableFirebase bool   `yaml:"disable-firebase"`
	DisableCache    bool   `yaml:"disable-cache"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.Required("topic", c.Topic)
	v.OptionalHTTPURL("url", c.URL)
	if c.Priority < 0 || c.Priority > 5 {
		v.Errorf("priority", "must be between 1 and 5, got %d", c.Priority)
	}
	if c.Token != "" && !strings.HasPrefix(c.Token, tokenPrefix) {
		v.Errorf("token", "must be an ntfy access token (starting with %q)", tokenPrefix)
	}
}

// Provider is the ntfy provider.
var Provider = notify.NewProvider("ntfy", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: env.HTTPClient()}, nil
})

// Notifier publishes to one topic.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	Topic    string   `json:"topic"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	Tags     []string `json:"tags"`
	Priority int      `json:"priority"`
	Email    string   `json:"email,omitempty"`
	Click    string   `json:"click,omitempty"`
}

var tags = map[notify.Tone]string{
	notify.ToneAlarm:    "rotating_light",
	notify.ToneRecovery: "white_check_mark",
	notify.ToneInfo:     "information_source",
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	h := http.Header{}
	if n.cfg.Token != "" {
		h.Set("Authorization", "Bearer "+n.cfg.Token)
	}
	if n.cfg.DisableFirebase {
		h.Set("Firebase", "no")
	}
	if n.cfg.DisableCache {
		h.Set("Cache", "no")
	}
	url := n.cfg.URL
	if url == "" {
		url = DefaultURL
	}
	retry, err := notify.PostJSON(ctx, n.client, url, h, n.body(m))
	if err != nil {
		return retry, fmt.Errorf("ntfy: %w", err)
	}
	return false, nil
}

func (n *Notifier) body(m *notify.Message) body {
	title := notify.Title
	if name := m.DisplayName(); name != "" {
		title += ": " + name
	}
	b := body{
		Topic:    n.cfg.Topic,
		Title:    title,
		Message:  Message(m),
		Tags:     []string{tags[m.Tone()]},
		Priority: n.cfg.Priority,
		Email:    n.cfg.Email,
		Click:    n.cfg.Click,
	}
	if b.Priority == 0 {
		b.Priority = DefaultPriority
	}
	return b
}

// Message is the notification text of m, Gatus's layout: the monitor is
// in the title, so the sentence leaves it out.
func Message(m *notify.Message) string {
	anonymous := *m
	anonymous.Monitor = notify.MonitorRef{}
	s := notify.Headline(&anonymous, nil)
	if m.Description != "" {
		s += " with the following description: " + m.Description
	}
	if m.IsDegraded() {
		s += "\n" + notify.DegradedNote
	}
	for _, e := range m.Errors {
		s += "\n🔴 " + e
	}
	return s
}
