package rpc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"
)

// HandlerFunc serves one method. peer is the caller's authenticated node
// id (or its address on a connection that carries none); ctx expires with
// the caller's deadline, when the caller cancels or disconnects, and when
// the server closes. The result is encoded as JSON; an error goes back
// with its code (see CodeOf) and text.
type HandlerFunc func(ctx context.Context, peer string, req json.RawMessage) (any, error)

// ServerConfig configures a Server. Zero values take the defaults.
type ServerConfig struct {
	// MaxFrame bounds request and reply payloads. Default DefaultMaxFrame.
	MaxFrame int
	// MaxInFlight bounds handlers running at once per connection; further
	// calls wait for a slot (until their deadline or cancellation).
	// Default 128.
	MaxInFlight int
	// MaxQueued bounds calls per connection, running or waiting; beyond it
	// a call is refused at once with CodeUnavailable. Default
	// 8 × MaxInFlight.
	MaxQueued int
	// WriteTimeout bounds writing one reply. Default 10 s.
	WriteTimeout time.Duration
	// Logger receives protocol violations and handler panics; nil discards.
	Logger *slog.Logger
}

// DefaultWriteTimeout bounds writing one frame.
const DefaultWriteTimeout = 10 * time.Second

// Server serves registered methods on connections from a listener.
type Server struct {
	cfg ServerConfig
	log *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu       sync.RWMutex
	handlers map[string]HandlerFunc
	lns      map[net.Listener]struct{}
	conns    map[net.Conn]*serverConn
	closed   bool
	wg       sync.WaitGroup
}

// NewServer returns a server with no methods.
func NewServer(cfg ServerConfig) *Server {
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 128
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 8 * cfg.MaxInFlight
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, log: log, ctx: ctx, cancel: cancel,
		handlers: map[string]HandlerFunc{}, lns: map[net.Listener]struct{}{}, conns: map[net.Conn]*serverConn{}}
}

// Handle registers h for method. Registering an empty or over-long (above
// 255 bytes) name, or a name twice, is a programming error and panics, as
// http.ServeMux does.
func (s *Server) Handle(method string, h HandlerFunc) {
	if method == "" || len(method) > 255 || h == nil {
		panic(fmt.Sprintf("rpc: invalid registration of method %q", method))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.handlers[method]; dup {
		panic(fmt.Sprintf("rpc: method %q registered twice", method))
	}
	s.handlers[method] = h
}

// Handle registers a typed handler: the request body is decoded into Req
// (a decoding error goes back as CodeBadRequest) and Resp is encoded.
func Handle[Req, Resp any](s *Server, method string, h func(ctx context.Context, peer string, req Req) (Resp, error)) {
	s.Handle(method, func(ctx context.Context, peer string, raw json.RawMessage) (any, error) {
		var req Req
		if err := json.Unmarshal(raw, &req); err != nil {
			return nil, Errorf(CodeBadRequest, "rpc: decoding the %s request: %v", method, err)
		}
		return h(ctx, peer, req)
	})
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("rpc: server closed")

// Serve accepts connections on ln until it fails or the server closes,
// and closes ln on return. It returns ErrServerClosed after Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.lns, ln)
		s.mu.Unlock()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			return fmt.Errorf("rpc: accepting: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return ErrServerClosed
		}
		sc := &serverConn{s: s, conn: conn, peer: peerOf(conn), inflight: map[uint64]context.CancelFunc{}}
		s.conns[conn] = sc
		s.wg.Add(1)
		s.mu.Unlock()
		go sc.serve()
	}
}

func (s *Server) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// calls counts the calls running or waiting on all connections.
func (s *Server) calls() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, sc := range s.conns {
		sc.mu.Lock()
		n += len(sc.inflight)
		sc.mu.Unlock()
	}
	return n
}

// Close stops every listener and connection, cancels running handlers and
// waits for them to return.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.cancel()
	for ln := range s.lns {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// peerOf is the authenticated node id of a transport connection, else the
// remote address.
func peerOf(conn net.Conn) string {
	if p, ok := conn.(interface{ PeerID() string }); ok && p.PeerID() != "" {
		return p.PeerID()
	}
	return conn.RemoteAddr().String()
}

// serverConn is one connection's state.
type serverConn struct {
	s    *Server
	conn net.Conn
	peer string

	wmu sync.Mutex // one frame written at a time

	mu       sync.Mutex
	inflight map[uint64]context.CancelFunc
}

func (sc *serverConn) serve() {
	s, conn := sc.s, sc.conn
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(s.ctx)
	var handlers sync.WaitGroup
	err := sc.readLoop(ctx, &handlers)
	cancel()
	conn.Close()
	handlers.Wait()
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
	if err != nil && s.ctx.Err() == nil {
		s.log.Warn("rpc: closed a connection", "peer", sc.peer, "error", err.Error())
	}
}

// readLoop reads frames until the connection fails. It returns protocol
// violations (to log), nil on an ordinary disconnect. It never blocks on
// handlers, so cancel frames are read even when every slot is busy.
func (sc *serverConn) readLoop(ctx context.Context, handlers *sync.WaitGroup) error {
	br := bufio.NewReaderSize(sc.conn, 64<<10)
	slots := make(chan struct{}, sc.s.cfg.MaxInFlight)
	maxQueued := sc.s.cfg.MaxQueued
	for {
		p, err := readFrame(br, sc.s.cfg.MaxFrame)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, errMalformedFrame) {
				return err
			}
			return nil
		}
		kind, id := frameHead(p)
		switch kind {
		case frameRequest:
			req, err := decodeRequest(p)
			if err != nil {
				return err
			}
			hctx, hcancel := context.WithCancel(ctx)
			if req.timeout > 0 {
				hctx, hcancel = context.WithTimeout(ctx, req.timeout)
			}
			sc.mu.Lock()
			if _, dup := sc.inflight[id]; dup {
				sc.mu.Unlock()
				hcancel()
				return fmt.Errorf("rpc: protocol violation: call id %d reused while in flight", id)
			}
			if len(sc.inflight) >= maxQueued {
				sc.mu.Unlock()
				hcancel()
				handlers.Add(1)
				go func() { // reply off the read loop: a write may block
					defer handlers.Done()
					sc.write(errorFrame(id, Errorf(CodeUnavailable, "rpc: %s: the peer has %d calls from this node queued already", req.method, maxQueued)))
				}()
				continue
			}
			sc.inflight[id] = hcancel
			sc.mu.Unlock()
			handlers.Add(1)
			go func() {
				defer handlers.Done()
				defer func() {
					sc.mu.Lock()
					delete(sc.inflight, req.id)
					sc.mu.Unlock()
					hcancel()
				}()
				select {
				case slots <- struct{}{}:
				case <-hctx.Done():
					sc.write(errorFrame(req.id, hctx.Err()))
					return
				}
				defer func() { <-slots }()
				sc.handle(hctx, req)
			}()
		case frameCancel:
			sc.mu.Lock()
			if c := sc.inflight[id]; c != nil {
				c()
			}
			sc.mu.Unlock()
		default:
			return fmt.Errorf("rpc: protocol violation: unexpected frame kind 0x%02x", kind)
		}
	}
}

// handle runs one call and writes its reply.
func (sc *serverConn) handle(ctx context.Context, req request) {
	sc.s.mu.RLock()
	h := sc.s.handlers[req.method]
	sc.s.mu.RUnlock()
	var res any
	var err error
	if h == nil {
		err = Errorf(CodeUnknownMethod, "rpc: unknown method %q", req.method)
	} else {
		res, err = sc.call(ctx, h, req)
	}
	if ctx.Err() != nil && sc.s.ctx.Err() != nil {
		err = Errorf(CodeUnavailable, "rpc: %s: the server is shutting down", req.method)
	}
	var frame []byte
	if err == nil {
		body, merr := json.Marshal(res)
		if merr != nil {
			err = Errorf(CodeInternal, "rpc: encoding the %s reply: %v", req.method, merr)
		} else if frame = encodeSimple(frameReply, req.id, body); payloadLen(frame) > sc.s.cfg.MaxFrame {
			err = Errorf(CodeTooLarge, "rpc: the %s reply of %d bytes exceeds the %d-byte frame limit", req.method, payloadLen(frame), sc.s.cfg.MaxFrame)
		}
	}
	if err != nil {
		frame = errorFrame(req.id, err)
	}
	sc.write(frame)
}

func errorFrame(id uint64, err error) []byte {
	body, _ := json.Marshal(toError(err)) // strings only: cannot fail
	return encodeSimple(frameError, id, body)
}

// call runs a handler, turning a panic into an internal error.
func (sc *serverConn) call(ctx context.Context, h HandlerFunc, req request) (res any, err error) {
	defer func() {
		if r := recover(); r != nil {
			sc.s.log.Error("rpc: handler panicked", "method", req.method, "peer", sc.peer, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res, err = nil, Errorf(CodeInternal, "rpc: the %s handler failed on the peer", req.method)
		}
	}()
	return h(ctx, sc.peer, req.body)
}

// write sends one frame; a failed write closes the connection (the stream
// may hold half a frame).
func (sc *serverConn) write(frame []byte) {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.conn.SetWriteDeadline(time.Now().Add(sc.s.cfg.WriteTimeout))
	if _, err := sc.conn.Write(frame); err != nil {
		sc.conn.Close()
	}
}
