package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// declare proposes this node's config file to the cluster: in full when it
// differs from the config in force, else only its hash (so drift is
// visible per node without resending thousands of monitors).
func (a *App) declare(ctx context.Context, cfg *config.Config) error {
	d, err := declaration(cfg)
	if err != nil {
		return err
	}
	hash, err := declaredHash(d)
	if err != nil {
		return err
	}
	a.declaredHash.Store(hash)
	cur := a.node.FSM().ConfigInForce()
	if cur != nil && cur.Hash == hash {
		res, err := a.node.Propose(ctx, fsm.TypeDeclareConfig, fsm.DeclareConfig{Node: a.nodeID, Hash: hash, HashOnly: true})
		if err == nil && res.Err == nil {
			a.forgetDeclaredMonitors(cfg)
			return nil
		}
		// The config changed meanwhile: declare it in full.
	}
	res, err := a.node.Propose(ctx, fsm.TypeDeclareConfig, fsm.DeclareConfig{Node: a.nodeID, Hash: hash, Declared: d})
	if err != nil {
		return fmt.Errorf("declaring the config: %w", err)
	}
	if res.Err != nil {
		return fmt.Errorf("the cluster refused the config: %w", res.Err)
	}
	a.forgetDeclaredMonitors(cfg)
	return nil
}

// forgetDeclaredMonitors drops the loaded file's monitors once the cluster
// has them: the replicated state is where monitors live from then on, and
// a second copy of thousands of specs is resident memory for nothing.
func (a *App) forgetDeclaredMonitors(cfg *config.Config) {
	if a.cfg.Load() != cfg {
		return // a newer file was loaded meanwhile
	}
	slim := *cfg
	slim.Monitors = nil
	a.cfg.CompareAndSwap(cfg, &slim)
}

// declaration is what of a config file the cluster agrees on.
func declaration(cfg *config.Config) (*fsm.Declared, error) {
	d := &fsm.Declared{
		Monitors:          cfg.Monitors,
		Maintenance:       cfg.Maintenance,
		Providers:         map[string]string{},
		ClusterNotify:     cfg.Cluster.Notify,
		NotifierDownAfter: cfg.Cluster.NotifierDownAfter,
	}
	for name, sec := range cfg.Alerting {
		b, err := yaml.Marshal(sec.Node)
		if err != nil {
			return nil, fmt.Errorf("alerting.%s: %w", name, err)
		}
		if len(strings.TrimSpace(string(b))) == 0 || strings.TrimSpace(string(b)) == "null" {
			b = []byte("{}\n")
		}
		d.Providers[name] = string(b)
	}
	return d, nil
}

// declaredHash identifies what a node declares to the cluster: the parts
// of its file every node must agree on (monitors, providers, maintenance,
// cluster notifications), not its own node, web or cluster addresses, and
// not where in the file each monitor is written.
func declaredHash(d *fsm.Declared) (string, error) {
	c := *d
	c.Monitors = make([]*monitor.Spec, len(d.Monitors))
	for i, s := range d.Monitors {
		cp := *s
		cp.Source = ""
		cp.Alerts = append([]monitor.Alert(nil), s.Alerts...)
		for j := range cp.Alerts {
			cp.Alerts[j].Source = ""
		}
		c.Monitors[i] = &cp
	}
	b, err := json.Marshal(&c)
	if err != nil {
		return "", fmt.Errorf("hashing the declared config: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// watchConfig reloads the config when its files change. A file that does
// not load keeps the running config (and says why); history is never
// touched by a reload.
func (a *App) watchConfig(ctx context.Context) {
	t := time.NewTicker(a.opts.ReloadEvery)
	defer t.Stop()
	last := statFingerprint(a.opts.ConfigPath)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := statFingerprint(a.opts.ConfigPath)
		if now == last {
			continue
		}
		last = now
		cfg, err := config.Load(ctx, a.opts.ConfigPath, a.opts.Env)
		if err == nil {
			err = ValidateNotifiers(cfg)
		}
		if err != nil {
			a.log.Error("config changed but does not load; keeping the running config", "err", err)
			continue
		}
		if cfg.Fingerprint == a.cfg.Load().Fingerprint {
			continue
		}
		for _, w := range cfg.Warnings {
			a.log.Warn("config: " + w.String())
		}
		a.cfg.Store(cfg)
		if err := a.declare(ctx, cfg); err != nil {
			a.log.Error("config reload not applied", "err", err)
			continue
		}
		if a.cluster != nil {
			a.cluster.publishConfigHash(ctx)
		}
		a.log.Info("config reloaded", "monitors", len(cfg.Monitors))
	}
}

// statFingerprint summarizes names, sizes and modification times of the
// config file or directory: cheap to compute every few seconds.
func statFingerprint(path string) string {
	var parts []string
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			parts = append(parts, p+":err")
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if st, err := os.Stat(p); err == nil {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", p, st.Size(), st.ModTime().UnixNano()))
		}
		return nil
	})
	sort.Strings(parts)
	return strings.Join(parts, "|")
}

// pruneLoop applies the retention every hour.
func (a *App) pruneLoop(ctx context.Context) {
	every(ctx, time.Hour, true, func(ctx context.Context) {
		cfg := a.cfg.Load()
		now := a.now()
		r := history.Retention{
			ResultsBefore: now.Add(-cfg.Storage.Retention.Results),
			RollupsBefore: now.Add(-cfg.Storage.Retention.Rollups),
			MaxEvents:     cfg.Storage.MaximumNumberOfEvents,
		}
		if err := a.store.Prune(ctx, r); err != nil && ctx.Err() == nil {
			a.log.Error("pruning history", "err", err)
		}
	})
}
