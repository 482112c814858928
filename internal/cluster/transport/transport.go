// Package transport is custodes' cluster network: one TCP listener per
// node carrying Raft and node RPC, authenticated and encrypted with mutual
// TLS 1.3 from the shared cluster.secret (see pki.go), and demultiplexed
// by the first byte the dialer writes after the handshake (as rqlite does
// before its TLS layer).
//
// A connection that fails the handshake, sends an unknown kind byte or
// nothing within HandshakeTimeout is closed and logged, at most once per
// peer host per LogEvery, without disturbing anything else.
package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"
)

// Kind is the byte a dialer writes right after the TLS handshake to say
// which service the connection is for.
type Kind byte

// Connection kinds. Reserved bytes are refused until a listener is
// registered for them; never reuse a byte for another meaning.
const (
	KindRaft Kind = 'R' // hashicorp/raft's NetworkTransport
	KindRPC  Kind = 'P' // node RPC (internal/cluster/rpc)

	// Reserved for later services.
	KindGossip   Kind = 'G' // gossip streams, should they move here
	KindSnapshot Kind = 'S' // bulk transfers (snapshots, history catch-up)
)

func (k Kind) String() string {
	switch k {
	case KindRaft:
		return "raft"
	case KindRPC:
		return "rpc"
	case KindGossip:
		return "gossip"
	case KindSnapshot:
		return "snapshot"
	}
	return fmt.Sprintf("unknown kind 0x%02x", byte(k))
}

// Defaults for Config.
const (
	DefaultHandshakeTimeout     = 5 * time.Second
	DefaultMaxPendingHandshakes = 256
	DefaultLogEvery             = time.Minute
)

// keepAlive detects a vanished peer on an idle connection in about
// Idle + Interval*Count = 20 s, much sooner than the OS default.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 5 * time.Second, Count: 3}

// Config configures a Transport.
type Config struct {
	NodeID string
	Secret []byte // cluster.secret, the same on every node
	// Bind is the host:port to listen on (cluster.bind). Ignored when
	// Listener is set.
	Bind string
	// Advertise is the host:port peers dial (cluster.advertise). Empty
	// means the listener's address, which must then not be a wildcard.
	Advertise string
	// Listener, when set, is used instead of listening on Bind (tests wrap
	// one with internal/cluster/faultnet). The Transport closes it.
	Listener net.Listener
	// Dial opens outbound TCP connections; nil uses net.Dialer with TCP
	// keep-alive. Tests pass a faultnet dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HandshakeTimeout bounds an inbound connection's TLS handshake plus
	// its kind byte, and an outbound handshake. Default 5 s.
	HandshakeTimeout time.Duration
	// MaxPendingHandshakes bounds inbound connections still handshaking;
	// more are closed at once. Default 256.
	MaxPendingHandshakes int
	// Logger receives refused connections; nil discards them.
	Logger *slog.Logger
	// LogEvery is the per-peer-host period of refusal logs. Default 1 min.
	LogEvery time.Duration
}

// Transport is a node's cluster listener and dialer.
type Transport struct {
	id        *Identity
	ln        net.Listener
	advertise string
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	hsTimeout time.Duration
	log       *slog.Logger
	limit     *logLimiter

	mu      sync.Mutex
	closed  bool
	kinds   map[Kind]*kindListener
	conns   map[*Conn]struct{}
	pending map[net.Conn]struct{} // still handshaking, inbound or outbound

	slots chan struct{} // handshake slots
	done  chan struct{}
	wg    sync.WaitGroup
}

// ErrClosed is returned by Dial and Listen after Close.
var ErrClosed = errors.New("transport: closed")

// Listen starts a node's transport: it derives the TLS identity, listens
// and starts accepting. Register services with Listen(kind) before peers
// connect (connections of an unregistered kind are refused).
func Listen(cfg Config) (*Transport, error) {
	id, err := NewIdentity(cfg.Secret, cfg.NodeID)
	if err != nil {
		return nil, err
	}
	ln := cfg.Listener
	if ln == nil {
		if cfg.Bind == "" {
			return nil, errors.New("transport: no bind address (cluster.bind)")
		}
		lc := net.ListenConfig{KeepAliveConfig: keepAlive}
		ln, err = lc.Listen(context.Background(), "tcp", cfg.Bind)
		if err != nil {
			return nil, fmt.Errorf("transport: listening on cluster.bind %s: %w", cfg.Bind, err)
		}
	}
	adv, err := advertiseAddr(cfg.Advertise, ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}
	t := &Transport{
		id:        id,
		ln:        ln,
		advertise: adv,
		dial:      cfg.Dial,
		hsTimeout: cfg.HandshakeTimeout,
		log:       cfg.Logger,
		limit:     newLogLimiter(cfg.LogEvery),
		kinds:     map[Kind]*kindListener{},
		conns:     map[*Conn]struct{}{},
		pending:   map[net.Conn]struct{}{},
		done:      make(chan struct{}),
	}
	if t.dial == nil {
		d := &net.Dialer{KeepAliveConfig: keepAlive}
		t.dial = d.DialContext
	}
	if t.hsTimeout <= 0 {
		t.hsTimeout = DefaultHandshakeTimeout
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	slots := cfg.MaxPendingHandshakes
	if slots <= 0 {
		slots = DefaultMaxPendingHandshakes
	}
	t.slots = make(chan struct{}, slots)
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

func advertiseAddr(adv string, bound net.Addr) (string, error) {
	if adv == "" {
		tcp, ok := bound.(*net.TCPAddr)
		if ok && tcp.IP.IsUnspecified() {
			return "", fmt.Errorf("transport: cluster.advertise is required when listening on the wildcard address %s", bound)
		}
		return bound.String(), nil
	}
	host, port, err := net.SplitHostPort(adv)
	if err != nil {
		return "", fmt.Errorf("transport: cluster.advertise %q: %w", adv, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 || host == "" {
		return "", fmt.Errorf("transport: cluster.advertise %q: want host:port with a port in 1-65535", adv)
	}
	return adv, nil
}

// NodeID is this node's id.
func (t *Transport) NodeID() string { return t.id.NodeID }

// Identity is this node's TLS identity.
func (t *Transport) Identity() *Identity { return t.id }

// Addr is the address actually bound.
func (t *Transport) Addr() net.Addr { return t.ln.Addr() }

// Advertise is the address peers dial to reach this node.
func (t *Transport) Advertise() string { return t.advertise }

// Listen registers a service: connections of kind k are handed to the
// returned listener. Closing it unregisters the kind and closes the
// connections it accepted.
func (t *Transport) Listen(k Kind) (net.Listener, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	if _, ok := t.kinds[k]; ok {
		return nil, fmt.Errorf("transport: a listener for %s is already registered", k)
	}
	l := &kindListener{t: t, kind: k, ch: make(chan *Conn, 16), closed: make(chan struct{})}
	t.kinds[k] = l
	return l, nil
}

// Dial connects to a peer's advertised address for service k: TCP, the
// TLS handshake (bounded by ctx and HandshakeTimeout), then the kind byte.
// A peer with another secret gives an error wrapping ErrSecretMismatch.
func (t *Transport) Dial(ctx context.Context, addr string, k Kind) (*Conn, error) {
	if t.isClosed() {
		return nil, ErrClosed
	}
	raw, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dialing %s for %s: %w", addr, k, err)
	}
	// Until tracked, Close reaches the connection through pending.
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		raw.Close()
		return nil, ErrClosed
	}
	t.pending[raw] = struct{}{}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.pending, raw)
		t.mu.Unlock()
	}()
	hctx, cancel := context.WithTimeout(ctx, t.hsTimeout)
	defer cancel()
	tc := tls.Client(raw, t.id.clientConfig(addr))
	if err := tc.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, fmt.Errorf("transport: TLS handshake with %s: %w", addr, classifyHandshake(err, addr))
	}
	dl, _ := hctx.Deadline()
	raw.SetWriteDeadline(dl)
	if _, err := tc.Write([]byte{byte(k)}); err != nil {
		raw.Close()
		return nil, fmt.Errorf("transport: opening %s with %s: %w", k, addr, err)
	}
	raw.SetWriteDeadline(time.Time{})
	c := &Conn{Conn: tc, t: t, peerID: peerID(tc), kind: k}
	if !t.track(c) {
		return nil, ErrClosed
	}
	return c, nil
}

// Dialer returns Dial for service k as a plain function, e.g. for
// rpc.ClientConfig.Dial.
func (t *Transport) Dialer(k Kind) func(ctx context.Context, addr string) (net.Conn, error) {
	return func(ctx context.Context, addr string) (net.Conn, error) {
		c, err := t.Dial(ctx, addr, k)
		if err != nil {
			return nil, err // not a typed nil in an interface
		}
		return c, nil
	}
}

func peerID(tc *tls.Conn) string {
	cs := tc.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return ""
	}
	return cs.PeerCertificates[0].Subject.CommonName
}

func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// track registers a live connection; false (and the conn closed) after
// Close.
func (t *Transport) track(c *Conn) bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		c.closeRaw()
		return false
	}
	t.conns[c] = struct{}{}
	t.mu.Unlock()
	return true
}

func (t *Transport) untrack(c *Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// closeConns closes the live connections of kind k, the inbound ones or
// the outbound ones.
func (t *Transport) closeConns(k Kind, accepted bool) {
	t.mu.Lock()
	var victims []*Conn
	for c := range t.conns {
		if c.kind == k && c.accepted == accepted {
			victims = append(victims, c)
		}
	}
	t.mu.Unlock()
	for _, c := range victims {
		c.Close()
	}
}

// Close stops accepting, closes every listener and every connection made
// or accepted, and waits for the accept loop and pending handshakes.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.done)
	kinds := make([]*kindListener, 0, len(t.kinds))
	for _, l := range t.kinds {
		kinds = append(kinds, l)
	}
	conns := make([]*Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	for raw := range t.pending {
		raw.Close()
	}
	t.mu.Unlock()

	err := t.ln.Close()
	for _, l := range kinds {
		l.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	t.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (t *Transport) acceptLoop() {
	defer t.wg.Done()
	var backoff time.Duration
	for {
		raw, err := t.ln.Accept()
		if err != nil {
			if t.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			t.refused("accept", fmt.Errorf("accepting a cluster connection: %w", err))
			select {
			case <-t.done:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		select {
		case t.slots <- struct{}{}:
		default:
			raw.Close()
			t.refused(raw.RemoteAddr().String(), fmt.Errorf("peer %s: too many connections still handshaking (%d)", raw.RemoteAddr(), cap(t.slots)))
			continue
		}
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			raw.Close()
			<-t.slots
			return
		}
		t.pending[raw] = struct{}{}
		t.mu.Unlock()
		t.wg.Add(1)
		go t.serveHandshake(raw)
	}
}

// serveHandshake runs an inbound connection's handshake and hands it to
// the listener of its kind.
func (t *Transport) serveHandshake(raw net.Conn) {
	defer t.wg.Done()
	defer func() { <-t.slots }()
	c, err := t.handshake(raw)
	t.mu.Lock()
	delete(t.pending, raw)
	t.mu.Unlock()
	if err != nil {
		raw.Close()
		if !t.isClosed() { // a handshake cut by Close is no peer's fault
			t.refused(raw.RemoteAddr().String(), err)
		}
		return
	}
	if !t.track(c) {
		return
	}
	t.mu.Lock()
	l := t.kinds[c.kind]
	t.mu.Unlock()
	if l == nil {
		c.Close()
		t.refused(raw.RemoteAddr().String(), fmt.Errorf("peer %s: no service for connection %s", describe(raw.RemoteAddr().String(), c.peerID), c.kind))
		return
	}
	l.deliver(c)
}

func (t *Transport) handshake(raw net.Conn) (*Conn, error) {
	addr := raw.RemoteAddr().String()
	raw.SetDeadline(time.Now().Add(t.hsTimeout))
	tc := tls.Server(raw, t.id.serverConfig(raw.RemoteAddr()))
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS handshake with %s: %w", addr, classifyHandshake(err, addr))
	}
	var kind [1]byte
	if _, err := io.ReadFull(tc, kind[:]); err != nil {
		return nil, fmt.Errorf("peer %s sent no connection kind within %s: %w", describe(addr, peerID(tc)), t.hsTimeout, classifyHandshake(err, addr))
	}
	raw.SetDeadline(time.Time{})
	return &Conn{Conn: tc, t: t, peerID: peerID(tc), kind: Kind(kind[0]), accepted: true}, nil
}

// refused logs a refused inbound connection, at most once per peer host
// per LogEvery.
func (t *Transport) refused(peer string, err error) {
	t.logLimited("cluster transport: refused a connection", peer, err)
}

// logLimited logs msg about peer at most once per peer host per LogEvery.
func (t *Transport) logLimited(msg, peer string, err error) {
	host := peer
	if h, _, e := net.SplitHostPort(peer); e == nil {
		host = h
	}
	ok, suppressed := t.limit.allow(host, time.Now())
	if !ok {
		return
	}
	t.log.Warn(msg, "peer", peer, "error", err.Error(), "suppressed", suppressed)
}

// Conn is an authenticated cluster connection.
type Conn struct {
	*tls.Conn
	t        *Transport
	peerID   string
	kind     Kind
	accepted bool
	once     sync.Once
}

// PeerID is the node id in the peer's certificate (a claim made by a
// holder of the cluster secret).
func (c *Conn) PeerID() string { return c.peerID }

// Kind is the service the connection was opened for.
func (c *Conn) Kind() Kind { return c.kind }

// Close closes the connection at once, without the TLS close_notify
// exchange (which could wait on a stalled peer): every protocol on top is
// framed, so a truncation is detected anyway.
func (c *Conn) Close() error {
	err := net.ErrClosed
	c.once.Do(func() {
		c.t.untrack(c)
		err = c.closeRaw()
	})
	return err
}

func (c *Conn) closeRaw() error { return c.NetConn().Close() }

// PeerID returns the authenticated node id of a transport connection, or
// "" for another kind of connection.
func PeerID(conn net.Conn) string {
	if c, ok := conn.(interface{ PeerID() string }); ok {
		return c.PeerID()
	}
	return ""
}
