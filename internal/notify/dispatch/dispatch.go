// Package dispatch sends the outbox of the replicated state: only on the
// leader, fenced by a quorum check before every send, at least once, with
// the entry's stable idempotency key, and recorded back through Raft.
//
// A leader that dies between a send and its Delivered record leaves the
// entry pending; the next leader sends it again with the same key.
// Receivers that deduplicate (PagerDuty, Opsgenie, webhook Idempotency-Key)
// show one notification; others may show one more. Never zero.
package dispatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/providers"
)

// State is what the dispatcher reads of the replicated state.
type State interface {
	Pending() []fsm.Entry
	ConfigInForce() *fsm.Declared
	Notifiers() map[string]fsm.NotifierState
}

// Leader is how the dispatcher checks it may send and records outcomes.
type Leader interface {
	VerifyLeader(ctx context.Context) error
	Propose(ctx context.Context, t fsm.Type, body any) (fsm.Result, error)
}

// Options configure a Dispatcher.
type Options struct {
	Node   string
	State  State
	Leader Leader
	Env    notify.Env
	Policy notify.RetryPolicy // zero: notify.DefaultRetryPolicy()
	// SendTimeout bounds one send (default 30 s): a receiver that hangs is
	// cut off and retried, never blocking other notifications.
	SendTimeout time.Duration
	// Parallel bounds concurrent sends (default 16).
	Parallel int
	Logger   *slog.Logger
	// OnSend is told about every send attempt (for metrics); resend marks
	// an entry that may have been sent before (by this or a former leader).
	OnSend func(provider string, err error, resend bool)
}

// Dispatcher sends outbox entries. Run it only while leading; it stops
// sending as soon as a quorum check fails.
type Dispatcher struct {
	o    Options
	wake chan struct{}

	mu        sync.Mutex
	built     map[string]notify.Configured // provider -> loaded, by config text
	builtText map[string]string
	notifiers map[string]notify.Notifier // provider/group/override -> notifier
}

// New returns a dispatcher.
func New(o Options) *Dispatcher {
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 16
	}
	if o.Policy.Base <= 0 {
		o.Policy = notify.DefaultRetryPolicy()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{o: o, wake: make(chan struct{}, 1),
		built: map[string]notify.Configured{}, builtText: map[string]string{}, notifiers: map[string]notify.Notifier{}}
}

// Wake makes Run look at the outbox now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// minNonRetryableWait is the least wait after a failure the receiver says
// is permanent (a 4xx): it needs a config fix, not hammering, but the entry
// stays pending so the fix is enough.
const minNonRetryableWait = time.Minute

type outcome struct {
	key, provider string
	err           error
	retryable     bool
	attempt       int
}

// Run sends pending entries until ctx ends. Call it when this node becomes
// leader; cancel ctx when it stops.
func (d *Dispatcher) Run(ctx context.Context) {
	takeover := map[string]bool{} // pending when we took over: maybe sent by the old leader
	for _, e := range d.o.State.Pending() {
		takeover[e.Key] = true
	}
	var (
		inflight     = map[string]bool{}
		notBefore    = map[string]time.Time{}
		failingSince = map[string]time.Time{}
		results      = make(chan outcome, d.o.Parallel)
		timer        = time.NewTimer(time.Hour)
		wg           sync.WaitGroup
	)
	defer func() { timer.Stop(); wg.Wait() }()
	for {
		now := time.Now()
		next := time.Hour
		pending := d.o.State.Pending()
		blocked := map[string]bool{} // incident/provider with an earlier entry still pending
		for _, e := range pending {
			lane := e.Message.Incident.ID + "\x00" + e.Provider
			if blocked[lane] {
				continue // keep triggered before resolved for one receiver
			}
			blocked[lane] = true
			if inflight[e.Key] || len(inflight) >= d.o.Parallel {
				continue
			}
			if t := notBefore[e.Key]; t.After(now) {
				next = min(next, t.Sub(now))
				continue
			}
			inflight[e.Key] = true
			wg.Add(1)
			go func(e fsm.Entry, resend bool) {
				defer wg.Done()
				results <- d.send(ctx, e, resend)
			}(e, takeover[e.Key] || e.Attempts > 0)
		}
		d.checkHealth(ctx, failingSince, now)
		timer.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-timer.C:
		case r := <-results:
			delete(inflight, r.key)
			if r.err == nil {
				delete(notBefore, r.key)
				if _, ok := failingSince[r.provider]; ok {
					delete(failingSince, r.provider)
					d.reportHealth(ctx, r.provider, false, "")
				}
				continue
			}
			if errors.Is(r.err, errNotLeader) {
				return
			}
			wait := d.o.Policy.Wait(r.attempt, r.err)
			if !r.retryable {
				wait = max(wait, minNonRetryableWait)
			}
			notBefore[r.key] = time.Now().Add(wait)
			if _, ok := failingSince[r.provider]; !ok {
				failingSince[r.provider] = time.Now()
			}
		}
	}
}

var errNotLeader = errors.New("dispatch: not the leader")

// reverifyAfter: a quorum check older than this is repeated just before
// the send, so a leader frozen (SIGSTOP) between check and send, then
// thawed after a new leader took over, does not send.
const reverifyAfter = 100 * time.Millisecond

// send delivers one entry and records the outcome through Raft.
func (d *Dispatcher) send(ctx context.Context, e fsm.Entry, resend bool) outcome {
	out := outcome{key: e.Key, provider: e.Provider, attempt: e.Attempts + 1}
	n, err := d.notifier(e.Provider, e.Message.Monitor.Group, e.Override)
	if err != nil {
		out.err = err
		d.record(ctx, e, err)
		return out
	}
	msg := e.Message
	msg.SentBy = d.o.Node
	normalize(&msg)
	verified, err := d.verify(ctx)
	if err != nil {
		out.err = errNotLeader
		return out
	}
	if time.Since(verified) > reverifyAfter {
		if _, err := d.verify(ctx); err != nil {
			out.err = errNotLeader
			return out
		}
	}
	sctx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	retryable, err := n.Notify(sctx, &msg)
	cancel()
	if d.o.OnSend != nil {
		d.o.OnSend(e.Provider, err, resend)
	}
	if err != nil {
		out.err, out.retryable = err, retryable
		d.o.Logger.Warn("notification not delivered", "key", e.Key, "provider", e.Provider, "attempt", out.attempt, "retryable", retryable, "err", err)
		d.record(ctx, e, err)
		return out
	}
	d.o.Logger.Info("notification delivered", "key", e.Key, "provider", e.Provider, "event", e.Message.Event)
	// Record the delivery; if this fails (leadership lost), the next leader
	// sends again with the same key: at least once.
	for i := 0; i < 3; i++ {
		if _, err = d.o.Leader.Propose(ctx, fsm.TypeDelivered, fsm.Delivered{Key: e.Key, By: d.o.Node}); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return out
}

func (d *Dispatcher) verify(ctx context.Context) (time.Time, error) {
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := d.o.Leader.VerifyLeader(vctx); err != nil {
		return time.Time{}, err
	}
	return time.Now(), nil
}

func (d *Dispatcher) record(ctx context.Context, e fsm.Entry, err error) {
	if _, perr := d.o.Leader.Propose(ctx, fsm.TypeAttempted, fsm.Attempted{Key: e.Key, Error: err.Error()}); perr != nil && ctx.Err() == nil {
		d.o.Logger.Warn("recording a failed attempt", "key", e.Key, "err", perr)
	}
}

// checkHealth reports providers failing for longer than the config allows.
func (d *Dispatcher) checkHealth(ctx context.Context, failingSince map[string]time.Time, now time.Time) {
	cfg := d.o.State.ConfigInForce()
	if cfg == nil || cfg.NotifierDownAfter <= 0 {
		return
	}
	known := d.o.State.Notifiers()
	for p, since := range failingSince {
		if now.Sub(since) >= cfg.NotifierDownAfter && !known[p].Failing {
			d.reportHealth(ctx, p, true, fmt.Sprintf("failing for %s", now.Sub(since).Round(time.Second)))
		}
	}
}

func (d *Dispatcher) reportHealth(ctx context.Context, provider string, failing bool, msg string) {
	if _, err := d.o.Leader.Propose(ctx, fsm.TypeNotifierHealth, fsm.NotifierHealth{Provider: provider, Failing: failing, Error: msg}); err != nil && ctx.Err() == nil {
		d.o.Logger.Warn("reporting notifier health", "provider", provider, "err", err)
	}
}

// notifier returns the notifier for a provider, group and override, built
// from the provider section of the config in force (cached while it does
// not change).
func (d *Dispatcher) notifier(provider, group string, override map[string]any) (notify.Notifier, error) {
	cfg := d.o.State.ConfigInForce()
	if cfg == nil {
		return nil, errors.New("no config in force")
	}
	text, ok := cfg.Providers[provider]
	if !ok {
		return nil, fmt.Errorf("alerting.%s is not configured", provider)
	}
	ob, _ := json.Marshal(override)
	sum := sha256.Sum256([]byte(text))
	cacheKey := provider + "\x00" + hex.EncodeToString(sum[:8]) + "\x00" + group + "\x00" + string(ob)
	d.mu.Lock()
	defer d.mu.Unlock()
	if n, ok := d.notifiers[cacheKey]; ok {
		return n, nil
	}
	c, err := d.configured(provider, text)
	if err != nil {
		return nil, err
	}
	n, err := c.Notifier(group, override)
	if err != nil {
		return nil, err
	}
	d.notifiers[cacheKey] = n
	return n, nil
}

func (d *Dispatcher) configured(provider, text string) (notify.Configured, error) {
	if d.builtText[provider] == text {
		return d.built[provider], nil
	}
	p, ok := providers.Registry[provider]
	if !ok {
		return nil, fmt.Errorf("alerting.%s: %s", provider, providers.Warning(provider))
	}
	c, err := p.Load(YAMLDecoder(text), d.o.Env)
	if err != nil {
		return nil, err
	}
	d.built[provider], d.builtText[provider] = c, text
	return c, nil
}

// Test sends a test message through a provider now (not via the outbox).
func (d *Dispatcher) Test(ctx context.Context, provider string) error {
	n, err := d.notifier(provider, "", nil)
	if err != nil {
		return err
	}
	msg := notify.Message{
		Event:          notify.EventTest,
		IdempotencyKey: fmt.Sprintf("test/%s/%d", provider, time.Now().UnixNano()),
		Description:    "custodes test notification: if you read this, alerting." + provider + " works",
		SentBy:         d.o.Node,
		State:          "up",
	}
	normalize(&msg)
	sctx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	defer cancel()
	_, err = n.Notify(sctx, &msg)
	return err
}

// normalize gives receivers [] instead of null for empty lists.
func normalize(m *notify.Message) {
	if m.Errors == nil {
		m.Errors = []string{}
	}
	if m.Observers == nil {
		m.Observers = []notify.Observer{}
	}
}

// YAMLDecoder decodes a replicated provider section (YAML text) strictly.
type YAMLDecoder string

// Decode implements notify.Decoder.
func (y YAMLDecoder) Decode(into any) error {
	dec := yaml.NewDecoder(strings.NewReader(string(y)))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil && err.Error() != "EOF" {
		return err
	}
	return nil
}

// Providers lists the providers of the config in force, sorted.
func Providers(s State) []string {
	cfg := s.ConfigInForce()
	if cfg == nil {
		return nil
	}
	out := make([]string, 0, len(cfg.Providers))
	for p := range cfg.Providers {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
