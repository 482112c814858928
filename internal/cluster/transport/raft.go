package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// StreamLayer carries Raft over the transport's 'R' connections; it
// implements raft.StreamLayer.
type StreamLayer struct {
	t  *Transport
	ln net.Listener
}

// RaftStream registers the Raft service and returns its stream layer.
func (t *Transport) RaftStream() (*StreamLayer, error) {
	ln, err := t.Listen(KindRaft)
	if err != nil {
		return nil, err
	}
	return &StreamLayer{t: t, ln: ln}, nil
}

// Accept waits for the next inbound Raft connection.
func (s *StreamLayer) Accept() (net.Conn, error) { return s.ln.Accept() }

// Close stops accepting Raft connections and closes every Raft
// connection, inbound and outbound: raft's NetworkTransport calls it on
// shutdown and does not close its pooled connections itself.
func (s *StreamLayer) Close() error {
	err := s.ln.Close()
	s.t.closeConns(KindRaft, false)
	return err
}

// Addr is the advertised address, which Raft records as this server's.
func (s *StreamLayer) Addr() net.Addr { return advertised(s.t.advertise) }

// Dial opens a Raft connection to a peer's advertised address.
func (s *StreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx := context.Background()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c, err := s.t.Dial(ctx, string(address), KindRaft)
	if err != nil {
		if errors.Is(err, ErrSecretMismatch) {
			// Raft retries this dial every heartbeat and reports it only
			// in its own log; an operator must see the cause, once per
			// peer per LogEvery, on this side too.
			s.t.logLimited("cluster transport: cannot reach a peer for raft", string(address), err)
		}
		return nil, err
	}
	return c, nil
}

// RaftOptions tunes the Raft network transport.
type RaftOptions struct {
	// MaxPool is how many idle connections to keep per peer. Default 3.
	MaxPool int
	// Timeout bounds each Raft RPC's I/O (snapshots scale it by size).
	// Default 10 s, as raft's own TCP transport.
	Timeout time.Duration
	// LogOutput receives the network transport's warnings; nil discards.
	LogOutput io.Writer
}

// Raft registers the Raft service and returns a raft.Transport over it,
// ready for cluster.Config.Transport. Closing it (raft does, on shutdown)
// closes every Raft connection but leaves the rest of the transport up.
func (t *Transport) Raft(opts RaftOptions) (*raft.NetworkTransport, error) {
	stream, err := t.RaftStream()
	if err != nil {
		return nil, err
	}
	if opts.MaxPool <= 0 {
		opts.MaxPool = 3
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	out := opts.LogOutput
	if out == nil {
		out = io.Discard
	}
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  stream,
		MaxPool: opts.MaxPool,
		Timeout: opts.Timeout,
		Logger:  hclog.New(&hclog.LoggerOptions{Name: "raft-net", Level: hclog.Warn, Output: out}),
	}), nil
}
