package incident

import (
	"strconv"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// Gatus's default thresholds, used for an alert whose threshold is not
// positive and for the implicit alert of a monitor without enabled alerts.
const (
	DefaultFailureThreshold = 3
	DefaultSuccessThreshold = 2
)

// AlertPolicy is what the engine needs of one monitor.Alert.
type AlertPolicy struct {
	Type                    string        `json:"type"`
	Enabled                 bool          `json:"enabled"`
	FailureThreshold        int           `json:"failure_threshold"`
	SuccessThreshold        int           `json:"success_threshold"`
	SendOnResolved          bool          `json:"send_on_resolved"`
	Description             string        `json:"description,omitempty"`
	MinimumReminderInterval time.Duration `json:"minimum_reminder_interval,omitempty"`
}

// AlertPoliciesFrom converts a spec's alerts, keeping their order (the
// AlertIndex of a Notify is an index into this slice).
func AlertPoliciesFrom(alerts []monitor.Alert) []AlertPolicy {
	if len(alerts) == 0 {
		return nil
	}
	out := make([]AlertPolicy, len(alerts))
	for i, a := range alerts {
		out[i] = AlertPolicy{
			Type:                    a.Type,
			Enabled:                 a.Enabled,
			FailureThreshold:        a.FailureThreshold,
			SuccessThreshold:        a.SuccessThreshold,
			SendOnResolved:          a.SendOnResolved,
			Description:             a.Description,
			MinimumReminderInterval: a.MinimumReminderInterval,
		}
	}
	return out
}

// Policy is what is in force for one monitor.
type Policy struct {
	Alerts []AlertPolicy
	// InMaintenance reports whether the monitor is in a maintenance window at
	// now. nil: never. It must be a pure function of now.
	InMaintenance func(now time.Time) bool
}

// Policies gives the policy in force per monitor key; ok is false for a
// monitor that does not exist (events about it are ignored).
type Policies interface {
	Policy(monitor string) (p Policy, ok bool)
}

// PolicyMap is Policies backed by a map.
type PolicyMap map[string]Policy

// Policy implements Policies.
func (m PolicyMap) Policy(monitor string) (Policy, bool) {
	p, ok := m[monitor]
	return p, ok
}

// implicitIndex is the AlertIndex of the silent default alert of a monitor
// without enabled alerts.
const implicitIndex = -1

// rule is one alert as the engine applies it: an enabled alert with its
// thresholds defaulted, or the implicit silent alert.
type rule struct {
	index          int // into Policy.Alerts; implicitIndex for the implicit one
	typ            string
	label          string // the alert part of idempotency keys
	failure        int
	success        int
	notifies       bool
	sendOnResolved bool
	description    string
	reminder       time.Duration
}

// appendRules appends the rules in force for alerts to dst: the enabled
// alerts in order, or the implicit alert when none is enabled.
func appendRules(dst []rule, alerts []AlertPolicy) []rule {
	start := len(dst)
	for i, a := range alerts {
		if !a.Enabled {
			continue
		}
		dst = append(dst, rule{
			index:          i,
			typ:            a.Type,
			label:          alertLabel(alerts, i),
			failure:        orDefault(a.FailureThreshold, DefaultFailureThreshold),
			success:        orDefault(a.SuccessThreshold, DefaultSuccessThreshold),
			notifies:       true,
			sendOnResolved: a.SendOnResolved,
			description:    a.Description,
			reminder:       a.MinimumReminderInterval,
		})
	}
	if len(dst) == start {
		dst = append(dst, rule{
			index:   implicitIndex,
			failure: DefaultFailureThreshold,
			success: DefaultSuccessThreshold,
		})
	}
	return dst
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// alertLabel names alert i in idempotency keys: its type, or "type-i" when
// another alert of the monitor has the same type, so keys never collide.
func alertLabel(alerts []AlertPolicy, i int) string {
	t := alerts[i].Type
	for j, a := range alerts {
		if j != i && a.Type == t {
			return t + "-" + strconv.Itoa(i)
		}
	}
	return t
}
