package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/dispatch"
	"github.com/custodes/custodes/internal/notify/providers"
)

func (a *App) newDispatcher() *dispatch.Dispatcher {
	return dispatch.New(dispatch.Options{
		Node:   a.nodeID,
		State:  a.node.FSM(),
		Leader: a.node,
		Logger: a.log,
		OnSend: a.metrics.ObserveNotification,
	})
}

// dispatchLoop runs the dispatcher while this node leads.
func (a *App) dispatchLoop(ctx context.Context) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-a.leader.outboxWake:
				a.dispatcher.Wake()
			}
		}
	}()
	a.dispatcher.Run(ctx)
}

// ValidateNotifiers decodes and validates every alerting provider section
// of cfg and every alert's provider-override, as startup would.
func ValidateNotifiers(cfg *config.Config) error {
	decoders := make(map[string]notify.Decoder, len(cfg.Alerting))
	for name, sec := range cfg.Alerting {
		decoders[name] = sec
	}
	loaded, _, err := providers.LoadAll(decoders, notify.Env{})
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range cfg.Monitors {
		for _, al := range s.Alerts {
			c, ok := loaded[al.Type]
			if !ok || len(al.ProviderOverride) == 0 {
				continue
			}
			if _, err := c.Notifier(s.Group, al.ProviderOverride); err != nil {
				errs = append(errs, fmt.Errorf("%s: monitor %s: alert %s: %w", al.Source, s.Key, al.Type, err))
			}
		}
	}
	return errors.Join(errs...)
}
