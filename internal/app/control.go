package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/api"
	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/cluster/gossip"
	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/monitor/push"
)

// control implements api.Control on top of the replicated state.
type control struct{ a *App }

var _ api.Control = control{}

func (c control) MonitorStates() map[string]api.MonitorState {
	out := map[string]api.MonitorState{}
	for k, st := range c.a.node.FSM().MonitorStatuses() {
		out[k] = api.MonitorState{Status: st.Status, Incident: st.Incident, Observers: st.Views}
	}
	return out
}

func (c control) Incidents() []incident.Incident { return c.a.node.FSM().Incidents() }

func (c control) Notifications(limit int) (pending, delivered []fsm.Entry) {
	f := c.a.node.FSM()
	pending = f.Pending()
	if len(pending) > limit {
		pending = pending[:limit]
	}
	return pending, f.Deliveries(limit)
}

func (c control) TestNotifier(ctx context.Context, name string) error {
	return c.a.dispatcher.Test(ctx, name)
}

func (c control) ParseMonitor(body []byte) (*monitor.Spec, error) {
	return config.ParseEndpoint(body, "request body", c.a.cfg.Load())
}

// propose commits a command and turns "no leader" into api.ErrUnavailable.
func (c control) propose(ctx context.Context, t fsm.Type, body any) error {
	res, err := c.a.node.Propose(ctx, t, body)
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrUnavailable, err)
	}
	return res.Err
}

// syncTimeout bounds how long a read waits to be confirmed up to date.
const syncTimeout = 5 * time.Second

// Sync waits until this node's state holds every write acknowledged before
// the call: the leader's read index, asked for over RPC by a follower. A
// single node applies a write before acknowledging it.
func (c control) Sync(ctx context.Context) error {
	if c.a.cluster == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	idx, err := c.a.cluster.readIndex(ctx)
	if err == nil {
		err = c.a.node.WaitApplied(ctx, idx)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", api.ErrUnavailable, err)
	}
	return nil
}

func (c control) Ack(ctx context.Context, id, by string) error {
	return c.propose(ctx, fsm.TypeAck, fsm.Ack{Incident: id, By: by})
}

func (c control) PutMonitor(ctx context.Context, s *monitor.Spec, create bool) error {
	return c.propose(ctx, fsm.TypePutMonitor, fsm.PutMonitor{Spec: s, Create: create})
}

func (c control) DeleteMonitor(ctx context.Context, key string) error {
	return c.propose(ctx, fsm.TypeDeleteMonitor, fsm.DeleteMonitor{Key: key})
}

func (c control) Ping(ctx context.Context, token string, p push.Ping) error {
	key := ""
	for _, s := range c.a.node.FSM().Monitors() {
		if s.Kind == monitor.KindPush && s.Push != nil && s.Push.Token == token && s.Enabled {
			key = s.Key
			break
		}
	}
	if key == "" {
		return fmt.Errorf("push token: %w", fsm.ErrNotFound)
	}
	err := c.propose(ctx, fsm.TypePing, fsm.Ping{Monitor: key, Ping: p})
	if errors.Is(err, fsm.ErrInvalid) {
		return err
	}
	return err
}

// clusterView is GET /api/v1/cluster.
type clusterView struct {
	Node        string                       `json:"node"`
	Mode        string                       `json:"mode"`
	Leader      string                       `json:"leader"`
	State       string                       `json:"state"`
	Term        string                       `json:"term"`
	LastIndex   string                       `json:"last_log_index"`
	Applied     uint64                       `json:"applied_index"`
	LastContact string                       `json:"last_contact,omitempty"`
	Quorum      quorumView                   `json:"quorum"`
	Members     []memberView                 `json:"members"`
	ConfigHash  string                       `json:"config_hash,omitempty"`
	ConfigFrom  string                       `json:"config_from,omitempty"`
	Drift       bool                         `json:"config_drift"`
	Nodes       map[string]fsm.NodeState     `json:"node_health"`
	Notifiers   map[string]fsm.NotifierState `json:"notifiers"`
}

type quorumView struct {
	Voters      int  `json:"voters"`
	VotersAlive int  `json:"voters_alive"`
	Needed      int  `json:"needed"`
	Healthy     bool `json:"healthy"`
}

type memberView struct {
	ID         string            `json:"id"`
	Status     string            `json:"status"`
	Raft       string            `json:"raft"` // voter, nonvoter, or "" when not in the Raft configuration
	Address    string            `json:"address,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	ConfigHash string            `json:"config_hash,omitempty"`
	Drift      bool              `json:"config_drift"`
	SkewMS     *float64          `json:"clock_skew_ms,omitempty"`
	Version    string            `json:"version,omitempty"`
}

func (c control) Cluster(ctx context.Context) any {
	a := c.a
	f := a.node.FSM()
	r := a.node.Raft()
	stats := r.Stats()
	v := clusterView{Node: a.nodeID, Mode: "single", Leader: a.node.Leader(), State: stats["state"], Term: stats["term"],
		LastIndex: stats["last_log_index"], Applied: f.Applied(), Nodes: f.Nodes(), Notifiers: f.Notifiers()}
	if lc := r.LastContact(); !lc.IsZero() && !a.node.IsLeader() {
		v.LastContact = time.Since(lc).Round(time.Millisecond).String()
	}
	cur := f.ConfigInForce()
	if cur != nil {
		v.ConfigHash, v.ConfigFrom = cur.Hash, cur.Node
	}
	declared := f.NodeConfigs()
	suffrage := map[string]string{}
	if fut := r.GetConfiguration(); fut.Error() == nil {
		for _, s := range fut.Configuration().Servers {
			if s.Suffrage == raft.Voter {
				suffrage[string(s.ID)] = "voter"
				v.Quorum.Voters++
			} else {
				suffrage[string(s.ID)] = "nonvoter"
			}
		}
	}
	addMember := func(m memberView) {
		m.Raft = suffrage[m.ID]
		if nc, ok := declared[m.ID]; ok {
			m.ConfigHash = nc.Hash
			m.Drift = cur != nil && nc.Hash != cur.Hash
			v.Drift = v.Drift || m.Drift
		}
		if m.Raft == "voter" && m.Status == "alive" {
			v.Quorum.VotersAlive++
		}
		v.Members = append(v.Members, m)
	}
	if a.cluster == nil {
		addMember(memberView{ID: a.nodeID, Status: "alive", Labels: a.cfg.Load().Node.Labels, Version: a.opts.Version})
	} else {
		v.Mode = "embedded"
		skews := a.cluster.skews()
		for _, m := range a.cluster.gossip.Members() {
			mv := memberView{ID: m.ID, Status: m.Status.String(), Address: m.Tags[gossip.TagRPCAddr], Version: m.Tags[gossip.TagVersion], Labels: map[string]string{}}
			for k, val := range m.Tags {
				if l, ok := strings.CutPrefix(k, gossip.LabelPrefix); ok {
					mv.Labels[l] = val
				}
			}
			if s, ok := skews[m.ID]; ok {
				ms := float64(s.Offset) / float64(time.Millisecond)
				mv.SkewMS = &ms
			}
			addMember(mv)
		}
	}
	v.Quorum.Needed = v.Quorum.Voters/2 + 1
	v.Quorum.Healthy = v.Quorum.VotersAlive >= v.Quorum.Needed
	return v
}

// RemoveNode removes a node from the Raft configuration (it stays a gossip
// member until it leaves or is reaped).
func (c control) RemoveNode(ctx context.Context, id string) error {
	if c.a.cluster == nil {
		return fmt.Errorf("a single node has no members to remove: %w", fsm.ErrInvalid)
	}
	if err := c.a.cluster.removeServer(ctx, id); err != nil {
		return fmt.Errorf("%w: %w", api.ErrUnavailable, err)
	}
	return nil
}

// Leave makes this node leave the cluster gracefully and stop.
func (c control) Leave(ctx context.Context) error {
	if c.a.cluster == nil {
		return fmt.Errorf("a single node is not in a cluster: %w", fsm.ErrInvalid)
	}
	c.a.log.Info("leaving the cluster on request")
	if c.a.node.IsLeader() {
		if err := c.a.node.Raft().LeadershipTransfer().Error(); err != nil {
			return fmt.Errorf("%w: handing leadership over before leaving: %w", api.ErrUnavailable, err)
		}
	}
	// Out of Raft first (through the new leader), so the voter set shrinks
	// before this node goes.
	var err error
	for i := 0; i < 20; i++ {
		if err = c.a.cluster.removeServer(ctx, c.a.nodeID); err == nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("%w: leaving raft: %w", api.ErrUnavailable, err)
	}
	if err := c.a.cluster.gossip.Leave(ctx); err != nil {
		return err
	}
	go c.a.stopSoon()
	return nil
}

// proposeNodeEvent reports a node failing or coming back.
func (a *App) proposeNodeEvent(ctx context.Context, node string, up bool) {
	if _, err := a.node.Propose(ctx, fsm.TypeNodeEvent, fsm.NodeEvent{Node: node, Up: up, Reporter: a.nodeID}); err != nil && ctx.Err() == nil {
		a.log.Warn("node event not committed", "node", node, "up", up, "err", err)
	}
}
