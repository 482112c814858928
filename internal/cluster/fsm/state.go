package fsm

import (
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/monitor/push"
	"github.com/custodes/custodes/internal/notify"
)

// MaxDeliveries bounds the delivery log kept in the state.
const MaxDeliveries = 1000

// state is everything the cluster agrees on. Its JSON form is the snapshot:
// deterministic (maps with string keys are sorted by encoding/json, slices
// are kept in a defined order, times are UTC), so two nodes that applied
// the same log produce identical snapshot bytes.
type state struct {
	// Applied is the index of the last applied command.
	Applied uint64 `json:"applied"`
	// Config is the config-file declared set in force: the last one
	// committed (last writer wins by log order).
	Config *Declared `json:"config,omitempty"`
	// NodeConfigs is, per node, the hash of the config file it declared
	// last; a node whose hash differs from Config.Hash has config drift.
	NodeConfigs map[string]NodeConfig `json:"node_configs,omitempty"`
	// APIMonitors are monitors created through the API.
	APIMonitors map[string]*monitor.Spec `json:"api_monitors,omitempty"`

	Engine incident.State `json:"engine"`

	// Outbox holds pending notifications by idempotency key; Deliveries is
	// the log of delivered ones, oldest first, at most MaxDeliveries.
	OutboxSeq  uint64            `json:"outbox_seq"`
	Outbox     map[string]*Entry `json:"outbox,omitempty"`
	Deliveries []Entry           `json:"deliveries,omitempty"`

	Push      map[string]*PushCheck     `json:"push,omitempty"`
	Nodes     map[string]*NodeState     `json:"nodes,omitempty"`
	Notifiers map[string]*NotifierState `json:"notifiers,omitempty"`
}

// Declared is one node's config file as declared to the cluster.
type Declared struct {
	Node string    `json:"node"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
	// Monitors are the file's endpoints, external and push endpoints.
	Monitors []*monitor.Spec `json:"monitors"`
	// Providers holds each alerting provider section as YAML, by name.
	Providers map[string]string `json:"providers,omitempty"`
	// Maintenance is the global maintenance window, if any.
	Maintenance *monitor.MaintenanceWindow `json:"maintenance,omitempty"`
	// ClusterNotify names the providers that receive node-down/node-up and
	// notifier-down events; empty means every provider.
	ClusterNotify []string `json:"cluster_notify,omitempty"`
	// NotifierDownAfter is how long a notifier may fail before the others
	// report it.
	NotifierDownAfter time.Duration `json:"notifier_down_after,omitempty"`
}

// NodeConfig is what a node last declared.
type NodeConfig struct {
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// Entry is one notification to send through one provider.
type Entry struct {
	Seq      uint64         `json:"seq"` // creation order
	Key      string         `json:"key"` // idempotency key
	Provider string         `json:"provider"`
	Override map[string]any `json:"override,omitempty"`
	Message  notify.Message `json:"message"`
	Created  time.Time      `json:"created"`

	Attempts    int       `json:"attempts,omitempty"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Delivered   time.Time `json:"delivered,omitzero"`
	DeliveredBy string    `json:"delivered_by,omitempty"`
	// Suppressed is set for an entry dropped without sending (its provider
	// was removed from the config); it moves to the log undelivered.
	Suppressed string `json:"suppressed,omitempty"`
}

// NodeState is the cluster's agreed view of a node's health.
type NodeState struct {
	Up    bool      `json:"up"`
	Since time.Time `json:"since"`
}

// NotifierState is a provider's health as reported by the dispatcher.
type NotifierState struct {
	Failing bool      `json:"failing"`
	Since   time.Time `json:"since"`
	Error   string    `json:"error,omitempty"`
}

// PushCheck is the replicated state of one push monitor.
type PushCheck struct {
	State push.State `json:"state"`
	// Success and Streak are the observer view fed to the incident engine:
	// the outcome of the last finished run (or missed deadline) and how many
	// in a row had it.
	Success bool `json:"success"`
	Streak  int  `json:"streak,omitempty"`
}
