package incident

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// RateRule is gomon's optional alert rule: it holds while more than
// MaxFailures failed results (only those with an HTTP 5xx status when
// Only5xx) happened within the last Window, that is less than Window before
// the newest result.
type RateRule struct {
	MaxFailures int           `json:"max_failures"`
	Window      time.Duration `json:"window"`
	Only5xx     bool          `json:"only_5xx,omitempty"`
}

// MaxRateFailures bounds RateRule.MaxFailures: the observer keeps
// MaxFailures+1 failure times.
const MaxRateFailures = 10000

// Validate says what is wrong with the rule, if anything.
func (r *RateRule) Validate() error {
	switch {
	case r.MaxFailures < 0 || r.MaxFailures > MaxRateFailures:
		return fmt.Errorf("rate rule: max failures %d: must be between 0 and %d", r.MaxFailures, MaxRateFailures)
	case r.Window <= 0:
		return fmt.Errorf("rate rule: window %v: must be positive", r.Window)
	}
	return nil
}

// ObserverConfig is what an Observer watches for.
type ObserverConfig struct {
	Monitor string
	Node    string
	// Alerts are the monitor's alerts: the observer reports when a streak
	// reaches the threshold of an enabled one (Gatus's defaults when none is
	// enabled), exactly the thresholds the engine applies.
	Alerts []AlertPolicy
	Rate   *RateRule // nil: no rate rule
}

// Observer follows one monitor's results on this node and tells when the
// engine's view of this node changes. It is not safe for concurrent use;
// the scheduler feeds each monitor's results in order.
type Observer struct {
	monitor, node string
	failures      []int // distinct failure thresholds, ascending
	successes     []int // distinct success thresholds, ascending
	rate          *RateRule
	// recent holds the times of the newest MaxFailures+1 counted failures,
	// oldest first: all the rate rule needs.
	recent []time.Time

	success bool
	streak  int
	tripped bool

	// reported: something was reported since the last (re)configuration.
	// The first result after either is always reported, so the engine
	// replaces whatever view of this node it may still hold (from before a
	// restart, or judged under other thresholds).
	reported bool
	last     level // what was last reported
}

// level is what the engine can tell from a report: how many failure and
// success thresholds the streak has reached, and the rate rule.
type level struct {
	failure, success int
	tripped          bool
}

// NewObserver returns an observer with no results yet.
func NewObserver(cfg ObserverConfig) (*Observer, error) {
	o := &Observer{}
	if err := o.Reconfigure(cfg); err != nil {
		return nil, err
	}
	return o, nil
}

// Reconfigure applies a new configuration (after a config change) keeping
// the streak and the failure times the new rate rule needs; the next Record
// then reports whatever it sees.
func (o *Observer) Reconfigure(cfg ObserverConfig) error {
	if cfg.Monitor == "" || cfg.Node == "" {
		return errors.New("observer: monitor and node must not be empty")
	}
	var rate *RateRule
	if cfg.Rate != nil {
		if err := cfg.Rate.Validate(); err != nil {
			return fmt.Errorf("observer for %s: %w", cfg.Monitor, err)
		}
		r := *cfg.Rate
		rate = &r
	}
	var buf [4]rule
	rules := appendRules(buf[:0], cfg.Alerts)
	o.failures, o.successes = o.failures[:0], o.successes[:0]
	for _, r := range rules {
		o.failures = append(o.failures, r.failure)
		o.successes = append(o.successes, r.success)
	}
	slices.Sort(o.failures)
	slices.Sort(o.successes)
	o.failures = slices.Compact(o.failures)
	o.successes = slices.Compact(o.successes)

	o.monitor, o.node = cfg.Monitor, cfg.Node
	switch {
	case rate == nil:
		o.recent = nil
		o.tripped = false
	case len(o.recent) > rate.MaxFailures+1:
		o.recent = slices.Delete(o.recent, 0, len(o.recent)-rate.MaxFailures-1)
	}
	o.rate = rate
	o.reported = false
	return nil
}

// Record takes the monitor's next result and returns the Observed event to
// propose when the engine's view of this node changes (Confirm left 0 for
// the sender to fill in), or ok false when there is nothing to tell. The
// first result after NewObserver or Reconfigure is always reported.
func (o *Observer) Record(r *monitor.Result) (e Observed, ok bool) {
	if r.Success == o.success && o.streak > 0 {
		o.streak++
	} else {
		o.success, o.streak = r.Success, 1
	}
	if o.rate != nil {
		o.tripped = o.recordRate(r)
	}
	now := o.level()
	if o.reported && now == o.last {
		return Observed{}, false
	}
	o.reported, o.last = true, now
	return Observed{
		Monitor:     o.monitor,
		Node:        o.node,
		Success:     o.success,
		Streak:      o.streak,
		RateTripped: o.tripped,
		Errors:      resultErrors(r),
	}, true
}

// Failing reports whether, at the last result, the streak had reached a
// failure threshold or the rate rule held: the engine counts this node as
// seeing the monitor down.
func (o *Observer) Failing() bool {
	l := o.level()
	return l.failure > 0 || l.tripped
}

// recordRate notes r and reports whether the rate rule holds at r.Time.
func (o *Observer) recordRate(r *monitor.Result) bool {
	if !r.Success && (!o.rate.Only5xx || r.Status >= 500 && r.Status <= 599) {
		if len(o.recent) == o.rate.MaxFailures+1 {
			o.recent = slices.Delete(o.recent, 0, 1)
		}
		o.recent = append(o.recent, r.Time)
	}
	return len(o.recent) == o.rate.MaxFailures+1 && r.Time.Sub(o.recent[0]) < o.rate.Window
}

func (o *Observer) level() level {
	if o.tripped {
		// The engine counts a tripped observer as failing whatever its
		// streak.
		return level{tripped: true}
	}
	var l level
	reached := func(thresholds []int) int {
		n := 0
		for n < len(thresholds) && thresholds[n] <= o.streak {
			n++
		}
		return n
	}
	if o.success {
		l.success = reached(o.successes)
	} else {
		l.failure = reached(o.failures)
	}
	return l
}

// resultErrors are a result's errors followed by its failed conditions.
func resultErrors(r *monitor.Result) []string {
	errs := slices.Clone(r.Errors)
	for _, c := range r.Conditions {
		if !c.Success {
			errs = append(errs, c.Condition)
		}
	}
	return cleanErrors(errs)
}
