package config

import (
	"net"
	"time"

	"go.yaml.in/yaml/v3"
)

// cluster reads custodes' cluster section. It is validated now and acted on
// by the cluster packages.
func (l *loader) cluster(n *yaml.Node) Cluster {
	var raw struct {
		Mode              string         `yaml:"mode"`
		Bind              string         `yaml:"bind"`
		GossipBind        string         `yaml:"gossip-bind"`
		Advertise         string         `yaml:"advertise"`
		GossipAdvertise   string         `yaml:"gossip-advertise"`
		Join              []string       `yaml:"join"`
		BootstrapExpect   int            `yaml:"bootstrap-expect"`
		Secret            string         `yaml:"secret"`
		Voters            *int           `yaml:"voters"`
		FallbackAfter     *time.Duration `yaml:"fallback-after"`
		HeartbeatURL      string         `yaml:"heartbeat-url"`
		HeartbeatInterval *time.Duration `yaml:"heartbeat-interval"`
		Notify            []string       `yaml:"notify"`
		NotifierDownAfter *time.Duration `yaml:"notifier-down-after"`
	}
	t := l.section(n, "cluster", &raw)
	out := Cluster{
		Mode:            raw.Mode,
		Bind:            raw.Bind,
		GossipBind:      raw.GossipBind,
		Advertise:       raw.Advertise,
		GossipAdvertise: raw.GossipAdvertise,
		Join:            raw.Join,
		BootstrapExpect: raw.BootstrapExpect,
		Secret:          raw.Secret,
		Voters:          raw.BootstrapExpect,
		FallbackAfter:   DefaultFallbackAfter,
		HeartbeatURL:    raw.HeartbeatURL,
	}
	l.heartbeat(t, &out, raw.HeartbeatInterval)
	out.Notify = raw.Notify
	for i, p := range raw.Notify {
		if p == "" {
			t.errorf(index("cluster.notify", i), "empty provider name")
		}
	}
	out.NotifierDownAfter = DefaultNotifierDownAfter
	if raw.NotifierDownAfter != nil {
		out.NotifierDownAfter = *raw.NotifierDownAfter
		if out.NotifierDownAfter <= 0 {
			t.errorf("cluster.notifier-down-after", "must be positive, got %s", out.NotifierDownAfter)
		}
	}
	if raw.FallbackAfter != nil {
		out.FallbackAfter = *raw.FallbackAfter
		if out.FallbackAfter <= 0 {
			t.errorf("cluster.fallback-after", "must be positive, got %s", out.FallbackAfter)
		}
	}
	switch raw.Mode {
	case ClusterSingle:
		// notify and notifier-down-after apply to a single node too.
		for _, key := range []string{"bind", "gossip-bind", "advertise", "gossip-advertise", "join", "bootstrap-expect", "secret", "voters", "fallback-after"} {
			if t.has("cluster." + key) {
				t.warnf("cluster."+key, "ignored: cluster.mode is not set, so this node runs alone (set mode: embedded to form a cluster)")
			}
		}
		return out
	case ClusterEmbedded, ClusterPostgres:
	default:
		t.errorf("cluster.mode", "unknown mode %q: use embedded or postgres, or leave it out for a single node", raw.Mode)
		return out
	}
	if raw.Mode == ClusterEmbedded {
		if out.Bind == "" {
			out.Bind = DefaultClusterBind
		}
		if out.GossipBind == "" {
			out.GossipBind = DefaultGossipBind
		}
		switch {
		case out.Secret == "":
			t.errorf("cluster.secret", "is required in embedded mode (at least %d bytes, the same on every node)", minClusterSecret)
		case len(out.Secret) < minClusterSecret:
			t.errorf("cluster.secret", "must be at least %d bytes, got %d", minClusterSecret, len(out.Secret))
		}
	}
	checkAddr(t, "cluster.bind", out.Bind, true)
	checkAddr(t, "cluster.gossip-bind", out.GossipBind, true)
	if out.Bind != "" && out.Bind == out.GossipBind {
		t.errorf("cluster.gossip-bind", "must differ from cluster.bind (%s)", out.Bind)
	}
	for _, a := range []struct{ key, v string }{{"cluster.advertise", out.Advertise}, {"cluster.gossip-advertise", out.GossipAdvertise}} {
		if a.v != "" {
			if msg := checkAdvertise(a.v); msg != "" {
				t.errorf(a.key, "%s", msg)
			}
		}
	}
	for i, addr := range out.Join {
		jp := index("cluster.join", i)
		if _, _, err := net.SplitHostPort(addr); err != nil {
			if addr == "" || !validHost(addr) {
				t.errorf(jp, "invalid address %q: want host or host:port", addr)
			}
			continue
		}
		checkAddr(t, jp, addr, false)
	}
	l.voters(t, &out, raw.Voters)
	return out
}

func (l *loader) heartbeat(t *tree, out *Cluster, interval *time.Duration) {
	if interval != nil {
		out.HeartbeatInterval = *interval
		if *interval <= 0 {
			t.errorf("cluster.heartbeat-interval", "must be positive, got %s", *interval)
		}
	}
	if out.HeartbeatURL == "" {
		if interval != nil {
			t.warnf("cluster.heartbeat-interval", "ignored: no heartbeat-url is set")
		}
		return
	}
	if msg := checkHTTPURL(out.HeartbeatURL); msg != "" {
		t.errorf("cluster.heartbeat-url", "%s", msg)
	}
	if interval == nil {
		out.HeartbeatInterval = DefaultHeartbeatInterval
	}
}

func (l *loader) voters(t *tree, out *Cluster, voters *int) {
	if out.BootstrapExpect < 0 {
		t.errorf("cluster.bootstrap-expect", "must not be negative, got %d", out.BootstrapExpect)
	}
	if voters == nil {
		return
	}
	out.Voters = *voters
	switch {
	case out.Voters < 0:
		t.errorf("cluster.voters", "must not be negative, got %d", out.Voters)
	case out.Voters > 0 && out.BootstrapExpect > out.Voters:
		t.errorf("cluster.voters", "must be at least bootstrap-expect (%d), got %d", out.BootstrapExpect, out.Voters)
	case out.Voters > 0 && out.Voters%2 == 0:
		t.warnf("cluster.voters", "%d voters tolerate no more failures than %d: an odd number is recommended", out.Voters, out.Voters-1)
	}
}

func checkAddr(t *tree, path, addr string, emptyHostOK bool) {
	if addr == "" {
		return
	}
	if msg := checkHostPort(addr, emptyHostOK); msg != "" {
		t.errorf(path, "%s", msg)
	}
}

// validHost reports whether h looks like a host name or an IP address.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return len(h) <= 253
}
