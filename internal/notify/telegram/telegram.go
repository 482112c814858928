// Package telegram sends messages through a Telegram bot
// (alerting.telegram) in the layout Gatus uses, as HTML so that any text
// can be escaped (Telegram refuses a message whose Markdown does not
// parse).
package telegram

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// DefaultAPIURL is Telegram's Bot API.
const DefaultAPIURL = "https://api.telegram.org"

// Config is the alerting.telegram section.
type Config struct {
	Token   string              `yaml:"token"`    // the bot token, "123456:ABC..."
	ID      string              `yaml:"id"`       // the chat id
	TopicID string              `yaml:"topic-id"` // a forum topic (message_thread_id)
	APIURL  string              `yaml:"api-url"`  // default DefaultAPIURL
	Client  notify.ClientConfig `yaml:"client"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	switch {
	case c.Token == "":
		v.Errorf("token", "is required")
	case !validToken(c.Token):
		v.Errorf("token", "must be a bot token (digits, a colon, then letters, digits, - or _)")
	}
	v.Required("id", c.ID)
	if c.TopicID != "" {
		if _, err := strconv.ParseInt(c.TopicID, 10, 64); err != nil {
			v.Errorf("topic-id", "must be an integer, got %q", c.TopicID)
		}
	}
	v.OptionalHTTPURL("api-url", c.APIURL)
	c.Client.Validate(v, "client")
}

func validToken(s string) bool {
	id, secret, ok := strings.Cut(s, ":")
	if !ok || id == "" || secret == "" {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	for _, r := range secret {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Provider is the telegram provider.
var Provider = notify.NewProvider("telegram", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: cfg.Client.HTTPClient(env.HTTPClient())}, nil
})

// Notifier sends to one chat.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	ChatID    string `json:"chat_id"`
	Text      string `json:"text"`
	ParseMode string `json:"parse_mode"`
	ThreadID  int64  `json:"message_thread_id,omitempty"`
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	api := n.cfg.APIURL
	if api == "" {
		api = DefaultAPIURL
	}
	thread, _ := strconv.ParseInt(n.cfg.TopicID, 10, 64) // validated
	b := body{ChatID: n.cfg.ID, Text: Text(m), ParseMode: "HTML", ThreadID: thread}
	retry, err := notify.PostJSON(ctx, n.client, strings.TrimSuffix(api, "/")+"/bot"+n.cfg.Token+"/sendMessage", nil, b)
	if err != nil {
		return retry, fmt.Errorf("telegram: %w", err)
	}
	return false, nil
}

// escape is what Telegram's HTML mode needs escaped.
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// Text is the message text, in Telegram's HTML.
func Text(m *notify.Message) string {
	var b strings.Builder
	b.WriteString("⛑ <b>" + notify.Title + "</b>\n")
	name := m.DisplayName()
	isAlert := m.Event == notify.EventTriggered || m.Event == notify.EventResolved || m.Event == notify.EventDegraded
	switch {
	case isAlert && name != "" && !m.Recovery() && m.Alert.FailureThreshold > 0:
		fmt.Fprintf(&b, "An alert for <b>%s</b> has been triggered:\n—\n    <i>healthcheck failed %d time(s) in a row</i>\n—", escape(name), m.Alert.FailureThreshold)
	case isAlert && name != "" && m.Recovery() && m.Alert.SuccessThreshold > 0:
		fmt.Fprintf(&b, "An alert for <b>%s</b> has been resolved:\n—\n    <i>healthcheck passing successfully %d time(s) in a row</i>\n—", escape(name), m.Alert.SuccessThreshold)
	default:
		b.WriteString(notify.Headline(m, func(s string) string { return "<b>" + escape(s) + "</b>" }))
	}
	if m.Description != "" {
		b.WriteString("\n<b>Description</b>\n" + escape(m.Description))
	}
	if m.IsDegraded() {
		b.WriteString("\n<i>" + notify.DegradedNote + "</i>")
	}
	if len(m.Errors) > 0 {
		b.WriteString("\n\n<b>Errors</b>")
		for _, e := range m.Errors {
			b.WriteString("\n❌ - <code>" + escape(e) + "</code>")
		}
	}
	return b.String()
}
