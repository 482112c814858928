// Package faultnet injects network faults between named nodes of an
// in-process test cluster: partitions, one-way latency, packet loss,
// refused dials and cut connections. It wraps real loopback sockets, so
// TLS, framing and timeouts above it run exactly as in production.
//
// Every node is a name. A Network learns which address belongs to which
// node when a listener or packet conn is created through it (Listen,
// WrapListener, ListenPacket, WrapPacketConn) or with Register, and which
// ephemeral address a connection dialed through it (Dial, Dialer) comes
// from. Rules are symmetric and hold between pairs of nodes.
//
// Stream connections model TCP: a partition never loses or corrupts bytes,
// it holds each end's writes until the partition heals (or the write
// deadline passes, or the connection is closed), like a blackholed link
// whose retransmissions succeed once it comes back. Dials across a
// partition wait the same way, as SYN retransmissions do. Each end delays
// its own writes, so SetDelay(a, b, d) is a one-way latency of d in each
// direction. Loss refuses new dials with that probability. Datagrams are
// dropped instead of held.
//
// Faults only apply to traffic whose both ends are known nodes; anything
// else passes through untouched.
package faultnet

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"
)

// ErrRefused is returned by Dial when loss refused the connection.
var ErrRefused = errors.New("faultnet: connection refused (injected loss)")

// Network holds the fault rules between nodes.
type Network struct {
	mu       sync.Mutex
	links    map[pair]link
	isolated map[string]bool
	addrs    map[string]string // listening / packet address -> node
	dialed   map[string]string // local address of a dialed conn -> node
	conns    map[*Conn]struct{}
	changed  chan struct{} // closed and replaced on every rule change
	rng      *rand.Rand
}

type pair struct{ a, b string } // a < b

func pairOf(a, b string) pair {
	if a > b {
		a, b = b, a
	}
	return pair{a, b}
}

// link is the fault state between two nodes.
type link struct {
	blocked bool
	delay   time.Duration
	loss    float64
}

// New returns a Network without faults. Loss draws from a fixed seed so a
// failing test replays the same way.
func New() *Network {
	return &Network{
		links:    map[pair]link{},
		isolated: map[string]bool{},
		addrs:    map[string]string{},
		dialed:   map[string]string{},
		conns:    map[*Conn]struct{}{},
		changed:  make(chan struct{}),
		rng:      rand.New(rand.NewPCG(1, 2)),
	}
}

// Register records that addr (exactly as peers will dial it, e.g.
// "127.0.0.1:4321") belongs to node.
func (n *Network) Register(node, addr string) {
	n.mu.Lock()
	n.addrs[addr] = node
	n.mu.Unlock()
}

// NodeOf returns the node an address belongs to, or "".
func (n *Network) NodeOf(addr string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.nodeOfLocked(addr)
}

func (n *Network) nodeOfLocked(addr string) string {
	if node, ok := n.addrs[addr]; ok {
		return node
	}
	return n.dialed[addr]
}

// Partition blocks every pair of nodes that sit in different groups. Pairs
// inside a group, and nodes in no group, keep their current rules.
func (n *Network) Partition(groups ...[]string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, g := range groups {
		for _, other := range groups[i+1:] {
			for _, a := range g {
				for _, b := range other {
					l := n.links[pairOf(a, b)]
					l.blocked = true
					n.links[pairOf(a, b)] = l
				}
			}
		}
	}
	n.notifyLocked()
}

// Block cuts traffic between a and b (held, not lost) until Unblock or
// Heal.
func (n *Network) Block(a, b string) { n.setBlocked(a, b, true) }

// Unblock lets traffic between a and b flow again.
func (n *Network) Unblock(a, b string) { n.setBlocked(a, b, false) }

func (n *Network) setBlocked(a, b string, blocked bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.links[pairOf(a, b)]
	l.blocked = blocked
	n.links[pairOf(a, b)] = l
	n.notifyLocked()
}

// Isolate blocks node from every other node, including ones registered
// later.
func (n *Network) Isolate(node string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.isolated[node] = true
	n.notifyLocked()
}

// SetDelay adds a one-way latency of d to each write between a and b.
func (n *Network) SetDelay(a, b string, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.links[pairOf(a, b)]
	l.delay = d
	n.links[pairOf(a, b)] = l
	n.notifyLocked()
}

// SetLoss drops datagrams between a and b, and refuses new stream dials
// between them, with probability p (0..1).
func (n *Network) SetLoss(a, b string, p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.links[pairOf(a, b)]
	l.loss = min(max(p, 0), 1)
	n.links[pairOf(a, b)] = l
	n.notifyLocked()
}

// Heal removes every rule: held writes and dials proceed.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	clear(n.links)
	clear(n.isolated)
	n.notifyLocked()
}

// Blocked reports whether traffic between a and b is held.
func (n *Network) Blocked(a, b string) bool {
	l, _ := n.rule(a, b)
	return l.blocked
}

// Cut closes every established stream connection between a and b (both
// ends, where both were made through this Network) and returns how many
// connection ends it closed.
func (n *Network) Cut(a, b string) int {
	n.mu.Lock()
	var victims []*Conn
	for c := range n.conns {
		if peer := c.peerLocked(); pairOf(c.local, peer) == pairOf(a, b) && peer != "" {
			victims = append(victims, c)
		}
	}
	n.mu.Unlock()
	for _, c := range victims {
		c.Close()
	}
	return len(victims)
}

func (n *Network) notifyLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// rule returns the link between a and b and a channel closed at the next
// rule change.
func (n *Network) rule(a, b string) (link, <-chan struct{}) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.ruleLocked(a, b), n.changed
}

func (n *Network) ruleLocked(a, b string) link {
	if a == "" || b == "" || a == b {
		return link{}
	}
	l := n.links[pairOf(a, b)]
	if n.isolated[a] || n.isolated[b] {
		l.blocked = true
	}
	return l
}

// lose draws whether one packet or dial between a and b is lost.
func (n *Network) lose(a, b string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.ruleLocked(a, b)
	return l.loss > 0 && n.rng.Float64() < l.loss
}

// Listen listens on a loopback address for node and registers the
// listener's address as node's.
func (n *Network) Listen(node, network, addr string) (net.Listener, error) {
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("faultnet: listen for %s: %w", node, err)
	}
	return n.WrapListener(node, ln), nil
}

// WrapListener registers ln's address as node's; connections it accepts
// obey the rules between node and whoever dialed them.
func (n *Network) WrapListener(node string, ln net.Listener) net.Listener {
	n.Register(node, ln.Addr().String())
	return &Listener{Listener: ln, n: n, node: node}
}

// Listener is a net.Listener whose accepted connections obey the rules.
type Listener struct {
	net.Listener
	n    *Network
	node string
}

// Accept waits for the next connection.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.n.track(c, l.node, "", c.RemoteAddr().String(), ""), nil
}

// Close closes the listener and forgets its address.
func (l *Listener) Close() error {
	addr := l.Listener.Addr().String()
	l.n.mu.Lock()
	if l.n.addrs[addr] == l.node {
		delete(l.n.addrs, addr)
	}
	l.n.mu.Unlock()
	return l.Listener.Close()
}

// Dialer returns a dial function for node, in the shape net.Dialer's
// DialContext has.
func (n *Network) Dialer(from string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return n.Dial(ctx, from, network, addr)
	}
}

// Dial connects node from to addr. Across a partition it waits for the
// heal or ctx; with loss it may be refused.
func (n *Network) Dial(ctx context.Context, from, network, addr string) (net.Conn, error) {
	to := n.NodeOf(addr)
	for {
		l, changed := n.rule(from, to)
		if !l.blocked {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("faultnet: %s -> %s partitioned: %w", from, to, ctx.Err())}
		}
	}
	if n.lose(from, to) {
		return nil, &net.OpError{Op: "dial", Net: network, Err: ErrRefused}
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	local := c.LocalAddr().String()
	n.mu.Lock()
	n.dialed[local] = from
	n.mu.Unlock()
	return n.track(c, from, to, addr, local), nil
}

func (n *Network) track(c net.Conn, local, peer, peerAddr, dialedFrom string) *Conn {
	fc := &Conn{Conn: c, n: n, local: local, peer: peer, peerAddr: peerAddr, dialedFrom: dialedFrom,
		closed: make(chan struct{}), deadlineSet: make(chan struct{})}
	n.mu.Lock()
	n.conns[fc] = struct{}{}
	n.mu.Unlock()
	return fc
}

// Conn is one end of a stream connection between two nodes. Its writes
// obey the rules between them; reads pass through (the other end holds
// what it writes).
type Conn struct {
	net.Conn
	n          *Network
	local      string
	peerAddr   string
	dialedFrom string // our local address when we dialed (registry key)

	// guarded by n.mu
	peer string

	dmu         sync.Mutex
	writeDL     time.Time
	deadlineSet chan struct{} // closed and replaced when the write deadline changes

	closeOnce sync.Once
	closed    chan struct{}
}

func (c *Conn) peerLocked() string {
	if c.peer == "" {
		c.peer = c.n.nodeOfLocked(c.peerAddr)
	}
	return c.peer
}

func (c *Conn) peerNode() string {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	return c.peerLocked()
}

// Write waits while the link is blocked, delays by the link's latency,
// then writes.
func (c *Conn) Write(b []byte) (int, error) {
	for {
		l, changed := c.n.rule(c.local, c.peerNode())
		if !l.blocked {
			if l.delay > 0 {
				if err := c.wait(time.After(l.delay), nil); err != nil {
					return 0, err
				}
			}
			break
		}
		if err := c.wait(nil, changed); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(b)
}

// wait returns nil when timer or changed fires, or an error when the
// connection closes or its write deadline passes first.
func (c *Conn) wait(timer <-chan time.Time, changed <-chan struct{}) error {
	for {
		c.dmu.Lock()
		dl, dlSet := c.writeDL, c.deadlineSet
		c.dmu.Unlock()
		var dlc <-chan time.Time
		var t *time.Timer
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return c.opError(os.ErrDeadlineExceeded)
			}
			t = time.NewTimer(d)
			dlc = t.C
		}
		again, err := c.waitOnce(timer, changed, dlc, dlSet)
		if t != nil {
			t.Stop()
		}
		if !again {
			return err
		}
	}
}

// waitOnce waits for one event; again is true when only the deadline
// changed.
func (c *Conn) waitOnce(timer <-chan time.Time, changed <-chan struct{}, dlc <-chan time.Time, dlSet <-chan struct{}) (again bool, err error) {
	select {
	case <-timer:
		return false, nil
	case <-changed:
		return false, nil
	case <-c.closed:
		return false, c.opError(net.ErrClosed)
	case <-dlc:
		return false, c.opError(os.ErrDeadlineExceeded)
	case <-dlSet:
		return true, nil
	}
}

func (c *Conn) opError(err error) error {
	return &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.setWriteDL(t)
	return c.Conn.SetDeadline(t)
}

// SetWriteDeadline sets the write deadline, which also bounds a held
// write.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.setWriteDL(t)
	return c.Conn.SetWriteDeadline(t)
}

func (c *Conn) setWriteDL(t time.Time) {
	c.dmu.Lock()
	c.writeDL = t
	close(c.deadlineSet)
	c.deadlineSet = make(chan struct{})
	c.dmu.Unlock()
}

// Close closes the connection and releases held writes with an error.
func (c *Conn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		close(c.closed)
		c.n.mu.Lock()
		delete(c.n.conns, c)
		if c.dialedFrom != "" {
			delete(c.n.dialed, c.dialedFrom)
		}
		c.n.mu.Unlock()
		err = c.Conn.Close()
	})
	return err
}
