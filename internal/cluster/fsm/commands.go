package fsm

import (
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/monitor/push"
)

// Command bodies. Each is versioned by the envelope's version byte; bump it
// when a body changes incompatibly and keep decoding the old version.

// DeclareConfig declares a node's config file. With HashOnly set it only
// records that the node runs the file already in force (no monitors sent);
// it is refused if the hash no longer matches.
type DeclareConfig struct {
	Node     string    `json:"node"`
	Hash     string    `json:"hash"`
	HashOnly bool      `json:"hash_only,omitempty"`
	Declared *Declared `json:"declared,omitempty"`
}

// PutMonitor creates or replaces an API-made monitor.
type PutMonitor struct {
	Spec *monitor.Spec `json:"spec"`
	// Create refuses to replace an existing monitor (POST); otherwise the
	// monitor must exist (PUT).
	Create bool `json:"create,omitempty"`
}

// DeleteMonitor deletes an API-made monitor.
type DeleteMonitor struct {
	Key string `json:"key"`
}

// Observe carries observers' state changes, and the monitors nodes stopped
// checking (applied after the observations).
type Observe struct {
	Observations []incident.Observed `json:"observations"`
	Released     []incident.Released `json:"released,omitempty"`
}

// Tick drives time-based work of the incident engine.
type Tick struct{}

// Ack acknowledges an incident.
type Ack struct {
	Incident string `json:"incident"`
	By       string `json:"by"`
}

// NodeEvent reports a node failing or coming back, as gossip saw it.
type NodeEvent struct {
	Node string `json:"node"`
	Up   bool   `json:"up"`
	// Reporter is the node that proposed it (for the notification text).
	Reporter string `json:"reporter,omitempty"`
}

// Delivered marks an outbox entry delivered.
type Delivered struct {
	Key string `json:"key"`
	By  string `json:"by"`
}

// Attempted records a failed delivery attempt.
type Attempted struct {
	Key   string `json:"key"`
	Error string `json:"error"`
}

// Ping is a ping of a push monitor.
type Ping struct {
	Monitor string    `json:"monitor"`
	Ping    push.Ping `json:"ping"`
}

// PushOverdue reports that a push monitor's deadline passed, measured on the
// leader's monotonic clock since it saw the state with Pings pings. It is
// ignored if a ping arrived since.
type PushOverdue struct {
	Monitor string `json:"monitor"`
	Pings   int64  `json:"pings"`
}

// NotifierHealth reports a provider failing for too long, or recovered.
type NotifierHealth struct {
	Provider string `json:"provider"`
	Failing  bool   `json:"failing"`
	Error    string `json:"error,omitempty"`
}
