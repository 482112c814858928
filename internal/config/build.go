package config

import (
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/monitor"
)

// loader holds the state of one Load.
type loader struct {
	problems
	env      func(string) (string, bool)
	sections map[string]*Section       // alerting sections by provider
	defaults map[string]*alertSettings // default-alert by provider
	keys     map[string]string         // monitor key -> "file:line" of its definition
	tokens   map[string]string         // push token -> "file:line"
	topKeys  map[string]*yaml.Node     // top-level key -> its first key node
}

func newLoader(env func(string) (string, bool)) *loader {
	return &loader{
		problems: problems{files: map[*yaml.Node]string{}},
		env:      env,
		defaults: map[string]*alertSettings{},
		keys:     map[string]string{},
		tokens:   map[string]string{},
		topKeys:  map[string]*yaml.Node{},
	}
}

// topLevelKeys are every key the config may have at its top level: Gatus's
// (as of v5) and custodes' own (node, cluster, push-endpoints).
var topLevelKeys = []string{
	"endpoints", "external-endpoints", "push-endpoints",
	"alerting", "maintenance", "storage", "web", "metrics", "ui", "security",
	"concurrency", "skip-invalid-config-update", "disable-monitoring-lock", "debug",
	"connectivity", "announcements", "remote", "tunneling", "suites",
	"node", "cluster",
}

// notActedOn are Gatus sections custodes accepts but does not act on yet.
var notActedOn = []struct{ key, why string }{
	{"connectivity", "custodes does not check its own connectivity yet; confirmation from several nodes plays that role in a cluster"},
	{"announcements", "custodes has no status page announcements yet"},
	{"remote", "custodes does not read remote Gatus instances"},
	{"tunneling", "custodes has no SSH tunnels"},
	{"suites", "custodes does not run suites: their endpoints are not monitored"},
}

// build decodes the parsed files into cfg.
func (l *loader) build(cfg *Config, roots []*yaml.Node) {
	occ := map[string][]occurrence{}
	for _, root := range roots {
		for _, e := range l.entries(root, "") {
			if !slices.Contains(topLevelKeys, e.key) {
				l.unknownTopLevel(e)
				continue
			}
			occ[e.key] = append(occ[e.key], occurrence{file: l.fileOf(e.k), k: e.k, v: e.v})
			if _, ok := l.topKeys[e.key]; !ok {
				l.topKeys[e.key] = e.k
			}
		}
	}
	merged := func(key string) *yaml.Node { return l.mergeOccurrences(key, occ[key]) }

	cfg.Node = l.node(merged("node"))
	cfg.Alerting = l.alerting(merged("alerting"))
	l.sections = cfg.Alerting
	cfg.Maintenance = l.globalMaintenance(merged("maintenance"))
	cfg.Storage = l.storage(merged("storage"), cfg.Node.DataDir)
	cfg.Web = l.web(merged("web"))
	cfg.Metrics = l.boolean(merged("metrics"), "metrics")
	cfg.UI = l.ui(merged("ui"))
	cfg.Security = l.security(merged("security"))
	cfg.Concurrency = l.concurrency(merged("concurrency"))
	cfg.SkipInvalidConfigUpdate = l.boolean(merged("skip-invalid-config-update"), "skip-invalid-config-update")
	cfg.Cluster = l.cluster(merged("cluster"))
	if n := merged("disable-monitoring-lock"); l.boolean(n, "disable-monitoring-lock") {
		l.warnAt(occ["disable-monitoring-lock"][0].k, "disable-monitoring-lock", "deprecated in Gatus and not acted on: set concurrency: 0 for unlimited concurrency")
	}
	if n := merged("debug"); l.boolean(n, "debug") {
		l.warnAt(occ["debug"][0].k, "debug", "deprecated in Gatus and not acted on: set the log level on the command line instead")
	}
	for _, s := range notActedOn {
		if o := occ[s.key]; len(o) > 0 && merged(s.key) != nil {
			l.warnAt(o[0].k, s.key, "not acted on: %s (its contents are not checked)", s.why)
		}
	}

	l.monitors(cfg, occ["endpoints"], "endpoints", l.endpoint)
	l.monitors(cfg, occ["external-endpoints"], "external-endpoints", l.external)
	l.monitors(cfg, occ["push-endpoints"], "push-endpoints", l.push)
}

// monitors reads the list under key in each file that defines it; item
// indices in paths count within each file.
func (l *loader) monitors(cfg *Config, occs []occurrence, key string, read func(*yaml.Node, string) *monitor.Spec) {
	for _, o := range occs {
		if isNull(o.v) {
			continue
		}
		list := resolve(o.v)
		if list.Kind != yaml.SequenceNode {
			l.errorAt(o.k, key, "expected a list, got %s", kindName(o.v))
			continue
		}
		for i, item := range list.Content {
			if !l.visit(item, key) {
				return
			}
			if spec := read(item, index(key, i)); spec != nil {
				cfg.Monitors = append(cfg.Monitors, spec)
			}
		}
	}
}

// unknownTopLevel reports a top-level key that is not part of the format.
// One that only defines a YAML anchor for later use (Gatus's README shows
// "default-endpoint: &defaults") is accepted with a warning, unless its
// name is close to a real key, which is more likely a typo.
func (l *loader) unknownTopLevel(e entry) {
	hint := suggest(e.key, topLevelKeys)
	if e.v.Anchor != "" && hint == "" {
		l.warnAt(e.k, e.key, "not a config key: accepted only because it defines the YAML anchor &%s", e.v.Anchor)
		return
	}
	l.errorAt(e.k, e.key, "unknown key%s", hint)
}
