package config

import (
	"crypto/tls"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"
)

// Defaults of custodes' own settings.
const (
	DefaultDataDir          = "./data"
	DefaultSQLiteFile       = "custodes.db" // inside the data dir
	DefaultResultsRetention = 7 * 24 * time.Hour
	DefaultRollupsRetention = 90 * 24 * time.Hour
	DefaultMaxResults       = 100
	DefaultMaxEvents        = 50
	DefaultWebAddress       = "0.0.0.0"
	DefaultWebPort          = 8080
	DefaultReadBufferSize   = 8192
	minReadBufferSize       = 4096
	minClusterSecret        = 16
)

// section decodes the top-level section n (possibly nil) into out.
func (l *loader) section(n *yaml.Node, path string, out any) *tree {
	if isNull(n) {
		return &tree{p: &l.problems, path: path, pos: map[string]*yaml.Node{}, bad: map[string]bool{}}
	}
	t := l.decode(n, path, out)
	if k := l.topKeys[path]; k != nil {
		t.pos[path] = k // report the section itself at its key's line
	}
	return t
}

var nodeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func (l *loader) node(n *yaml.Node) Node {
	var raw struct {
		ID      string            `yaml:"id"`
		DataDir string            `yaml:"data-dir"`
		Labels  map[string]string `yaml:"labels"`
		Source  string            `yaml:"source-address"`
	}
	t := l.section(n, "node", &raw)
	out := Node{ID: raw.ID, DataDir: raw.DataDir, Labels: raw.Labels, SourceAddress: raw.Source}
	if out.SourceAddress != "" && net.ParseIP(out.SourceAddress) == nil {
		t.errorf("node.source-address", "%q is not an IP address", out.SourceAddress)
	}
	if out.DataDir == "" {
		out.DataDir = DefaultDataDir
	}
	if out.ID == "" {
		host, err := os.Hostname()
		if err != nil || !nodeID.MatchString(host) {
			t.errorf("node.id", "is not set and the hostname cannot serve as one: set node.id")
			return out
		}
		out.ID = host
	} else if !nodeID.MatchString(out.ID) {
		t.errorf("node.id", "invalid node id %q: use up to 128 letters, digits, '.', '_' or '-'", out.ID)
	}
	checkLabels(t, out.Labels, "node.labels")
	return out
}

func (l *loader) storage(n *yaml.Node, dataDir string) Storage {
	var raw struct {
		Type       string `yaml:"type"`
		Path       string `yaml:"path"`
		Caching    bool   `yaml:"caching"`
		MaxResults int    `yaml:"maximum-number-of-results"`
		MaxEvents  int    `yaml:"maximum-number-of-events"`
		Retention  struct {
			Results *time.Duration `yaml:"results"`
			Rollups *time.Duration `yaml:"rollups"`
		} `yaml:"retention"`
	}
	t := l.section(n, "storage", &raw)
	out := Storage{
		Type:                   StorageSQLite,
		Path:                   raw.Path,
		Caching:                raw.Caching,
		MaximumNumberOfResults: raw.MaxResults,
		MaximumNumberOfEvents:  raw.MaxEvents,
		Retention:              Retention{Results: DefaultResultsRetention, Rollups: DefaultRollupsRetention},
	}
	switch raw.Type {
	case "", StorageSQLite:
	case StorageMemory:
		out.Type = StorageMemory
		if raw.Path != "" {
			t.errorf("storage.path", "memory storage does not persist anything: remove path, or use type sqlite")
		}
	case "postgres":
		if raw.Path == "" {
			t.errorf("storage.path", "is required for postgres storage (the connection URL)")
		}
		out.Path = ""
		t.warnf("storage.type", "postgres storage is not supported yet: custodes keeps history in SQLite under node.data-dir until it is")
	default:
		t.errorf("storage.type", "unknown storage type %q: use sqlite, memory or postgres", raw.Type)
	}
	if out.Type == StorageSQLite && out.Path == "" {
		out.Path = filepath.Join(dataDir, DefaultSQLiteFile)
	}
	out.MaximumNumberOfResults = positiveOr(t, "storage.maximum-number-of-results", raw.MaxResults, DefaultMaxResults)
	out.MaximumNumberOfEvents = positiveOr(t, "storage.maximum-number-of-events", raw.MaxEvents, DefaultMaxEvents)
	if d := raw.Retention.Results; d != nil {
		out.Retention.Results = *d
		if *d <= 0 {
			t.errorf("storage.retention.results", "must be positive, got %s", *d)
		}
	}
	if d := raw.Retention.Rollups; d != nil {
		out.Retention.Rollups = *d
		if *d <= 0 {
			t.errorf("storage.retention.rollups", "must be positive, got %s", *d)
		}
	}
	return out
}

// positiveOr returns v, or def when v is 0 (Gatus's "not set"); a negative
// v is an error.
func positiveOr(t *tree, path string, v, def int) int {
	switch {
	case v < 0:
		t.errorf(path, "must not be negative, got %d", v)
	case v == 0:
		return def
	}
	return v
}

func (l *loader) web(n *yaml.Node) Web {
	var raw struct {
		Address        string `yaml:"address"`
		Port           int    `yaml:"port"`
		ReadBufferSize int    `yaml:"read-buffer-size"`
		TLS            *struct {
			CertificateFile string `yaml:"certificate-file"`
			PrivateKeyFile  string `yaml:"private-key-file"`
		} `yaml:"tls"`
	}
	t := l.section(n, "web", &raw)
	out := Web{Address: strings.TrimSuffix(strings.TrimPrefix(raw.Address, "["), "]"), Port: raw.Port, ReadBufferSize: raw.ReadBufferSize}
	if out.Address == "" {
		out.Address = DefaultWebAddress
	} else if strings.ContainsAny(out.Address, " /") || strings.Contains(out.Address, ":") && net.ParseIP(out.Address) == nil {
		t.errorf("web.address", "invalid address %q: want an IP address or a host name, without the port", raw.Address)
	}
	switch {
	case out.Port == 0:
		out.Port = DefaultWebPort
	case out.Port < 0 || out.Port > 65535:
		t.errorf("web.port", "must be between 1 and 65535, got %d", out.Port)
	}
	switch {
	case out.ReadBufferSize < 0:
		t.errorf("web.read-buffer-size", "must not be negative, got %d", out.ReadBufferSize)
	case out.ReadBufferSize == 0:
		out.ReadBufferSize = DefaultReadBufferSize
	case out.ReadBufferSize < minReadBufferSize:
		t.warnf("web.read-buffer-size", "%d is below the minimum: %d is used", out.ReadBufferSize, minReadBufferSize)
		out.ReadBufferSize = minReadBufferSize
	}
	if raw.TLS != nil {
		out.TLS = &WebTLS{CertificateFile: raw.TLS.CertificateFile, PrivateKeyFile: raw.TLS.PrivateKeyFile}
		if out.TLS.CertificateFile == "" || out.TLS.PrivateKeyFile == "" {
			t.errorf("web.tls", "certificate-file and private-key-file must both be set")
		} else if _, err := tls.LoadX509KeyPair(out.TLS.CertificateFile, out.TLS.PrivateKeyFile); err != nil {
			t.errorf("web.tls", "cannot load the certificate and key: %v", err)
		}
	}
	return out
}

func (l *loader) security(n *yaml.Node) *Security {
	if isNull(n) {
		return nil
	}
	var raw struct {
		Basic *struct {
			Username string `yaml:"username"`
			Password string `yaml:"password-bcrypt-base64"`
		} `yaml:"basic"`
		OIDC       *yaml.Node `yaml:"oidc"`
		AdminToken string     `yaml:"admin-token"`
	}
	t := l.section(n, "security", &raw)
	out := &Security{AdminToken: raw.AdminToken}
	if raw.AdminToken != "" && len(raw.AdminToken) < minAdminToken {
		t.errorf("security.admin-token", "must be at least %d characters, got %d", minAdminToken, len(raw.AdminToken))
	}
	if t.has("security.oidc") {
		t.warnf("security.oidc", "OIDC is not supported by custodes yet and is ignored: access is NOT restricted by it")
	}
	if raw.Basic == nil {
		if !t.has("security.oidc") && raw.AdminToken == "" {
			t.errorf("security", "configure basic (username and password-bcrypt-base64) or admin-token")
		}
		return out
	}
	out.Basic = &BasicAuth{Username: raw.Basic.Username}
	if raw.Basic.Username == "" {
		t.errorf("security.basic.username", "is required")
	}
	if raw.Basic.Password == "" {
		t.errorf("security.basic.password-bcrypt-base64", "is required (a bcrypt hash, base64-encoded)")
		return out
	}
	hash, ok := decodeBase64(raw.Basic.Password)
	if !ok {
		t.errorf("security.basic.password-bcrypt-base64", "is not valid base64")
		return out
	}
	if _, err := bcrypt.Cost(hash); err != nil {
		t.errorf("security.basic.password-bcrypt-base64", "is not a base64-encoded bcrypt hash: %v", err)
		return out
	}
	out.Basic.PasswordHash = hash
	return out
}

// decodeBase64 accepts the URL alphabet Gatus decodes with, and the standard
// one, padded or not.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.URLEncoding, base64.StdEncoding, base64.RawURLEncoding, base64.RawStdEncoding} {
		if b, err := enc.DecodeString(strings.TrimSpace(s)); err == nil {
			return b, true
		}
	}
	return nil, false
}

func (l *loader) concurrency(n *yaml.Node) Concurrency {
	if isNull(n) {
		return Concurrency{Value: DefaultConcurrency}
	}
	var v int
	t := l.section(n, "concurrency", &v)
	if v < 0 {
		t.errorf("concurrency", "must be 0 (unlimited) or more, got %d", v)
	}
	return Concurrency{Value: v, Set: true}
}

func (l *loader) boolean(n *yaml.Node, path string) bool {
	var b bool
	l.section(n, path, &b)
	return b
}

func (l *loader) ui(n *yaml.Node) *UI {
	if isNull(n) {
		return nil
	}
	out := &UI{}
	t := l.section(n, "ui", out)
	t.warnf("ui", "not acted on: custodes has no web UI yet")
	switch out.DefaultSortBy {
	case "", "name", "group", "health":
	default:
		t.errorf("ui.default-sort-by", "invalid value %q: use name, group or health", out.DefaultSortBy)
	}
	switch out.DefaultFilterBy {
	case "", "none", "failing", "unstable":
	default:
		t.errorf("ui.default-filter-by", "invalid value %q: use none, failing or unstable", out.DefaultFilterBy)
	}
	for i, b := range out.Buttons {
		if b.Name == "" || b.Link == "" {
			t.errorf(index("ui.buttons", i), "a button needs both name and link")
		}
	}
	return out
}
