package app

import (
	"context"
	"time"
)

// every calls f every interval until ctx ends; at once first when now is
// set.
func every(ctx context.Context, interval time.Duration, now bool, f func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	if now {
		f(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}
