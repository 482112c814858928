// Package custom sends a user-defined HTTP request (alerting.custom), as
// Gatus's custom provider: url, method, body and headers with
// placeholders replaced.
package custom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// Placeholders replaced in the url, body and header values. Gatus's, plus
// [EVENT] and [INCIDENT_ID]. [RESULT_CONDITIONS] is accepted for
// compatibility and replaced by nothing: a custodes message carries the
// errors of its checks, not their condition results.
const (
	AlertDescription         = "[ALERT_DESCRIPTION]"
	EndpointName             = "[ENDPOINT_NAME]"
	EndpointGroup            = "[ENDPOINT_GROUP]"
	EndpointURL              = "[ENDPOINT_URL]"
	AlertTriggeredOrResolved = "[ALERT_TRIGGERED_OR_RESOLVED]"
	ResultErrors             = "[RESULT_ERRORS]"
	ResultConditions         = "[RESULT_CONDITIONS]"
	Event                    = "[EVENT]"
	IncidentID               = "[INCIDENT_ID]"
)

// Config is the alerting.custom section.
type Config struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"` // default GET, as Gatus
	Body    string            `yaml:"body"`
	Headers map[string]string `yaml:"headers"`
	// Placeholders maps the values of a placeholder, as Gatus:
	// {ALERT_TRIGGERED_OR_RESOLVED: {TRIGGERED: "down", RESOLVED: "up"}}.
	Placeholders map[string]map[string]string `yaml:"placeholders"`
	Client       notify.ClientConfig          `yaml:"client"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	// The URL is checked with every placeholder standing for a plain word.
	v.HTTPURL("url", replaceAll(c.URL, func(string) string { return "x" }))
	if c.Method != "" && !isToken(c.Method) {
		v.Errorf("method", "is not a valid HTTP method, got %q", c.Method)
	}
	v.Headers("headers", c.Headers)
	keys := make([]string, 0, len(c.Placeholders))
	for k := range c.Placeholders {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k != "ALERT_TRIGGERED_OR_RESOLVED" {
			v.Errorf("placeholders."+k, "unknown placeholder (only ALERT_TRIGGERED_OR_RESOLVED has mapped values)")
			continue
		}
		values := make([]string, 0, len(c.Placeholders[k]))
		for value := range c.Placeholders[k] {
			values = append(values, value)
		}
		slices.Sort(values)
		for _, value := range values {
			if value != "TRIGGERED" && value != "RESOLVED" {
				v.Errorf("placeholders."+k+"."+value, "unknown value (use TRIGGERED or RESOLVED)")
			}
		}
	}
	c.Client.Validate(v, "client")
}

func isToken(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return s != ""
}

// Provider is the custom provider.
var Provider = notify.NewProvider("custom", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: cfg.Client.HTTPClient(env.HTTPClient())}, nil
})

// Notifier sends the configured request.
type Notifier struct {
	cfg    Config
	client *http.Client
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	retry, err := notify.Send(ctx, n.client, n.Request(m))
	if err != nil {
		return retry, fmt.Errorf("custom: %w", err)
	}
	return false, nil
}

// Request is the request sent for m.
func (n *Notifier) Request(m *notify.Message) notify.HTTPRequest {
	values := n.values(m)
	value := func(p string) string { return values[p] }
	h := http.Header{}
	for k, v := range n.cfg.Headers {
		h.Set(k, replaceAll(v, value))
	}
	inBody := func(p string) string {
		if p == ResultErrors {
			// As Gatus: quotes escaped, for the many JSON bodies sent
			// without a JSON Content-Type.
			return strings.ReplaceAll(values[p], `"`, `\"`)
		}
		return values[p]
	}
	if isJSON(h.Get("Content-Type")) {
		// In a JSON body every value is the content of a JSON string, so a
		// quote or newline in an error cannot break the document.
		inBody = func(p string) string { return jsonString(values[p]) }
	}
	method := strings.ToUpper(n.cfg.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body []byte
	if n.cfg.Body != "" {
		body = []byte(replaceAll(n.cfg.Body, inBody))
	}
	return notify.HTTPRequest{
		Method: method,
		URL:    replaceAll(n.cfg.URL, func(p string) string { return escapeURL(values[p]) }),
		Header: h,
		Body:   body,
	}
}

func (n *Notifier) values(m *notify.Message) map[string]string {
	status := m.Status()
	if mapped, ok := n.cfg.Placeholders["ALERT_TRIGGERED_OR_RESOLVED"][status]; ok {
		status = mapped
	}
	return map[string]string{
		AlertDescription:         m.Description,
		EndpointName:             m.Monitor.Name,
		EndpointGroup:            m.Monitor.Group,
		EndpointURL:              m.Monitor.URL,
		AlertTriggeredOrResolved: status,
		ResultErrors:             strings.Join(m.Errors, ","),
		ResultConditions:         "",
		Event:                    string(m.Event),
		IncidentID:               m.Incident.ID,
	}
}

var placeholders = []string{AlertDescription, EndpointName, EndpointGroup, EndpointURL, AlertTriggeredOrResolved, ResultErrors, ResultConditions, Event, IncidentID}

// replaceAll replaces every placeholder in s with value(placeholder), in
// one pass (a value containing a placeholder is not expanded again).
func replaceAll(s string, value func(string) string) string {
	pairs := make([]string, 0, 2*len(placeholders))
	for _, p := range placeholders {
		pairs = append(pairs, p, value(p))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// isJSON reports whether a Content-Type is JSON (application/json or a
// +json type).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// jsonString is s escaped as the content of a JSON string.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	out := bytes.TrimSpace(buf.Bytes())
	return string(out[1 : len(out)-1])
}

// escapeURL makes a value safe in a URL path or query.
func escapeURL(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
