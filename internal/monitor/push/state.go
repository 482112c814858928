// Package push is the domain of Healthchecks-style push checks (dead man's
// switches): a job pings custodes when it starts and when it finishes, and
// the check goes down when a ping is late or reports a failure.
//
// It holds a cron parser (Parse, Schedule.Next) and the check's state
// machine (State), both pure: times are passed in and the time zone is
// loaded by the caller. The state is serializable and changes only through
// Ping and Expire, so replicas that apply the same pings in the same order
// agree.
//
// Semantics follow Healthchecks (hc/api/models.py): a check is new until
// its first finishing ping; a success makes it up and a failure down; a
// start ping puts it in the "started" state, which must end within the
// grace time; an up check is due again a period after its last success
// (simple) or at the next cron run after it (cron), and down a grace time
// later. Differences are documented where they occur (State.Ping).
package push

import "time"

// Status is what a check looks like at some instant.
type Status string

const (
	// StatusNew: never finished a run (and not started, or started within
	// the grace time).
	StatusNew Status = "new"
	// StatusUp: the last run succeeded and the next is not due yet.
	StatusUp Status = "up"
	// StatusStarted: a run started and has not finished, within the grace
	// time.
	StatusStarted Status = "started"
	// StatusGrace: the next success is due but the grace time is not over.
	StatusGrace Status = "grace"
	// StatusDown: the last run failed, or a ping is overdue.
	StatusDown Status = "down"
)

// MaxOpenRuns is how many started runs (by rid) the state remembers for
// pairing with their finish; starting one more forgets the oldest.
const MaxOpenRuns = 16

// MaxRunDuration is the longest time between a start and its finish that
// still pairs them (Healthchecks' MAX_DURATION); older open runs are
// forgotten.
const MaxRunDuration = 72 * time.Hour

// State is a push check's replicated state. The zero State is a new check.
// All fields are exported for JSON; change them only through Ping and
// Expire.
type State struct {
	// Phase is the stored status: StatusNew (or empty, in the zero State)
	// until the first finishing ping, then StatusUp or StatusDown (set by
	// pings and by Expire).
	Phase Status `json:"phase,omitempty"`
	// LastPing is when the last run finished (success or failure).
	LastPing time.Time `json:"last_ping,omitzero"`
	// LastKind and LastExitCode describe the last finishing ping.
	LastKind     Kind `json:"last_kind,omitempty"`
	LastExitCode int  `json:"last_exit_code,omitempty"`
	// LastBody is an excerpt (MaxBodyExcerpt bytes) of the last finishing
	// ping's body, e.g. a failed job's output for the alert.
	LastBody string `json:"last_body,omitempty"`
	// LastDuration is how long the last finished run took, when its start
	// was seen (0 otherwise).
	LastDuration time.Duration `json:"last_duration,omitempty"`
	// Started is when the last start ping arrived, if no run finished since
	// (the "started" state); zero otherwise. StartedRID is its run id.
	Started    time.Time `json:"started,omitzero"`
	StartedRID string    `json:"started_rid,omitempty"`
	// OpenRuns are started runs not yet finished, oldest first, at most
	// MaxOpenRuns, for pairing a finish with its start by rid.
	OpenRuns []Run `json:"open_runs,omitempty"`
	// Pings counts the pings applied (log pings excluded).
	Pings int64 `json:"pings,omitempty"`
	// DownSince is when Expire marked the check down (zero otherwise).
	DownSince time.Time `json:"down_since,omitzero"`
}

// Run is a started run: its rid ("" for a start without one) and when it
// started.
type Run struct {
	RID   string    `json:"rid,omitempty"`
	Start time.Time `json:"start"`
}

// Ping applies a ping. Pings that do not Validate, and Log pings, change
// nothing; the caller validates first and answers 400 to bad ones.
//
// A ping stamped earlier than the last start or finish already applied
// (clocks of successive leaders disagree) counts as happening at that
// time, so the check's own time never goes backwards and deadlines only
// move later: late, never false.
//
// Healthchecks keeps a check "started" when a finish carries a rid other
// than the last start's; custodes ends the started state on every finish,
// so that a success always means up. The open run still pairs with its own
// finish for its duration, and a run that hangs while others succeed is not
// detected: a late success is what a push check watches.
func (s *State) Ping(p Ping) {
	if p.Validate() != nil || p.Kind == Log {
		return
	}
	at := p.At
	if at.Before(s.LastPing) {
		at = s.LastPing
	}
	if at.Before(s.Started) {
		at = s.Started
	}
	s.Pings++
	s.pruneRuns(at)
	if p.Kind == Start {
		s.Started, s.StartedRID = at, p.RID
		s.openRun(p.RID, at)
		return
	}
	s.LastPing = at
	s.LastKind, s.LastExitCode, s.LastBody = p.Kind, p.ExitCode, excerpt(p.Body)
	s.LastDuration = 0
	if start, ok := s.closeRun(p.RID); ok {
		s.LastDuration = at.Sub(start)
	}
	s.Started, s.StartedRID = time.Time{}, ""
	s.DownSince = time.Time{}
	if p.Failed() {
		s.Phase = StatusDown
	} else {
		s.Phase = StatusUp
	}
}

// openRun records a started run, replacing one with the same rid and
// forgetting the oldest beyond MaxOpenRuns.
func (s *State) openRun(rid string, at time.Time) {
	s.closeRun(rid)
	if len(s.OpenRuns) >= MaxOpenRuns {
		s.OpenRuns = append(s.OpenRuns[:0:0], s.OpenRuns[len(s.OpenRuns)-MaxOpenRuns+1:]...)
	}
	s.OpenRuns = append(s.OpenRuns, Run{RID: rid, Start: at})
}

// closeRun removes the open run with rid and returns its start.
func (s *State) closeRun(rid string) (time.Time, bool) {
	for i, r := range s.OpenRuns {
		if r.RID == rid {
			s.OpenRuns = append(s.OpenRuns[:i:i], s.OpenRuns[i+1:]...)
			if len(s.OpenRuns) == 0 {
				s.OpenRuns = nil
			}
			return r.Start, true
		}
	}
	return time.Time{}, false
}

// pruneRuns forgets runs started more than MaxRunDuration before at.
func (s *State) pruneRuns(at time.Time) {
	kept := s.OpenRuns[:0:0]
	for _, r := range s.OpenRuns {
		if at.Sub(r.Start) <= MaxRunDuration {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		kept = nil
	}
	s.OpenRuns = kept
}

// Running reports whether the check is in the started state.
func (s State) Running() bool { return !s.Started.IsZero() }

// Deadline returns when the check goes down if no further ping arrives, as
// Healthchecks' alert_after: for an up check, the next expected success
// (last success + period, or the first cron run after it) plus grace; while
// started, at the latest the start plus grace. A new check that has not
// started, and a check already down, have none (false).
//
// The deadline may be in the past: the check is overdue. Nothing changes
// by itself; the leader calls Expire when the deadline passes.
func (s State) Deadline(c Config) (time.Time, bool) {
	var due time.Time
	if s.Phase == StatusUp {
		due = c.expected(s.LastPing)
	}
	if s.Running() && s.Phase != StatusDown && (due.IsZero() || s.Started.Before(due)) {
		due = s.Started
	}
	if due.IsZero() {
		return time.Time{}, false
	}
	return due.Add(c.Grace), true
}

// Expire marks the check down if it is overdue at now (its Deadline has
// passed), as Healthchecks' sendalerts does, and reports whether it did.
// The started state is kept: a run that started recently still shows as
// started until its own grace time is over.
func (s *State) Expire(c Config, now time.Time) bool {
	d, ok := s.Deadline(c)
	if !ok || now.Before(d) {
		return false
	}
	s.Phase = StatusDown
	s.DownSince = d
	return true
}

// Status returns what the check looks like at now, as Healthchecks shows
// it (its v1 API, which reports the started state): the result does not
// depend on whether Expire has been called yet.
//
//   - overdue or failed: down; but while a run started within the grace
//     time, started;
//   - running: started;
//   - never finished a run: new;
//   - up, with the next success due: grace; otherwise up.
func (s State) Status(c Config, now time.Time) Status {
	phase := s.Phase
	if d, ok := s.Deadline(c); ok && !now.Before(d) {
		phase = StatusDown
	}
	if s.Running() {
		if !now.Before(s.Started.Add(c.Grace)) {
			return StatusDown
		}
		return StatusStarted
	}
	switch phase {
	case StatusDown:
		return StatusDown
	case StatusUp:
		if due := c.expected(s.LastPing); !due.IsZero() && !now.Before(due) {
			return StatusGrace
		}
		return StatusUp
	}
	return StatusNew
}
