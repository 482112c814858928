package faultnet

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// ListenPacket opens a datagram socket for node (e.g. "udp",
// "127.0.0.1:0") and registers its address as node's.
func (n *Network) ListenPacket(node, network, addr string) (*PacketConn, error) {
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		return nil, fmt.Errorf("faultnet: listen packet for %s: %w", node, err)
	}
	return n.WrapPacketConn(node, pc), nil
}

// WrapPacketConn registers pc's address as node's; datagrams it sends or
// receives obey the rules between node and the other end.
func (n *Network) WrapPacketConn(node string, pc net.PacketConn) *PacketConn {
	n.Register(node, pc.LocalAddr().String())
	return &PacketConn{PacketConn: pc, n: n, node: node, timers: map[*time.Timer]struct{}{}}
}

// PacketConn is a datagram socket whose traffic obeys the rules: a packet
// across a partition or hit by loss is dropped silently, a delayed one is
// sent later without blocking the sender.
type PacketConn struct {
	net.PacketConn
	n    *Network
	node string

	mu     sync.Mutex
	closed bool
	timers map[*time.Timer]struct{} // delayed sends not yet made
	wg     sync.WaitGroup
}

// WriteTo sends p to addr unless the rules drop it. A dropped packet still
// reports success, as UDP would.
func (p *PacketConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	to := p.n.NodeOf(addr.String())
	l, _ := p.n.rule(p.node, to)
	if l.blocked || p.n.lose(p.node, to) {
		return len(b), nil
	}
	if l.delay <= 0 {
		return p.PacketConn.WriteTo(b, addr)
	}
	buf := append([]byte(nil), b...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, &net.OpError{Op: "write", Net: addr.Network(), Addr: addr, Err: net.ErrClosed}
	}
	p.wg.Add(1)
	var t *time.Timer
	t = time.AfterFunc(l.delay, func() {
		defer p.wg.Done()
		p.mu.Lock()
		delete(p.timers, t)
		closed := p.closed
		p.mu.Unlock()
		if !closed {
			p.PacketConn.WriteTo(buf, addr) // a late datagram may be lost, as on a real network
		}
	})
	p.timers[t] = struct{}{}
	return len(b), nil
}

// ReadFrom returns the next datagram not dropped by a partition.
func (p *PacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := p.PacketConn.ReadFrom(b)
		if err != nil {
			return n, addr, err
		}
		if l, _ := p.n.rule(p.node, p.n.NodeOf(addr.String())); l.blocked {
			continue
		}
		return n, addr, nil
	}
}

// Close closes the socket, drops delayed packets not yet sent and waits
// for the ones being sent.
func (p *PacketConn) Close() error {
	p.mu.Lock()
	p.closed = true
	for t := range p.timers {
		if t.Stop() {
			p.wg.Done()
		}
		delete(p.timers, t)
	}
	p.mu.Unlock()
	p.wg.Wait()
	addr := p.PacketConn.LocalAddr().String()
	p.n.mu.Lock()
	if p.n.addrs[addr] == p.node {
		delete(p.n.addrs, addr)
	}
	p.n.mu.Unlock()
	return p.PacketConn.Close()
}
