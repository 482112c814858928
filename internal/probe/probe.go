// Package probe runs one check of one monitor and reports what it saw. One
// sub-package per kind (http, tcp, udp, dns, tls, icmp) implements Prober;
// Set dispatches on the monitor's kind.
//
// A probe never judges success (monitor.Evaluate does, from the
// conditions); it fills a monitor.Observation, records what went wrong in
// Observation.Errors, and always returns by the context's deadline.
package probe

import (
	"context"

	"github.com/custodes/custodes/internal/monitor"
)

// Prober checks one kind of monitor.
type Prober interface {
	// Probe checks spec once. It must return when ctx is done, with an
	// error in the observation saying so.
	Probe(ctx context.Context, spec *monitor.Spec) monitor.Observation
}
