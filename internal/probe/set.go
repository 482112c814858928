package probe

import (
	"context"
	"fmt"

	"github.com/custodes/custodes/internal/monitor"
	probedns "github.com/custodes/custodes/internal/probe/dns"
	probehttp "github.com/custodes/custodes/internal/probe/http"
	probeicmp "github.com/custodes/custodes/internal/probe/icmp"
	probetcp "github.com/custodes/custodes/internal/probe/tcp"
	probetls "github.com/custodes/custodes/internal/probe/tls"
	probeudp "github.com/custodes/custodes/internal/probe/udp"
)

// DomainExpirationUnsupported is the observation error of a monitor whose
// conditions read [DOMAIN_EXPIRATION], which custodes does not look up yet.
const DomainExpirationUnsupported = "[DOMAIN_EXPIRATION] is not supported yet: custodes does not look up domain expiration dates"

// Options configure the probes of a Set. Zero values take the defaults.
type Options struct {
	// MaxBodyBytes is how much of an HTTP response body is read for
	// [BODY]; a longer body is an error of the check. Default 1 MiB.
	MaxBodyBytes int64
	// UserAgent is the HTTP User-Agent sent when a monitor sets none.
	UserAgent string
	// ICMPMode chooses raw or unprivileged ICMP sockets (default Auto).
	ICMPMode probeicmp.Mode
}

// Set checks monitors of every kind, dispatching on Spec.Kind to one
// Prober per kind. It is safe for concurrent use.
type Set struct {
	probers map[monitor.Kind]Prober
}

// NewSet returns a Set with a prober for every kind custodes can probe.
func NewSet(opts Options) *Set {
	return &Set{probers: map[monitor.Kind]Prober{
		monitor.KindHTTP:     probehttp.New(probehttp.Options{MaxBodyBytes: opts.MaxBodyBytes, UserAgent: opts.UserAgent}),
		monitor.KindTCP:      probetcp.New(),
		monitor.KindUDP:      probeudp.New(),
		monitor.KindDNS:      probedns.New(),
		monitor.KindTLS:      probetls.New(),
		monitor.KindSTARTTLS: probetls.NewSTARTTLS(),
		monitor.KindICMP:     probeicmp.New(probeicmp.Options{Mode: opts.ICMPMode}),
	}}
}

// Probe checks spec once with the prober of its kind. A kind that cannot
// be probed (external endpoints, push checks, an unknown scheme) gives an
// observation with an error saying so.
func (s *Set) Probe(ctx context.Context, spec *monitor.Spec) monitor.Observation {
	p, ok := s.probers[spec.Kind]
	if !ok {
		var obs monitor.Observation
		obs.AddError(fmt.Sprintf("monitor %s: kind %q cannot be probed", spec.DisplayName(), spec.Kind))
		return obs
	}
	obs := p.Probe(ctx, spec)
	if spec.Needs().DomainExpiration {
		obs.AddError(DomainExpirationUnsupported)
	}
	return obs
}

// Close releases what the probers hold (idle keep-alive connections).
func (s *Set) Close() {
	for _, p := range s.probers {
		if c, ok := p.(interface{ Close() }); ok {
			c.Close()
		}
	}
}
