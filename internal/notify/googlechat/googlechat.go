// Package googlechat sends messages to a Google Chat webhook
// (alerting.googlechat) as the card Gatus sends.
package googlechat

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/custodes/custodes/internal/notify"
)

// Config is the alerting.googlechat section.
type Config struct {
	WebhookURL string              `yaml:"webhook-url"`
	Client     notify.ClientConfig `yaml:"client"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	v.HTTPURL("webhook-url", c.WebhookURL)
	c.Client.Validate(v, "client")
}

// Provider is the googlechat provider.
var Provider = notify.NewProvider("googlechat", func(cfg Config, env notify.Env) (notify.Notifier, error) {
	return &Notifier{cfg: cfg, client: cfg.Client.HTTPClient(env.HTTPClient())}, nil
})

// Notifier posts to one Google Chat space webhook.
type Notifier struct {
	cfg    Config
	client *http.Client
}

type body struct {
	Cards []card `json:"cards"`
}

type card struct {
	Sections []section `json:"sections"`
}

type section struct {
	Widgets []widget `json:"widgets"`
}

type widget struct {
	KeyValue *keyValue `json:"keyValue,omitempty"`
	Buttons  []button  `json:"buttons,omitempty"`
}

type keyValue struct {
	TopLabel         string `json:"topLabel,omitempty"`
	Content          string `json:"content,omitempty"`
	ContentMultiline string `json:"contentMultiline,omitempty"`
	BottomLabel      string `json:"bottomLabel,omitempty"`
	Icon             string `json:"icon,omitempty"`
}

type button struct {
	TextButton textButton `json:"textButton"`
}

type textButton struct {
	Text    string  `json:"text"`
	OnClick onClick `json:"onClick"`
}

type onClick struct {
	OpenLink openLink `json:"openLink"`
}

type openLink struct {
	URL string `json:"url"`
}

var colors = map[notify.Tone]string{
	notify.ToneAlarm:    "#DD0000",
	notify.ToneRecovery: "#36A64F",
	notify.ToneInfo:     "#439FE0",
}

// Notify implements notify.Notifier.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	retry, err := notify.PostJSON(ctx, n.client, n.cfg.WebhookURL, nil, buildBody(m))
	if err != nil {
		return retry, fmt.Errorf("googlechat: %w", err)
	}
	return false, nil
}

// escape keeps card HTML from interpreting text.
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

func buildBody(m *notify.Message) body {
	// The monitor is the card's top label, so the sentence leaves it out.
	anonymous := *m
	anonymous.Monitor = notify.MonitorRef{}
	content := fmt.Sprintf("<font color='%s'>%s</font>", colors[m.Tone()], notify.Headline(&anonymous, nil))
	if m.IsDegraded() {
		content += "<br><i>" + notify.DegradedNote + "</i>"
	}
	label := m.DisplayName()
	if label == "" {
		label = notify.Title
	}
	main := &keyValue{TopLabel: label, Content: content, ContentMultiline: "true", Icon: "BOOKMARK"}
	if m.Description != "" {
		main.BottomLabel = ":: " + m.Description
	}
	widgets := []widget{{KeyValue: main}}
	if len(m.Errors) > 0 {
		var b strings.Builder
		for _, e := range m.Errors {
			b.WriteString("❌   " + escape(e) + "<br>")
		}
		widgets = append(widgets, widget{KeyValue: &keyValue{TopLabel: "Errors", Content: b.String(), ContentMultiline: "true", Icon: "DESCRIPTION"}})
	}
	if u := m.Monitor.URL; strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		// As Gatus: a button only for web monitors (Chat shows a blank card otherwise).
		widgets = append(widgets, widget{Buttons: []button{{TextButton: textButton{Text: "URL", OnClick: onClick{OpenLink: openLink{URL: u}}}}}})
	}
	return body{Cards: []card{{Sections: []section{{Widgets: widgets}}}}}
}
