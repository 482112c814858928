// Package matrix posts messages to a Matrix room (alerting.matrix) as
// Gatus does. The transaction id is derived from the idempotency key, so
// the homeserver itself drops the re-send of a message it already has.
package matrix

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// DefaultServerURL is Gatus's default homeserver.
const DefaultServerURL = "https://matrix-client.matrix.org"

// Config is the alerting.matrix section.
type Config struct {
	ServerURL      string `yaml:"server-url"`       // default DefaultServerURL
	AccessToken    string `yaml:"access-token"`     // the bot user's token
	InternalRoomID string `yaml:"internal-room-id"` // e.g. "!abc:matrix.org"
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.OptionalHTTPURL("server-url", c.ServerURL)
	v.Required("access-token", c.AccessToken)
	v.Required("internal-room-id", c.InternalRoomID)
}

// Provider is the matrix provider.
var Provider = notify.NewProvider("matrix", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: env.HTTPClient()}, nil
})

// Notifier posts to one room.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	MsgType       string `json:"msgtype"`
	Format        string `json:"format"`
	Body          string `json:"body"`
	FormattedBody string `json:"formatted_body"`
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	server := n.cfg.ServerURL
	if server == "" {
		server = DefaultServerURL
	}
	raw, err := notify.JSON(body{MsgType: "m.text", Format: "org.matrix.custom.html", Body: Plain(m), FormattedBody: HTML(m)})
	if err != nil {
		return false, fmt.Errorf("matrix: %w", err)
	}
	u := strings.TrimSuffix(server, "/") + "/_matrix/client/v3/rooms/" + url.PathEscape(n.cfg.InternalRoomID) +
		"/send/m.room.message/" + TransactionID(m)
	retry, err := notify.Send(ctx, n.client, notify.HTTPRequest{
		Method: http.MethodPut,
		URL:    u,
		Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + n.cfg.AccessToken}},
		Body:   raw,
	})
	if err != nil {
		return retry, fmt.Errorf("matrix: %w", err)
	}
	return false, nil
}

// TransactionID is the Matrix transaction id of m: the same for every
// attempt at one outbox entry, so a retry is not posted twice.
func TransactionID(m *notify.Message) string {
	sum := sha256.Sum256([]byte(m.IdempotencyKey))
	return "custodes-" + hex.EncodeToString(sum[:16])
}

// Plain is the plain-text body of m, Gatus's layout.
func Plain(m *notify.Message) string {
	s := notify.Headline(m, func(s string) string { return "`" + s + "`" })
	if m.Description != "" {
		s += "\n" + m.Description
	}
	if m.IsDegraded() {
		s += "\n" + notify.DegradedNote
	}
	if len(m.Errors) > 0 {
		s += "\n"
		for _, e := range m.Errors {
			s += "\n✕ - " + e
		}
	}
	return s
}

var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

// HTML is the formatted body of m, Gatus's layout.
func HTML(m *notify.Message) string {
	s := "<h3>" + notify.Headline(m, func(s string) string { return "<code>" + escape(s) + "</code>" }) + "</h3>"
	if m.Description != "" {
		s += "\n<blockquote>" + escape(m.Description) + "</blockquote>"
	}
	if m.IsDegraded() {
		s += "\n<p><em>" + notify.DegradedNote + "</em></p>"
	}
	if len(m.Errors) > 0 {
		s += "\n<h5>Errors</h5><ul>"
		for _, e := range m.Errors {
			s += "<li>❌ - <code>" + escape(e) + "</code></li>"
		}
		s += "</ul>"
	}
	return s
}
