// Package fsm is custodes' replicated state machine: the monitors the
// cluster agreed on, the incident engine, the outbox of notifications,
// push-check pings and node health. Raft (or, on a single node, a one-voter
// Raft) feeds it committed commands; every node applies the same log and
// reaches the same state, byte for byte.
//
// Apply is deterministic: it reads no clock (the leader stamps each
// command's time in its envelope), draws no randomness and iterates maps
// in sorted order. It never panics on a command: a malformed or corrupt one
// halts the machine with an error (Err), because skipping it would let this
// node's state diverge from its peers'.
package fsm

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
)

// Change tells the node what an applied command changed, so it can react
// (reschedule checks, wake the dispatcher, write history events). Hooks
// run inside Apply, under the FSM's lock: they must not block or call back
// into the FSM.
type Change struct {
	Index    uint64
	At       time.Time
	Type     Type
	Monitors bool              // the monitor set or a monitor changed
	Outbox   bool              // entries were added or resolved
	Push     []string          // push monitors whose state changed
	Actions  []incident.Action // what the incident engine decided
	Restored bool              // the whole state was replaced (snapshot)
}

// Result is what Apply returns to the proposer.
type Result struct {
	Err error // the command was refused (nothing changed)
}

// ErrHalted is wrapped by Err once the machine stopped on a bad command.
var ErrHalted = errors.New("fsm: halted")

// FSM is the replicated state machine. Its methods are safe for concurrent
// use; Apply, Snapshot and Restore are called by Raft one at a time.
type FSM struct {
	onChange func(Change)

	mu     sync.RWMutex
	st     *state
	index  *index // derived from st; rebuilt when monitors change
	halted error
}

// New returns an empty state machine that reports changes to onChange
// (which may be nil).
func New(onChange func(Change)) *FSM {
	f := &FSM{onChange: onChange, st: newState()}
	f.index = buildIndex(f.st)
	return f
}

func newState() *state {
	return &state{
		NodeConfigs: map[string]NodeConfig{},
		APIMonitors: map[string]*monitor.Spec{},
		Outbox:      map[string]*Entry{},
		Push:        map[string]*PushCheck{},
		Nodes:       map[string]*NodeState{},
		Notifiers:   map[string]*NotifierState{},
	}
}

// Err is non-nil once the machine halted on a command it could not apply.
func (f *FSM) Err() error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.halted
}

// Apply applies the command at a log index.
func (f *FSM) Apply(index uint64, data []byte) Result {
	f.mu.Lock()
	if f.halted != nil {
		f.mu.Unlock()
		return Result{Err: f.halted}
	}
	if index != 0 && index <= f.st.Applied {
		// Already applied (a replay after restore); applying twice would
		// double-count.
		f.mu.Unlock()
		return Result{}
	}
	cmd, err := Decode(data)
	if err != nil {
		f.halt(index, err)
		f.mu.Unlock()
		return Result{Err: f.halted}
	}
	ch := Change{Index: index, At: cmd.At, Type: cmd.Type}
	res, fatal := f.apply(cmd, &ch)
	if fatal != nil {
		f.halt(index, fmt.Errorf("%s command: %w", cmd.Type, fatal))
		f.mu.Unlock()
		return Result{Err: f.halted}
	}
	if index != 0 {
		f.st.Applied = index
	}
	f.mu.Unlock()
	if f.onChange != nil && (ch.Monitors || ch.Outbox || len(ch.Push) > 0 || len(ch.Actions) > 0) {
		f.onChange(ch)
	}
	return res
}

func (f *FSM) halt(index uint64, err error) {
	f.halted = fmt.Errorf("%w at log index %d: %w", ErrHalted, index, err)
}

// apply dispatches one command. A returned fatal error halts the machine;
// a refused command (bad request, stale) is reported in Result only.
func (f *FSM) apply(cmd Command, ch *Change) (Result, error) {
	if _, known := typeNames[cmd.Type]; known && (cmd.Version == 0 || cmd.Version > maxVersion) {
		return Result{}, fmt.Errorf("body version %d not understood (this node knows 1-%d); upgrade it", cmd.Version, maxVersion)
	}
	switch cmd.Type {
	case TypeDeclareConfig:
		var c DeclareConfig
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		return f.declareConfig(c, cmd.At, ch), nil
	case TypePutMonitor:
		var c PutMonitor
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		return f.putMonitor(c, ch), nil
	case TypeDeleteMonitor:
		var c DeleteMonitor
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		return f.deleteMonitor(c, cmd.At, ch), nil
	case TypeObserve:
		var c Observe
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		for _, o := range c.Observations {
			f.step(o, cmd.At, ch)
		}
		for _, r := range c.Released {
			f.step(r, cmd.At, ch)
		}
		return Result{}, nil
	case TypeTick:
		f.step(incident.Tick{}, cmd.At, ch)
		return Result{}, nil
	case TypeAck:
		var c Ack
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		if _, ok := f.st.Engine.Incident(c.Incident); !ok {
			return Result{Err: fmt.Errorf("incident %q: %w", c.Incident, ErrNotFound)}, nil
		}
		f.step(incident.Ack{Incident: c.Incident, By: c.By}, cmd.At, ch)
		return Result{}, nil
	case TypeNodeEvent:
		var c NodeEvent
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		f.nodeEvent(c, cmd.At, ch)
		return Result{}, nil
	case TypeDelivered:
		var c Delivered
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		return f.markDelivered(c, cmd.At, ch), nil
	case TypeAttempted:
		var c Attempted
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		return f.attempted(c, cmd.At), nil
	case TypePing:
		var c Ping
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		return f.ping(c, cmd.At, ch), nil
	case TypePushOverdue:
		var c PushOverdue
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		f.pushOverdue(c, cmd.At, ch)
		return Result{}, nil
	case TypeNotifierHealth:
		var c NotifierHealth
		if err := decodeBody(cmd, &c); err != nil {
			return Result{}, err
		}
		f.notifierHealth(c, cmd.At, ch)
		return Result{}, nil
	}
	if cmd.Type&Optional != 0 {
		return Result{}, nil // a newer node's optional command: skip it
	}
	return Result{}, fmt.Errorf("unknown command type %d: this node is older than the one that proposed it; upgrade it", uint8(cmd.Type))
}

// ErrNotFound and ErrConflict classify refused commands for the API.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid")
)

// maxVersion is the highest body version this node understands.
const maxVersion = 1

func decodeBody(cmd Command, into any) error {
	dec := json.NewDecoder(bytes.NewReader(cmd.Body))
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("decoding body: %w", err)
	}
	return nil
}

// step runs the incident engine and turns its actions into outbox entries.
func (f *FSM) step(e incident.Event, at time.Time, ch *Change) {
	acts := incident.Step(&f.st.Engine, f.index, e, at)
	if len(acts) == 0 {
		return
	}
	ch.Actions = append(ch.Actions, acts...)
	for _, a := range acts {
		if n, ok := a.(incident.Notify); ok {
			f.enqueueAlert(n, at, ch)
		}
	}
}

// snapshotMagic starts every snapshot; the SHA-256 of the JSON ends it.
var snapshotMagic = []byte("custodes-fsm-1\n")

// Snapshot returns the state's bytes: a magic line, the JSON, and a SHA-256
// trailer so a corrupted snapshot is detected on restore.
func (f *FSM) Snapshot() ([]byte, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	js, err := json.Marshal(f.st)
	if err != nil {
		return nil, fmt.Errorf("fsm: snapshot: %w", err)
	}
	sum := sha256.Sum256(js)
	out := make([]byte, 0, len(snapshotMagic)+len(js)+len(sum))
	out = append(out, snapshotMagic...)
	out = append(out, js...)
	return append(out, sum[:]...), nil
}

// Restore replaces the state with a snapshot's. A snapshot that fails its
// checksum or does not decode is refused and the state is left unchanged.
func (f *FSM) Restore(b []byte) error {
	if !bytes.HasPrefix(b, snapshotMagic) || len(b) < len(snapshotMagic)+sha256.Size {
		return fmt.Errorf("fsm: restore: %w: not a custodes snapshot", ErrCorrupt)
	}
	js := b[len(snapshotMagic) : len(b)-sha256.Size]
	if sum := sha256.Sum256(js); !bytes.Equal(sum[:], b[len(b)-sha256.Size:]) {
		return fmt.Errorf("fsm: restore: %w: checksum mismatch", ErrCorrupt)
	}
	st := newState()
	if err := json.Unmarshal(js, st); err != nil {
		return fmt.Errorf("fsm: restore: %w: %w", ErrCorrupt, err)
	}
	st.fillMaps()
	f.mu.Lock()
	f.st = st
	f.index = buildIndex(st)
	f.halted = nil
	f.mu.Unlock()
	if f.onChange != nil {
		f.onChange(Change{Index: st.Applied, Monitors: true, Outbox: true, Restored: true})
	}
	return nil
}

// fillMaps replaces nil maps left by a decoded snapshot.
func (s *state) fillMaps() {
	if s.NodeConfigs == nil {
		s.NodeConfigs = map[string]NodeConfig{}
	}
	if s.APIMonitors == nil {
		s.APIMonitors = map[string]*monitor.Spec{}
	}
	if s.Outbox == nil {
		s.Outbox = map[string]*Entry{}
	}
	if s.Push == nil {
		s.Push = map[string]*PushCheck{}
	}
	if s.Nodes == nil {
		s.Nodes = map[string]*NodeState{}
	}
	if s.Notifiers == nil {
		s.Notifiers = map[string]*NotifierState{}
	}
}

// Applied is the index of the last applied command.
func (f *FSM) Applied() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.st.Applied
}
