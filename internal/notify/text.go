package notify

import (
	"fmt"
	"strings"
	"time"
)

// Tone is how a message should look: colours, icons, priorities.
type Tone int

const (
	// ToneAlarm: something broke or is still broken.
	ToneAlarm Tone = iota
	// ToneRecovery: something is healthy again.
	ToneRecovery
	// ToneInfo: neither (a test message).
	ToneInfo
)

// Tone returns how m should look.
func (m *Message) Tone() Tone {
	switch {
	case m.Event == EventTest:
		return ToneInfo
	case m.Recovery():
		return ToneRecovery
	}
	return ToneAlarm
}

// Recovery reports whether m says something got better: a resolved
// incident, a node back up, or a degraded-mode message whose state is up.
// Providers with trigger/resolve semantics (PagerDuty, Opsgenie, the
// custom [ALERT_TRIGGERED_OR_RESOLVED]) resolve on it.
func (m *Message) Recovery() bool {
	switch m.Event {
	case EventResolved, EventNodeUp:
		return true
	case EventDegraded:
		return m.State == "up"
	}
	return false
}

// IsDegraded reports whether m was sent in quorum-loss fallback mode.
func (m *Message) IsDegraded() bool { return m.Degraded || m.Event == EventDegraded }

// Status is Gatus's [ALERT_TRIGGERED_OR_RESOLVED]: "RESOLVED" when m is a
// recovery, else "TRIGGERED".
func (m *Message) Status() string {
	if m.Recovery() {
		return "RESOLVED"
	}
	return "TRIGGERED"
}

// DisplayName is "group/name", "name", the monitor key when it has no
// name, or "" for cluster events without a monitor.
func (m *Message) DisplayName() string {
	switch {
	case m.Monitor.Name == "":
		return m.Monitor.Key
	case m.Monitor.Group == "":
		return m.Monitor.Name
	}
	return m.Monitor.Group + "/" + m.Monitor.Name
}

// DedupKey is the key receivers deduplicate on (PagerDuty dedup_key,
// Opsgenie alias): the incident id, so a trigger, its reminders and its
// resolution all address one alert; else the monitor key; else the
// idempotency key.
func (m *Message) DedupKey() string {
	switch {
	case m.Incident.ID != "":
		return m.Incident.ID
	case m.Monitor.Key != "":
		return m.Monitor.Key
	}
	return m.IdempotencyKey
}

// DegradedNote is appended to messages sent in degraded mode.
const DegradedNote = "Sent in degraded mode: the custodes cluster has lost quorum, so this node notified directly; another node may send the same notification."

// Title is the default title of chat messages.
const Title = "custodes"

// Headline is the one-sentence summary Gatus users know, e.g. "An alert
// for *core/api* has been triggered due to having failed 3 time(s) in a
// row"; emph marks up the monitor name (nil: as is). Cluster, notifier and
// test events get their own sentence; their Description tells the rest.
func Headline(m *Message, emph func(string) string) string {
	if emph == nil {
		emph = func(s string) string { return s }
	}
	subject := "An alert"
	if name := m.DisplayName(); name != "" {
		subject = "An alert for " + emph(name)
	}
	switch m.Event {
	case EventNodeDown:
		return "A custodes cluster node is down"
	case EventNodeUp:
		return "A custodes cluster node is back up"
	case EventNotifierDown:
		return "A custodes notifier is failing"
	case EventTest:
		return "This is a test notification from custodes"
	case EventReminder:
		s := "Reminder: " + strings.ToLower(subject[:1]) + subject[1:] + " is still triggered"
		if !m.Incident.StartedAt.IsZero() {
			s += " (failing since " + m.Incident.StartedAt.UTC().Format(time.RFC3339) + ")"
		}
		return s
	}
	if m.Recovery() {
		if n := m.Alert.SuccessThreshold; n > 0 {
			return fmt.Sprintf("%s has been resolved after passing successfully %d time(s) in a row", subject, n)
		}
		return subject + " has been resolved"
	}
	if n := m.Alert.FailureThreshold; n > 0 {
		return fmt.Sprintf("%s has been triggered due to having failed %d time(s) in a row", subject, n)
	}
	return subject + " has been triggered"
}

// Summary is a plain one-line summary for incident tools: "TRIGGERED:
// core/api - description", "RESOLVED: ...", "DEGRADED TRIGGERED: ...",
// "NODE DOWN: n2 unreachable", "TEST: ...".
func Summary(m *Message) string {
	var label, subject string
	switch m.Event {
	case EventNodeDown:
		label, subject = "NODE DOWN", "custodes cluster"
	case EventNodeUp:
		label, subject = "NODE UP", "custodes cluster"
	case EventNotifierDown:
		label, subject = "NOTIFIER DOWN", "custodes"
	case EventTest:
		label, subject = "TEST", "custodes"
	case EventReminder:
		label = "REMINDER"
	default:
		label = m.Status()
	}
	if m.IsDegraded() && m.Event != EventTest {
		label = "DEGRADED " + label
	}
	if name := m.DisplayName(); name != "" {
		subject = name
	}
	s := label + ": " + subject
	if m.Description != "" {
		s += " - " + m.Description
	}
	return s
}
