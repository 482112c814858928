package config

import (
	"encoding/base64"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/crypto/bcrypt"

	"github.com/custodes/custodes/internal/monitor"
)

func TestDefaults(t *testing.T) {
	cfg, warns := mustLoad(t, "# nothing but a comment\n")
	host, err := os.Hostname()
	if err != nil {
		t.Fatal("no hostname on this machine:", err)
	}
	want := &Config{
		Files:       cfg.Files,
		Fingerprint: cfg.Fingerprint,
		Storage: Storage{
			Type: StorageSQLite, Path: "data/custodes.db", MaximumNumberOfResults: 100, MaximumNumberOfEvents: 50,
			Retention: Retention{Results: 7 * 24 * time.Hour, Rollups: 90 * 24 * time.Hour},
		},
		Web:         Web{Address: "0.0.0.0", Port: 8080, ReadBufferSize: 8192},
		Concurrency: Concurrency{Value: 3},
		Node:        Node{ID: host, DataDir: "./data"},
		Cluster:     Cluster{FallbackAfter: 30 * time.Second, NotifierDownAfter: 10 * time.Minute},
		Warnings:    cfg.Warnings,
	}
	if diff := cmp.Diff(want, cfg, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if len(cfg.Fingerprint) != 64 {
		t.Errorf("fingerprint %q is not hex SHA-256", cfg.Fingerprint)
	}
	if len(warns) != 1 {
		t.Errorf("warnings %q, want the no-monitors one", warns)
	}
}

func TestStorage(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       Storage
		warns      []string
	}{
		{"sqlite", "storage:\n  type: sqlite\n  path: /var/lib/custodes/h.db\n  caching: true\n  maximum-number-of-results: 200\n  maximum-number-of-events: 5\n  retention:\n    results: 14d\n    rollups: 365d\n",
			Storage{Type: StorageSQLite, Path: "/var/lib/custodes/h.db", Caching: true, MaximumNumberOfResults: 200, MaximumNumberOfEvents: 5,
				Retention: Retention{Results: 14 * 24 * time.Hour, Rollups: 365 * 24 * time.Hour}}, nil},
		{"memory", "storage:\n  type: memory\n",
			Storage{Type: StorageMemory, MaximumNumberOfResults: 100, MaximumNumberOfEvents: 50,
				Retention: Retention{Results: 7 * 24 * time.Hour, Rollups: 90 * 24 * time.Hour}}, nil},
		{"postgres", "node:\n  data-dir: /srv/c\nstorage:\n  type: postgres\n  path: postgres://u:p@127.0.0.1/gatus\n",
			Storage{Type: StorageSQLite, Path: "/srv/c/custodes.db", MaximumNumberOfResults: 100, MaximumNumberOfEvents: 50,
				Retention: Retention{Results: 7 * 24 * time.Hour, Rollups: 90 * 24 * time.Hour}},
			[]string{"custodes.yaml:4: storage.type: postgres storage is not supported yet: custodes keeps history in SQLite under node.data-dir until it is"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, warns := mustLoad(t, tc.yaml)
			if diff := cmp.Diff(tc.want, cfg.Storage); diff != "" {
				t.Errorf("storage (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.warns, warns[1:], cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWeb(t *testing.T) {
	cfg, warns := mustLoad(t, "web:\n  address: \"[::1]\"\n  port: 9090\n  read-buffer-size: 1024\n")
	want := Web{Address: "::1", Port: 9090, ReadBufferSize: 4096}
	if diff := cmp.Diff(want, cfg.Web); diff != "" {
		t.Errorf("web (-want +got):\n%s", diff)
	}
	if got := cfg.Web.ListenAddress(); got != "[::1]:9090" {
		t.Errorf("ListenAddress %q", got)
	}
	if diff := cmp.Diff([]string{"custodes.yaml:4: web.read-buffer-size: 1024 is below the minimum: 4096 is used"}, warns[1:]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	cert, key := writeKeyPair(t, t.TempDir())
	cfg, _ = mustLoad(t, "web:\n  port: 4443\n  tls:\n    certificate-file: "+cert+"\n    private-key-file: "+key+"\n")
	if diff := cmp.Diff(&WebTLS{CertificateFile: cert, PrivateKeyFile: key}, cfg.Web.TLS); diff != "" {
		t.Errorf("tls (-want +got):\n%s", diff)
	}
}

func TestSecurity(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.StdEncoding} {
		cfg, _ := mustLoad(t, "security:\n  basic:\n    username: john.doe\n    password-bcrypt-base64: "+enc.EncodeToString(hash)+"\n")
		want := &Security{Basic: &BasicAuth{Username: "john.doe", PasswordHash: hash}}
		if diff := cmp.Diff(want, cfg.Security); diff != "" {
			t.Errorf("security (-want +got):\n%s", diff)
		}
	}
	cfg, warns := mustLoad(t, "security:\n  oidc:\n    issuer-url: https://example.okta.com\n")
	if diff := cmp.Diff(&Security{}, cfg.Security); diff != "" {
		t.Errorf("security (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"custodes.yaml:2: security.oidc: OIDC is not supported by custodes yet and is ignored: access is NOT restricted by it"}, warns[1:]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestConcurrency(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want Concurrency
	}{
		{"metrics: true\n", Concurrency{Value: 3}},
		{"concurrency: 0\n", Concurrency{Value: 0, Set: true}},
		{"concurrency: 10\n", Concurrency{Value: 10, Set: true}},
		{"concurrency:\n", Concurrency{Value: 3}},
	} {
		cfg, _ := mustLoad(t, tc.yaml)
		if cfg.Concurrency != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.yaml, cfg.Concurrency, tc.want)
		}
	}
}

func TestNodeAndCluster(t *testing.T) {
	cfg, warns := mustLoad(t, `node:
  id: n1.eu
  data-dir: /var/lib/custodes
  labels: {region: eu, env: alpha}
cluster:
  mode: embedded
  bind: 10.0.0.1:7380
  gossip-bind: ":7946"
  advertise: 10.0.0.1:7380
  gossip-advertise: 10.0.0.1:7946
  join: [10.0.0.2, "10.0.0.3:7946", node4.example]
  bootstrap-expect: 3
  secret: 0123456789abcdef
  voters: 5
  fallback-after: 45s
  heartbeat-url: https://hc-ping.com/uuid
  notify: [pagerduty, slack]
  notifier-down-after: 3m
`)
	if diff := cmp.Diff(Node{ID: "n1.eu", DataDir: "/var/lib/custodes", Labels: map[string]string{"region": "eu", "env": "alpha"}}, cfg.Node); diff != "" {
		t.Errorf("node (-want +got):\n%s", diff)
	}
	want := Cluster{
		Mode: "embedded", Bind: "10.0.0.1:7380", GossipBind: ":7946", Advertise: "10.0.0.1:7380", GossipAdvertise: "10.0.0.1:7946",
		Join: []string{"10.0.0.2", "10.0.0.3:7946", "node4.example"}, BootstrapExpect: 3, Secret: "0123456789abcdef", Voters: 5,
		FallbackAfter: 45 * time.Second, HeartbeatURL: "https://hc-ping.com/uuid", HeartbeatInterval: time.Minute,
		Notify: []string{"pagerduty", "slack"}, NotifierDownAfter: 3 * time.Minute,
	}
	if diff := cmp.Diff(want, cfg.Cluster); diff != "" {
		t.Errorf("cluster (-want +got):\n%s", diff)
	}
	if len(warns) != 1 {
		t.Errorf("warnings: %q", warns)
	}

	cfg, _ = mustLoad(t, "cluster:\n  mode: embedded\n  secret: a-long-enough-secret\n  bootstrap-expect: 3\n")
	want = Cluster{Mode: "embedded", Bind: DefaultClusterBind, GossipBind: DefaultGossipBind, BootstrapExpect: 3, Voters: 3,
		Secret: "a-long-enough-secret", FallbackAfter: DefaultFallbackAfter, NotifierDownAfter: DefaultNotifierDownAfter}
	if diff := cmp.Diff(want, cfg.Cluster); diff != "" {
		t.Errorf("cluster defaults (-want +got):\n%s", diff)
	}

	_, warns = mustLoad(t, "cluster:\n  join: [a]\n  voters: 4\n  heartbeat-interval: 5m\n")
	wantWarns := []string{
		"custodes.yaml:2: cluster.join: ignored: cluster.mode is not set, so this node runs alone (set mode: embedded to form a cluster)",
		"custodes.yaml:3: cluster.voters: ignored: cluster.mode is not set, so this node runs alone (set mode: embedded to form a cluster)",
		"custodes.yaml:4: cluster.heartbeat-interval: ignored: no heartbeat-url is set",
	}
	if diff := cmp.Diff(wantWarns, warns[1:]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	_, warns = mustLoad(t, "cluster:\n  mode: embedded\n  secret: a-long-enough-secret\n  voters: 4\n")
	if diff := cmp.Diff([]string{"custodes.yaml:4: cluster.voters: 4 voters tolerate no more failures than 3: an odd number is recommended"}, warns[1:]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestUIKeptAsParsed(t *testing.T) {
	cfg, warns := mustLoad(t, `ui:
  title: Status
  header: Acme
  dark-mode: false
  default-sort-by: group
  favicon: {default: /f.ico}
  buttons:
    - name: Home
      link: https://example.org
`)
	f := false
	want := &UI{Title: "Status", Header: "Acme", DarkMode: &f, DefaultSortBy: "group", Favicon: &UIFavicon{Default: "/f.ico"},
		Buttons: []UIButton{{Name: "Home", Link: "https://example.org"}}}
	if diff := cmp.Diff(want, cfg.UI); diff != "" {
		t.Errorf("ui (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"custodes.yaml:1: ui: not acted on: custodes has no web UI yet"}, warns[1:]); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestGlobalMaintenance(t *testing.T) {
	cfg, _ := mustLoad(t, "maintenance:\n  start: 23:00\n  duration: 1h\n  timezone: Europe/Amsterdam\n  every: [Monday, Thursday]\n")
	want := &monitor.MaintenanceWindow{Enabled: true, Start: "23:00", Duration: time.Hour, Timezone: "Europe/Amsterdam", Every: []time.Weekday{time.Monday, time.Thursday}}
	if diff := cmp.Diff(want, cfg.Maintenance); diff != "" {
		t.Errorf("maintenance (-want +got):\n%s", diff)
	}
	// Gatus's own default: a disabled window needs nothing else.
	cfg, _ = mustLoad(t, "maintenance:\n  enabled: false\n")
	if diff := cmp.Diff(&monitor.MaintenanceWindow{Timezone: "UTC"}, cfg.Maintenance); diff != "" {
		t.Errorf("disabled maintenance (-want +got):\n%s", diff)
	}
}

func TestTopLevelKeys(t *testing.T) {
	cfg, warns := mustLoad(t, `metrics: true
skip-invalid-config-update: yes
disable-monitoring-lock: true
debug: true
connectivity:
  checker: {target: 1.1.1.1:53, interval: 60s}
announcements:
  - timestamp: 2025-11-07T14:00:00Z
    message: hello
remote:
  instances: [{url: "https://status.example.org/api/v1/endpoints/statuses"}]
tunneling:
  prod: {type: SSH, host: jump.example.org, username: m}
suites:
  - name: s
    endpoints: []
x-defaults: &d {group: core}
`)
	if !cfg.Metrics || !cfg.SkipInvalidConfigUpdate {
		t.Errorf("metrics %v, skip-invalid-config-update %v: want both true", cfg.Metrics, cfg.SkipInvalidConfigUpdate)
	}
	want := []string{
		"custodes.yaml: no endpoints, external-endpoints or push-endpoints defined; monitors can still be added through the API",
		"custodes.yaml:3: disable-monitoring-lock: deprecated in Gatus and not acted on: set concurrency: 0 for unlimited concurrency",
		"custodes.yaml:4: debug: deprecated in Gatus and not acted on: set the log level on the command line instead",
		"custodes.yaml:5: connectivity: not acted on: custodes does not check its own connectivity yet; confirmation from several nodes plays that role in a cluster (its contents are not checked)",
		"custodes.yaml:7: announcements: not acted on: custodes has no status page announcements yet (its contents are not checked)",
		"custodes.yaml:10: remote: not acted on: custodes does not read remote Gatus instances (its contents are not checked)",
		"custodes.yaml:12: tunneling: not acted on: custodes has no SSH tunnels (its contents are not checked)",
		"custodes.yaml:14: suites: not acted on: custodes does not run suites: their endpoints are not monitored (its contents are not checked)",
		"custodes.yaml:17: x-defaults: not a config key: accepted only because it defines the YAML anchor &d",
	}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	_, warns = mustLoad(t, "disable-monitoring-lock: false\ndebug: false\n")
	if len(warns) != 1 {
		t.Errorf("false deprecated flags warn: %q", warns)
	}
}

var sectionErrorCases = []struct {
	name string
	yaml string
	want []string
}{
	{"unknown top-level keys", "endpoint:\n  - name: x\nfrobnicate: 1\nendpointz: &x []\n", []string{
		`custodes.yaml:1: endpoint: unknown key (did you mean "endpoints"?)`,
		"custodes.yaml:3: frobnicate: unknown key",
		`custodes.yaml:4: endpointz: unknown key (did you mean "endpoints"?)`,
	}},
	{"top-level types", "metrics: sure\nconcurrency: -1\nskip-invalid-config-update: [x]\nstorage: sqlite\n", []string{
		`custodes.yaml:1: metrics: invalid boolean "sure" (use true or false)`,
		"custodes.yaml:2: concurrency: must be 0 (unlimited) or more, got -1",
		"custodes.yaml:3: skip-invalid-config-update: expected a boolean, got a list",
		`custodes.yaml:4: storage: expected a mapping, got "sqlite"`,
	}},
	{"storage", "storage:\n  type: memory\n  path: x.db\n  maximum-number-of-results: -1\n  retention:\n    results: 0s\n    rollups: 1y\n", []string{
		"custodes.yaml:3: storage.path: memory storage does not persist anything: remove path, or use type sqlite",
		"custodes.yaml:4: storage.maximum-number-of-results: must not be negative, got -1",
		"custodes.yaml:6: storage.retention.results: must be positive, got 0s",
		`custodes.yaml:7: storage.retention.rollups: invalid duration "1y"`,
	}},
	{"storage types", "storage:\n  type: mysql\n", []string{
		`custodes.yaml:2: storage.type: unknown storage type "mysql": use sqlite, memory or postgres`,
	}},
	{"postgres without url", "storage:\n  type: postgres\n", []string{
		"custodes.yaml:1: storage.path: is required for postgres storage (the connection URL)",
	}},
	{"web", "web:\n  address: http://x\n  port: 70000\n  read-buffer-size: -5\n  tls:\n    certificate-file: c.pem\n", []string{
		`custodes.yaml:2: web.address: invalid address "http://x": want an IP address or a host name, without the port`,
		"custodes.yaml:3: web.port: must be between 1 and 65535, got 70000",
		"custodes.yaml:4: web.read-buffer-size: must not be negative, got -5",
		"custodes.yaml:5: web.tls: certificate-file and private-key-file must both be set",
	}},
	{"security", "security: {}\n", []string{
		"custodes.yaml:1: security: configure basic (username and password-bcrypt-base64) or admin-token",
	}},
	{"security basic", "security:\n  basic:\n    password-bcrypt-base64: '%%%'\n", []string{
		"custodes.yaml:2: security.basic.username: is required",
		"custodes.yaml:3: security.basic.password-bcrypt-base64: is not valid base64",
	}},
	{"security not bcrypt", "security:\n  basic:\n    username: u\n    password-bcrypt-base64: " + base64.URLEncoding.EncodeToString([]byte("hunter2")) + "\n", []string{
		"custodes.yaml:4: security.basic.password-bcrypt-base64: is not a base64-encoded bcrypt hash: crypto/bcrypt: hashedSecret too short to be a bcrypted password",
	}},
	{"node", "node:\n  id: bad id\n  labels: {\"a b\": c}\n  extra: 1\n", []string{
		`custodes.yaml:2: node.id: invalid node id "bad id": use up to 128 letters, digits, '.', '_' or '-'`,
		`custodes.yaml:3: node.labels.a b: invalid label name "a b": use letters, digits, '_', '.', '/' and '-' (at most 63)`,
		"custodes.yaml:4: node.extra: unknown key",
	}},
	{"cluster mode", "cluster:\n  mode: raft\n  labels: {a: b}\n", []string{
		`custodes.yaml:2: cluster.mode: unknown mode "raft": use embedded or postgres, or leave it out for a single node`,
		"custodes.yaml:3: cluster.labels: unknown key",
	}},
	{"cluster embedded", `cluster:
  mode: embedded
  secret: short
  bind: 10.0.0.1
  gossip-bind: 10.0.0.1:99999
  advertise: 0.0.0.0:7380
  gossip-advertise: ":7946"
  join: ["", "a b", "h:0"]
  bootstrap-expect: 5
  voters: 3
  fallback-after: 0s
  heartbeat-url: ftp://x
  heartbeat-interval: -1m
`, []string{
		"custodes.yaml:3: cluster.secret: must be at least 16 bytes, got 5",
		`custodes.yaml:4: cluster.bind: invalid address "10.0.0.1": want host:port`,
		`custodes.yaml:5: cluster.gossip-bind: invalid address "10.0.0.1:99999": port must be between 1 and 65535`,
		`custodes.yaml:6: cluster.advertise: invalid address "0.0.0.0:7380": peers cannot dial an unspecified address; use this node's reachable address`,
		`custodes.yaml:7: cluster.gossip-advertise: invalid address ":7946": the host is missing`,
		`custodes.yaml:8: cluster.join[0]: invalid address "": want host or host:port`,
		`custodes.yaml:8: cluster.join[1]: invalid address "a b": want host or host:port`,
		`custodes.yaml:8: cluster.join[2]: invalid address "h:0": port must be between 1 and 65535`,
		"custodes.yaml:10: cluster.voters: must be at least bootstrap-expect (5), got 3",
		"custodes.yaml:11: cluster.fallback-after: must be positive, got 0s",
		"custodes.yaml:12: cluster.heartbeat-url: invalid URL: the scheme must be http or https",
		"custodes.yaml:13: cluster.heartbeat-interval: must be positive, got -1m0s",
	}},
	{"cluster secret and binds", "cluster:\n  mode: embedded\n  bind: 0.0.0.0:7000\n  gossip-bind: 0.0.0.0:7000\n  bootstrap-expect: -1\n", []string{
		"custodes.yaml:1: cluster.secret: is required in embedded mode (at least 16 bytes, the same on every node)",
		"custodes.yaml:4: cluster.gossip-bind: must differ from cluster.bind (0.0.0.0:7000)",
		"custodes.yaml:5: cluster.bootstrap-expect: must not be negative, got -1",
	}},
	{"ui", "ui:\n  default-sort-by: size\n  default-filter-by: all\n  buttons: [{name: x}]\n  colour: red\n", []string{
		`custodes.yaml:2: ui.default-sort-by: invalid value "size": use name, group or health`,
		`custodes.yaml:3: ui.default-filter-by: invalid value "all": use none, failing or unstable`,
		"custodes.yaml:4: ui.buttons[0]: a button needs both name and link",
		"custodes.yaml:5: ui.colour: unknown key",
	}},
	{"maintenance", "maintenance:\n  start: 23:00\n  duration: 1h\n  every: Monday\n", []string{
		`custodes.yaml:4: maintenance.every: expected a list, got "Monday"`,
	}},
}

func TestSectionErrors(t *testing.T) {
	for _, tc := range sectionErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, loadErrors(t, tc.yaml, noEnv)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdminToken(t *testing.T) {
	cfg, _ := mustLoad(t, "security:\n  admin-token: 0123456789abcdef0123\n")
	if cfg.Security == nil || cfg.Security.AdminToken != "0123456789abcdef0123" || cfg.Security.Basic != nil {
		t.Fatalf("security %+v", cfg.Security)
	}
	got := loadErrors(t, "security:\n  admin-token: short\n", noEnv)
	if want := []string{"custodes.yaml:2: security.admin-token: must be at least 16 characters, got 5"}; !cmp.Equal(got, want) {
		t.Fatalf("short token: %q, want %q", got, want)
	}
}

func TestNodeSourceAddress(t *testing.T) {
	cfg, _ := mustLoad(t, "node:\n  id: n1\n  source-address: 127.0.0.2\n")
	if cfg.Node.SourceAddress != "127.0.0.2" {
		t.Fatalf("source address %q", cfg.Node.SourceAddress)
	}
	got := loadErrors(t, "node:\n  id: n1\n  source-address: eth0\n", noEnv)
	if want := []string{`custodes.yaml:3: node.source-address: "eth0" is not an IP address`}; !cmp.Equal(got, want) {
		t.Fatalf("errors %q, want %q", got, want)
	}
}
