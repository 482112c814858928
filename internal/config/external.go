package config

import (
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
)

// Push check defaults and limits.
const (
	// DefaultPushGrace is how late a ping may be, as Healthchecks' default.
	DefaultPushGrace = time.Hour
	// minHeartbeat is Gatus's floor for an external endpoint's heartbeat.
	minHeartbeat = 10 * time.Second
)

// rawExternal is one entry of external-endpoints (Gatus).
type rawExternal struct {
	Enabled            *bool            `yaml:"enabled"`
	Name               string           `yaml:"name"`
	Group              string           `yaml:"group"`
	Token              string           `yaml:"token"`
	Alerts             []rawAlert       `yaml:"alerts"`
	MaintenanceWindows []rawMaintenance `yaml:"maintenance-windows"`
	Heartbeat          *struct {
		Interval time.Duration `yaml:"interval"`
	} `yaml:"heartbeat"`
}

// external reads the external endpoint at path; nil when it has errors.
func (l *loader) external(n *yaml.Node, path string) *monitor.Spec {
	var raw rawExternal
	errsBefore := len(l.errs)
	t := l.decode(n, path, &raw)
	if resolve(n).Kind != yaml.MappingNode {
		return nil
	}
	spec := &monitor.Spec{
		Name:          raw.Name,
		Group:         raw.Group,
		Kind:          monitor.KindExternal,
		Enabled:       raw.Enabled == nil || *raw.Enabled,
		ExternalToken: raw.Token,
		Origin:        "file",
		Source:        t.source(path),
	}
	l.identify(t, spec, path)
	if raw.Token == "" {
		t.errorf(join(path, "token"), "is required (the bearer token pushes must present)")
	}
	if raw.Heartbeat != nil {
		spec.Heartbeat = raw.Heartbeat.Interval
		if hb := raw.Heartbeat.Interval; hb < 0 || hb > 0 && hb < minHeartbeat {
			t.errorf(join(path, "heartbeat.interval"), "must be 0 (disabled) or at least %s, got %s", minHeartbeat, hb)
		}
	}
	spec.Alerts = l.alerts(t, raw.Alerts, join(path, "alerts"))
	spec.MaintenanceWindows = l.maintenanceWindows(t, raw.MaintenanceWindows, join(path, "maintenance-windows"))
	if len(l.errs) > errsBefore {
		return nil
	}
	return spec
}

// rawPush is one entry of push-endpoints: custodes' Healthchecks-style
// ping checks.
type rawPush struct {
	Enabled            *bool            `yaml:"enabled"`
	Name               string           `yaml:"name"`
	Group              string           `yaml:"group"`
	Token              string           `yaml:"token"`
	Period             *time.Duration   `yaml:"period"`
	Cron               string           `yaml:"cron"`
	Timezone           string           `yaml:"timezone"`
	Grace              *time.Duration   `yaml:"grace"`
	Alerts             []rawAlert       `yaml:"alerts"`
	MaintenanceWindows []rawMaintenance `yaml:"maintenance-windows"`
}

// pushToken is the form of a ping token: a UUID or any URL-safe slug.
var pushToken = regexp.MustCompile(`^[A-Za-z0-9_-]{8,128}$`)

// push reads the push check at path; nil when it has errors. It expects
// either period or cron (5 fields, with an optional IANA timezone, UTC by
// default), and a grace (1h by default).
func (l *loader) push(n *yaml.Node, path string) *monitor.Spec {
	var raw rawPush
	errsBefore := len(l.errs)
	t := l.decode(n, path, &raw)
	if resolve(n).Kind != yaml.MappingNode {
		return nil
	}
	sched := &monitor.PushSchedule{Token: raw.Token, Cron: raw.Cron, Timezone: raw.Timezone, Grace: DefaultPushGrace}
	spec := &monitor.Spec{
		Name:    raw.Name,
		Group:   raw.Group,
		Kind:    monitor.KindPush,
		Enabled: raw.Enabled == nil || *raw.Enabled,
		Push:    sched,
		Origin:  "file",
		Source:  t.source(path),
	}
	l.identify(t, spec, path)
	switch {
	case raw.Token == "":
		t.errorf(join(path, "token"), "is required (the /ping/{token} path element: a UUID or a slug of 8 to 128 letters, digits, '-' or '_')")
	case !pushToken.MatchString(raw.Token):
		t.errorf(join(path, "token"), "must be a UUID or a slug of 8 to 128 letters, digits, '-' or '_'")
	default:
		if prev, dup := l.tokens[raw.Token]; dup {
			t.errorf(join(path, "token"), "already used by the push check at %s: each needs its own token", prev)
		}
		l.tokens[raw.Token] = t.source(path)
	}
	switch {
	case raw.Period != nil && raw.Cron != "":
		t.errorf(join(path, "cron"), "set either period or cron, not both")
	case raw.Period != nil:
		sched.Period = *raw.Period
		if sched.Period <= 0 {
			t.errorf(join(path, "period"), "must be positive, got %s", sched.Period)
		}
		if raw.Timezone != "" {
			t.errorf(join(path, "timezone"), "only applies to cron schedules")
		}
	case raw.Cron != "":
		if f := len(strings.Fields(raw.Cron)); f != 5 {
			t.errorf(join(path, "cron"), "invalid cron expression %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", raw.Cron, f)
		}
		if sched.Timezone == "" {
			sched.Timezone = "UTC"
		} else if msg := checkTimezone(sched.Timezone); msg != "" {
			t.errorf(join(path, "timezone"), "%s", msg)
		}
	default:
		t.errorf(path, "needs a schedule: period (e.g. 1d) or cron (e.g. \"0 3 * * *\")")
	}
	if raw.Grace != nil {
		sched.Grace = *raw.Grace
		if sched.Grace < 0 {
			t.errorf(join(path, "grace"), "must not be negative, got %s", sched.Grace)
		}
	}
	spec.Alerts = l.alerts(t, raw.Alerts, join(path, "alerts"))
	spec.MaintenanceWindows = l.maintenanceWindows(t, raw.MaintenanceWindows, join(path, "maintenance-windows"))
	if len(l.errs) > errsBefore {
		return nil
	}
	return spec
}
