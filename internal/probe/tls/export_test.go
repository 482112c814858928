package tls

import "time"

// WithClock returns p reading the time from now, for exact expirations.
func (p *Prober) WithClock(now func() time.Time) *Prober {
	p.now = now
	return p
}
