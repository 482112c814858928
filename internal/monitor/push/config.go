package push

import (
	"errors"
	"fmt"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// Healthchecks' defaults for a new check.
const (
	DefaultPeriod = 24 * time.Hour
	DefaultGrace  = time.Hour
)

// Config is when a push check expects its pings: a simple check every
// Period, or a cron check on the runs of Cron in Location; either way it
// is late after Grace more.
type Config struct {
	Period   time.Duration  // simple checks: expected time between successes
	Grace    time.Duration  // how late a ping may be before the check is down
	Cron     *Schedule      // cron checks; nil for simple ones
	Location *time.Location // the zone Cron runs in; nil is UTC
}

// Validate reports a config that Deadline and Status cannot use.
func (c Config) Validate() error {
	switch {
	case c.Grace < 0:
		return fmt.Errorf("push: grace %s: must not be negative", c.Grace)
	case c.Cron == nil && c.Period <= 0:
		return fmt.Errorf("push: period %s: must be positive", c.Period)
	case c.Cron != nil && c.Period != 0:
		return errors.New("push: a check has a period or a cron schedule, not both")
	case c.Cron != nil && c.Cron.IsZero():
		return errors.New("push: empty cron schedule")
	}
	return nil
}

// NewConfig builds a Config from a monitor's push schedule. loc is the zone
// named by p.Timezone, loaded by the caller; nil means UTC and is accepted
// only when p.Timezone is "" or "UTC". A zero Period (simple checks) or
// Grace takes Healthchecks' default: one day, one hour.
func NewConfig(p monitor.PushSchedule, loc *time.Location) (Config, error) {
	c := Config{Period: p.Period, Grace: p.Grace}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if p.Cron != "" {
		s, err := Parse(p.Cron)
		if err != nil {
			return Config{}, err
		}
		c.Cron = &s
		if loc == nil && p.Timezone != "" && p.Timezone != "UTC" {
			return Config{}, fmt.Errorf("push: timezone %q: no location given for it", p.Timezone)
		}
		c.Location = loc
	} else if c.Period == 0 {
		c.Period = DefaultPeriod
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// expected returns when the next success is due after a success at last
// (Healthchecks' "grace start"); zero if never.
func (c Config) expected(last time.Time) time.Time {
	if c.Cron == nil {
		return last.Add(c.Period)
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	return c.Cron.Next(last.In(loc))
}
