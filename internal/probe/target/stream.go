package target

import (
	"context"
	"net"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// Prepare starts a check of a host:port target (tcp://, udp://, tls://,
// starttls://): it bounds ctx by the monitor's timeout, fills the
// observation's hostname and port, builds the dialer and, when a condition
// reads [IP], resolves it as Gatus does before connecting. A non-nil error
// has already been recorded in obs and the check must stop.
func Prepare(ctx context.Context, spec *monitor.Spec, obs *monitor.Observation) (addr string, d *Dialer, err error) {
	addr, obs.Hostname, obs.Port, err = Address(spec.URL)
	if err != nil {
		obs.AddError(err.Error())
		return "", nil, err
	}
	d, err = NewDialer(&spec.Client)
	if err != nil {
		obs.AddError(err.Error())
		return "", nil, err
	}
	if spec.Needs().IP {
		start := time.Now()
		r := d.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		obs.IP, err = LookupIP(ctx, r, d.ipNetwork, obs.Hostname)
		if err != nil {
			obs.AddError(Explain(ctx, start, err))
			return "", nil, err
		}
	}
	return addr, d, nil
}
