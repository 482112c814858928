// Package tcp probes tcp:// monitors as Gatus does: [CONNECTED] says
// whether a connection could be opened and, when the monitor has a body,
// whether sending it drew a reply, which becomes [BODY].
//
// Like Gatus, a failed connection is not an error of the check: it sets
// [CONNECTED] to false, so "[CONNECTED] == false" can watch that a port
// stays closed.
package tcp

import (
	"context"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/payload"
	"github.com/custodes/custodes/internal/probe/target"
)

// Prober checks tcp:// monitors. The zero value is ready to use.
type Prober struct{}

// New returns a TCP prober.
func New() *Prober { return &Prober{} }

// Probe connects to the monitor's host:port, sends its body if it has one
// and reads one reply.
func (p *Prober) Probe(ctx context.Context, spec *monitor.Spec) monitor.Observation {
	return Check(ctx, spec, "tcp")
}

// Check probes a stream or datagram target over network ("tcp" or "udp")
// with Gatus's TCP/UDP semantics. The udp prober shares it.
func Check(ctx context.Context, spec *monitor.Spec, network string) (obs monitor.Observation) {
	ctx, cancel := target.WithTimeout(ctx, spec)
	defer cancel()
	addr, d, err := target.Prepare(ctx, spec, &obs)
	if err != nil {
		return obs
	}
	start := time.Now()
	defer func() {
		obs.ResponseTime = time.Since(start)
		if target.Cancelled(ctx) {
			obs.AddError(target.CancelledError)
		}
	}()
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return obs
	}
	defer conn.Close()
	if obs.IP == "" {
		obs.IP = target.RemoteIP(conn)
	}
	if spec.Body == "" {
		obs.Connected = true
		return obs
	}
	reply, err := payload.Exchange(ctx, conn, payload.Body(spec))
	if err != nil {
		return obs
	}
	obs.Connected = true
	if spec.Needs().Body {
		obs.Body = reply
	}
	return obs
}
