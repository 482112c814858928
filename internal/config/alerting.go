package config

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
)

// Alert defaults, as in Gatus.
const (
	DefaultFailureThreshold = 3
	DefaultSuccessThreshold = 2
	// MinimumReminderInterval is the smallest non-zero
	// minimum-reminder-interval Gatus accepts.
	MinimumReminderInterval = 5 * time.Minute
)

// alertSettings are the fields an endpoint alert shares with a provider's
// default-alert. Pointers and zero values mean "not set", exactly where
// Gatus treats them so when merging the default-alert in.
type alertSettings struct {
	Enabled                 *bool         `yaml:"enabled"`
	FailureThreshold        int           `yaml:"failure-threshold"`
	SuccessThreshold        int           `yaml:"success-threshold"`
	SendOnResolved          *bool         `yaml:"send-on-resolved"`
	Description             *string       `yaml:"description"`
	MinimumReminderInterval time.Duration `yaml:"minimum-reminder-interval"`
}

// rawAlert is one entry of an endpoint's alerts.
type rawAlert struct {
	Type             string `yaml:"type"`
	alertSettings    `yaml:",inline"`
	ProviderOverride map[string]any `yaml:"provider-override"`
}

// check validates the settings written at path.
func (a *alertSettings) check(t *tree, path string) {
	if a.FailureThreshold < 0 {
		t.errorf(join(path, "failure-threshold"), "must be 1 or more, got %d", a.FailureThreshold)
	}
	if a.SuccessThreshold < 0 {
		t.errorf(join(path, "success-threshold"), "must be 1 or more, got %d", a.SuccessThreshold)
	}
	if r := a.MinimumReminderInterval; r != 0 && r < MinimumReminderInterval {
		t.errorf(join(path, "minimum-reminder-interval"), "must be omitted, 0, or at least %s, got %s", MinimumReminderInterval, r)
	}
}

// mergeDefault fills what a leaves unset from the provider's default-alert,
// field by field as Gatus does.
func (a *alertSettings) mergeDefault(def *alertSettings) {
	if def == nil {
		return
	}
	if a.Enabled == nil {
		a.Enabled = def.Enabled
	}
	if a.SendOnResolved == nil {
		a.SendOnResolved = def.SendOnResolved
	}
	if a.Description == nil {
		a.Description = def.Description
	}
	if a.FailureThreshold == 0 {
		a.FailureThreshold = def.FailureThreshold
	}
	if a.SuccessThreshold == 0 {
		a.SuccessThreshold = def.SuccessThreshold
	}
	if a.MinimumReminderInterval == 0 {
		a.MinimumReminderInterval = def.MinimumReminderInterval
	}
}

// alerting reads the alerting section: one Section per provider, with its
// default-alert taken out and kept for merging into the endpoints' alerts.
func (l *loader) alerting(n *yaml.Node) map[string]*Section {
	if isNull(n) {
		return nil
	}
	rn := resolve(n)
	if rn.Kind != yaml.MappingNode {
		l.errorAt(l.topKeys["alerting"], "alerting", "expected a mapping of providers (e.g. slack:), got %s", kindName(n))
		return nil
	}
	sections := map[string]*Section{}
	for _, p := range l.entries(rn, "alerting") {
		path := join("alerting", p.key)
		if isNull(p.v) {
			l.warnAt(p.k, path, "empty provider section: alerts of type %q are ignored", p.key)
			continue
		}
		rv := resolve(p.v)
		if rv.Kind != yaml.MappingNode {
			l.errorAt(p.v, path, "expected a mapping of the provider's settings, got %s", kindName(p.v))
			continue
		}
		node := l.synthetic(rv, yaml.MappingNode)
		for _, e := range l.entries(rv, path) {
			if e.key != "default-alert" {
				node.Content = append(node.Content, e.k, e.v)
				continue
			}
			var def alertSettings
			dp := join(path, "default-alert")
			t := l.decode(e.v, dp, &def)
			t.pos[dp] = e.k
			def.check(t, dp)
			l.defaults[p.key] = &def
		}
		sections[p.key] = &Section{Name: p.key, File: l.fileOf(p.k), Node: node, files: l.files}
	}
	return sections
}

// alerts turns an endpoint's alerts (at path, e.g. "endpoints[0].alerts")
// into monitor alerts, merging each provider's default-alert in. An alert
// whose provider has no alerting section is kept disabled, with a warning:
// Gatus ignores such alerts too.
func (l *loader) alerts(t *tree, raw []rawAlert, path string) []monitor.Alert {
	var out []monitor.Alert
	for i, a := range raw {
		ap := index(path, i)
		if a.Type == "" {
			t.errorf(join(ap, "type"), "is required (the alerting provider, e.g. slack)")
			continue
		}
		a.check(t, ap)
		a.mergeDefault(l.defaults[a.Type])
		enabled := a.Enabled == nil || *a.Enabled
		if _, ok := l.sections[a.Type]; !ok {
			t.warnf(join(ap, "type"), "no alerting.%s section is configured: this alert is ignored", a.Type)
			enabled = false
		}
		alert := monitor.Alert{
			Type:                    a.Type,
			Enabled:                 enabled,
			FailureThreshold:        cmpOr(a.FailureThreshold, DefaultFailureThreshold),
			SuccessThreshold:        cmpOr(a.SuccessThreshold, DefaultSuccessThreshold),
			SendOnResolved:          a.SendOnResolved != nil && *a.SendOnResolved,
			MinimumReminderInterval: a.MinimumReminderInterval,
			ProviderOverride:        a.ProviderOverride,
			Source:                  t.source(ap),
		}
		if a.Description != nil {
			alert.Description = *a.Description
		}
		out = append(out, alert)
	}
	return out
}

// cmpOr returns v, or def when v is not positive.
func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
