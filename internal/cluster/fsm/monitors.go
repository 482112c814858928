package fsm

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/monitor/maintenance"
	"github.com/custodes/custodes/internal/monitor/push"
)

// index is derived from the state: the monitors in force (file-declared
// ones win over API-made ones with the same key) and what the engine needs
// of each. It implements incident.Policies.
type index struct {
	specs    map[string]*monitor.Spec
	keys     []string // sorted
	policies map[string]incident.Policy
	push     map[string]push.Config
}

func (ix *index) Policy(key string) (incident.Policy, bool) {
	p, ok := ix.policies[key]
	return p, ok
}

// zones caches loaded time zones; the binary embeds tzdata, so every node
// resolves a name to the same rules.
var zones sync.Map // name -> *time.Location

func zone(name string) *time.Location {
	if name == "" || name == "UTC" {
		return time.UTC
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zones.Store(name, l)
	return l
}

func buildIndex(st *state) *index {
	ix := &index{
		specs:    map[string]*monitor.Spec{},
		policies: map[string]incident.Policy{},
		push:     map[string]push.Config{},
	}
	for k, s := range st.APIMonitors {
		ix.specs[k] = s
	}
	var global []monitor.MaintenanceWindow
	if st.Config != nil {
		for _, s := range st.Config.Monitors {
			ix.specs[s.Key] = s
		}
		if st.Config.Maintenance != nil {
			global = append(global, *st.Config.Maintenance)
		}
	}
	for k, s := range ix.specs {
		ix.keys = append(ix.keys, k)
		windows := append(slices.Clip(global), s.MaintenanceWindows...)
		pol := incident.Policy{Alerts: incident.AlertPoliciesFrom(s.Alerts)}
		// Windows were validated when the spec was declared or put; a zone
		// this binary cannot load leaves the monitor without maintenance
		// rather than halting the machine.
		if set, err := maintenance.CompileSet(windows, zone); err == nil && len(set) > 0 {
			pol.InMaintenance = set.Active
		}
		ix.policies[k] = pol
		if s.Kind == monitor.KindPush && s.Push != nil {
			if c, err := push.NewConfig(*s.Push, zone(s.Push.Timezone)); err == nil {
				ix.push[k] = c
			}
		}
	}
	sort.Strings(ix.keys)
	return ix
}

// reindex rebuilds the index after the monitor set changed and forgets
// monitors that no longer exist.
func (f *FSM) reindex(at time.Time, ch *Change) {
	old := f.index
	f.index = buildIndex(f.st)
	ch.Monitors = true
	for _, k := range old.keys {
		if _, ok := f.index.specs[k]; ok {
			continue
		}
		f.step(incident.Forget{Monitor: k}, at, ch)
		delete(f.st.Push, k)
	}
}

func (f *FSM) declareConfig(c DeclareConfig, at time.Time, ch *Change) Result {
	if c.Node == "" || c.Hash == "" {
		return Result{Err: fmt.Errorf("declare-config: node and hash are required: %w", ErrInvalid)}
	}
	if c.HashOnly {
		if f.st.Config == nil || f.st.Config.Hash != c.Hash {
			return Result{Err: fmt.Errorf("declare-config: the config in force changed; declare the file in full: %w", ErrConflict)}
		}
		f.st.NodeConfigs[c.Node] = NodeConfig{Hash: c.Hash, At: at}
		return Result{}
	}
	if c.Declared == nil {
		return Result{Err: fmt.Errorf("declare-config: nothing declared: %w", ErrInvalid)}
	}
	seen := map[string]bool{}
	for _, s := range c.Declared.Monitors {
		if s == nil || s.Key == "" {
			return Result{Err: fmt.Errorf("declare-config: a monitor without a key: %w", ErrInvalid)}
		}
		if seen[s.Key] {
			return Result{Err: fmt.Errorf("declare-config: monitor %q declared twice: %w", s.Key, ErrInvalid)}
		}
		seen[s.Key] = true
	}
	f.st.NodeConfigs[c.Node] = NodeConfig{Hash: c.Hash, At: at}
	if f.st.Config != nil && f.st.Config.Hash == c.Hash {
		return Result{} // the same file: nothing changes
	}
	d := *c.Declared
	d.Node, d.Hash, d.At = c.Node, c.Hash, at
	f.st.Config = &d
	f.reindex(at, ch)
	f.suppressOrphans(at, ch)
	return Result{}
}

func (f *FSM) putMonitor(c PutMonitor, ch *Change) Result {
	s := c.Spec
	if s == nil || s.Key == "" {
		return Result{Err: fmt.Errorf("put-monitor: a monitor needs a key: %w", ErrInvalid)}
	}
	if f.declaredInFile(s.Key) {
		return Result{Err: fmt.Errorf("monitor %q is declared in the config file; change it there: %w", s.Key, ErrConflict)}
	}
	_, exists := f.st.APIMonitors[s.Key]
	switch {
	case c.Create && exists:
		return Result{Err: fmt.Errorf("monitor %q exists already: %w", s.Key, ErrConflict)}
	case !c.Create && !exists:
		return Result{Err: fmt.Errorf("monitor %q: %w", s.Key, ErrNotFound)}
	}
	cp := *s
	cp.Origin = "api"
	f.st.APIMonitors[s.Key] = &cp
	f.index = buildIndex(f.st)
	ch.Monitors = true
	return Result{}
}

func (f *FSM) deleteMonitor(c DeleteMonitor, at time.Time, ch *Change) Result {
	if f.declaredInFile(c.Key) {
		return Result{Err: fmt.Errorf("monitor %q is declared in the config file; remove it there: %w", c.Key, ErrConflict)}
	}
	if _, ok := f.st.APIMonitors[c.Key]; !ok {
		return Result{Err: fmt.Errorf("monitor %q: %w", c.Key, ErrNotFound)}
	}
	delete(f.st.APIMonitors, c.Key)
	f.reindex(at, ch)
	return Result{}
}

func (f *FSM) declaredInFile(key string) bool {
	if f.st.Config == nil {
		return false
	}
	for _, s := range f.st.Config.Monitors {
		if s.Key == key {
			return true
		}
	}
	return false
}

// Monitors returns the monitors in force, sorted by key. Specs are shared
// and must not be modified.
func (f *FSM) Monitors() []*monitor.Spec {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]*monitor.Spec, len(f.index.keys))
	for i, k := range f.index.keys {
		out[i] = f.index.specs[k]
	}
	return out
}

// Monitor returns one monitor in force.
func (f *FSM) Monitor(key string) (*monitor.Spec, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s, ok := f.index.specs[key]
	return s, ok
}

// ConfigInForce returns the declared config in force (nil before any).
// The value is shared and must not be modified.
func (f *FSM) ConfigInForce() *Declared {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.Config
}

// NodeConfigs returns, per node, the hash of the config file it declared.
func (f *FSM) NodeConfigs() map[string]NodeConfig {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make(map[string]NodeConfig, len(f.st.NodeConfigs))
	for k, v := range f.st.NodeConfigs {
		out[k] = v
	}
	return out
}
