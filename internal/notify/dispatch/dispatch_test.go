package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/notify"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// leader applies proposals to a real FSM, in order, like a one-node Raft.
type leader struct {
	mu       sync.Mutex
	f        *fsm.FSM
	index    uint64
	leading  atomic.Bool
	verifies atomic.Int64
	proposed []fsm.Type
}

func newLeader() *leader {
	l := &leader{f: fsm.New(nil)}
	l.leading.Store(true)
	return l
}

func (l *leader) VerifyLeader(context.Context) error {
	l.verifies.Add(1)
	if !l.leading.Load() {
		return errors.New("node is not the leader")
	}
	return nil
}

func (l *leader) Propose(_ context.Context, t fsm.Type, body any) (fsm.Result, error) {
	b, err := fsm.Encode(t, 1, body)
	if err != nil {
		return fsm.Result{}, err
	}
	fsm.Stamp(b, time.Now())
	l.mu.Lock()
	defer l.mu.Unlock()
	l.index++
	l.proposed = append(l.proposed, t)
	return l.f.Apply(l.index, b), nil
}

func (l *leader) count(t fsm.Type) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.proposed {
		if p == t {
			n++
		}
	}
	return n
}

// receiver is a webhook endpoint answering from a script of statuses.
type receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	got   []notify.Message
	keys  []string
	codes func(n int) int
	delay time.Duration
}

func newReceiver(t *testing.T, codes func(n int) int) *receiver {
	r := &receiver{codes: codes}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var m notify.Message
		json.Unmarshal(body, &m)
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, m)
		r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
		delay := r.delay
		r.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
			}
		}
		w.WriteHeader(r.codes(n))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() ([]notify.Message, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.got...), append([]string(nil), r.keys...)
}

func ok200(int) int { return 200 }

// setup declares one monitor alerting through webhooks at the given URLs.
func setup(t *testing.T, l *leader, urls map[string]string, alerts ...string) {
	t.Helper()
	c, _ := condition.Parse("[STATUS] == 200")
	var as []monitor.Alert
	for _, a := range alerts {
		as = append(as, monitor.Alert{Type: a, Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true})
	}
	spec := &monitor.Spec{Key: "g_api", Name: "api", Group: "g", Kind: monitor.KindHTTP, URL: "http://127.0.0.1:1/",
		Conditions: []*condition.Condition{c}, Enabled: true, Interval: time.Minute, Alerts: as}
	providers := map[string]string{}
	for name, u := range urls {
		providers[name] = "url: " + u + "\n"
	}
	d := fsm.DeclareConfig{Node: "n1", Hash: "h", Declared: &fsm.Declared{Monitors: []*monitor.Spec{spec},
		Providers: providers, NotifierDownAfter: 200 * time.Millisecond}}
	if res, _ := l.Propose(context.Background(), fsm.TypeDeclareConfig, d); res.Err != nil {
		t.Fatal(res.Err)
	}
}

func observe(t *testing.T, l *leader, success bool) {
	t.Helper()
	o := fsm.Observe{Observations: []incident.Observed{{Monitor: "g_api", Node: "n1", Success: success, Streak: 1, Confirm: 1, Errors: errs(success)}}}
	if res, _ := l.Propose(context.Background(), fsm.TypeObserve, o); res.Err != nil {
		t.Fatal(res.Err)
	}
}

func errs(success bool) []string {
	if success {
		return nil
	}
	return []string{"status 500"}
}

func fastPolicy() notify.RetryPolicy {
	return notify.RetryPolicy{Base: 20 * time.Millisecond, Max: 50 * time.Millisecond, Factor: 2}
}

func start(t *testing.T, d *Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestDeliversOnceAndRecordsIt(t *testing.T) {
	l := newLeader()
	rcv := newReceiver(t, ok200)
	setup(t, l, map[string]string{"webhook": rcv.srv.URL}, "webhook")
	d := New(Options{Node: "n1", State: l.f, Leader: l, Policy: fastPolicy()})
	stop := start(t, d)
	defer stop()
	observe(t, l, false)
	d.Wake()
	waitFor(t, "delivery recorded", func() bool { return len(l.f.Pending()) == 0 && len(l.f.Deliveries(0)) == 1 })
	observe(t, l, true)
	d.Wake()
	waitFor(t, "resolved recorded", func() bool { return len(l.f.Deliveries(0)) == 2 })
	got, keys := rcv.received()
	if len(got) != 2 || keys[0] != "g_api#1/triggered/webhook" || keys[1] != "g_api#1/resolved/webhook" {
		t.Fatalf("receiver got %d requests with keys %q", len(got), keys)
	}
	if got[0].SentBy != "n1" || got[0].Errors[0] != "status 500" || got[1].Observers == nil || got[1].Errors == nil {
		t.Fatalf("payload: %+v / %+v", got[0], got[1])
	}
	for _, e := range l.f.Deliveries(0) {
		if e.DeliveredBy != "n1" {
			t.Fatalf("delivered by %q", e.DeliveredBy)
		}
	}
}

func TestRetriesUntilTheReceiverRecovers(t *testing.T) {
	l := newLeader()
	rcv := newReceiver(t, func(n int) int {
		if n < 3 {
			return 500
		}
		return 200
	})
	setup(t, l, map[string]string{"webhook": rcv.srv.URL}, "webhook")
	d := New(Options{Node: "n1", State: l.f, Leader: l, Policy: fastPolicy()})
	stop := start(t, d)
	defer stop()
	observe(t, l, false)
	d.Wake()
	waitFor(t, "delivery after retries", func() bool { return len(l.f.Deliveries(0)) == 1 })
	got, _ := rcv.received()
	if len(got) != 4 {
		t.Fatalf("receiver saw %d requests, want 3 failures + 1 success", len(got))
	}
	if n := l.count(fsm.TypeAttempted); n != 3 {
		t.Fatalf("%d failed attempts recorded, want 3", n)
	}
	if e := l.f.Deliveries(0)[0]; e.Attempts != 3 || e.LastError == "" {
		t.Fatalf("delivery log entry %+v", e)
	}
}

func TestNothingIsSentWithoutQuorum(t *testing.T) {
	l := newLeader()
	rcv := newReceiver(t, ok200)
	setup(t, l, map[string]string{"webhook": rcv.srv.URL}, "webhook")
	observe(t, l, false)
	l.leading.Store(false)
	d := New(Options{Node: "n1", State: l.f, Leader: l, Policy: fastPolicy()})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d.Run(ctx) // returns on its own once the quorum check fails
	if got, _ := rcv.received(); len(got) != 0 {
		t.Fatalf("a deposed leader sent %d notifications", len(got))
	}
	if l.verifies.Load() == 0 {
		t.Fatal("the dispatcher never checked leadership")
	}
	if len(l.f.Pending()) != 1 {
		t.Fatal("the entry must stay pending for the next leader")
	}
}

func TestResolvedWaitsForItsTriggered(t *testing.T) {
	l := newLeader()
	var fail atomic.Bool
	fail.Store(true)
	rcv := newReceiver(t, func(int) int {
		if fail.Load() {
			return 503
		}
		return 200
	})
	setup(t, l, map[string]string{"webhook": rcv.srv.URL}, "webhook")
	observe(t, l, false)
	observe(t, l, true) // resolved queued behind a triggered that fails
	d := New(Options{Node: "n1", State: l.f, Leader: l, Policy: fastPolicy()})
	stop := start(t, d)
	defer stop()
	waitFor(t, "some failed attempts", func() bool { return l.count(fsm.TypeAttempted) >= 2 })
	_, keys := rcv.received()
	for _, k := range keys {
		if k != "g_api#1/triggered/webhook" {
			t.Fatalf("%q sent while the triggered was still pending", k)
		}
	}
	fail.Store(false)
	d.Wake()
	waitFor(t, "both delivered", func() bool { return len(l.f.Deliveries(0)) == 2 })
	log := l.f.Deliveries(0) // newest first
	if log[1].Key != "g_api#1/triggered/webhook" || log[0].Key != "g_api#1/resolved/webhook" {
		t.Fatalf("delivery order %s, %s", log[1].Key, log[0].Key)
	}
}

func TestHangingReceiverDoesNotBlockOthers(t *testing.T) {
	l := newLeader()
	slow := newReceiver(t, ok200)
	slow.delay = time.Hour
	fast := newReceiver(t, ok200)
	setup(t, l, map[string]string{"webhook": slow.srv.URL, "custom": fast.srv.URL}, "webhook")
	// custom's config key is url too; add an alert for it.
	c, _ := condition.Parse("[STATUS] == 200")
	spec := &monitor.Spec{Key: "g_web", Name: "web", Group: "g", Kind: monitor.KindHTTP, URL: "http://127.0.0.1:1/",
		Conditions: []*condition.Condition{c}, Enabled: true, Interval: time.Minute,
		Alerts: []monitor.Alert{{Type: "custom", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1}}}
	cur := l.f.ConfigInForce()
	decl := *cur
	decl.Monitors = append(decl.Monitors, spec)
	decl.Providers = map[string]string{"webhook": "url: " + slow.srv.URL + "\n", "custom": "url: " + fast.srv.URL + "\nbody: x\n"}
	l.Propose(context.Background(), fsm.TypeDeclareConfig, fsm.DeclareConfig{Node: "n1", Hash: "h2", Declared: &decl})
	observe(t, l, false)
	l.Propose(context.Background(), fsm.TypeObserve, fsm.Observe{Observations: []incident.Observed{{Monitor: "g_web", Node: "n1", Streak: 1, Confirm: 1}}})

	d := New(Options{Node: "n1", State: l.f, Leader: l, Policy: fastPolicy(), SendTimeout: 300 * time.Millisecond})
	stop := start(t, d)
	defer stop()
	waitFor(t, "the fast receiver's delivery", func() bool {
		for _, e := range l.f.Deliveries(0) {
			if e.Provider == "custom" {
				return true
			}
		}
		return false
	})
	waitFor(t, "the hanging receiver cut off and retried", func() bool { return l.count(fsm.TypeAttempted) >= 2 })
	// It keeps failing past notifier-down-after (200ms): reported once.
	waitFor(t, "webhook reported failing", func() bool { return l.f.Notifiers()["webhook"].Failing })
	if n := l.count(fsm.TypeNotifierHealth); n != 1 {
		t.Fatalf("notifier health reported %d times", n)
	}
}

func TestTestMessage(t *testing.T) {
	l := newLeader()
	rcv := newReceiver(t, ok200)
	setup(t, l, map[string]string{"webhook": rcv.srv.URL}, "webhook")
	d := New(Options{Node: "n1", State: l.f, Leader: l})
	if err := d.Test(context.Background(), "webhook"); err != nil {
		t.Fatal(err)
	}
	got, _ := rcv.received()
	if len(got) != 1 || got[0].Event != notify.EventTest {
		t.Fatalf("test message: %+v", got)
	}
	if err := d.Test(context.Background(), "slack"); err == nil {
		t.Fatal("testing an unconfigured provider succeeded")
	}
}
