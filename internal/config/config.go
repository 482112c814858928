package config

import (
	"net"
	"strconv"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// Config is a loaded and validated config: Gatus's format plus custodes'
// own sections, with every default applied.
type Config struct {
	// Files are the files read, in the order they were merged.
	Files []string
	// Fingerprint is the hex SHA-256 of the files' names and bytes as read
	// (before ${ENV} expansion): it changes when any file changes.
	Fingerprint string

	// Monitors are the endpoints, then the external-endpoints, then the
	// push-endpoints, in file order. Disabled ones are included with
	// Enabled=false. Endpoints of a kind custodes cannot probe (ssh://,
	// grpc://, ws://, sctp://, ...) are left out, with a Warning.
	Monitors []*monitor.Spec

	// Alerting holds each alerting.<provider> section by provider name, for
	// the notifier packages to decode.
	Alerting map[string]*Section
	// Maintenance is the global maintenance window; nil when not configured.
	Maintenance *monitor.MaintenanceWindow

	Storage Storage
	Web     Web
	// Metrics says whether to serve Prometheus metrics on /metrics.
	Metrics bool
	// UI is Gatus's ui section as written (no defaults applied); nil when
	// absent. custodes has no web UI yet, so it only warns about it.
	UI *UI
	// Security is nil when the security section is absent.
	Security    *Security
	Concurrency Concurrency
	// SkipInvalidConfigUpdate keeps the running config when a changed file
	// does not load (Gatus's skip-invalid-config-update).
	SkipInvalidConfigUpdate bool

	Node    Node
	Cluster Cluster

	// Warnings are what loaded but deserves attention, in file and line order.
	Warnings []Warning

	// alertDefaults are the providers' default-alert settings, for
	// ParseEndpoint.
	alertDefaults map[string]*alertSettings
}

// Storage types.
const (
	StorageSQLite = "sqlite"
	StorageMemory = "memory"
)

// Storage is where history is kept.
type Storage struct {
	// Type is StorageSQLite (the default) or StorageMemory. A Gatus
	// "postgres" storage loads as SQLite, with a warning, until custodes
	// supports PostgreSQL.
	Type string
	// Path is the SQLite file; default <node.data-dir>/custodes.db.
	Path    string
	Caching bool
	// MaximumNumberOfResults and MaximumNumberOfEvents are what Gatus's API
	// returns per endpoint (defaults 100 and 50).
	MaximumNumberOfResults int
	MaximumNumberOfEvents  int
	Retention              Retention
}

// Retention is how long history is kept.
type Retention struct {
	Results time.Duration // raw results; default 7 days
	Rollups time.Duration // hourly rollups; default 90 days
}

// Web is where the HTTP server listens.
type Web struct {
	Address        string // default "0.0.0.0"
	Port           int    // default 8080
	ReadBufferSize int    // default 8192, at least 4096: the request header limit
	TLS            *WebTLS
}

// ListenAddress is "address:port".
func (w Web) ListenAddress() string { return net.JoinHostPort(w.Address, strconv.Itoa(w.Port)) }

// WebTLS is the server certificate; both files are PEM.
type WebTLS struct {
	CertificateFile string
	PrivateKeyFile  string
}

// Security restricts access to the web UI and API.
type Security struct {
	Basic *BasicAuth // nil when only oidc (not supported yet) is configured
	// AdminToken (custodes) authorizes the API's write routes (monitors,
	// acks, notifier tests) as "Authorization: Bearer <token>". Empty: the
	// write routes are disabled.
	AdminToken string
}

// minAdminToken is the shortest security.admin-token accepted.
const minAdminToken = 16

// BasicAuth is HTTP basic authentication with one user.
type BasicAuth struct {
	Username string
	// PasswordHash is the bcrypt hash decoded from password-bcrypt-base64.
	PasswordHash []byte
}

// DefaultConcurrency is Gatus's default number of checks run at once.
const DefaultConcurrency = 3

// Concurrency is how many checks may run at once on a node.
type Concurrency struct {
	// Value is the configured limit, DefaultConcurrency when not set; 0
	// means unlimited (Gatus semantics).
	Value int
	// Set says whether the config file set it.
	Set bool
}

// Node describes this node (custodes' node section).
type Node struct {
	ID      string            // default: the hostname
	DataDir string            // default "./data"
	Labels  map[string]string // matched by monitors' node-labels
	// SourceAddress is the local IP this node's checks are sent from
	// (multi-homed hosts); "" lets the kernel choose.
	SourceAddress string
}

// Cluster modes.
const (
	ClusterSingle   = ""         // one node, no coordination
	ClusterEmbedded = "embedded" // Raft + gossip between custodes nodes
	ClusterPostgres = "postgres" // replicas sharing one PostgreSQL
)

// Default cluster addresses, used when cluster.mode is embedded.
const (
	DefaultClusterBind   = "0.0.0.0:7380" // Raft and node RPC
	DefaultGossipBind    = "0.0.0.0:7946" // Serf/memberlist
	DefaultFallbackAfter = 30 * time.Second
	// DefaultNotifierDownAfter is cluster.notifier-down-after's default.
	DefaultNotifierDownAfter = 10 * time.Minute
	// DefaultHeartbeatInterval is used when heartbeat-url is set alone.
	DefaultHeartbeatInterval = time.Minute
)

// Cluster is custodes' cluster section.
type Cluster struct {
	Mode            string // ClusterSingle, ClusterEmbedded or ClusterPostgres
	Bind            string // host:port for Raft and node RPC
	GossipBind      string // host:port for gossip
	Advertise       string // host:port peers dial for Bind; "" derives it
	GossipAdvertise string // host:port peers dial for GossipBind; "" derives it
	Join            []string
	BootstrapExpect int
	Secret          string // shared secret; required (>= 16 bytes) in embedded mode
	// Voters is the most Raft voters; other nodes join as non-voting
	// checkers. Default: BootstrapExpect.
	Voters int
	// FallbackAfter is how long without quorum before partitions fall back
	// to gossip-elected senders.
	FallbackAfter     time.Duration
	HeartbeatURL      string // outbound dead man's switch, pinged by the leader
	HeartbeatInterval time.Duration
	// Notify names the alerting providers that receive node-down/node-up
	// and notifier-down events; empty means every configured provider.
	Notify []string
	// NotifierDownAfter is how long a notifier may keep failing before the
	// other notifiers report it (single node too).
	NotifierDownAfter time.Duration
}

// UI is Gatus's ui section, as written.
type UI struct {
	Title               string     `yaml:"title"`
	Description         string     `yaml:"description"`
	DashboardHeading    string     `yaml:"dashboard-heading"`
	DashboardSubheading string     `yaml:"dashboard-subheading"`
	Header              string     `yaml:"header"`
	Logo                string     `yaml:"logo"`
	Link                string     `yaml:"link"`
	Favicon             *UIFavicon `yaml:"favicon"`
	Buttons             []UIButton `yaml:"buttons"`
	CustomCSS           string     `yaml:"custom-css"`
	DarkMode            *bool      `yaml:"dark-mode"`
	DefaultSortBy       string     `yaml:"default-sort-by"`   // name, group or health
	DefaultFilterBy     string     `yaml:"default-filter-by"` // none, failing or unstable
	LoginSubtitle       string     `yaml:"login-subtitle"`
}

// UIFavicon are the favicon URLs of the UI.
type UIFavicon struct {
	Default   string `yaml:"default"`
	Size16x16 string `yaml:"size16x16"`
	Size32x32 string `yaml:"size32x32"`
}

// UIButton is a link shown below the header.
type UIButton struct {
	Name string `yaml:"name"`
	Link string `yaml:"link"`
}
