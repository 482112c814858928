package rpc

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/fsm"
)

func TestProposeResponseRebuildsTheResult(t *testing.T) {
	cases := []struct {
		err  error
		code string
		is   error
	}{
		{nil, "", nil},
		{fmt.Errorf("incident %q: %w", "x", fsm.ErrNotFound), CodeNotFound, fsm.ErrNotFound},
		{fmt.Errorf("monitor %q exists: %w", "m", fsm.ErrConflict), CodeConflict, fsm.ErrConflict},
		{fmt.Errorf("spec: %w", fsm.ErrInvalid), CodeInvalid, fsm.ErrInvalid},
		{fmt.Errorf("%w at log index 3: boom", fsm.ErrHalted), CodeHalted, fsm.ErrHalted},
		{errors.New("odd"), CodeInternal, nil},
	}
	for _, tc := range cases {
		resp := ResponseOf(fsm.Result{Err: tc.err})
		if resp.Code != tc.code {
			t.Errorf("%v: code %q, want %q", tc.err, resp.Code, tc.code)
		}
		got := resp.Result()
		if tc.err == nil {
			if got.Err != nil {
				t.Errorf("nil error came back as %v", got.Err)
			}
			continue
		}
		if got.Err == nil || got.Err.Error() != tc.err.Error() {
			t.Errorf("%v came back as %v", tc.err, got.Err)
		}
		if tc.is != nil && !errors.Is(got.Err, tc.is) {
			t.Errorf("errors.Is(%v, %v) is false", got.Err, tc.is)
		}
		for _, other := range []error{fsm.ErrNotFound, fsm.ErrConflict, fsm.ErrInvalid, fsm.ErrHalted} {
			if other != tc.is && errors.Is(got.Err, other) {
				t.Errorf("%v also matches %v", got.Err, other)
			}
		}
	}
	// A response with text but no code (a newer peer's unknown code would
	// still carry one; this is a defensive default).
	if r := (ProposeResponse{Error: "x"}).Result(); CodeOf(r.Err) != CodeInternal || r.Err.Error() != "x" {
		t.Errorf("codeless error: %v (%s)", r.Err, CodeOf(r.Err))
	}
}

func TestForwardingHopsAreBounded(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	fw := Forwarder(c, func(id string) (string, error) {
		if id != "srv" {
			return "", fmt.Errorf("unknown %s", id)
		}
		return srv.Advertise(), nil
	})
	var calls atomic.Int32
	// A node that never leads and always believes "srv" (itself) leads.
	serve(t, srv, ServerConfig{}, func(s *Server) {
		HandlePropose(s, func(ctx context.Context, cmd []byte) (fsm.Result, error) {
			calls.Add(1)
			return fw(ctx, "srv", cmd)
		})
	})
	_, err := fw(ctxT(t), "srv", []byte("cmd"))
	if !errors.Is(err, cluster.ErrNotLeader) {
		t.Fatalf("err = %v, want cluster.ErrNotLeader", err)
	}
	if got := calls.Load(); got != MaxForwardHops {
		t.Fatalf("the command was forwarded %d times, want %d", got, MaxForwardHops)
	}
	if _, err := fw(ctxT(t), "ghost", []byte("cmd")); err == nil || err.Error() != "forwarding to leader ghost: unknown ghost" {
		t.Fatalf("unresolvable leader: %v", err)
	}
	if err := c.Call(ctxT(t), srv.Advertise(), MethodPropose, ProposeRequest{}, nil); CodeOf(err) != CodeBadRequest {
		t.Fatalf("empty command: %v", err)
	}
}

func TestMeasureSkew(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	const ahead = 3 * time.Second
	serve(t, srv, ServerConfig{}, func(s *Server) {
		HandleTime(s, func() time.Time { return time.Now().Add(ahead) })
	})
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	sk, err := MeasureSkew(ctxT(t), c, srv.Advertise(), 5)
	if err != nil {
		t.Fatal(err)
	}
	// The peer read its clock within the round trip: the estimate is off
	// by at most RTT/2 (plus nanosecond rounding).
	if diff := (sk.Offset - ahead).Abs(); diff > sk.RTT/2+time.Microsecond {
		t.Fatalf("offset %v, want %v ± %v (rtt %v)", sk.Offset, ahead, sk.RTT/2, sk.RTT)
	}
	if sk.RTT <= 0 || sk.PeerTime.IsZero() {
		t.Fatalf("skew %+v", sk)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := MeasureSkew(ctx, c, srv.Advertise(), 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled measurement: %v", err)
	}
}
