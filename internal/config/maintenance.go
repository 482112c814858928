package config

import (
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA time zones even where the system has none

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
)

// rawMaintenance is Gatus's maintenance section, global or per endpoint.
type rawMaintenance struct {
	Enabled  *bool          `yaml:"enabled"`
	Start    string         `yaml:"start"`
	Duration *time.Duration `yaml:"duration"`
	Timezone string         `yaml:"timezone"`
	Every    []string       `yaml:"every"`
}

// globalMaintenance reads the top-level maintenance section; nil when absent.
func (l *loader) globalMaintenance(n *yaml.Node) *monitor.MaintenanceWindow {
	if isNull(n) {
		return nil
	}
	var raw rawMaintenance
	t := l.section(n, "maintenance", &raw)
	w := l.maintenanceWindow(t, &raw, "maintenance")
	return &w
}

// maintenanceWindows reads an endpoint's maintenance-windows at path.
func (l *loader) maintenanceWindows(t *tree, raw []rawMaintenance, path string) []monitor.MaintenanceWindow {
	var out []monitor.MaintenanceWindow
	for i := range raw {
		out = append(out, l.maintenanceWindow(t, &raw[i], index(path, i)))
	}
	return out
}

// maintenanceWindow validates one window as Gatus does: start "hh:mm" and a
// duration of more than 0 and at most 24h are required when it is enabled
// (the default); every lists weekdays; timezone is an IANA name, UTC when
// empty. Values are checked even when the window is disabled.
func (l *loader) maintenanceWindow(t *tree, raw *rawMaintenance, path string) monitor.MaintenanceWindow {
	w := monitor.MaintenanceWindow{
		Enabled:  raw.Enabled == nil || *raw.Enabled,
		Start:    raw.Start,
		Timezone: raw.Timezone,
	}
	switch {
	case raw.Start != "":
		if !validClock(raw.Start) {
			t.errorf(join(path, "start"), "invalid start %q: must be hh:mm between 00:00 and 23:59 (e.g. 23:00)", raw.Start)
		}
	case w.Enabled:
		t.errorf(join(path, "start"), "is required (hh:mm, e.g. 23:00)")
	}
	switch {
	case raw.Duration != nil:
		w.Duration = *raw.Duration
		if w.Duration <= 0 || w.Duration > 24*time.Hour {
			t.errorf(join(path, "duration"), "must be more than 0 and at most 24h, got %s", w.Duration)
		}
	case w.Enabled:
		t.errorf(join(path, "duration"), "is required (e.g. 1h)")
	}
	if w.Timezone == "" {
		w.Timezone = "UTC"
	} else if msg := checkTimezone(w.Timezone); msg != "" {
		t.errorf(join(path, "timezone"), "%s", msg)
	}
	for i, day := range raw.Every {
		wd, ok := parseWeekday(day)
		if !ok {
			t.errorf(index(join(path, "every"), i), "invalid day %q: use Sunday, Monday, Tuesday, Wednesday, Thursday, Friday or Saturday", day)
			continue
		}
		w.Every = append(w.Every, wd)
	}
	return w
}

// validClock reports whether s is "hh:mm" between 00:00 and 23:59.
func validClock(s string) bool {
	if len(s) != 5 || s[2] != ':' {
		return false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	return h <= 23 && m <= 59
}

// timezones caches checkTimezone's answers: time.LoadLocation reads the
// zone database on every call.
var timezones sync.Map // name -> message

// checkTimezone returns what is wrong with an IANA time zone name, or "".
func checkTimezone(tz string) string {
	if msg, ok := timezones.Load(tz); ok {
		return msg.(string)
	}
	msg := ""
	if strings.EqualFold(tz, "Local") {
		msg = `invalid timezone "Local": use an IANA name (e.g. Europe/Berlin), since nodes may run in different zones`
	} else if _, err := time.LoadLocation(tz); err != nil {
		msg = "invalid timezone " + quote(tz) + ": use an IANA name (e.g. America/Sao_Paulo)"
	}
	if len(tz) <= 64 {
		timezones.Store(tz, msg) // bounded: only short names are kept
	}
	return msg
}

// parseWeekday accepts a weekday's English name, in any case.
func parseWeekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(s, d.String()) {
			return d, true
		}
	}
	return 0, false
}
