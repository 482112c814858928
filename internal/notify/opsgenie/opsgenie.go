// Package opsgenie creates and closes Opsgenie alerts (alerting.opsgenie).
// The alias is the alias-prefix and the incident id: a trigger, its
// reminders and re-sends are one Opsgenie alert (Opsgenie counts the
// repeats), and the resolution closes it by alias.
package opsgenie

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/custodes/custodes/internal/notify"
)

// APIURL is Opsgenie's API host.
const APIURL = "https://api.opsgenie.com"

// Defaults of the optional settings (Gatus uses "gatus" where these say
// "custodes").
const (
	DefaultPriority     = "P1"
	DefaultSource       = "custodes"
	DefaultEntityPrefix = "custodes-"
	DefaultAliasPrefix  = "custodes-healthcheck-"
)

// Config is the alerting.opsgenie section.
type Config struct {
	APIKey       string   `yaml:"api-key"`
	Priority     string   `yaml:"priority"` // P1..P5, default P1
	Source       string   `yaml:"source"`
	EntityPrefix string   `yaml:"entity-prefix"`
	AliasPrefix  string   `yaml:"alias-prefix"`
	Tags         []string `yaml:"tags"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.Required("api-key", c.APIKey)
	switch c.Priority {
	case "", "P1", "P2", "P3", "P4", "P5":
	default:
		v.Errorf("priority", "must be one of P1, P2, P3, P4 or P5, got %q", c.Priority)
	}
}

// Provider is the opsgenie provider.
var Provider = newProvider(APIURL)

// newProvider sends to api instead of Opsgenie (tests use a loopback server).
func newProvider(api string) notify.Provider {
	return notify.NewProvider("opsgenie", func(cfg Config, env notify.Env) (notify.Notifier, error) {
		cfg.Priority = or(cfg.Priority, DefaultPriority)
		cfg.Source = or(cfg.Source, DefaultSource)
		cfg.EntityPrefix = or(cfg.EntityPrefix, DefaultEntityPrefix)
		cfg.AliasPrefix = or(cfg.AliasPrefix, DefaultAliasPrefix)
		return &Notifier{cfg: cfg, client: env.HTTPClient(), api: api}, nil
	})
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Notifier creates and closes alerts with one API key.
type Notifier struct {
	cfg    Config // defaults applied
	client *http.Client
	api    string
}

type createRequest struct {
	Message     string            `json:"message"`
	Alias       string            `json:"alias"`
	Description string            `json:"description"`
	Entity      string            `json:"entity"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"`
	Tags        []string          `json:"tags,omitempty"`
	Details     map[string]string `json:"details"`
}

type closeRequest struct {
	Source string `json:"source"`
	Note   string `json:"note"`
}

// Opsgenie's field limits.
const (
	maxMessage     = 130
	maxAlias       = 512
	maxDescription = 15000
)

// Notify implements notify.Notifier: create for triggered, reminder and
// down events, close (by alias) for resolved and up events. A test event
// is created and at once closed.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	if m.Recovery() {
		return n.close(ctx, m)
	}
	if retry, err := n.create(ctx, m); err != nil || m.Event != notify.EventTest {
		return retry, err
	}
	return n.close(ctx, m)
}

func (n *Notifier) header() http.Header {
	return http.Header{"Authorization": {"GenieKey " + n.cfg.APIKey}}
}

func (n *Notifier) alias(m *notify.Message) string {
	return truncate(n.cfg.AliasPrefix+m.DedupKey(), maxAlias)
}

func (n *Notifier) create(ctx context.Context, m *notify.Message) (bool, error) {
	retry, err := notify.PostJSON(ctx, n.client, n.api+"/v2/alerts", n.header(), n.createRequest(m))
	if err != nil {
		return retry, fmt.Errorf("opsgenie create: %w", err)
	}
	return false, nil
}

func (n *Notifier) close(ctx context.Context, m *notify.Message) (bool, error) {
	u := n.api + "/v2/alerts/" + url.PathEscape(n.alias(m)) + "/close?identifierType=alias"
	retry, err := notify.PostJSON(ctx, n.client, u, n.header(), closeRequest{Source: n.cfg.Source, Note: notify.Summary(m)})
	if err != nil {
		return retry, fmt.Errorf("opsgenie close: %w", err)
	}
	return false, nil
}

func (n *Notifier) createRequest(m *notify.Message) createRequest {
	message := notify.Summary(m)
	if m.Event == notify.EventTriggered && m.Monitor.Name != "" {
		// Gatus's form: "[group] name - description".
		message = m.Monitor.Name
		if m.Description != "" {
			message += " - " + m.Description
		}
		if m.Monitor.Group != "" {
			message = "[" + m.Monitor.Group + "] " + message
		}
	}
	description := notify.Headline(m, func(s string) string { return "*" + s + "*" })
	if m.IsDegraded() {
		description += "\n" + notify.DegradedNote
	}
	description += "\n"
	for _, e := range m.Errors {
		description += "▢ - `" + e + "`\n"
	}
	details := map[string]string{"custodes:event": string(m.Event)}
	for k, v := range map[string]string{
		"endpoint:url":      m.Monitor.URL,
		"endpoint:group":    m.Monitor.Group,
		"result:errors":     strings.Join(m.Errors, ","),
		"custodes:incident": m.Incident.ID,
		"custodes:sent_by":  m.SentBy,
	} {
		if v != "" {
			details[k] = v
		}
	}
	if m.IsDegraded() {
		details["custodes:degraded"] = "true"
	}
	return createRequest{
		Message:     truncate(message, maxMessage),
		Alias:       n.alias(m),
		Description: truncate(description, maxDescription),
		Entity:      n.cfg.EntityPrefix + entity(m),
		Source:      n.cfg.Source,
		Priority:    n.cfg.Priority,
		Tags:        n.cfg.Tags,
		Details:     details,
	}
}

// entity is Gatus's entity key: "group-name" in kebab case, or "cluster"
// for events without a monitor.
func entity(m *notify.Message) string {
	kebab := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "-")) }
	switch {
	case m.Monitor.Name == "":
		return "cluster"
	case m.Monitor.Group == "":
		return kebab(m.Monitor.Name)
	}
	return kebab(m.Monitor.Group) + "-" + kebab(m.Monitor.Name)
}

// truncate cuts s to at most limit runes.
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}
