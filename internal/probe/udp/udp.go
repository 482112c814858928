// Package udp probes udp:// monitors as Gatus does: without a body the
// check only resolves the address ([CONNECTED] is then always true, UDP
// having no handshake); with a body it sends the body as one datagram and
// waits for one reply datagram, which becomes [BODY]. No reply before the
// deadline, or an ICMP port-unreachable, sets [CONNECTED] to false.
package udp

import (
	"context"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/tcp"
)

// Prober checks udp:// monitors. The zero value is ready to use.
type Prober struct{}

// New returns a UDP prober.
func New() *Prober { return &Prober{} }

// Probe sends the monitor's body to its host:port and reads one reply.
func (p *Prober) Probe(ctx context.Context, spec *monitor.Spec) monitor.Observation {
	return tcp.Check(ctx, spec, "udp")
}
