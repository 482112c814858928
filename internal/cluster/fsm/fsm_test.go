package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/monitor/push"
	"github.com/custodes/custodes/internal/notify"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// log is a test helper building stamped commands.
type log struct {
	t    *testing.T
	cmds [][]byte
	at   time.Time
}

func (l *log) add(typ Type, body any) []byte {
	l.t.Helper()
	b, err := Encode(typ, 1, body)
	if err != nil {
		l.t.Fatal(err)
	}
	l.at = l.at.Add(time.Second)
	if err := Stamp(b, l.at); err != nil {
		l.t.Fatal(err)
	}
	l.cmds = append(l.cmds, b)
	return b
}

// applyAll applies the log to f from index 1 and fails on refused commands
// unless allowed.
func applyAll(t *testing.T, f *FSM, cmds [][]byte) []Result {
	t.Helper()
	var out []Result
	for i, c := range cmds {
		out = append(out, f.Apply(uint64(i+1), c))
	}
	return out
}

func spec(t *testing.T, key string, alerts ...monitor.Alert) *monitor.Spec {
	t.Helper()
	c, err := condition.Parse("[STATUS] == 200")
	if err != nil {
		t.Fatal(err)
	}
	return &monitor.Spec{Key: key, Name: key, Group: "g", Kind: monitor.KindHTTP, URL: "http://127.0.0.1/" + key,
		Interval: time.Minute, Conditions: []*condition.Condition{c}, Enabled: true, Alerts: alerts, Origin: "file"}
}

func webhookAlert() monitor.Alert {
	return monitor.Alert{Type: "webhook", Enabled: true, FailureThreshold: 2, SuccessThreshold: 1, SendOnResolved: true}
}

func declared(t *testing.T, hash string, specs ...*monitor.Spec) DeclareConfig {
	return DeclareConfig{Node: "n1", Hash: hash, Declared: &Declared{
		Monitors: specs, Providers: map[string]string{"webhook": "url: http://127.0.0.1:9/hook\n"}}}
}

func observed(key, node string, success bool, streak, confirm int) incident.Observed {
	o := incident.Observed{Monitor: key, Node: node, Success: success, Streak: streak, Confirm: confirm}
	if !success {
		o.Errors = []string{"status 500"}
	}
	return o
}

// outageLog is a realistic log: config, a 2-of-3 confirmed outage, a
// delivery, an ack, recovery, node churn, pings.
func outageLog(t *testing.T) [][]byte {
	l := &log{t: t, at: t0}
	pushSpec := &monitor.Spec{Key: "g_job", Name: "job", Group: "g", Kind: monitor.KindPush, Enabled: true,
		Push:   &monitor.PushSchedule{Token: "tok-123456", Period: time.Hour, Grace: time.Minute},
		Alerts: []monitor.Alert{{Type: "webhook", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true}}}
	l.add(TypeDeclareConfig, declared(t, "h1", spec(t, "g_api", webhookAlert()), spec(t, "g_web"), pushSpec))
	l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n1", false, 2, 2)}})
	l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n2", false, 2, 2), observed("g_web", "n3", false, 3, 2)}})
	l.add(TypeDelivered, Delivered{Key: "g_api#1/triggered/webhook", By: "n1"})
	l.add(TypeTick, Tick{})
	l.add(TypeAck, Ack{Incident: "g_api#1", By: "alice"})
	l.add(TypeNodeEvent, NodeEvent{Node: "n3", Up: true})
	l.add(TypeNodeEvent, NodeEvent{Node: "n3", Up: false, Reporter: "n1"})
	l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n1", true, 1, 2), observed("g_api", "n2", true, 1, 2)}})
	l.add(TypePing, Ping{Monitor: "g_job", Ping: push.Ping{Kind: push.Fail, Body: "disk full"}})
	l.add(TypeAttempted, Attempted{Key: "g_api#1/resolved/webhook", Error: "connection refused"})
	l.add(TypeNodeEvent, NodeEvent{Node: "n3", Up: true})
	return l.cmds
}

func TestSameLogSameSnapshotBytes(t *testing.T) {
	cmds := outageLog(t)
	a, b := New(nil), New(nil)
	applyAll(t, a, cmds)
	applyAll(t, b, cmds)
	sa, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := b.Snapshot()
	if !bytes.Equal(sa, sb) {
		t.Fatalf("two FSMs applying the same log disagree:\n%s\n%s", sa, sb)
	}
	// A third FSM restored from the snapshot, fed one more command, agrees
	// with one that applied everything.
	c := New(nil)
	if err := c.Restore(sa); err != nil {
		t.Fatal(err)
	}
	l := &log{t: t, at: t0.Add(time.Hour)}
	extra := l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n1", false, 2, 2), observed("g_api", "n2", false, 2, 2)}})
	a.Apply(uint64(len(cmds)+1), extra)
	c.Apply(uint64(len(cmds)+1), extra)
	sa, _ = a.Snapshot()
	sc, _ := c.Snapshot()
	if !bytes.Equal(sa, sc) {
		t.Fatal("restored FSM diverged from the original after one more command")
	}
	if got := a.Applied(); got != uint64(len(cmds)+1) {
		t.Fatalf("Applied = %d", got)
	}
}

func TestOutageProducesOneTriggeredAndResolved(t *testing.T) {
	var changes []Change
	f := New(func(c Change) { changes = append(changes, c) })
	res := applyAll(t, f, outageLog(t))
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("command %d refused: %v", i+1, r.Err)
		}
	}
	log := f.Deliveries(0)
	byKey := map[string]Entry{}
	for _, e := range log {
		byKey[e.Key] = e
	}
	trig, ok := byKey["g_api#1/triggered/webhook"]
	if !ok || trig.DeliveredBy != "n1" || trig.Message.Event != notify.EventTriggered || trig.Message.State != "down" {
		t.Fatalf("triggered not delivered as expected: %+v (log %+v)", trig, log)
	}
	if trig.Message.Monitor != (notify.MonitorRef{Key: "g_api", Name: "g_api", Group: "g", URL: "http://127.0.0.1/g_api"}) {
		t.Fatalf("monitor ref = %+v", trig.Message.Monitor)
	}
	if len(trig.Message.Observers) != 2 || trig.Message.Errors[0] != "status 500" {
		t.Fatalf("observers/errors not carried: %+v", trig.Message)
	}
	pending := f.Pending()
	keys := map[string]Entry{}
	for _, e := range pending {
		keys[e.Key] = e
	}
	res1, ok := keys["g_api#1/resolved/webhook"]
	if !ok || res1.Attempts != 1 || res1.LastError != "connection refused" || res1.Message.State != "up" {
		t.Fatalf("resolved not pending with its failed attempt: %+v", pending)
	}
	// g_web has no alerts: its incident opens silently (no outbox entry).
	for k := range keys {
		if bytes.Contains([]byte(k), []byte("g_web")) {
			t.Fatalf("silent monitor produced a notification %q", k)
		}
	}
	// The push failure pages through webhook (failure-threshold 1). Incident
	// ids count per state, not per monitor: g_api#1, then g_job#2.
	if _, ok := keys["g_job#2/triggered/webhook"]; !ok {
		t.Fatalf("push failure did not page; pending %v", keys)
	}
	// n3 went down once and came back once: one node-down, one node-up.
	var down, up int
	for _, e := range append(pending, log...) {
		switch e.Message.Event {
		case notify.EventNodeDown:
			down++
			if e.Message.Description != "custodes node n3 is unreachable (reported by n1)" {
				t.Errorf("node-down description %q", e.Message.Description)
			}
		case notify.EventNodeUp:
			up++
		}
	}
	if down != 1 || up != 1 {
		t.Fatalf("node-down %d, node-up %d; want 1 and 1", down, up)
	}
	if len(changes) == 0 || !changes[0].Monitors {
		t.Fatalf("first change should report the monitor set: %+v", changes)
	}
}

func TestCorruptCommandHaltsInsteadOfApplying(t *testing.T) {
	l := &log{t: t, at: t0}
	good := l.add(TypeDeclareConfig, declared(t, "h1", spec(t, "g_api")))
	bad := bytes.Clone(l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n1", false, 5, 1)}}))
	bad[len(bad)-3] ^= 0x40 // flip a bit in the body
	f := New(nil)
	if r := f.Apply(1, good); r.Err != nil {
		t.Fatal(r.Err)
	}
	r := f.Apply(2, bad)
	if !errors.Is(r.Err, ErrHalted) || !errors.Is(r.Err, ErrCorrupt) {
		t.Fatalf("corrupt command: err = %v, want halted+corrupt", r.Err)
	}
	if f.Err() == nil {
		t.Fatal("FSM not halted")
	}
	if r := f.Apply(3, good); !errors.Is(r.Err, ErrHalted) {
		t.Fatalf("halted FSM applied a later command: %v", r.Err)
	}
	if got := f.Applied(); got != 1 {
		t.Fatalf("Applied = %d after halting at 2", got)
	}
	if _, err := Decode(bad[:5]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short command: %v", err)
	}
}

func TestUnknownCommands(t *testing.T) {
	f := New(nil)
	opt, _ := Encode(Optional|0x33, 1, struct{ X int }{1})
	if r := f.Apply(1, opt); r.Err != nil {
		t.Fatalf("optional unknown command not skipped: %v", r.Err)
	}
	req, _ := Encode(0x33, 1, struct{ X int }{1})
	r := f.Apply(2, req)
	if !errors.Is(r.Err, ErrHalted) {
		t.Fatalf("required unknown command: %v", r.Err)
	}
	newer, _ := Encode(TypeTick, 9, Tick{})
	if r := New(nil).Apply(1, newer); !errors.Is(r.Err, ErrHalted) {
		t.Fatalf("unknown body version applied: %v", r.Err)
	}
	garbage, _ := Encode(TypeObserve, 1, "not an object")
	if r := New(nil).Apply(1, garbage); !errors.Is(r.Err, ErrHalted) {
		t.Fatalf("undecodable body applied: %v", r.Err)
	}
}

func TestRestoreRefusesCorruptSnapshot(t *testing.T) {
	f := New(nil)
	applyAll(t, f, outageLog(t))
	snap, _ := f.Snapshot()
	before, _ := f.Snapshot()
	for name, b := range map[string][]byte{
		"flipped":   func() []byte { c := bytes.Clone(snap); c[len(snap)/2] ^= 1; return c }(),
		"truncated": snap[:len(snap)-10],
		"foreign":   []byte("{}"),
	} {
		if err := f.Restore(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s snapshot: err = %v, want ErrCorrupt", name, err)
		}
	}
	after, _ := f.Snapshot()
	if !bytes.Equal(before, after) {
		t.Fatal("a refused restore changed the state")
	}
}

func TestReplayedIndexIsNotAppliedTwice(t *testing.T) {
	f := New(nil)
	cmds := outageLog(t)
	applyAll(t, f, cmds)
	before, _ := f.Snapshot()
	applyAll(t, f, cmds) // raft replays entries after a restore
	after, _ := f.Snapshot()
	if !bytes.Equal(before, after) {
		t.Fatal("replaying applied indexes changed the state")
	}
}

func TestDeclareConfigLastWriterWinsAndDrift(t *testing.T) {
	l := &log{t: t, at: t0}
	l.add(TypeDeclareConfig, declared(t, "h1", spec(t, "g_a"), spec(t, "g_b")))
	d2 := declared(t, "h2", spec(t, "g_b"), spec(t, "g_c"))
	d2.Node = "n2"
	l.add(TypeDeclareConfig, d2)
	l.add(TypeDeclareConfig, DeclareConfig{Node: "n3", Hash: "h2", HashOnly: true})
	l.add(TypeDeclareConfig, DeclareConfig{Node: "n1", Hash: "h1", HashOnly: true}) // stale: refused
	f := New(nil)
	res := applyAll(t, f, l.cmds)
	if !errors.Is(res[3].Err, ErrConflict) {
		t.Fatalf("hash-only declaration of a stale config: %v", res[3].Err)
	}
	var keys []string
	for _, s := range f.Monitors() {
		keys = append(keys, s.Key)
	}
	if fmt.Sprint(keys) != "[g_b g_c]" {
		t.Fatalf("monitors in force %v, want the last declared [g_b g_c]", keys)
	}
	cfg := f.ConfigInForce()
	if cfg.Hash != "h2" || cfg.Node != "n2" {
		t.Fatalf("config in force from %s/%s", cfg.Node, cfg.Hash)
	}
	nc := f.NodeConfigs()
	if nc["n1"].Hash != "h1" || nc["n2"].Hash != "h2" || nc["n3"].Hash != "h2" {
		t.Fatalf("node configs %+v: n1 must show drift (h1), n2 and n3 h2", nc)
	}
}

func TestAPIMonitorsAreKeptApartFromFileMonitors(t *testing.T) {
	l := &log{t: t, at: t0}
	l.add(TypeDeclareConfig, declared(t, "h1", spec(t, "g_file")))
	api := spec(t, "g_api")
	l.add(TypePutMonitor, PutMonitor{Spec: api, Create: true})
	l.add(TypePutMonitor, PutMonitor{Spec: api, Create: true})               // exists
	l.add(TypePutMonitor, PutMonitor{Spec: spec(t, "g_file"), Create: true}) // file-declared
	l.add(TypeDeleteMonitor, DeleteMonitor{Key: "g_file"})                   // file-declared
	l.add(TypePutMonitor, PutMonitor{Spec: spec(t, "g_nope")})               // PUT of a missing one
	l.add(TypeDeleteMonitor, DeleteMonitor{Key: "g_nope"})
	f := New(nil)
	res := applyAll(t, f, l.cmds)
	want := []error{nil, nil, ErrConflict, ErrConflict, ErrConflict, ErrNotFound, ErrNotFound}
	for i, w := range want {
		if (w == nil) != (res[i].Err == nil) || (w != nil && !errors.Is(res[i].Err, w)) {
			t.Errorf("command %d: err = %v, want %v", i+1, res[i].Err, w)
		}
	}
	s, ok := f.Monitor("g_api")
	if !ok || s.Origin != "api" {
		t.Fatalf("API monitor %+v, origin must be api", s)
	}
	// A new config file that drops g_file leaves the API monitor in place.
	l2 := &log{t: t, at: t0.Add(time.Hour)}
	f.Apply(8, l2.add(TypeDeclareConfig, declared(t, "h2")))
	if _, ok := f.Monitor("g_api"); !ok {
		t.Fatal("API monitor lost when the config file changed")
	}
	if _, ok := f.Monitor("g_file"); ok {
		t.Fatal("file monitor survived its removal from the file")
	}
	f.Apply(9, l2.add(TypeDeleteMonitor, DeleteMonitor{Key: "g_api"}))
	if _, ok := f.Monitor("g_api"); ok {
		t.Fatal("API monitor not deleted")
	}
}

func TestNotificationForUnconfiguredProviderIsLoggedNotLost(t *testing.T) {
	l := &log{t: t, at: t0}
	l.add(TypeDeclareConfig, declared(t, "h1", spec(t, "g_api", monitor.Alert{Type: "slack", Enabled: true, FailureThreshold: 1})))
	l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n1", false, 1, 1)}})
	f := New(nil)
	applyAll(t, f, l.cmds)
	if p := f.Pending(); len(p) != 0 {
		t.Fatalf("pending %+v for a provider that is not configured", p)
	}
	log := f.Deliveries(0)
	if len(log) != 1 || log[0].Suppressed == "" || !log[0].Delivered.IsZero() {
		t.Fatalf("suppressed entry not visible in the log: %+v", log)
	}
}

func TestDeliveredIsIdempotentAndUnknownRefused(t *testing.T) {
	f := New(nil)
	cmds := outageLog(t)
	applyAll(t, f, cmds)
	l := &log{t: t, at: t0.Add(time.Hour)}
	again := l.add(TypeDelivered, Delivered{Key: "g_api#1/triggered/webhook", By: "n2"})
	if r := f.Apply(uint64(len(cmds)+1), again); r.Err != nil {
		t.Fatalf("second Delivered for a delivered key: %v", r.Err)
	}
	for _, e := range f.Deliveries(0) {
		if e.Key == "g_api#1/triggered/webhook" && e.DeliveredBy != "n1" {
			t.Fatal("a repeated Delivered rewrote the log")
		}
	}
	unknown := l.add(TypeDelivered, Delivered{Key: "nope", By: "n1"})
	if r := f.Apply(uint64(len(cmds)+2), unknown); !errors.Is(r.Err, ErrNotFound) {
		t.Fatalf("Delivered for an unknown key: %v", r.Err)
	}
}

func TestPushOverdueIgnoredAfterAPing(t *testing.T) {
	l := &log{t: t, at: t0}
	s := &monitor.Spec{Key: "g_job", Kind: monitor.KindPush, Enabled: true,
		Push:   &monitor.PushSchedule{Token: "tok-123456", Period: time.Minute, Grace: time.Second},
		Alerts: []monitor.Alert{{Type: "webhook", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1}}}
	l.add(TypeDeclareConfig, declared(t, "h1", s))
	l.add(TypePing, Ping{Monitor: "g_job", Ping: push.Ping{Kind: push.Success}})
	l.add(TypePushOverdue, PushOverdue{Monitor: "g_job", Pings: 0}) // armed before the ping: stale
	f := New(nil)
	applyAll(t, f, l.cmds)
	if len(f.Pending()) != 0 {
		t.Fatalf("a stale overdue paged: %+v", f.Pending())
	}
	pings := f.PushChecks()["g_job"].State.Pings
	f.Apply(4, l.add(TypePushOverdue, PushOverdue{Monitor: "g_job", Pings: pings}))
	p := f.Pending()
	if len(p) != 1 || p[0].Message.Event != notify.EventTriggered {
		t.Fatalf("overdue push check did not page once: %+v", p)
	}
	if r := f.Apply(5, l.add(TypePing, Ping{Monitor: "nope", Ping: push.Ping{Kind: push.Success}})); !errors.Is(r.Err, ErrNotFound) {
		t.Fatalf("ping of an unknown monitor: %v", r.Err)
	}
	if r := f.Apply(6, l.add(TypePing, Ping{Monitor: "g_job", Ping: push.Ping{Kind: push.ExitStatus, ExitCode: 300}})); !errors.Is(r.Err, ErrInvalid) {
		t.Fatalf("exit status 300: %v", r.Err)
	}
}

func TestNotifierDownReportedThroughTheOthers(t *testing.T) {
	l := &log{t: t, at: t0}
	d := declared(t, "h1")
	d.Declared.Providers["slack"] = "webhook-url: http://127.0.0.1:9/\n"
	l.add(TypeDeclareConfig, d)
	l.add(TypeNotifierHealth, NotifierHealth{Provider: "slack", Failing: true, Error: "500"})
	l.add(TypeNotifierHealth, NotifierHealth{Provider: "slack", Failing: true, Error: "500"})
	f := New(nil)
	applyAll(t, f, l.cmds)
	p := f.Pending()
	if len(p) != 1 || p[0].Provider != "webhook" || p[0].Message.Event != notify.EventNotifierDown {
		t.Fatalf("notifier-down must go once, through webhook only: %+v", p)
	}
	if !f.Notifiers()["slack"].Failing {
		t.Fatal("slack not recorded as failing")
	}
}

func TestMattersToEngine(t *testing.T) {
	l := &log{t: t, at: t0}
	l.add(TypeDeclareConfig, declared(t, "h1", spec(t, "g_api", webhookAlert())))
	f := New(nil)
	applyAll(t, f, l.cmds)
	if f.MattersToEngine("g_api", "n1") {
		t.Fatal("a success on a monitor nobody reported on cannot matter")
	}
	f.Apply(2, l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n1", false, 1, 1)}}))
	if !f.MattersToEngine("g_api", "n1") {
		t.Fatal("n1 has a (failing) view: its success must be reported")
	}
	if f.MattersToEngine("g_api", "n2") {
		t.Fatal("n2 has no view and no incident is open")
	}
	f.Apply(3, l.add(TypeObserve, Observe{Observations: []incident.Observed{observed("g_api", "n1", false, 2, 1)}}))
	if !f.MattersToEngine("g_api", "n2") {
		t.Fatal("an incident is open: a new checker's success may resolve it")
	}
}
