// Package gossip keeps custodes' cluster membership on hashicorp/serf (and
// its memberlist), as Consul and Nomad do for their LAN pools: which nodes
// exist, their gossip address, whether each is alive, failed or gone, and
// the tags each publishes (RPC address, Raft role, version, labels).
//
// Gossip is encrypted with a key derived from the cluster secret, and a
// node whose cluster id or bootstrap-expect differs from ours is refused on
// both sides of the join, so two clusters never merge by mistake.
package gossip

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

// Config configures one node's gossip layer.
type Config struct {
	// NodeID is this node's unique, stable name in the cluster. A node
	// restarted with the same id takes its old place.
	NodeID string
	// Bind is the host:port the UDP and TCP gossip listeners bind; the
	// host must be an IP (0.0.0.0 for all interfaces) and port 0 picks a
	// free port. Unused when Transport is set.
	Bind string
	// Advertise is the host:port peers use to reach this node. Empty: the
	// bound address, or a private IP of this machine when bound to 0.0.0.0.
	Advertise string
	// Secret is cluster.secret (at least MinSecretLen bytes); gossip is
	// encrypted with GossipKey(Secret).
	Secret []byte
	// ExtraSecrets are also accepted when decrypting, for a rolling change
	// of cluster.secret: first add the new secret here on every node, then
	// make it Secret (keeping the old one here), then drop the old one.
	ExtraSecrets [][]byte
	// ClusterID and BootstrapExpect are published as reserved tags; a node
	// whose values differ is refused (see MismatchError).
	ClusterID       string
	BootstrapExpect int
	// Tags are the other published tags: TagRPCAddr, TagRole, TagVersion,
	// TagConfigHash, labels under LabelPrefix. All tags must fit, encoded,
	// in 512 bytes.
	Tags map[string]string
	// Join, when set, is joined once by Start; see Start.
	Join []string
	// Transport carries gossip; nil is memberlist's UDP/TCP transport on
	// Bind. Tests inject a fault-injecting one.
	Transport memberlist.Transport
	// Logger receives serf's and memberlist's logs (repetitive warnings
	// rate-limited); nil discards them.
	Logger *slog.Logger
	// Timing tunes failure detection; zero fields take DefaultTiming.
	Timing Timing
	// EventBuffer is the capacity of the Events channel (default 256).
	EventBuffer int

	logWindow time.Duration // spacing of repeated warnings; tests shorten or lengthen it
}

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("gossip: closed")

const defaultEventBuffer = 256

// Gossip is a running member of the gossip pool.
type Gossip struct {
	serf     *serf.Serf
	id       identity
	adm      *admission
	bridge   *logBridge
	events   chan Event
	pumpDone chan struct{}

	tagsMu sync.Mutex // serializes SetTags: serf writes its tags unguarded

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // joins, leaves and tag updates still running
}

// Start creates the local member and starts gossiping. When cfg.Join is
// set it joins those addresses once: a refusal (ErrRefused,
// ErrKeyMismatch) fails Start, as retrying cannot help, but peers that
// cannot be reached do not, since the first node of a new cluster starts
// before its peers; the caller retries with Join until Members shows them.
func Start(ctx context.Context, cfg Config) (*Gossip, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gossip: start: %w", err)
	}
	mlc, sc, bridge, err := buildConfigs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	buf := cfg.EventBuffer
	if buf <= 0 {
		buf = defaultEventBuffer
	}
	serfEvents := make(chan serf.Event, 1024)
	sc.EventCh = serfEvents
	sc.MemberlistConfig = mlc
	adm := sc.Merge.(*admission)

	s, err := serf.Create(sc)
	if err != nil {
		return nil, fmt.Errorf("gossip: start node %q: %w", cfg.NodeID, err)
	}
	g := &Gossip{
		serf:     s,
		id:       adm.id,
		adm:      adm,
		bridge:   bridge,
		events:   make(chan Event, buf),
		pumpDone: make(chan struct{}),
	}
	go g.pump(serfEvents, s.ShutdownCh())

	if len(cfg.Join) > 0 {
		if _, err := g.Join(ctx, cfg.Join); err != nil {
			if errors.Is(err, ErrRefused) || errors.Is(err, ErrKeyMismatch) || ctx.Err() != nil {
				_ = g.Close()
				return nil, err
			}
			bridge.log.Warn("gossip: no peer reachable yet; the caller retries", "error", err)
		}
	}
	return g, nil
}

// buildConfigs validates cfg and turns it into memberlist's and serf's
// configurations (without the event channel).
func buildConfigs(ctx context.Context, cfg Config) (*memberlist.Config, *serf.Config, *logBridge, error) {
	if cfg.NodeID == "" {
		return nil, nil, nil, errors.New("gossip: NodeID is empty")
	}
	if cfg.BootstrapExpect < 0 {
		return nil, nil, nil, fmt.Errorf("gossip: BootstrapExpect must not be negative, got %d", cfg.BootstrapExpect)
	}
	if err := checkTags(cfg.Tags); err != nil {
		return nil, nil, nil, err
	}
	timing, err := cfg.Timing.withDefaults()
	if err != nil {
		return nil, nil, nil, err
	}
	kr, err := keyring(cfg.Secret, cfg.ExtraSecrets)
	if err != nil {
		return nil, nil, nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bridge := newLogBridge(logger, cfg.logWindow)
	lineLog := stdlog.New(bridge, "", 0)

	mlc := memberlist.DefaultLANConfig()
	mlc.Name = cfg.NodeID
	mlc.Keyring = kr
	mlc.GossipVerifyIncoming = true
	mlc.GossipVerifyOutgoing = true
	mlc.Logger = lineLog
	timing.applyMemberlist(mlc)
	if cfg.Transport != nil {
		mlc.Transport = cfg.Transport
	} else {
		host, port, err := splitHostPort("Bind", cfg.Bind, true)
		if err != nil {
			return nil, nil, nil, err
		}
		if _, err := netip.ParseAddr(host); err != nil {
			return nil, nil, nil, fmt.Errorf("gossip: Bind %q: host must be an IP address (0.0.0.0 for all interfaces)", cfg.Bind)
		}
		mlc.BindAddr, mlc.BindPort = host, port
	}
	mlc.AdvertiseAddr, mlc.AdvertisePort = "", mlc.BindPort
	if cfg.Advertise != "" {
		ip, port, err := resolveAdvertise(ctx, cfg.Advertise)
		if err != nil {
			return nil, nil, nil, err
		}
		mlc.AdvertiseAddr, mlc.AdvertisePort = ip.String(), port
	}

	id := newIdentity(cfg.ClusterID, cfg.BootstrapExpect)
	sc := &serf.Config{
		NodeName:               cfg.NodeID,
		Tags:                   id.tags(cfg.Tags),
		ProtocolVersion:        4,
		EventBuffer:            64,
		QueryBuffer:            64,
		QueryTimeoutMult:       16,
		QueryResponseSizeLimit: 1024,
		QuerySizeLimit:         1024,
		UserEventSizeLimit:     512,
		RecentIntentTimeout:    5 * time.Minute,
		FlapTimeout:            time.Minute,
		QueueCheckInterval:     30 * time.Second,
		QueueDepthWarning:      128,
		MaxQueueDepth:          4096,
		Logger:                 lineLog,
		// Serf's resolution makes the node in the minority shut its own
		// gossip down, which would silently detach a custodes node that
		// was restarted on a new address before its old self was declared
		// failed. A duplicate id is a configuration error: it is logged
		// and counted (Stats.NameConflicts), and the restarted node takes
		// the name over after Timing.DeadNodeReclaimTime.
		EnableNameConflictResolution: false,
		DisableCoordinates:           true, // no RTT estimates needed
		Merge:                        &admission{self: cfg.NodeID, id: id},
	}
	timing.applySerf(sc)
	return mlc, sc, bridge, nil
}

// splitHostPort parses host:port with a numeric port (0 allowed when
// zeroPort is true).
func splitHostPort(field, s string, zeroPort bool) (string, int, error) {
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, fmt.Errorf("gossip: %s %q: want host:port: %w", field, s, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 || (port == 0 && !zeroPort) {
		return "", 0, fmt.Errorf("gossip: %s %q: invalid port %q", field, s, ps)
	}
	if host == "" {
		return "", 0, fmt.Errorf("gossip: %s %q: host is empty", field, s)
	}
	return host, port, nil
}

// resolveAdvertise returns the IP and port of an advertise address,
// looking a host name up if needed.
func resolveAdvertise(ctx context.Context, s string) (netip.Addr, int, error) {
	host, port, err := splitHostPort("Advertise", s, false)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), port, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("gossip: Advertise %q: %w", s, err)
	}
	if len(ips) == 0 {
		return netip.Addr{}, 0, fmt.Errorf("gossip: Advertise %q: host has no address", s)
	}
	return ips[0].Unmap(), port, nil
}

// ID returns this node's id.
func (g *Gossip) ID() string { return g.serf.LocalMember().Name }

// Addr returns the gossip address peers use to reach this node.
func (g *Gossip) Addr() netip.AddrPort {
	n := g.serf.Memberlist().LocalNode()
	ip, _ := netip.AddrFromSlice(n.Addr)
	return netip.AddrPortFrom(ip.Unmap(), n.Port)
}

// Members returns every member this node knows, itself included, sorted by
// id.
func (g *Gossip) Members() []Member {
	sm := g.serf.Members()
	out := make([]Member, 0, len(sm))
	for _, m := range sm {
		out = append(out, memberFrom(m))
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Events delivers membership changes, one event per member. The channel is
// buffered (Config.EventBuffer) and never blocks serf: when it is full,
// events are dropped, counted in Stats and logged, so treat events as
// prompts and Members as the truth. It is closed by Close.
func (g *Gossip) Events() <-chan Event { return g.events }

// Stats returns counts of what was dropped or refused.
func (g *Gossip) Stats() Stats { return g.bridge.stats() }

// Join contacts the given gossip addresses (host:port) and merges member
// lists with them. It returns how many were contacted, and an error only
// when none could be: the error matches ErrRefused (with a MismatchError)
// or ErrKeyMismatch when the peer refused us or we it. It does not retry.
// When ctx ends first Join returns its error while the attempt finishes in
// the background (bounded by Timing.TCPTimeout per address).
func (g *Gossip) Join(ctx context.Context, addrs []string) (int, error) {
	if len(addrs) == 0 {
		return 0, errors.New("gossip: join: no addresses given")
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	if !g.spawn(func() {
		n, err := g.serf.Join(addrs, true)
		done <- result{n, err}
	}) {
		return 0, ErrClosed
	}
	list := strings.Join(addrs, ", ")
	select {
	case r := <-done:
		if r.err == nil {
			return r.n, nil
		}
		return r.n, g.joinError(list, r.err)
	case <-ctx.Done():
		return 0, fmt.Errorf("gossip: join %s: %w", list, ctx.Err())
	}
}

// joinError recovers the typed cause of a failed join from memberlist's
// flattened error text.
func (g *Gossip) joinError(list string, err error) error {
	msg := err.Error()
	if r := g.adm.refusalIn(msg); r != nil {
		return fmt.Errorf("gossip: join %s: %w", list, r)
	}
	if strings.Contains(msg, "crypt") {
		return fmt.Errorf("gossip: join %s: %w: %v", list, ErrKeyMismatch, strings.TrimSpace(msg))
	}
	return fmt.Errorf("gossip: join %s: %w", list, err)
}

// SetTags replaces this node's published tags (the reserved identity tags
// stay) and spreads them. The new tags apply locally at once; ctx bounds
// the wait for the update to be sent (at most Timing.BroadcastTimeout).
func (g *Gossip) SetTags(ctx context.Context, tags map[string]string) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	full := g.id.tags(tags)
	return g.await(ctx, "set tags", func() error {
		g.tagsMu.Lock()
		defer g.tagsMu.Unlock()
		return g.serf.SetTags(full)
	})
}

// Leave announces a graceful leave: peers mark this node left, not failed.
// It waits for the announcement to spread (Timing.LeavePropagateDelay);
// Close is still needed afterwards.
func (g *Gossip) Leave(ctx context.Context) error {
	return g.await(ctx, "leave", g.serf.Leave)
}

// await runs f in the background and waits for it or for ctx.
func (g *Gossip) await(ctx context.Context, what string, f func() error) error {
	done := make(chan error, 1)
	if !g.spawn(func() { done <- f() }) {
		return ErrClosed
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("gossip: %s: %w", what, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gossip: %s: %w", what, ctx.Err())
	}
}

// spawn runs f on a goroutine that Close waits for, unless closed.
func (g *Gossip) spawn(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
	return true
}

// Close stops gossiping at once (peers will see this node fail unless
// Leave ran first), waits for the package's goroutines, and closes Events.
// It is safe to call more than once.
func (g *Gossip) Close() error {
	g.mu.Lock()
	already := g.closed
	g.closed = true
	g.mu.Unlock()
	if already {
		<-g.pumpDone
		return nil
	}
	if err := g.serf.Shutdown(); err != nil {
		return fmt.Errorf("gossip: close: %w", err)
	}
	<-g.pumpDone
	g.wg.Wait()
	return nil
}

// pump moves serf's events to the Events channel without ever blocking:
// serf sends member events while holding its member lock.
func (g *Gossip) pump(in <-chan serf.Event, shutdown <-chan struct{}) {
	defer close(g.pumpDone)
	defer close(g.events)
	for {
		select {
		case e := <-in:
			g.forward(e)
		case <-shutdown:
			for {
				select {
				case e := <-in:
					g.forward(e)
				default:
					return
				}
			}
		}
	}
}

func (g *Gossip) forward(e serf.Event) {
	me, ok := e.(serf.MemberEvent)
	if !ok {
		return // custodes sends no user events or queries over gossip
	}
	kind, ok := eventKindFrom(me.Type)
	if !ok {
		return
	}
	for _, m := range me.Members {
		select {
		case g.events <- Event{Kind: kind, Member: memberFrom(m)}:
		default:
			g.bridge.note(classEventsDropped, kind.String()+" "+m.Name)
		}
	}
}
