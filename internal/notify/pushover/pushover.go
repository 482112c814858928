// Package pushover sends messages through Pushover (alerting.pushover) as
// Gatus does, with HTML formatting.
package pushover

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// APIURL is Pushover's API.
const APIURL = "https://api.pushover.net"

// Emergency-priority (2) messages repeat every emergencyRetry seconds until
// acknowledged, for at most emergencyExpire seconds; Pushover requires both.
const (
	emergencyRetry  = 60
	emergencyExpire = 3600
)

// Config is the alerting.pushover section.
type Config struct {
	ApplicationToken string `yaml:"application-token"` // 30 characters
	UserKey          string `yaml:"user-key"`          // 30 characters, a user or group
	Title            string `yaml:"title"`             // default "custodes: <monitor>"
	Priority         int    `yaml:"priority"`          // -2..2, default 0
	ResolvedPriority int    `yaml:"resolved-priority"` // -2..2, default 0
	Sound            string `yaml:"sound"`
	TTL              int    `yaml:"ttl"`    // seconds; ignored for priority 2
	Device           string `yaml:"device"` // at most 25 characters; default all devices
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	if len(c.ApplicationToken) != 30 {
		v.Errorf("application-token", "must be 30 characters long")
	}
	if len(c.UserKey) != 30 {
		v.Errorf("user-key", "must be 30 characters long")
	}
	if c.Priority < -2 || c.Priority > 2 {
		v.Errorf("priority", "must be between -2 and 2, got %d", c.Priority)
	}
	if c.ResolvedPriority < -2 || c.ResolvedPriority > 2 {
		v.Errorf("resolved-priority", "must be between -2 and 2, got %d", c.ResolvedPriority)
	}
	if c.TTL < 0 {
		v.Errorf("ttl", "must not be negative, got %d", c.TTL)
	}
	if len(c.Device) > 25 {
		v.Errorf("device", "must have 25 characters or less")
	}
}

// Provider is the pushover provider.
var Provider = newProvider(APIURL)

// newProvider sends to api instead of Pushover (tests use a loopback server).
func newProvider(api string) notify.Provider {
	return notify.NewProvider("pushover", func(cfg Config, env notify.Env) (notify.Notifier, error) {
		return &Notifier{cfg: cfg, client: env.HTTPClient(), api: api}, nil
	})
}

// Notifier sends to one user or group.
type Notifier struct {
	cfg    Config
	client *http.Client
	api    string
}

type body struct {
	Token    string `json:"token"`
	User     string `json:"user"`
	Title    string `json:"title"`
	Message  string `json:"message"`
	Priority int    `json:"priority"`
	HTML     int    `json:"html"`
	Sound    string `json:"sound,omitempty"`
	TTL      int    `json:"ttl,omitempty"`
	Device   string `json:"device,omitempty"`
	Retry    int    `json:"retry,omitempty"`
	Expire   int    `json:"expire,omitempty"`
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	b := body{
		Token:    n.cfg.ApplicationToken,
		User:     n.cfg.UserKey,
		Title:    n.cfg.Title,
		Message:  Message(m),
		Priority: n.cfg.Priority,
		HTML:     1,
		Sound:    n.cfg.Sound,
		TTL:      n.cfg.TTL,
		Device:   n.cfg.Device,
	}
	if b.Title == "" {
		b.Title = notify.Title
		if name := m.DisplayName(); name != "" {
			b.Title += ": " + name
		}
	}
	if m.Recovery() {
		b.Priority = n.cfg.ResolvedPriority
	}
	if b.Priority == 2 {
		b.Retry, b.Expire, b.TTL = emergencyRetry, emergencyExpire, 0
	}
	retry, err := notify.PostJSON(ctx, n.client, n.api+"/1/messages.json", nil, b)
	if err != nil {
		return retry, fmt.Errorf("pushover: %w", err)
	}
	return false, nil
}

var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// Message is the HTML text of m in Gatus's layout.
func Message(m *notify.Message) string {
	s := notify.Headline(m, func(s string) string { return "<b>" + escape(s) + "</b>" })
	if m.Description != "" {
		s += " with the following description: " + escape(m.Description)
	}
	if m.IsDegraded() {
		s += "\n<i>" + notify.DegradedNote + "</i>"
	}
	for _, e := range m.Errors {
		s += "\n❌ - " + escape(e)
	}
	return s
}
