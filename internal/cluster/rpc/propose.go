package rpc

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/fsm"
)

// Method names of the node RPC.
const (
	MethodPropose        = "propose"         // a follower forwards an encoded fsm command to the leader
	MethodCheckNow       = "check-now"       // ask a node to check a monitor immediately
	MethodHistoryBatches = "history-batches" // history batch catch-up
	MethodTime           = "time"            // the peer's wall clock, for skew measurement
)

// MaxForwardHops bounds how many times one command is forwarded: during a
// leadership change a follower may forward to a node that just lost the
// lead and forwards again; after MaxForwardHops the command fails with
// cluster.ErrNotLeader instead of bouncing until its deadline.
const MaxForwardHops = 2

// ProposeRequest is the body of a "propose" call.
type ProposeRequest struct {
	Command []byte `json:"command"` // fsm envelope (fsm.Encode)
	Hops    int    `json:"hops"`    // forwards so far, including this one
}

// ProposeResponse carries the state machine's answer: a refused command's
// error text and code. Both are empty when the command was applied.
type ProposeResponse struct {
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
}

// ResponseOf encodes a state machine result.
func ResponseOf(r fsm.Result) ProposeResponse {
	if r.Err == nil {
		return ProposeResponse{}
	}
	return ProposeResponse{Code: CodeOf(r.Err), Error: r.Err.Error()}
}

// Result rebuilds the state machine result: Err has the leader's text and
// errors.Is(Err, fsm.ErrNotFound / ErrConflict / ErrInvalid / ...) holds
// as it did on the leader.
func (p ProposeResponse) Result() fsm.Result {
	if p.Code == "" && p.Error == "" {
		return fsm.Result{}
	}
	code := p.Code
	if code == "" {
		code = CodeInternal
	}
	return fsm.Result{Err: &Error{Code: code, Message: p.Error}}
}

type hopsKey struct{}

func withHops(ctx context.Context, hops int) context.Context {
	return context.WithValue(ctx, hopsKey{}, hops)
}

func hopsFrom(ctx context.Context) int {
	h, _ := ctx.Value(hopsKey{}).(int)
	return h
}

// HandlePropose registers the "propose" method: propose is the node's
// cluster.Node.ProposeEncoded (here when it leads, else forwarded on).
func HandlePropose(s *Server, propose func(ctx context.Context, cmd []byte) (fsm.Result, error)) {
	Handle(s, MethodPropose, func(ctx context.Context, peer string, req ProposeRequest) (ProposeResponse, error) {
		if len(req.Command) == 0 {
			return ProposeResponse{}, Errorf(CodeBadRequest, "rpc: propose from %s carries no command", peer)
		}
		res, err := propose(withHops(ctx, req.Hops), req.Command)
		if err != nil {
			return ProposeResponse{}, err
		}
		return ResponseOf(res), nil
	})
}

// Forwarder returns a cluster.Forwarder that proposes through the leader
// over c; resolve maps the leader's node id to its RPC address (see
// RaftResolver). Install it with Node.SetForwarder.
func Forwarder(c *Client, resolve func(nodeID string) (string, error)) cluster.Forwarder {
	return func(ctx context.Context, leaderID string, cmd []byte) (fsm.Result, error) {
		hops := hopsFrom(ctx)
		if hops >= MaxForwardHops {
			return fsm.Result{}, fmt.Errorf("%w: command forwarded %d times without reaching the leader", cluster.ErrNotLeader, hops)
		}
		addr, err := resolve(leaderID)
		if err != nil {
			return fsm.Result{}, fmt.Errorf("forwarding to leader %s: %w", leaderID, err)
		}
		var resp ProposeResponse
		if err := c.Call(ctx, addr, MethodPropose, ProposeRequest{Command: cmd, Hops: hops + 1}, &resp); err != nil {
			return fsm.Result{}, fmt.Errorf("forwarding to leader %s: %w", leaderID, err)
		}
		return resp.Result(), nil
	}
}

// RaftResolver resolves a node id to the address in Raft's current
// configuration, which is the node's transport address when Raft runs on
// this package's transport (Raft and RPC share one port).
func RaftResolver(r *raft.Raft) func(nodeID string) (string, error) {
	return func(nodeID string) (string, error) {
		f := r.GetConfiguration()
		if err := f.Error(); err != nil {
			return "", fmt.Errorf("reading the raft configuration: %w", err)
		}
		for _, s := range f.Configuration().Servers {
			if string(s.ID) == nodeID {
				return string(s.Address), nil
			}
		}
		return "", fmt.Errorf("node %s is not in the raft configuration: %w", nodeID, cluster.ErrNotLeader)
	}
}
