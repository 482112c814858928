package http

import (
	"context"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// NewWithClock returns a prober reading the time from now.
func NewWithClock(opts Options, now func() time.Time) *Prober {
	opts.now = now
	return New(opts)
}

// ProbeWithNeeds probes as if the conditions needed exactly needs.
func (p *Prober) ProbeWithNeeds(ctx context.Context, spec *monitor.Spec, needs condition.Needs) monitor.Observation {
	return p.probe(ctx, spec, needs)
}

// Clients returns how many shared clients the prober holds.
func (p *Prober) Clients() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.clients)
}

// ParseToken exposes the token response parser.
func ParseToken(contentType string, body []byte) (access, kind string, expiresIn int64, err error) {
	t, err := parseToken(contentType, body)
	return t.access, t.kind, t.expiresIn, err
}

// NewWithDrainTime returns a prober that drains unneeded bodies for up to d.
func NewWithDrainTime(opts Options, d time.Duration) *Prober {
	opts.drainTime = d
	return New(opts)
}
