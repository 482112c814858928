// Package providers lists the notifier providers by their `alerting` key.
// Adding a provider is one line in Registry.
package providers

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/custom"
	"github.com/custodes/custodes/internal/notify/discord"
	"github.com/custodes/custodes/internal/notify/email"
	"github.com/custodes/custodes/internal/notify/googlechat"
	"github.com/custodes/custodes/internal/notify/gotify"
	"github.com/custodes/custodes/internal/notify/matrix"
	"github.com/custodes/custodes/internal/notify/mattermost"
	"github.com/custodes/custodes/internal/notify/ntfy"
	"github.com/custodes/custodes/internal/notify/opsgenie"
	"github.com/custodes/custodes/internal/notify/pagerduty"
	"github.com/custodes/custodes/internal/notify/pushover"
	"github.com/custodes/custodes/internal/notify/slack"
	"github.com/custodes/custodes/internal/notify/teamsworkflows"
	"github.com/custodes/custodes/internal/notify/telegram"
	"github.com/custodes/custodes/internal/notify/webhook"
)

// Registry maps each `alerting.<name>` key custodes implements to its
// provider.
var Registry = map[string]notify.Provider{
	"custom":          custom.Provider,
	"discord":         discord.Provider,
	"email":           email.Provider,
	"googlechat":      googlechat.Provider,
	"gotify":          gotify.Provider,
	"matrix":          matrix.Provider,
	"mattermost":      mattermost.Provider,
	"ntfy":            ntfy.Provider,
	"opsgenie":        opsgenie.Provider,
	"pagerduty":       pagerduty.Provider,
	"pushover":        pushover.Provider,
	"slack":           slack.Provider,
	"teams-workflows": teamsworkflows.Provider,
	"telegram":        telegram.Provider,
	"webhook":         webhook.Provider,
}

// gatusOnly are Gatus's providers that custodes does not implement.
var gatusOnly = map[string]bool{
	"aws-ses": true, "clickup": true, "datadog": true, "gitea": true, "github": true,
	"gitlab": true, "homeassistant": true, "ifttt": true, "ilert": true, "incident-io": true,
	"jetbrainsspace": true, "line": true, "messagebird": true, "n8n": true, "newrelic": true,
	"plivo": true, "rocketchat": true, "sendgrid": true, "signal": true, "signl4": true,
	"splunk": true, "squadcast": true, "teams": true, "twilio": true, "vonage": true,
	"webex": true, "zapier": true, "zulip": true,
}

// Known reports whether custodes implements the provider name.
func Known(name string) bool {
	_, ok := Registry[name]
	return ok
}

// Names returns the implemented provider names, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys(Registry))
}

// Warning returns what to warn about an `alerting.<name>` section: "" for
// a known provider; for one of Gatus's providers that custodes lacks, that
// it is not supported; for anything else, that it is unknown. Either way
// alerts of that type are not sent.
func Warning(name string) string {
	switch {
	case Known(name):
		return ""
	case gatusOnly[name]:
		return fmt.Sprintf("%q is not supported by custodes; alerts of type %s are not sent", name, name)
	}
	return fmt.Sprintf("unknown alerting provider %q (custodes has: %s); alerts of type %s are not sent",
		name, strings.Join(Names(), ", "), name)
}

// LoadAll loads every section (keyed by provider name) with its provider,
// for `custodes validate` and startup. Sections of unknown providers are
// skipped with a warning ("alerting.<name>: ..."). The error joins every
// section's problems.
func LoadAll(sections map[string]notify.Decoder, env notify.Env) (map[string]notify.Configured, []string, error) {
	loaded := map[string]notify.Configured{}
	var warnings []string
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		p, ok := Registry[name]
		if !ok {
			warnings = append(warnings, "alerting."+name+": "+Warning(name))
			continue
		}
		c, err := p.Load(sections[name], env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loaded[name] = c
	}
	return loaded, warnings, errors.Join(errs...)
}
