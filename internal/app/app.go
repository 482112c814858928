// Package app is custodes' composition root: the only package that knows
// every other one. It builds the components from the config, runs them,
// and shuts them down in order: stop taking requests, stop checking, flush
// observations and results, stop Raft, close the store.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/history/sqlite"
	"github.com/custodes/custodes/internal/metrics"
	"github.com/custodes/custodes/internal/notify/dispatch"
	"github.com/custodes/custodes/internal/probe"
	"github.com/custodes/custodes/internal/scheduler"
)

// Options configure a node process.
type Options struct {
	ConfigPath string
	Version    string
	Logger     *slog.Logger
	// LogOutput receives Raft's own warnings (default os.Stderr).
	LogOutput io.Writer
	// Env resolves ${VAR} in the config (default os.LookupEnv).
	Env func(string) (string, bool)
	// ReloadEvery is how often the config files are checked for changes
	// (default 2 s).
	ReloadEvery time.Duration
	// ClockOffset shifts this node's wall clock (tests only: it is how the
	// end-to-end and soak tests show that a node whose clock is off changes
	// nothing but a skew warning). Durations and timeouts are not affected:
	// they use the monotonic clock.
	ClockOffset time.Duration
}

// ConfigError wraps a config that does not load, so the CLI can exit with
// its own code.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// App is one running node.
type App struct {
	opts   Options
	log    *slog.Logger
	nodeID string

	cfg     atomic.Pointer[config.Config]
	store   history.Store
	writer  *history.Writer
	node    *cluster.Node
	probes  *probe.Set
	sched   *scheduler.Scheduler
	metrics *metrics.Metrics
	obs     *observations
	work    *work
	changes *changeQueue
	leader  *leaderLoops
	// dispatcher sends the outbox while this node leads.
	dispatcher *dispatch.Dispatcher
	// cluster is nil on a single node.
	cluster *clusterRuntime
	http    *http.Server
	ln      net.Listener
	lock    *os.File
	ready   atomic.Bool
	// declaredHash is the hash of the config this node declared last.
	declaredHash atomic.Value  // string
	stop         chan struct{} // closed to stop the node (cluster leave)
	once         sync.Once
}

// now is this node's wall clock (see Options.ClockOffset).
func (a *App) now() time.Time { return time.Now().Add(a.opts.ClockOffset) }

// stopSoon stops the node as if it received SIGTERM (after a moment, so
// the API answer that asked for it goes out first).
func (a *App) stopSoon() {
	time.Sleep(200 * time.Millisecond)
	a.once.Do(func() { close(a.stop) })
}

// Run runs a node until ctx is done.
func Run(ctx context.Context, o Options) error {
	a, err := build(ctx, o)
	if err != nil {
		return err
	}
	return a.run(ctx)
}

func build(ctx context.Context, o Options) (a *App, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.LogOutput == nil {
		o.LogOutput = os.Stderr
	}
	if o.ReloadEvery <= 0 {
		o.ReloadEvery = 2 * time.Second
	}
	cfg, err := config.Load(ctx, o.ConfigPath, o.Env)
	if err != nil {
		return nil, &ConfigError{err}
	}
	if err := ValidateNotifiers(cfg); err != nil {
		return nil, &ConfigError{err}
	}
	a = &App{opts: o, log: o.Logger, nodeID: cfg.Node.ID, stop: make(chan struct{})}
	a.cfg.Store(cfg)
	for _, w := range cfg.Warnings {
		a.log.Warn("config: " + w.String())
	}
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()

	if err := os.MkdirAll(cfg.Node.DataDir, 0o700); err != nil {
		return a, fmt.Errorf("data dir: %w", err)
	}
	if a.lock, err = lockDataDir(cfg.Node.DataDir); err != nil {
		return a, err
	}
	if a.store, err = openStore(ctx, cfg); err != nil {
		return a, err
	}
	a.metrics = metrics.New(o.Version)
	a.store = timedStore{a.store, a.metrics}
	a.writer, err = history.NewWriter(a.store, history.WriterOptions{
		Origin:  a.nodeID,
		OnError: func(err error) { a.log.Error("writing history (retrying)", "err", err) },
	})
	if err != nil {
		return a, err
	}
	a.probes = probe.NewSet(probe.Options{UserAgent: "custodes/" + o.Version})
	a.changes = newChangeQueue()
	ncfg := cluster.Config{
		Now:       a.now,
		NodeID:    a.nodeID,
		DataDir:   cfg.Node.DataDir,
		OnChange:  a.changes.push,
		LogOutput: o.LogOutput,
	}
	if cfg.Cluster.Mode == config.ClusterEmbedded {
		if a.cluster, err = newClusterRuntime(a, cfg); err != nil {
			return a, err
		}
		ncfg.Transport = a.cluster.raftTr
	}
	a.node, err = cluster.Open(ncfg)
	if err != nil {
		return a, err
	}
	a.obs = newObservations(a.node, a.log, observationWindow)
	a.work = newWork(a)
	a.sched = scheduler.New(scheduler.Options{Concurrency: concurrency(cfg), Check: a.check})
	a.leader = newLeaderLoops(a)
	a.dispatcher = a.newDispatcher()
	if a.ln, err = net.Listen("tcp", cfg.Web.ListenAddress()); err != nil {
		return a, fmt.Errorf("web: listening on %s: %w", cfg.Web.ListenAddress(), err)
	}
	a.http = a.newHTTPServer(cfg)
	return a, nil
}

// concurrency maps the config's value: Gatus's default (3) is far too low
// for thousands of monitors, so custodes keeps its own default unless the
// file sets one; 0 means unlimited, as in Gatus.
func concurrency(cfg *config.Config) int {
	switch {
	case !cfg.Concurrency.Set:
		return scheduler.DefaultConcurrency
	case cfg.Concurrency.Value == 0:
		return 16384
	}
	return cfg.Concurrency.Value
}

func openStore(ctx context.Context, cfg *config.Config) (history.Store, error) {
	opts := sqlite.Options{Memory: cfg.Storage.Type == config.StorageMemory}
	path := cfg.Storage.Path
	if path == "" {
		path = filepath.Join(cfg.Node.DataDir, "custodes.db")
	}
	s, err := sqlite.Open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return s, nil
}

// lockDataDir takes an exclusive lock on the data dir so two processes
// never share one Raft log and database.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data dir %s is in use by another custodes process: %w", dir, err)
	}
	return f, nil
}

func (a *App) run(ctx context.Context) error {
	cfg := a.cfg.Load()
	a.log.Info("custodes starting", "version", a.opts.Version, "node", a.nodeID,
		"config", a.opts.ConfigPath, "data_dir", cfg.Node.DataDir, "listen", a.ln.Addr().String())

	// Each stage has its own context so shutdown can go in order.
	var (
		stages            sync.WaitGroup
		serveErr          = make(chan error, 1)
		checkCtx, stopChk = context.WithCancel(context.Background())
		coreCtx, stopCore = context.WithCancel(context.Background())
	)
	defer stopChk()
	defer stopCore()
	goStage := func(ctx context.Context, f func(context.Context)) {
		stages.Add(1)
		go func() { defer stages.Done(); f(ctx) }()
	}
	go func() {
		err := a.serveHTTP()
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
	}()
	if err := a.writer.Start(ctx); err != nil {
		a.shutdown(stopChk, stopCore, &stages)
		return err
	}
	goStage(coreCtx, a.changes.run(a))
	goStage(coreCtx, a.obs.Run)
	goStage(coreCtx, a.leader.run)
	if a.cluster != nil {
		if err := a.cluster.start(ctx); err != nil {
			a.shutdown(stopChk, stopCore, &stages)
			return err
		}
		goStage(coreCtx, a.cluster.run)
	}

	if err := a.startup(ctx); err != nil {
		a.shutdown(stopChk, stopCore, &stages)
		return err
	}
	var checks sync.WaitGroup
	checks.Add(1)
	go func() { defer checks.Done(); a.sched.Run(checkCtx) }()
	goStage(coreCtx, a.watchConfig)
	goStage(coreCtx, a.pruneLoop)
	a.ready.Store(true)
	a.log.Info("custodes ready", "monitors", len(a.node.FSM().Monitors()), "leader", a.node.Leader())

	var err error
	select {
	case <-ctx.Done():
	case <-a.stop:
	case err = <-serveErr:
		err = fmt.Errorf("web: %w", err)
	case err = <-a.changes.halted:
	}
	a.ready.Store(false)
	a.log.Info("custodes stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	a.http.Shutdown(sctx)
	cancel()
	stopChk()
	checks.Wait()
	a.shutdown(stopChk, stopCore, &stages)
	return err
}

// startup waits for Raft and declares this node's config file. A single
// node elects itself at once; a cluster member waits for its peers as long
// as it takes (start order does not matter), saying so now and then.
func (a *App) startup(ctx context.Context) error {
	for waited := 0; ; waited++ {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.node.WaitLeader(wctx)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || a.cluster == nil {
			return err
		}
		a.log.Info("waiting for a raft leader (are the other nodes up and joined?)", "members", len(a.cluster.gossip.Members()))
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// The leader applies everything committed before serving; a follower's
	// state catches up on its own, and its declaration is forwarded (a
	// declaration of the config in force is a no-op).
	if a.node.IsLeader() {
		if err := a.node.Barrier(wctx); err != nil {
			return fmt.Errorf("catching up with the log: %w", err)
		}
	}
	if err := a.declare(wctx, a.cfg.Load()); err != nil {
		if a.cluster == nil {
			return err
		}
		// In a cluster the leader may be changing; keep trying meanwhile.
		a.log.Warn("config not declared yet; retrying", "err", err)
		go a.declareRetrying(ctx)
	}
	a.work.reassign()
	// Loading and declaring thousands of monitors leaves a large transient
	// heap (YAML, the declaration's JSON); give it back now rather than
	// carry it as resident memory.
	debug.FreeOSMemory()
	return nil
}

// declareRetrying declares the config in force until it succeeds or ctx
// ends.
func (a *App) declareRetrying(ctx context.Context) {
	for backoff := time.Second; ctx.Err() == nil; backoff = min(2*backoff, 30*time.Second) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.declare(dctx, a.cfg.Load())
		cancel()
		if err == nil {
			a.log.Info("config declared")
			return
		}
		a.log.Warn("config not declared yet; retrying", "err", err)
	}
}

func (a *App) shutdown(stopChk, stopCore context.CancelFunc, stages *sync.WaitGroup) {
	stopChk()
	stopCore() // observations flush once more, leader loops end
	stages.Wait()
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := a.writer.Close(wctx); err != nil {
		a.log.Error("history not fully written at shutdown", "err", err)
	}
	cancel()
	a.closeAll()
	a.log.Info("custodes stopped")
}

func (a *App) closeAll() {
	if a.probes != nil {
		a.probes.Close()
	}
	if a.writer != nil {
		a.writer.Close(context.Background()) // no-op when closed already
	}
	if a.node != nil {
		if err := a.node.Close(); err != nil {
			a.log.Warn("closing raft", "err", err)
		}
	}
	if a.cluster != nil {
		a.cluster.close()
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Warn("closing history", "err", err)
		}
	}
	if a.ln != nil {
		a.ln.Close()
	}
	if a.lock != nil {
		a.lock.Close()
	}
}

// readiness is /readyz: a leader is known, the state machine is healthy,
// the node has started checking.
func (a *App) readiness(context.Context) error {
	if !a.ready.Load() {
		return errors.New("starting or stopping")
	}
	if err := a.node.FSM().Err(); err != nil {
		return err
	}
	if a.node.Leader() == "" {
		return errors.New("no raft leader")
	}
	return nil
}
