package rpc

import (
	"context"
	"errors"
	"time"
)

// TimeResponse is the body of a "time" reply: the peer's wall clock.
type TimeResponse struct {
	UnixNano int64 `json:"unix_nano"`
}

// HandleTime registers the "time" method answering now() (time.Now in
// production).
func HandleTime(s *Server, now func() time.Time) {
	Handle(s, MethodTime, func(context.Context, string, struct{}) (TimeResponse, error) {
		return TimeResponse{UnixNano: now().UnixNano()}, nil
	})
}

// Skew is one clock comparison with a peer.
type Skew struct {
	// Offset is the peer's wall clock minus ours: positive when the peer is
	// ahead. Its error is at most RTT/2 (the peer read its clock somewhere
	// within the round trip).
	Offset time.Duration
	// RTT is the round trip, on our monotonic clock.
	RTT time.Duration
	// PeerTime is what the peer's clock said.
	PeerTime time.Time
}

// MeasureSkew compares clocks with the peer at addr NTP-style: t0 our send
// time, t1 the peer's clock, t2 our receive time, offset = t1 - (t0+t2)/2.
// Of samples calls (at least 1) it keeps the one with the smallest RTT,
// whose error bound is tightest. The RTT is measured on the monotonic
// clock; only the midpoint is read from the wall clock.
func MeasureSkew(ctx context.Context, c *Client, addr string, samples int) (Skew, error) {
	var best Skew
	found := false
	var errs []error
	for range max(samples, 1) {
		t0 := time.Now()
		var resp TimeResponse
		err := c.Call(ctx, addr, MethodTime, struct{}{}, &resp)
		t2 := time.Now()
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		rtt := t2.Sub(t0)
		mid := t0.Round(0).Add(rtt / 2) // wall-clock midpoint
		peer := time.Unix(0, resp.UnixNano)
		if s := (Skew{Offset: peer.Sub(mid), RTT: rtt, PeerTime: peer}); !found || s.RTT < best.RTT {
			best, found = s, true
		}
	}
	if !found {
		return Skew{}, errors.Join(errs...)
	}
	return best, nil
}
