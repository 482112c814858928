package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
	"github.com/custodes/custodes/internal/scheduler"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeProposer fails the first failures proposals, then records the rest.
type fakeProposer struct {
	mu       sync.Mutex
	failures int
	got      []fsm.Observe
}

func (p *fakeProposer) Propose(_ context.Context, _ fsm.Type, body any) (fsm.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failures > 0 {
		p.failures--
		return fsm.Result{}, errors.New("no leader")
	}
	p.got = append(p.got, body.(fsm.Observe))
	return fsm.Result{}, nil
}

func (p *fakeProposer) observed() []incident.Observed {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []incident.Observed
	for _, o := range p.got {
		out = append(out, o.Observations...)
	}
	return out
}

func TestObservationsKeepOrderAcrossFailedProposals(t *testing.T) {
	p := &fakeProposer{failures: 2}
	o := newObservations(p, slog.New(slog.DiscardHandler), time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	for i := 1; i <= 5; i++ {
		o.Add(incident.Observed{Monitor: "m", Node: "n1", Streak: i})
	}
	o.Release(incident.Released{Monitor: "x", Node: "n1"})
	deadline := time.Now().Add(10 * time.Second)
	for len(p.observed()) < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	got := p.observed()
	if len(got) != 5 {
		t.Fatalf("%d observations committed, want 5", len(got))
	}
	for i, e := range got {
		if e.Streak != i+1 {
			t.Fatalf("observation %d has streak %d: order lost across retries", i, e.Streak)
		}
	}
	var released int
	for _, c := range p.got {
		released += len(c.Released)
	}
	if released != 1 {
		t.Fatalf("%d releases committed, want 1", released)
	}
}

func TestObservationsBoundedWhileNoLeader(t *testing.T) {
	o := newObservations(&fakeProposer{}, slog.New(slog.DiscardHandler), time.Millisecond)
	for i := 0; i < maxPendingObservations+10; i++ {
		o.Add(incident.Observed{Monitor: "m", Streak: i})
	}
	if len(o.pending) != maxPendingObservations || o.dropped != 10 {
		t.Fatalf("pending %d, dropped %d; want the bound and 10 dropped", len(o.pending), o.dropped)
	}
	if o.pending[0].Streak != 10 {
		t.Fatalf("the oldest must go first; head has streak %d", o.pending[0].Streak)
	}
}

func TestDeclaredHashIgnoresWhereMonitorsAreWritten(t *testing.T) {
	a := &fsm.Declared{Monitors: []*monitor.Spec{{Key: "k", URL: "http://x/", Source: "n1.yaml:3",
		Alerts: []monitor.Alert{{Type: "webhook", Source: "n1.yaml:9"}}}}}
	b := &fsm.Declared{Monitors: []*monitor.Spec{{Key: "k", URL: "http://x/", Source: "/etc/custodes/n2.yaml:30",
		Alerts: []monitor.Alert{{Type: "webhook", Source: "/etc/custodes/n2.yaml:40"}}}}}
	ha, _ := declaredHash(a)
	hb, _ := declaredHash(b)
	if ha != hb {
		t.Fatal("the same monitors in different files hash differently: every node would show drift")
	}
	if a.Monitors[0].Source != "n1.yaml:3" || a.Monitors[0].Alerts[0].Source != "n1.yaml:9" {
		t.Fatal("hashing modified the declaration")
	}
	b.Monitors[0].URL = "http://y/"
	if hb2, _ := declaredHash(b); hb2 == ha {
		t.Fatal("a different URL hashes the same: drift would go unnoticed")
	}
}

func TestStatFingerprintChangesWithTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("a: 1\n"), 0o600)
	before := statFingerprint(p)
	os.WriteFile(p, []byte("a: 12\n"), 0o600)
	if statFingerprint(p) == before {
		t.Fatal("a changed file has the same fingerprint")
	}
	os.WriteFile(filepath.Join(dir, "d.yaml"), []byte("b: 1\n"), 0o600)
	if d := statFingerprint(dir); d == statFingerprint(p) || d == "" {
		t.Fatal("a directory's fingerprint must cover its files")
	}
}

func TestGossipAddrsAddTheGossipPort(t *testing.T) {
	got := gossipAddrs([]string{"10.0.0.2", "10.0.0.3:9000", "node4.example"}, "0.0.0.0:7946")
	want := []string{"10.0.0.2:7946", "10.0.0.3:9000", "node4.example:7946"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("gossipAddrs = %v, want %v", got, want)
		}
	}
}

func TestConcurrency(t *testing.T) {
	for _, tc := range []struct {
		c    config.Concurrency
		want int
	}{
		{config.Concurrency{Value: 3}, scheduler.DefaultConcurrency}, // Gatus's default is not custodes'
		{config.Concurrency{Value: 0, Set: true}, 16384},
		{config.Concurrency{Value: 40, Set: true}, 40},
	} {
		if got := concurrency(&config.Config{Concurrency: tc.c}); got != tc.want {
			t.Errorf("concurrency(%+v) = %d, want %d", tc.c, got, tc.want)
		}
	}
}
