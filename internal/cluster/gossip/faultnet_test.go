package gossip

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// faultNet decides the fate of gossip traffic between faultTransports:
// partitions, packet loss and delay. Every node's transport is a real
// memberlist NetTransport on 127.0.0.1; faults are applied by the sender
// (both for UDP packets and TCP streams), so a rule about a pair of nodes
// holds in both directions as long as both use a faultTransport.
type faultNet struct {
	mu     sync.Mutex
	names  map[string]string // gossip address -> node id
	groups map[string]int    // node id -> partition group; empty: no partition
	loss   float64           // probability a UDP packet is dropped
	delay  time.Duration     // added to every UDP packet and stream dial
	rng    *rand.Rand

	dropped int // UDP packets dropped by partition or loss
}

func newFaultNet(seed uint64) *faultNet {
	return &faultNet{
		names:  map[string]string{},
		groups: map[string]int{},
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// register binds a gossip address to a node id.
func (f *faultNet) register(addr, node string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.names[addr] = node
}

// partition splits the named nodes into groups that cannot reach each
// other; nodes not named stay reachable by everyone.
func (f *faultNet) partition(groups ...[]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = map[string]int{}
	for i, g := range groups {
		for _, n := range g {
			f.groups[n] = i + 1
		}
	}
}

// setLoss drops each UDP packet with probability p.
func (f *faultNet) setLoss(p float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loss = p
}

// setDelay delays every UDP packet and stream dial by d.
func (f *faultNet) setDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// heal removes partitions, loss and delay.
func (f *faultNet) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = map[string]int{}
	f.loss = 0
	f.delay = 0
}

// cut reports whether from and to are in different partition groups.
func (f *faultNet) cut(from, to string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cutLocked(from, to)
}

func (f *faultNet) cutLocked(from, to string) bool {
	a, b := f.names[from], f.names[to]
	ga, oka := f.groups[a]
	gb, okb := f.groups[b]
	return oka && okb && ga != gb
}

// packetFate says whether a UDP packet from -> to is delivered, and after
// what delay.
func (f *faultNet) packetFate(from, to string) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cutLocked(from, to) || (f.loss > 0 && f.rng.Float64() < f.loss) {
		f.dropped++
		return false, 0
	}
	return true, f.delay
}

func (f *faultNet) currentDelay() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delay
}

var errPartitioned = errors.New("faultnet: partitioned")

// faultTransport is a memberlist.NodeAwareTransport over a real
// NetTransport whose outgoing traffic obeys a faultNet.
type faultTransport struct {
	inner *memberlist.NetTransport
	net   *faultNet
	self  string // our gossip address

	mu      sync.Mutex
	closed  bool
	pending map[*time.Timer]struct{} // delayed packets not yet sent
	sending sync.WaitGroup           // delayed packets being sent
}

var _ memberlist.NodeAwareTransport = (*faultTransport)(nil)

// newFaultTransport listens on 127.0.0.1:port (0 picks one) and registers
// the address as node's.
func newFaultTransport(fn *faultNet, node string, port int) (*faultTransport, error) {
	var lastErr error
	for range 10 { // port 0: TCP picks a port that UDP may find taken
		inner, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
			BindAddrs: []string{"127.0.0.1"},
			BindPort:  port,
			Logger:    log.New(io.Discard, "", 0),
		})
		if err != nil {
			lastErr = err
			if port != 0 {
				time.Sleep(50 * time.Millisecond) // the old owner of a fixed port is shutting down
			}
			continue
		}
		self := fmt.Sprintf("127.0.0.1:%d", inner.GetAutoBindPort())
		fn.register(self, node)
		return &faultTransport{inner: inner, net: fn, self: self, pending: map[*time.Timer]struct{}{}}, nil
	}
	return nil, fmt.Errorf("faultnet: listen for %s: %w", node, lastErr)
}

func (t *faultTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return t.inner.FinalAdvertiseAddr(ip, port)
}

func (t *faultTransport) PacketCh() <-chan *memberlist.Packet { return t.inner.PacketCh() }
func (t *faultTransport) StreamCh() <-chan net.Conn           { return t.inner.StreamCh() }

func (t *faultTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *faultTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	ok, delay := t.net.packetFate(t.self, a.Addr)
	now := time.Now()
	if !ok {
		return now, nil // UDP: a lost packet is not the sender's error
	}
	if delay == 0 {
		return t.inner.WriteToAddress(b, a)
	}
	buf := append([]byte(nil), b...)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return now, nil
	}
	var timer *time.Timer
	timer = time.AfterFunc(delay, func() {
		t.mu.Lock()
		if _, ok := t.pending[timer]; !ok || t.closed {
			t.mu.Unlock()
			return
		}
		delete(t.pending, timer)
		t.sending.Add(1)
		t.mu.Unlock()
		defer t.sending.Done()
		_, _ = t.inner.WriteToAddress(buf, a)
	})
	t.pending[timer] = struct{}{}
	return now, nil
}

func (t *faultTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func (t *faultTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if t.net.cut(t.self, a.Addr) {
		return nil, fmt.Errorf("dial %s: %w", a.Addr, errPartitioned)
	}
	if d := t.net.currentDelay(); d > 0 {
		if d >= timeout {
			time.Sleep(timeout)
			return nil, fmt.Errorf("dial %s: i/o timeout (delayed)", a.Addr)
		}
		time.Sleep(d)
		timeout -= d
	}
	c, err := t.inner.DialAddressTimeout(a, timeout)
	if err != nil {
		return nil, err
	}
	return &faultConn{Conn: c, net: t.net, from: t.self, to: a.Addr}, nil
}

func (t *faultTransport) Shutdown() error {
	t.mu.Lock()
	t.closed = true
	for timer := range t.pending {
		timer.Stop()
	}
	t.pending = nil
	t.mu.Unlock()
	t.sending.Wait()
	return t.inner.Shutdown()
}

// faultConn breaks an established stream once its ends are partitioned.
type faultConn struct {
	net.Conn
	net      *faultNet
	from, to string
}

func (c *faultConn) Read(p []byte) (int, error) {
	if c.net.cut(c.from, c.to) {
		_ = c.Conn.Close()
		return 0, errPartitioned
	}
	return c.Conn.Read(p)
}

func (c *faultConn) Write(p []byte) (int, error) {
	if c.net.cut(c.from, c.to) {
		_ = c.Conn.Close()
		return 0, errPartitioned
	}
	return c.Conn.Write(p)
}
