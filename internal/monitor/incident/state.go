package incident

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds on what the State keeps, so snapshots and Raft commands stay small
// whatever observers send.
const (
	// MaxClosed is how many closed incidents are kept per monitor.
	MaxClosed = 20
	// MaxErrors is how many errors a view keeps; MaxErrorLen how many bytes
	// of each.
	MaxErrors   = 10
	MaxErrorLen = 512
)

// State is the engine's replicated state. Step mutates it. Its JSON form is
// deterministic (maps have string keys, which encoding/json sorts; all
// times are UTC without a monotonic reading) and restores behaviour
// exactly, so it can be the FSM snapshot. The zero State is ready to use.
type State struct {
	// Opened counts incidents ever opened; it numbers incident ids and is
	// never reset, so ids are never reused.
	Opened   uint64                   `json:"opened"`
	Monitors map[string]*MonitorState `json:"monitors,omitempty"`
}

// MonitorState is what the engine knows of one monitor.
type MonitorState struct {
	Status  Status          `json:"status,omitempty"`
	Confirm int             `json:"confirm"` // the largest k of the views (see confirmNeeded)
	Views   map[string]View `json:"views,omitempty"`
	Alerts  []AlertState    `json:"alerts,omitempty"` // parallel to the rules in force
	Open    *Incident       `json:"open,omitempty"`
	Closed  []Incident      `json:"closed,omitempty"` // oldest first, at most MaxClosed
	// Deferred holds "resolved" notifications withheld by a maintenance
	// window, sent when it ends.
	Deferred []Notify `json:"deferred,omitempty"`
}

// View is one observer's newest report on a monitor.
type View struct {
	Success     bool      `json:"success"`
	Streak      int       `json:"streak"`
	RateTripped bool      `json:"rate_tripped,omitempty"`
	Errors      []string  `json:"errors,omitempty"`
	At          time.Time `json:"at"` // when it was committed
	// Confirm is the k its node's membership view gave (Observed.Confirm).
	Confirm int `json:"confirm,omitempty"`
}

// AlertState is the engine's state of one alert of a monitor.
type AlertState struct {
	Index   int    `json:"index"` // into Policy.Alerts; -1 for the implicit alert
	Type    string `json:"type,omitempty"`
	Latched bool   `json:"latched,omitempty"`
	// Sent: "triggered" went out in the current incident. Reminders counts
	// the reminders since; LastSent is when the last of them went out.
	Sent      bool      `json:"sent,omitempty"`
	Reminders int       `json:"reminders,omitempty"`
	LastSent  time.Time `json:"last_sent,omitzero"`
}

// Incident is one outage of one monitor.
type Incident struct {
	ID      string    `json:"id"`
	Monitor string    `json:"monitor"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended,omitzero"` // zero while open
	// Opening are the observers' views when it opened; Errors their errors.
	Opening []ObserverView `json:"opening,omitempty"`
	Errors  []string       `json:"errors,omitempty"`
	Acked   bool           `json:"acked,omitempty"`
	AckedBy string         `json:"acked_by,omitempty"`
	AckedAt time.Time      `json:"acked_at,omitzero"`
}

// IsOpen reports whether the incident has not ended.
func (i *Incident) IsOpen() bool { return i.Ended.IsZero() }

func (i *Incident) clone() Incident {
	c := *i
	c.Opening = slices.Clone(i.Opening)
	c.Errors = slices.Clone(i.Errors)
	return c
}

// Incident finds an open or recently closed incident by id.
func (s *State) Incident(id string) (Incident, bool) {
	inc := s.findIncident(id)
	if inc == nil {
		return Incident{}, false
	}
	return inc.clone(), true
}

func (s *State) findIncident(id string) *Incident {
	hash := strings.LastIndexByte(id, '#')
	if hash < 0 {
		return nil
	}
	m := s.Monitors[id[:hash]]
	if m == nil {
		return nil
	}
	if m.Open != nil && m.Open.ID == id {
		return m.Open
	}
	for i := range m.Closed {
		if m.Closed[i].ID == id {
			return &m.Closed[i]
		}
	}
	return nil
}

// Incidents lists the open and recently closed incidents of every monitor:
// open ones first, then closed ones, each newest first (by start time, then
// id).
func (s *State) Incidents() []Incident {
	var open, closed []Incident
	for _, m := range s.Monitors {
		if m.Open != nil {
			open = append(open, m.Open.clone())
		}
		for i := range m.Closed {
			closed = append(closed, m.Closed[i].clone())
		}
	}
	newestFirst := func(a, b Incident) int {
		if c := b.Started.Compare(a.Started); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	}
	slices.SortFunc(open, newestFirst)
	slices.SortFunc(closed, newestFirst)
	return append(open, closed...)
}

// sortedKeys returns a map's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cleanErrors copies errs, dropping duplicates and empty strings, keeping at
// most MaxErrors of at most MaxErrorLen bytes each (cut on a rune boundary).
func cleanErrors(errs []string) []string {
	var out []string
	for _, e := range errs {
		if len(out) == MaxErrors {
			break
		}
		e = truncate(e, MaxErrorLen)
		if e == "" || slices.Contains(out, e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
