package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ClientConfig configures a Client. Zero values take the defaults.
type ClientConfig struct {
	// Dial opens a connection to a peer's RPC service, e.g.
	//   func(ctx context.Context, addr string) (net.Conn, error) {
	//       return tr.Dial(ctx, addr, transport.KindRPC)
	//   }
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// DialTimeout bounds one connection attempt (shared by the calls
	// waiting for it). Default 10 s.
	DialTimeout time.Duration
	// MaxFrame bounds request and reply payloads. Default DefaultMaxFrame.
	MaxFrame int
	// WriteTimeout bounds writing one request. Default 10 s.
	WriteTimeout time.Duration
}

// ErrClientClosed is returned by calls after Close.
var ErrClientClosed = errors.New("rpc: client closed")

// Client calls peers' servers over one multiplexed connection per peer,
// dialed on first use and redialed after it fails.
type Client struct {
	cfg    ClientConfig
	ctx    context.Context // cancelled by Close: aborts dials
	cancel context.CancelFunc

	mu     sync.Mutex
	peers  map[string]*peer
	closed bool
	wg     sync.WaitGroup // dials, read loops, cancel writers
}

// peer is the connection state for one address.
type peer struct {
	conn    *clientConn // live connection, or nil
	attempt *dialAttempt
}

type dialAttempt struct {
	done chan struct{}
	conn *clientConn
	err  error
}

// NewClient returns a client; it dials nothing until a call needs it.
func NewClient(cfg ClientConfig) *Client {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{cfg: cfg, ctx: ctx, cancel: cancel, peers: map[string]*peer{}}
}

// Call invokes method on the peer at addr with req encoded as JSON and
// decodes the reply into resp (which may be nil to discard it). ctx bounds
// the whole call and its deadline is passed to the handler. A remote
// failure is returned as a wrapped *Error (errors.Is matches its code's
// sentinels); after a lost connection or a cancelled call the remote side
// may or may not have run the handler.
func (c *Client) Call(ctx context.Context, addr, method string, req, resp any) error {
	if len(method) == 0 || len(method) > 255 {
		return fmt.Errorf("rpc: invalid method name %q", method)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("rpc: encoding the %s request: %w", method, err)
	}
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		if timeout = time.Until(dl); timeout <= 0 {
			return fmt.Errorf("rpc: %s on %s: %w", method, addr, context.DeadlineExceeded)
		}
	}
	frame := encodeRequest(0, timeout, method, body)
	if payloadLen(frame) > c.cfg.MaxFrame {
		return fmt.Errorf("rpc: %s on %s: %w: the request of %d bytes exceeds the %d-byte limit", method, addr, ErrFrameTooLarge, payloadLen(frame), c.cfg.MaxFrame)
	}
	cc, err := c.conn(ctx, addr)
	if err != nil {
		return fmt.Errorf("rpc: %s on %s: %w", method, addr, err)
	}
	reply, err := cc.roundTrip(ctx, frame)
	if err != nil {
		return fmt.Errorf("rpc: %s on %s: %w", method, addr, err)
	}
	kind, _ := frameHead(reply)
	body = reply[1+idSize:]
	if kind == frameError {
		var e Error
		if err := json.Unmarshal(body, &e); err != nil || e.Code == "" {
			return fmt.Errorf("rpc: %s on %s: undecodable error reply %.200q", method, addr, body)
		}
		return fmt.Errorf("rpc: %s on %s: %w", method, addr, &e)
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(body, resp); err != nil {
		return fmt.Errorf("rpc: decoding the %s reply from %s: %w", method, addr, err)
	}
	return nil
}

// conn returns the live connection to addr, dialing it if needed. Calls
// waiting for the same dial share its outcome.
func (c *Client) conn(ctx context.Context, addr string) (*clientConn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClientClosed
		}
		p := c.peers[addr]
		if p == nil {
			p = &peer{}
			c.peers[addr] = p
		}
		if p.conn != nil && !p.conn.isDead() {
			cc := p.conn
			c.mu.Unlock()
			return cc, nil
		}
		p.conn = nil
		a := p.attempt
		if a == nil {
			a = &dialAttempt{done: make(chan struct{})}
			p.attempt = a
			c.wg.Add(1)
			go c.dial(addr, p, a)
		}
		c.mu.Unlock()

		select {
		case <-a.done:
			if a.err != nil {
				return nil, a.err
			}
			if !a.conn.isDead() {
				return a.conn, nil
			}
			// Died at once: dial again, bounded by ctx.
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (c *Client) dial(addr string, p *peer, a *dialAttempt) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.DialTimeout)
	defer cancel()
	var conn net.Conn
	var err error
	if c.cfg.Dial == nil {
		err = errors.New("rpc: the client has no Dial function")
	} else {
		conn, err = c.cfg.Dial(ctx, addr)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p.attempt = nil
	switch {
	case err != nil:
		a.err = fmt.Errorf("connecting: %w", err)
	case c.closed:
		conn.Close()
		a.err = ErrClientClosed
	default:
		cc := &clientConn{c: c, conn: conn, pending: map[uint64]chan []byte{}, done: make(chan struct{}), wsem: make(chan struct{}, 1)}
		p.conn, a.conn = cc, cc
		c.wg.Add(1)
		go cc.readLoop()
	}
	close(a.done)
}

// Close closes every connection, failing calls in flight, and waits for
// the client's goroutines.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.cancel()
	var conns []*clientConn
	for _, p := range c.peers {
		if p.conn != nil {
			conns = append(conns, p.conn)
		}
	}
	c.mu.Unlock()
	for _, cc := range conns {
		cc.fail(ErrClientClosed)
	}
	c.wg.Wait()
	return nil
}

// clientConn is one multiplexed connection to a peer.
type clientConn struct {
	c    *Client
	conn net.Conn
	wsem chan struct{} // held while writing a frame

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan []byte
	err     error         // why the connection died
	done    chan struct{} // closed when it died
}

func (cc *clientConn) isDead() bool {
	select {
	case <-cc.done:
		return true
	default:
		return false
	}
}

// fail marks the connection dead (once) and closes it; calls waiting on
// it return err.
func (cc *clientConn) fail(err error) {
	cc.mu.Lock()
	if cc.err != nil {
		cc.mu.Unlock()
		return
	}
	cc.err = err
	close(cc.done)
	cc.mu.Unlock()
	cc.conn.Close()
}

func (cc *clientConn) deadErr() error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return fmt.Errorf("connection lost: %w", cc.err)
}

func (cc *clientConn) readLoop() {
	defer cc.c.wg.Done()
	br := bufio.NewReaderSize(cc.conn, 64<<10)
	for {
		p, err := readFrame(br, cc.c.cfg.MaxFrame)
		if err != nil {
			cc.fail(err)
			return
		}
		kind, id := frameHead(p)
		if kind != frameReply && kind != frameError {
			cc.fail(fmt.Errorf("%w: unexpected frame kind 0x%02x from the server", errMalformedFrame, kind))
			return
		}
		cc.mu.Lock()
		ch := cc.pending[id]
		delete(cc.pending, id)
		cc.mu.Unlock()
		if ch != nil {
			ch <- p // buffered: never blocks
		}
		// No waiter: the reply of a call already given up. Drop it.
	}
}

// roundTrip sends a request frame (its id filled in here) and waits for
// the reply frame.
func (cc *clientConn) roundTrip(ctx context.Context, frame []byte) ([]byte, error) {
	ch := make(chan []byte, 1)
	cc.mu.Lock()
	if cc.err != nil {
		cc.mu.Unlock()
		return nil, cc.deadErr()
	}
	cc.nextID++
	id := cc.nextID
	cc.pending[id] = ch
	cc.mu.Unlock()
	putID(frame, id)

	if err := cc.write(ctx, frame); err != nil {
		cc.forget(id)
		return nil, err
	}
	select {
	case p := <-ch:
		return p, nil
	case <-cc.done:
		select {
		case p := <-ch: // the reply raced the failure
			return p, nil
		default:
		}
		return nil, cc.deadErr()
	case <-ctx.Done():
		// A deadline travelled with the request, so the handler's context
		// expires by itself; only an explicit cancellation is sent.
		if cc.forget(id) && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cc.sendCancel(id)
		}
		return nil, ctx.Err()
	}
}

// forget drops a pending call; false if its reply already arrived.
func (cc *clientConn) forget(id uint64) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	_, ok := cc.pending[id]
	delete(cc.pending, id)
	return ok
}

// write sends one frame, waiting for the writer slot at most until ctx
// ends. A failed write kills the connection (half a frame may be out).
func (cc *clientConn) write(ctx context.Context, frame []byte) error {
	select {
	case cc.wsem <- struct{}{}:
	case <-cc.done:
		return cc.deadErr()
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-cc.wsem }()
	cc.conn.SetWriteDeadline(time.Now().Add(cc.c.cfg.WriteTimeout))
	if _, err := cc.conn.Write(frame); err != nil {
		cc.fail(fmt.Errorf("writing: %w", err))
		return cc.deadErr()
	}
	return nil
}

// sendCancel tells the server to cancel a call, in the background so the
// caller returns at once.
func (cc *clientConn) sendCancel(id uint64) {
	cc.c.mu.Lock()
	defer cc.c.mu.Unlock()
	if cc.c.closed {
		return
	}
	cc.c.wg.Add(1)
	go func() {
		defer cc.c.wg.Done()
		ctx, cancel := context.WithTimeout(cc.c.ctx, cc.c.cfg.WriteTimeout)
		defer cancel()
		cc.write(ctx, encodeSimple(frameCancel, id, nil)) // best effort: the handler's own deadline also ends it
	}()
}

func putID(frame []byte, id uint64) {
	b := frame[lenSize+1:]
	for i := 7; i >= 0; i-- {
		b[i] = byte(id)
		id >>= 8
	}
}
