// Package cluster runs the replicated state machine (internal/cluster/fsm)
// on hashicorp/raft. A single node is a one-voter Raft on an in-memory
// transport: the same code path as a cluster, with the log and snapshots
// on disk in the data dir, so decisions and the outbox survive restarts.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/custodes/custodes/internal/cluster/fsm"
)

// Timing are Raft's failure-detection settings.
type Timing struct {
	Heartbeat   time.Duration // follower waits this long without a leader before an election
	Election    time.Duration
	LeaderLease time.Duration
	Commit      time.Duration
}

// SingleNodeTiming elects the only voter fast at start.
var SingleNodeTiming = Timing{Heartbeat: 150 * time.Millisecond, Election: 150 * time.Millisecond, LeaderLease: 100 * time.Millisecond, Commit: 20 * time.Millisecond}

// ClusterTiming detects a dead leader within about a second on a LAN.
var ClusterTiming = Timing{Heartbeat: 700 * time.Millisecond, Election: 700 * time.Millisecond, LeaderLease: 350 * time.Millisecond, Commit: 20 * time.Millisecond}

// Config configures a Node.
type Config struct {
	NodeID  string
	DataDir string // raft/ under it holds the log, stable store and snapshots
	// Transport carries Raft traffic; nil runs a single node on an
	// in-memory transport.
	Transport raft.Transport
	// Bootstrap, when non-empty and the node has no Raft state yet, is the
	// initial voter set. A single node bootstraps itself.
	Bootstrap []raft.Server
	Timing    Timing
	// OnChange receives what each applied command changed (see fsm.Change).
	OnChange func(fsm.Change)
	// LogOutput receives Raft's own warnings; nil discards them.
	LogOutput io.Writer
	// Now is the wall clock the leader stamps commands with (default
	// time.Now; tests shift it to show skew changes nothing).
	Now func() time.Time
}

// Node is one member of the replicated state machine.
type Node struct {
	id     string
	now    func() time.Time
	raft   *raft.Raft
	fsm    *fsm.FSM
	store  *raftboltdb.BoltStore
	trans  raft.Transport
	closed chan struct{}
	once   sync.Once

	// forward sends a command to the leader when this node is a follower
	// (set by the cluster transport; nil on a single node).
	forwardMu sync.RWMutex
	forward   Forwarder

	// barrierTerm is the last term in which this node, leading, applied a
	// barrier: from then on its state machine holds every earlier term's
	// committed commands (see ReadIndex).
	barrierTerm atomic.Uint64
}

// Forwarder proposes a command through the current leader.
type Forwarder func(ctx context.Context, leaderID string, cmd []byte) (fsm.Result, error)

// ErrNotLeader is returned when a command cannot be proposed here and no
// leader is known to forward it to.
var ErrNotLeader = errors.New("cluster: no leader to take the command")

// Open starts a node: it recovers the log and snapshots from the data dir,
// bootstraps a fresh single node, and joins Raft.
func Open(cfg Config) (*Node, error) {
	if cfg.NodeID == "" {
		return nil, errors.New("cluster: node id is required")
	}
	dir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	out := cfg.LogOutput
	if out == nil {
		out = io.Discard
	}
	// A single node's own election at start is routine, not a warning.
	level := hclog.Warn
	if cfg.Transport == nil {
		level = hclog.Error
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: level, Output: out})

	// Without NoFreelistSync, bolt rewrites its whole freelist on every
	// commit: measured at ~30 MB/s of disk writes with 10k monitors. The
	// freelist is rebuilt by scanning at open instead.
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db"), BoltOptions: &bbolt.Options{
		Timeout: time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType,
	}})
	if err != nil {
		return nil, fmt.Errorf("cluster: opening the raft log %s: %w", filepath.Join(dir, "raft.db"), err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, logger)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("cluster: snapshot store: %w", err)
	}
	trans := cfg.Transport
	bootstrap := cfg.Bootstrap
	if trans == nil {
		_, trans = raft.NewInmemTransport(raft.ServerAddress(cfg.NodeID))
		bootstrap = []raft.Server{{Suffrage: raft.Voter, ID: raft.ServerID(cfg.NodeID), Address: raft.ServerAddress(cfg.NodeID)}}
	}
	t := cfg.Timing
	if t == (Timing{}) {
		t = SingleNodeTiming
		if cfg.Transport != nil {
			t = ClusterTiming
		}
	}
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.Logger = logger
	rc.HeartbeatTimeout, rc.ElectionTimeout = t.Heartbeat, t.Election
	rc.LeaderLeaseTimeout, rc.CommitTimeout = t.LeaderLease, t.Commit
	rc.SnapshotThreshold = 4096
	rc.SnapshotInterval = 60 * time.Second
	rc.TrailingLogs = 4096

	n := &Node{id: cfg.NodeID, now: cfg.Now, store: store, trans: trans, closed: make(chan struct{})}
	if n.now == nil {
		n.now = time.Now
	}
	n.fsm = fsm.New(cfg.OnChange)

	if len(bootstrap) > 0 {
		has, err := raft.HasExistingState(store, store, snaps)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("cluster: reading raft state: %w", err)
		}
		if !has {
			err := raft.BootstrapCluster(rc, store, store, snaps, trans, raft.Configuration{Servers: bootstrap})
			if err != nil {
				store.Close()
				return nil, fmt.Errorf("cluster: bootstrap: %w", err)
			}
		}
	}
	r, err := raft.NewRaft(rc, raftFSM{n.fsm}, store, store, snaps, trans)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("cluster: starting raft: %w", err)
	}
	n.raft = r
	return n, nil
}

// ID is this node's id.
func (n *Node) ID() string { return n.id }

// FSM is the replicated state, for reads.
func (n *Node) FSM() *fsm.FSM { return n.fsm }

// Raft exposes the raft instance to the cluster transport and status API.
func (n *Node) Raft() *raft.Raft { return n.raft }

// SetForwarder installs how followers reach the leader.
func (n *Node) SetForwarder(f Forwarder) {
	n.forwardMu.Lock()
	n.forward = f
	n.forwardMu.Unlock()
}

// IsLeader reports whether this node believes it leads (it may be deposed
// already: use VerifyLeader before acting on it).
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// Leader returns the id of the leader this node knows, or "".
func (n *Node) Leader() string {
	_, id := n.raft.LeaderWithID()
	return string(id)
}

// LeaderCh receives true when this node becomes leader and false when it
// stops being leader.
func (n *Node) LeaderCh() <-chan bool { return n.raft.LeaderCh() }

// VerifyLeader confirms with a quorum that this node still leads: a frozen
// or partitioned old leader gets an error.
func (n *Node) VerifyLeader(ctx context.Context) error {
	f := n.raft.VerifyLeader()
	errc := make(chan error, 1)
	go func() { errc <- f.Error() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Propose encodes a command and commits it through the leader: here when
// this node leads (stamping its clock), else forwarded. It returns once the
// command is applied (on the leader) with the state machine's answer.
func (n *Node) Propose(ctx context.Context, t fsm.Type, body any) (fsm.Result, error) {
	cmd, err := fsm.Encode(t, 1, body)
	if err != nil {
		return fsm.Result{}, err
	}
	return n.ProposeEncoded(ctx, cmd)
}

// DefaultProposeTimeout bounds a proposal whose context has no deadline:
// a leader frozen mid-call (SIGSTOP) keeps its connections open, so without
// one a forwarded command would wait forever instead of trying the next
// leader.
const DefaultProposeTimeout = 10 * time.Second

// ProposeEncoded is Propose for an encoded command (e.g. one forwarded by a
// follower).
func (n *Node) ProposeEncoded(ctx context.Context, cmd []byte) (fsm.Result, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultProposeTimeout)
		defer cancel()
	}
	if n.raft.State() == raft.Leader {
		if err := fsm.Stamp(cmd, n.now()); err != nil {
			return fsm.Result{}, err
		}
		d, _ := ctx.Deadline()
		f := n.raft.Apply(cmd, time.Until(d))
		if err := f.Error(); err != nil {
			if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
				return n.forwardOrFail(ctx, cmd, err)
			}
			return fsm.Result{}, fmt.Errorf("cluster: committing %s: %w", fsmType(cmd), err)
		}
		res, _ := f.Response().(fsm.Result)
		return res, nil
	}
	return n.forwardOrFail(ctx, cmd, ErrNotLeader)
}

func (n *Node) forwardOrFail(ctx context.Context, cmd []byte, cause error) (fsm.Result, error) {
	n.forwardMu.RLock()
	fw := n.forward
	n.forwardMu.RUnlock()
	leader := n.Leader()
	if fw == nil || leader == "" || leader == n.id {
		return fsm.Result{}, fmt.Errorf("%w: %w", ErrNotLeader, cause)
	}
	return fw(ctx, leader, cmd)
}

func fsmType(cmd []byte) fsm.Type {
	if len(cmd) == 0 {
		return 0
	}
	return fsm.Type(cmd[0])
}

// Bootstrap makes servers the initial Raft configuration of a node with no
// state yet. Every node of a bootstrap-expect set calls it with the same
// servers; Raft accepts identical bootstraps.
func (n *Node) Bootstrap(servers []raft.Server) error {
	err := n.raft.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	if errors.Is(err, raft.ErrCantBootstrap) {
		return nil // state already: bootstrapped before, or joined
	}
	return err
}

// HasState reports whether this node has Raft state (it bootstrapped or
// was added to a cluster).
func (n *Node) HasState() bool {
	if n.raft.LastIndex() > 0 {
		return true
	}
	f := n.raft.GetConfiguration()
	return f.Error() == nil && len(f.Configuration().Servers) > 0
}

// WaitLeader blocks until some leader is known (this node or another).
func (n *Node) WaitLeader(ctx context.Context) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if n.Leader() != "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: no leader elected: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// ReadIndex is Raft's read index (Ongaro's thesis, §6.4), counted in state
// machine commands: once a node's state machine has applied the returned
// index (WaitApplied), it holds every write acknowledged before ReadIndex
// was called, so a read served there is linearizable. Only the leader
// answers; a deposed one (frozen, cut off) gets an error from its quorum.
func (n *Node) ReadIndex(ctx context.Context) (uint64, error) {
	if n.raft.State() != raft.Leader {
		return 0, ErrNotLeader
	}
	if term := n.raft.CurrentTerm(); n.barrierTerm.Load() != term {
		// A new leader's commit index covers earlier terms' entries only
		// once an entry of its own term is committed: the barrier commits
		// one and waits until everything before it is applied here.
		if err := n.Barrier(ctx); err != nil {
			return 0, fmt.Errorf("cluster: read index: %w", err)
		}
		n.barrierTerm.Store(term)
	}
	// Every write this leader acknowledged was applied here first.
	idx := n.fsm.Applied()
	if err := n.VerifyLeader(ctx); err != nil {
		return 0, fmt.Errorf("cluster: read index: %w", err)
	}
	return idx, nil
}

// WaitApplied blocks until this node's state machine has applied index.
func (n *Node) WaitApplied(ctx context.Context, index uint64) error {
	if n.fsm.Applied() >= index {
		return nil
	}
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for n.fsm.Applied() < index {
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: waiting to apply index %d (at %d): %w", index, n.fsm.Applied(), ctx.Err())
		case <-n.closed:
			return errors.New("cluster: node closed")
		case <-t.C:
		}
	}
	return nil
}

// Barrier waits until every command committed before it is applied here.
func (n *Node) Barrier(ctx context.Context) error {
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	return n.raft.Barrier(timeout).Error()
}

// Close leaves Raft (without removing this node from the configuration)
// and closes the log.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		close(n.closed)
		err = n.raft.Shutdown().Error()
		if c, ok := n.trans.(io.Closer); ok {
			c.Close()
		}
		if e := n.store.Close(); err == nil {
			err = e
		}
	})
	return err
}

// raftFSM adapts fsm.FSM to raft.FSM.
type raftFSM struct{ f *fsm.FSM }

func (r raftFSM) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	return r.f.Apply(l.Index, l.Data)
}

func (r raftFSM) Snapshot() (raft.FSMSnapshot, error) {
	b, err := r.f.Snapshot()
	if err != nil {
		return nil, err
	}
	return snapshot(b), nil
}

func (r raftFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("cluster: reading snapshot: %w", err)
	}
	return r.f.Restore(b)
}

type snapshot []byte

func (s snapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s snapshot) Release() {}
