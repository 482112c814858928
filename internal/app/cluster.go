package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/gossip"
	"github.com/custodes/custodes/internal/cluster/rpc"
	"github.com/custodes/custodes/internal/cluster/transport"
	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor/assign"
)

// clusterRuntime is what a cluster member runs besides a single node's
// parts: one TLS port for Raft and node RPC, gossip membership, Raft
// membership management by the leader, history replication, fast
// confirmation and clock-skew measurement.
type clusterRuntime struct {
	a      *App
	cfg    config.Cluster
	tr     *transport.Transport
	raftTr *raft.NetworkTransport
	gossip *gossip.Gossip
	srv    *rpc.Server
	cli    *rpc.Client

	mu   sync.Mutex
	skew map[string]rpc.Skew // by peer id

	// confirming bounds fast-confirmation requests in flight: a node that
	// loses its own network sees every monitor fail at once.
	confirming chan struct{}
}

// maxConfirmRequests is how many check-now requests may be in flight.
const maxConfirmRequests = 64

// RPC methods besides the transport's own (propose, time).
const (
	methodCheckNow      = rpc.MethodCheckNow
	methodBatches       = rpc.MethodHistoryBatches
	methodOrigins       = "history-origins"
	methodRaftState     = "raft-state"
	methodExternal      = "external-result"
	methodRemoveServer  = "remove-server"
	methodReadIndex     = "read-index"
	replicateEvery      = time.Second
	batchesPerCall      = 20
	skewEvery           = 30 * time.Second
	skewWarnAbove       = 2 * time.Second
	membershipEvery     = 2 * time.Second
	joinRetryEvery      = 2 * time.Second
	forwardedCallTimout = 5 * time.Second
)

// clusterIdentity names the cluster in gossip: derived from the secret, so
// nodes with another secret are refused with a clear message even before
// their gossip key fails.
func clusterIdentity(secret string) string {
	sum := sha256.Sum256([]byte("custodes cluster id v1\x00" + secret))
	return hex.EncodeToString(sum[:6])
}

// newClusterRuntime opens the transport; Raft is opened by the caller over
// raftTr, gossip starts in start.
func newClusterRuntime(a *App, cfg *config.Config) (*clusterRuntime, error) {
	c := &clusterRuntime{a: a, cfg: cfg.Cluster, skew: map[string]rpc.Skew{}, confirming: make(chan struct{}, maxConfirmRequests)}
	tr, err := transport.Listen(transport.Config{
		NodeID: cfg.Node.ID, Secret: []byte(cfg.Cluster.Secret),
		Bind: cfg.Cluster.Bind, Advertise: cfg.Cluster.Advertise, Logger: a.log.With("component", "transport"),
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c.tr = tr
	if c.raftTr, err = tr.Raft(transport.RaftOptions{LogOutput: a.opts.LogOutput}); err != nil {
		tr.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	c.srv = rpc.NewServer(rpc.ServerConfig{Logger: a.log.With("component", "rpc")})
	c.cli = rpc.NewClient(rpc.ClientConfig{Dial: tr.Dialer(transport.KindRPC)})
	return c, nil
}

// start wires RPC to the Raft node and starts gossip.
func (c *clusterRuntime) start(ctx context.Context) error {
	a := c.a
	node := a.node
	rpc.HandlePropose(c.srv, node.ProposeEncoded)
	rpc.HandleTime(c.srv, c.a.now)
	rpc.Handle(c.srv, methodCheckNow, func(_ context.Context, _ string, key string) (bool, error) {
		return a.sched.RunNow(key), nil
	})
	rpc.Handle(c.srv, methodOrigins, func(ctx context.Context, _ string, _ struct{}) (map[string]uint64, error) {
		return a.store.Origins(ctx)
	})
	rpc.Handle(c.srv, methodBatches, func(ctx context.Context, _ string, req batchesRequest) ([]history.Batch, error) {
		return a.store.BatchesSince(ctx, req.Origin, req.After, min(max(req.Limit, 1), batchesPerCall))
	})
	rpc.Handle(c.srv, methodRaftState, func(context.Context, string, struct{}) (raftState, error) {
		return raftState{HasState: node.HasState(), Leader: node.Leader()}, nil
	})
	rpc.Handle(c.srv, methodExternal, func(ctx context.Context, _ string, r externalResult) (struct{}, error) {
		return struct{}{}, a.pushExternalHere(ctx, r.Result)
	})
	rpc.Handle(c.srv, methodReadIndex, func(ctx context.Context, _ string, _ struct{}) (uint64, error) {
		return node.ReadIndex(ctx)
	})
	rpc.Handle(c.srv, methodRemoveServer, func(ctx context.Context, _ string, id string) (struct{}, error) {
		return struct{}{}, c.removeServer(ctx, id)
	})
	ln, err := c.tr.Listen(transport.KindRPC)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	go c.srv.Serve(ln)
	node.SetForwarder(rpc.Forwarder(c.cli, c.resolve))

	cfg := a.cfg.Load()
	c.gossip, err = gossip.Start(ctx, gossip.Config{
		NodeID: cfg.Node.ID, Bind: c.cfg.GossipBind, Advertise: c.cfg.GossipAdvertise,
		Secret: []byte(c.cfg.Secret), ClusterID: clusterIdentity(c.cfg.Secret), BootstrapExpect: c.cfg.BootstrapExpect,
		Tags: c.tags(cfg), Join: gossipAddrs(c.cfg.Join, c.cfg.GossipBind), Logger: a.log.With("component", "gossip"),
	})
	if err != nil {
		return fmt.Errorf("cluster: gossip: %w", err)
	}
	if c.cfg.BootstrapExpect <= 1 {
		self := raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(cfg.Node.ID), Address: raft.ServerAddress(c.tr.Advertise())}
		if err := node.Bootstrap([]raft.Server{self}); err != nil {
			return fmt.Errorf("cluster: bootstrap: %w", err)
		}
	}
	return nil
}

func (c *clusterRuntime) tags(cfg *config.Config) map[string]string {
	role := gossip.RoleVoter
	tags := map[string]string{gossip.TagRPCAddr: c.tr.Advertise(), gossip.TagRole: role,
		gossip.TagVersion: c.a.opts.Version}
	if h, ok := c.a.declaredHash.Load().(string); ok {
		tags[gossip.TagConfigHash] = shortHash(h)
	} else if d, err := declaration(cfg); err == nil {
		if h, err := declaredHash(d); err == nil {
			tags[gossip.TagConfigHash] = shortHash(h)
		}
	}
	for k, v := range cfg.Node.Labels {
		tags[gossip.LabelPrefix+k] = v
	}
	return tags
}

// publishConfigHash updates this node's gossip tags after a reload.
func (c *clusterRuntime) publishConfigHash(ctx context.Context) {
	if err := c.gossip.SetTags(ctx, c.tags(c.a.cfg.Load())); err != nil {
		c.a.log.Warn("publishing the config hash", "err", err)
	}
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// resolve finds a node's Raft/RPC address: the leader's as Raft knows it
// (a node that just joined knows it before its configuration arrives),
// then gossip's, then the Raft configuration's.
func (c *clusterRuntime) resolve(id string) (string, error) {
	if addr, lid := c.a.node.Raft().LeaderWithID(); string(lid) == id && addr != "" {
		return string(addr), nil
	}
	if addr := c.rpcAddr(id); addr != "" {
		return addr, nil
	}
	return rpc.RaftResolver(c.a.node.Raft())(id)
}

// gossipAddrs adds the gossip port to join addresses given as bare hosts.
func gossipAddrs(join []string, bind string) []string {
	_, port, _ := net.SplitHostPort(bind)
	out := make([]string, 0, len(join))
	for _, j := range join {
		if _, _, err := net.SplitHostPort(j); err != nil && port != "" {
			j = net.JoinHostPort(j, port)
		}
		out = append(out, j)
	}
	return out
}

// run is the cluster's background work; it returns when ctx ends.
func (c *clusterRuntime) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, f := range []func(context.Context){c.watchMembers, c.bootstrapWhenExpected, c.keepJoining, c.replicate, c.measureSkew, c.watchDrift} {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	wg.Wait()
}

// close stops gossip (leaving gracefully), RPC and the transport, after
// Raft was shut down.
func (c *clusterRuntime) close() {
	if c.gossip != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		c.gossip.Leave(ctx)
		cancel()
		c.gossip.Close()
	}
	c.cli.Close()
	c.srv.Close()
	c.tr.Close()
}

// members are the alive members, for the assignment.
func (c *clusterRuntime) members() []assign.Member {
	var out []assign.Member
	for _, m := range c.gossip.Members() {
		if m.Status != gossip.StatusAlive {
			continue
		}
		labels := map[string]string{}
		for k, v := range m.Tags {
			if l, ok := strings.CutPrefix(k, gossip.LabelPrefix); ok {
				labels[l] = v
			}
		}
		out = append(out, assign.Member{ID: m.ID, Labels: labels})
	}
	return out
}

func (c *clusterRuntime) rpcAddr(id string) string {
	for _, m := range c.gossip.Members() {
		if m.ID == id {
			return m.Tags[gossip.TagRPCAddr]
		}
	}
	return ""
}

// watchMembers reassigns monitors when membership changes.
func (c *clusterRuntime) watchMembers(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-c.gossip.Events():
			if !ok {
				return
			}
			c.a.log.Info("member "+ev.Kind.String(), "member", ev.Member.ID, "status", ev.Member.Status)
			c.a.work.reassign()
			c.a.leader.membersChanged()
		}
	}
}

// keepJoining retries the join addresses until another member is seen, so
// start order does not matter.
func (c *clusterRuntime) keepJoining(ctx context.Context) {
	addrs := gossipAddrs(c.cfg.Join, c.cfg.GossipBind)
	t := time.NewTicker(joinRetryEvery)
	defer t.Stop()
	for {
		if len(addrs) == 0 || len(c.gossip.Members()) > 1 {
			return
		}
		if _, err := c.gossip.Join(ctx, addrs); err != nil && ctx.Err() == nil {
			c.a.log.Debug("joining", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type raftState struct {
	HasState bool   `json:"has_state"`
	Leader   string `json:"leader"`
}

// bootstrapWhenExpected forms a new cluster once bootstrap-expect voters
// are alive and none of them has Raft state: every one of them bootstraps
// with the same voter set (the first bootstrap-expect voters by id), which
// Raft accepts. A node joining an existing cluster bootstraps nothing; the
// leader adds it.
func (c *clusterRuntime) bootstrapWhenExpected(ctx context.Context) {
	expect := c.cfg.BootstrapExpect
	if expect <= 1 {
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if c.a.node.HasState() || c.a.node.Leader() != "" {
			return
		}
		var voters []gossip.Member
		for _, m := range c.gossip.Members() {
			if m.Status == gossip.StatusAlive && m.Tags[gossip.TagRole] == gossip.RoleVoter && m.Tags[gossip.TagRPCAddr] != "" {
				voters = append(voters, m)
			}
		}
		if len(voters) < expect {
			continue
		}
		sort.Slice(voters, func(i, j int) bool { return voters[i].ID < voters[j].ID })
		if c.anyHasState(ctx, voters) {
			continue // an existing cluster: wait to be added
		}
		set := voters[:expect]
		var servers []raft.Server
		self := false
		for _, m := range set {
			servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(m.ID), Address: raft.ServerAddress(m.Tags[gossip.TagRPCAddr])})
			self = self || m.ID == c.a.nodeID
		}
		if !self {
			continue // not among the founders: the leader will add this node
		}
		c.a.log.Info("bootstrapping the cluster", "voters", len(servers))
		if err := c.a.node.Bootstrap(servers); err != nil {
			c.a.log.Error("bootstrap", "err", err)
			continue
		}
		return
	}
}

func (c *clusterRuntime) anyHasState(ctx context.Context, members []gossip.Member) bool {
	for _, m := range members {
		if m.ID == c.a.nodeID {
			continue
		}
		var st raftState
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.cli.Call(cctx, m.Tags[gossip.TagRPCAddr], methodRaftState, struct{}{}, &st)
		cancel()
		if err != nil || st.HasState || st.Leader != "" {
			return true // unknown counts as "maybe": never risk two clusters
		}
	}
	return false
}

// reconcileMembership (leader only) adds alive members Raft does not know
// (voters up to cluster.voters, the rest as non-voting checkers) and
// reports node failures and recoveries to the state machine once. A
// graceful leave is not a failure: it pages nobody.
func (c *clusterRuntime) reconcileMembership(ctx context.Context) {
	r := c.a.node.Raft()
	f := r.GetConfiguration()
	if f.Error() != nil {
		return
	}
	inConfig := map[string]raft.ServerSuffrage{}
	voters := 0
	for _, s := range f.Configuration().Servers {
		inConfig[string(s.ID)] = s.Suffrage
		if s.Suffrage == raft.Voter {
			voters++
		}
	}
	maxVoters := c.cfg.Voters
	if maxVoters <= 0 {
		maxVoters = max(c.cfg.BootstrapExpect, 1)
	}
	known := c.a.node.FSM().Nodes()
	for _, m := range c.gossip.Members() {
		addr := m.Tags[gossip.TagRPCAddr]
		_, in := inConfig[m.ID]
		switch m.Status {
		case gossip.StatusAlive:
			if !in && addr != "" {
				var fut raft.IndexFuture
				if voters < maxVoters && m.Tags[gossip.TagRole] == gossip.RoleVoter {
					fut = r.AddVoter(raft.ServerID(m.ID), raft.ServerAddress(addr), 0, 10*time.Second)
					voters++
				} else {
					fut = r.AddNonvoter(raft.ServerID(m.ID), raft.ServerAddress(addr), 0, 10*time.Second)
				}
				if err := fut.Error(); err != nil {
					c.a.log.Warn("adding a member to raft", "member", m.ID, "err", err)
				} else {
					c.a.log.Info("member added to raft", "member", m.ID)
				}
			}
		}
		// A member that left gracefully (SIGTERM: a restart, say) stays in
		// the Raft configuration; only `custodes cluster leave|remove`
		// takes it out, so rolling restarts do not churn the voter set.
		st, seen := known[m.ID]
		switch {
		case m.Status == gossip.StatusAlive && (!seen || !st.Up):
			c.a.proposeNodeEvent(ctx, m.ID, true)
		case m.Status == gossip.StatusFailed && seen && st.Up:
			c.a.proposeNodeEvent(ctx, m.ID, false)
		}
	}
}

// callLeader calls method on the current leader's node RPC; an error
// wrapping cluster.ErrNotLeader when no leader (or its address) is known.
func (c *clusterRuntime) callLeader(ctx context.Context, method string, in, out any) error {
	leader := c.a.node.Leader()
	addr := c.rpcAddr(leader)
	if leader == "" || addr == "" {
		return cluster.ErrNotLeader
	}
	if err := c.cli.Call(ctx, addr, method, in, out); err != nil {
		return fmt.Errorf("%s on leader %s: %w", method, leader, err)
	}
	return nil
}

// removeServer removes a node from Raft on the leader (forwarded there).
func (c *clusterRuntime) removeServer(ctx context.Context, id string) error {
	if !c.a.node.IsLeader() {
		return c.callLeader(ctx, methodRemoveServer, id, nil)
	}
	if id == c.a.nodeID {
		return errors.New("the leader cannot remove itself; remove it from another node after it stopped")
	}
	return c.a.node.Raft().RemoveServer(raft.ServerID(id), 0, 10*time.Second).Error()
}

type batchesRequest struct {
	Origin string `json:"origin"`
	After  uint64 `json:"after"`
	Limit  int    `json:"limit"`
}

// replicate pulls from every peer the history batches this node lacks, so
// every node serves the full history and a node that was away catches up.
// Appends are idempotent by (origin, seq), so asking several peers for the
// same origin is harmless.
func (c *clusterRuntime) replicate(ctx context.Context) {
	every(ctx, replicateEvery, false, func(ctx context.Context) {
		for _, m := range c.gossip.Members() {
			if m.ID == c.a.nodeID || m.Status != gossip.StatusAlive {
				continue
			}
			if err := c.pullFrom(ctx, m.Tags[gossip.TagRPCAddr]); err != nil && ctx.Err() == nil {
				c.a.log.Debug("history replication", "peer", m.ID, "err", err)
			}
		}
	})
}

func (c *clusterRuntime) pullFrom(ctx context.Context, addr string) error {
	cctx, cancel := context.WithTimeout(ctx, forwardedCallTimout)
	defer cancel()
	var theirs map[string]uint64
	if err := c.cli.Call(cctx, addr, methodOrigins, struct{}{}, &theirs); err != nil {
		return err
	}
	for origin, wm := range theirs {
		if origin == c.a.nodeID || origin == eventsOrigin {
			continue
		}
		for i := 0; i < 50; i++ { // bounded per round; the next round goes on
			mine, err := c.a.store.Watermark(ctx, origin)
			if err != nil || mine >= wm {
				break
			}
			var batches []history.Batch
			if err := c.cli.Call(cctx, addr, methodBatches, batchesRequest{Origin: origin, After: mine, Limit: batchesPerCall}, &batches); err != nil {
				return err
			}
			if len(batches) == 0 {
				break
			}
			for _, b := range batches {
				if _, err := c.a.store.Append(ctx, b); err != nil {
					return fmt.Errorf("appending %s/%d: %w", origin, b.Seq, err)
				}
			}
		}
	}
	return nil
}

// checkNow asks the other checkers of a monitor to check it now (fast
// confirmation of a failure seen here).
func (c *clusterRuntime) checkNow(key string, owners []string) {
	for _, id := range owners {
		if id == c.a.nodeID {
			continue
		}
		addr := c.rpcAddr(id)
		if addr == "" {
			continue
		}
		select {
		case c.confirming <- struct{}{}:
		default:
			continue // saturated: the peer checks at its own phase anyway
		}
		go func() {
			defer func() { <-c.confirming }()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var ok bool
			if err := c.cli.Call(ctx, addr, methodCheckNow, key, &ok); err != nil {
				c.a.log.Debug("fast confirmation request", "peer", id, "monitor", key, "err", err)
			}
		}()
	}
}

// readIndex is the leader's read index (see cluster.Node.ReadIndex), asked
// of the leader when this node follows.
func (c *clusterRuntime) readIndex(ctx context.Context) (uint64, error) {
	if c.a.node.IsLeader() {
		return c.a.node.ReadIndex(ctx)
	}
	var idx uint64
	err := c.callLeader(ctx, methodReadIndex, struct{}{}, &idx)
	return idx, err
}

// measureSkew compares wall clocks with every peer. Decisions never compare
// wall clocks of different machines; skew only warns (and is a metric).
func (c *clusterRuntime) measureSkew(ctx context.Context) {
	warned := map[string]time.Time{}
	select { // first measurement once the peers have had time to join
	case <-ctx.Done():
		return
	case <-time.After(5 * time.Second):
	}
	every(ctx, skewEvery, true, func(ctx context.Context) {
		for _, m := range c.gossip.Members() {
			if m.ID == c.a.nodeID || m.Status != gossip.StatusAlive {
				continue
			}
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			s, err := rpc.MeasureSkew(cctx, c.cli, m.Tags[gossip.TagRPCAddr], 3)
			cancel()
			if err != nil {
				continue
			}
			c.mu.Lock()
			c.skew[m.ID] = s
			c.mu.Unlock()
			c.a.metrics.SetClockSkew(m.ID, s.Offset)
			if (s.Offset > skewWarnAbove || s.Offset < -skewWarnAbove) && time.Since(warned[m.ID]) > 10*time.Minute {
				warned[m.ID] = time.Now()
				c.a.log.Warn("clock skew with a peer: custodes does not depend on it, but check NTP", "peer", m.ID, "offset", s.Offset.Round(time.Millisecond), "rtt", s.RTT.Round(time.Microsecond))
			}
		}
	})
}

func (c *clusterRuntime) skews() map[string]rpc.Skew {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]rpc.Skew, len(c.skew))
	for k, v := range c.skew {
		out[k] = v
	}
	return out
}

// watchDrift reports config drift: nodes whose declared config differs from
// the one in force (last writer wins by log order). It is a metric on every
// node and a warning on the nodes whose file differs.
func (c *clusterRuntime) watchDrift(ctx context.Context) {
	warned := ""
	every(ctx, 10*time.Second, true, func(context.Context) {
		f := c.a.node.FSM()
		cur := f.ConfigInForce()
		if cur == nil {
			return
		}
		drifting, mine := 0, ""
		for node, nc := range f.NodeConfigs() {
			if nc.Hash != cur.Hash {
				drifting++
			}
			if node == c.a.nodeID {
				mine = nc.Hash
			}
		}
		c.a.metrics.SetConfigDrift(drifting)
		if mine != "" && mine != cur.Hash && warned != mine+cur.Hash {
			warned = mine + cur.Hash
			c.a.log.Warn("config drift: this node's file differs from the config in force, which node "+cur.Node+" declared last; the cluster uses that one",
				"mine", shortHash(mine), "in_force", shortHash(cur.Hash))
		}
	})
}
