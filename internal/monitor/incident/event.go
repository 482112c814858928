package incident

import "time"

// Event is what one committed Raft command carries to Step: Observed, Tick,
// Ack, NodeGone, Released or Forget (values or pointers).
type Event interface{ isEvent() }

// Observed is a node's new view of a monitor, emitted by its Observer.
type Observed struct {
	Monitor string `json:"monitor"`
	Node    string `json:"node"`
	// Success and Streak: the latest result and how many results in a row
	// had that outcome.
	Success     bool     `json:"success"`
	Streak      int      `json:"streak"`
	RateTripped bool     `json:"rate_tripped,omitempty"`
	Errors      []string `json:"errors,omitempty"`
	// Confirm is the effective k (how many observers must agree), computed
	// by the sender from its membership view; <= 0 means 1. The engine
	// needs the largest k among the current views.
	Confirm int `json:"confirm,omitempty"`
}

// Tick drives reminders and notifications withheld by maintenance windows.
type Tick struct{}

// Ack acknowledges an incident: it sends no more reminders.
type Ack struct {
	Incident string `json:"incident"`
	By       string `json:"by"`
}

// NodeGone drops every view of a node that left the cluster.
type NodeGone struct {
	Node string `json:"node"`
}

// Released drops a node's view of a monitor it no longer checks.
type Released struct {
	Monitor string `json:"monitor"`
	Node    string `json:"node"`
}

// Forget drops a deleted monitor and its incidents, notifying nobody.
type Forget struct {
	Monitor string `json:"monitor"`
}

func (Observed) isEvent() {}
func (Tick) isEvent()     {}
func (Ack) isEvent()      {}
func (NodeGone) isEvent() {}
func (Released) isEvent() {}
func (Forget) isEvent()   {}

// Action is what Step asks the caller to do or record: Notify,
// StatusChanged, IncidentOpened, IncidentClosed or IncidentAcked.
type Action interface{ isAction() }

// NotifyEvent is the kind of a notification.
type NotifyEvent string

// Notification kinds.
const (
	Triggered NotifyEvent = "triggered"
	Resolved  NotifyEvent = "resolved"
	Reminder  NotifyEvent = "reminder"
)

// Notify asks for one notification through the notifier of one alert.
type Notify struct {
	Monitor    string      `json:"monitor"`
	AlertIndex int         `json:"alert_index"` // into Policy.Alerts
	AlertType  string      `json:"alert_type"`
	Event      NotifyEvent `json:"event"`
	Incident   string      `json:"incident"`
	// IncidentStarted is when the incident opened; At when this event
	// happened (a "resolved" withheld by maintenance keeps its close time).
	IncidentStarted time.Time      `json:"incident_started"`
	At              time.Time      `json:"at"`
	Description     string         `json:"description,omitempty"`
	Errors          []string       `json:"errors,omitempty"`
	Observers       []ObserverView `json:"observers,omitempty"`
	// Key is the idempotency key "incident-id/event/alert", with reminders
	// numbered ("incident-id/reminder-2/alert"); alert is the alert type, or
	// "type-index" when the monitor has several alerts of that type.
	Key string `json:"key"`
}

// ObserverView is one observer's report, as shown in notifications.
type ObserverView struct {
	Node        string `json:"node"`
	Success     bool   `json:"success"`
	Streak      int    `json:"streak"`
	RateTripped bool   `json:"rate_tripped,omitempty"`
	Error       string `json:"error,omitempty"` // its errors joined by "; "
}

// Status is a monitor's state for history events and the API.
type Status string

// Statuses.
const (
	// StatusUp: no incident and no observer failing.
	StatusUp Status = "up"
	// StatusDegraded: some observers failing, but fewer than confirm.
	StatusDegraded Status = "degraded"
	// StatusDown: an incident is open.
	StatusDown Status = "down"
)

// StatusChanged reports a monitor's new status.
type StatusChanged struct {
	Monitor  string `json:"monitor"`
	Status   Status `json:"status"`
	Previous Status `json:"previous,omitempty"` // "" for a monitor's first status
}

// IncidentOpened reports a new incident (a copy; the State keeps its own).
type IncidentOpened struct {
	Incident Incident `json:"incident"`
}

// IncidentClosed reports an incident that ended (a copy).
type IncidentClosed struct {
	Incident Incident `json:"incident"`
}

// IncidentAcked reports an acknowledgement that took effect.
type IncidentAcked struct {
	Incident string    `json:"incident"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

func (Notify) isAction()         {}
func (StatusChanged) isAction()  {}
func (IncidentOpened) isAction() {}
func (IncidentClosed) isAction() {}
func (IncidentAcked) isAction()  {}
