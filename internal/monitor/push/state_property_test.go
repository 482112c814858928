package push_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/custodes/custodes/internal/monitor/push"
)

var propertyCrons = []string{"* * * * *", "0 * * * *", "30 2 * * *", "*/15 9-17 * * MON-FRI", "0 0 L * *", "0 3 * * SUN#1"}

func genConfig(t *rapid.T) push.Config {
	grace := time.Duration(rapid.IntRange(0, 180).Draw(t, "graceMinutes")) * time.Minute
	if rapid.Bool().Draw(t, "cron") {
		zone := rapid.SampledFrom(cronZones).Draw(t, "zone")
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatalf("load %s: %v", zone, err)
		}
		return push.Config{Grace: grace, Cron: ptr(push.MustParse(rapid.SampledFrom(propertyCrons).Draw(t, "expr"))), Location: loc}
	}
	return push.Config{Period: time.Duration(rapid.IntRange(1, 48*60).Draw(t, "periodMinutes")) * time.Minute, Grace: grace}
}

func genPing(t *rapid.T, now time.Time) push.Ping {
	p := push.Ping{
		Kind: rapid.SampledFrom([]push.Kind{push.Success, push.Start, push.Fail, push.Log, push.ExitStatus}).Draw(t, "kind"),
		RID:  rapid.SampledFrom([]string{"", ridA, ridB}).Draw(t, "rid"),
		At:   now,
		Body: rapid.StringN(0, 3, -1).Draw(t, "body"),
	}
	if p.Kind == push.ExitStatus {
		p.ExitCode = rapid.SampledFrom([]int{0, 1, 2, 255}).Draw(t, "code")
	}
	return p
}

// TestStateProperties drives a check with random pings, clock skew and
// expiries, and checks after every step:
//   - the deadline is never before the last success (or finish);
//   - a success ping brings the status to up, a failure to down;
//   - log pings (and invalid pings) change nothing;
//   - Status does not depend on whether Expire ran, and Expire fires exactly
//     when the deadline has passed;
//   - open runs stay bounded and ordered, durations are not negative.
func TestStateProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := genConfig(t)
		now := time.Date(rapid.IntRange(2000, 2035).Draw(t, "year"), time.Month(rapid.IntRange(1, 12).Draw(t, "month")),
			rapid.IntRange(1, 28).Draw(t, "day"), 0, 0, 0, 0, time.UTC)
		var s push.State
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			// Time mostly moves forward; sometimes a new leader's clock is behind.
			now = now.Add(time.Duration(rapid.IntRange(-30, 6*60).Draw(t, "advanceMinutes")) * time.Minute)
			before := s
			before.OpenRuns = slices.Clone(s.OpenRuns)
			switch rapid.IntRange(0, 5).Draw(t, "action") {
			case 0: // expire
				d, hasDeadline := s.Deadline(cfg)
				statusBefore := s.Status(cfg, now)
				expired := s.Expire(cfg, now)
				if want := hasDeadline && !now.Before(d); expired != want {
					t.Fatalf("Expire at %s = %v with deadline %s (%v)", now, expired, d, hasDeadline)
				}
				if got := s.Status(cfg, now); got != statusBefore {
					t.Fatalf("Expire changed Status at %s from %s to %s", now, statusBefore, got)
				}
			case 1: // an invalid ping
				s.Ping(push.Ping{Kind: push.ExitStatus, ExitCode: 256, At: now})
				if !reflect.DeepEqual(s, before) {
					t.Fatalf("invalid ping changed the state:\n%+v\n%+v", before, s)
				}
			default:
				p := genPing(t, now)
				s.Ping(p)
				switch {
				case p.Kind == push.Log:
					if !reflect.DeepEqual(s, before) {
						t.Fatalf("log ping changed the state:\n%+v\n%+v", before, s)
					}
				case p.Kind == push.Start:
					if got := s.Status(cfg, p.At); got != push.StatusStarted && !(cfg.Grace == 0 && got == push.StatusDown) {
						t.Fatalf("status right after a start = %s", got)
					}
				case p.Failed():
					if got := s.Status(cfg, p.At); got != push.StatusDown || s.Phase != push.StatusDown {
						t.Fatalf("status after a failure = %s (phase %s)", got, s.Phase)
					}
				default:
					if got := s.Status(cfg, p.At); got != push.StatusUp || s.Phase != push.StatusUp {
						t.Fatalf("status after a success at %s = %s (phase %s), state %+v", p.At, got, s.Phase, s)
					}
				}
			}
			if d, ok := s.Deadline(cfg); ok && d.Before(s.LastPing) {
				t.Fatalf("deadline %s before the last finish %s: %+v", d, s.LastPing, s)
			}
			if s.Phase == push.StatusUp {
				if _, ok := s.Deadline(cfg); !ok {
					t.Fatalf("an up check without a deadline: %+v", s)
				}
			}
			if len(s.OpenRuns) > push.MaxOpenRuns || !slices.IsSortedFunc(s.OpenRuns, func(a, b push.Run) int { return a.Start.Compare(b.Start) }) {
				t.Fatalf("open runs %v", s.OpenRuns)
			}
			if s.LastDuration < 0 || s.LastDuration > push.MaxRunDuration {
				t.Fatalf("LastDuration %s", s.LastDuration)
			}
			if s.Running() && s.Started.Before(s.LastPing) {
				t.Fatalf("started %s before the last finish %s", s.Started, s.LastPing)
			}
		}
	})
}
