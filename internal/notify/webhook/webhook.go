// Package webhook is custodes' generic webhook notifier (alerting.webhook):
// the Message as JSON, with an Idempotency-Key so receivers can drop the
// re-sends of at-least-once delivery, and an optional HMAC signature.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/notify"
)

// Headers custodes sets on every webhook request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderSignature      = "X-Custodes-Signature"
)

// Config is the alerting.webhook section.
type Config struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"` // POST (default), PUT or PATCH
	Headers map[string]string `yaml:"headers"`
	// Secret, when set, signs every body: X-Custodes-Signature:
	// sha256=<hex HMAC-SHA256(secret, body)>.
	Secret string `yaml:"secret"`
	// Timeout bounds one request (0: the shared client's limit).
	Timeout time.Duration `yaml:"timeout"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.HTTPURL("url", c.URL)
	switch strings.ToUpper(c.Method) {
	case "", http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		v.Errorf("method", "must be POST, PUT or PATCH, got %q", c.Method)
	}
	v.Headers("headers", c.Headers, "Content-Type", HeaderIdempotencyKey, HeaderSignature)
	if c.Timeout < 0 {
		v.Errorf("timeout", "must not be negative")
	}
}

// Provider is the webhook provider.
var Provider = notify.NewProvider("webhook", build)

func build(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: env.HTTPClient()}, nil
}

// Notifier sends messages to one webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	body, err := notify.JSON(m)
	if err != nil {
		return false, fmt.Errorf("webhook: %w", err)
	}
	h := http.Header{}
	for k, v := range n.cfg.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set(HeaderIdempotencyKey, m.IdempotencyKey)
	if n.cfg.Secret != "" {
		h.Set(HeaderSignature, Sign(n.cfg.Secret, body))
	}
	if n.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.Timeout)
		defer cancel()
	}
	method := strings.ToUpper(n.cfg.Method)
	if method == "" {
		method = http.MethodPost
	}
	retry, err := notify.Send(ctx, n.client, notify.HTTPRequest{Method: method, URL: n.cfg.URL, Header: h, Body: body})
	if err != nil {
		return retry, fmt.Errorf("webhook: %w", err)
	}
	return false, nil
}

// Sign returns the X-Custodes-Signature value of body: "sha256=" and the
// hex HMAC-SHA256 of body keyed with secret. Receivers recompute it over
// the raw body and compare in constant time.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
