package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var allFaults = []faultKind{faultKill, faultStop, faultPartition, faultClock}

func TestPlanIsAFunctionOfTheSeed(t *testing.T) {
	o := planOptions{Seed: 42, Nodes: 3, Duration: 10 * time.Minute, Interval: time.Second, Monitors: 8, Faults: allFaults}
	a, b := newPlan(o), newPlan(o)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two plans from one seed differ")
	}
	o.Seed = 43
	if c := newPlan(o); reflect.DeepEqual(a.Outages, c.Outages) {
		t.Fatal("seeds 42 and 43 gave the same outages")
	}
	var out strings.Builder
	a.print(&out)
	if !strings.HasPrefix(out.String(), "schedule (seed 42): ") || strings.Count(out.String(), "\n") != 1+len(a.Outages)+len(a.Faults) {
		t.Fatalf("printed schedule:\n%s", out.String())
	}
}

// TestPlanProperties checks, for any seed and size, what the invariants
// rely on: outages of a monitor never overlap and leave healthy gaps,
// short and flapping spells stay below what can page, long ones end in
// time to resolve, and faults never hit more than a minority at once.
func TestPlanProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := planOptions{
			Seed:     rapid.Uint64().Draw(t, "seed"),
			Nodes:    rapid.SampledFrom([]int{3, 5}).Draw(t, "nodes"),
			Duration: time.Duration(rapid.IntRange(60, 1200).Draw(t, "seconds")) * time.Second,
			Interval: time.Duration(rapid.IntRange(500, 3000).Draw(t, "interval ms")) * time.Millisecond,
			Monitors: rapid.IntRange(4, 12).Draw(t, "monitors"),
			Faults:   rapid.SliceOfDistinct(rapid.SampledFrom(allFaults), func(k faultKind) faultKind { return k }).Draw(t, "faults"),
		}
		p := newPlan(o)
		I := o.Interval
		last := map[string]outage{}
		for _, out := range p.Outages {
			if out.Start() < warmup || out.End() > o.Duration {
				t.Fatalf("outage %s outside [warmup, duration]", out)
			}
			if prev, ok := last[out.Monitor]; ok {
				gap := out.Start() - prev.End()
				if prev.Kind == longOutage && gap < 12*time.Second || gap < 4*time.Second {
					t.Fatalf("outage %s starts %s after %s", out, gap, prev)
				}
			}
			last[out.Monitor] = out
			for i, pl := range out.Pulses {
				if pl.To <= pl.From {
					t.Fatalf("outage %s: empty spell %d", out, i)
				}
				if i > 0 && pl.From-out.Pulses[i-1].To < 2*I {
					t.Fatalf("outage %s: healthy spell before spell %d shorter than 2 intervals", out, i)
				}
			}
			d := out.End() - out.Start()
			switch out.Kind {
			case longOutage:
				if d < 20*time.Second || out.End() > o.Duration-endMarginLong {
					t.Fatalf("long outage %s: %s, or ends too late", out, d)
				}
			case shortOutage:
				if d > shortMax(I) || d >= 2*I || d < 3*I/10 {
					t.Fatalf("short outage %s lasts %s (interval %s)", out, d, I)
				}
			case flapOutage:
				if len(out.Pulses) < 3 {
					t.Fatalf("flapping outage %s has %d spells", out, len(out.Pulses))
				}
				for _, pl := range out.Pulses {
					if pl.To-pl.From > I {
						t.Fatalf("flapping outage %s: a failing spell longer than the interval", out)
					}
				}
			case partialOutage:
				if out.Node < 1 || out.Node > o.Nodes {
					t.Fatalf("partial outage %s from node %d of %d", out, out.Node, o.Nodes)
				}
			}
		}
		laneEnd := map[int]time.Duration{}
		for _, f := range p.Faults {
			if f.Lane < 0 || f.Lane >= faultLanes(o.Nodes) {
				t.Fatalf("fault %s in lane %d; %d nodes allow %d lanes", f, f.Lane, o.Nodes, faultLanes(o.Nodes))
			}
			if f.At < laneEnd[f.Lane] {
				t.Fatalf("fault %s starts before the lane's previous one ends at %s", f, laneEnd[f.Lane])
			}
			laneEnd[f.Lane] = f.At + f.For
			if f.At+f.For > o.Duration-faultTail {
				t.Fatalf("fault %s not healed %s before the end", f, faultTail)
			}
			if !contains(o.Faults, f.Kind) {
				t.Fatalf("fault %s of a kind not asked for (%v)", f, o.Faults)
			}
		}
	})
}

func contains(ks []faultKind, k faultKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// TestPlanCoversEveryKind: a 2-minute plan (the CI run) has every outage
// kind and every fault kind, and hits the leader with the first kill,
// stop and partition.
func TestPlanCoversEveryKind(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		p := newPlan(planOptions{Seed: seed, Nodes: 3, Duration: 2 * time.Minute, Interval: time.Second, Monitors: 8, Faults: allFaults})
		c := p.counts()
		for _, k := range outageKinds {
			if c[k] == 0 {
				t.Errorf("seed %d: no %s outage", seed, k)
			}
		}
		first := map[faultKind]fault{}
		for _, f := range p.Faults {
			if _, ok := first[f.Kind]; !ok {
				first[f.Kind] = f
			}
		}
		for _, k := range allFaults {
			f, ok := first[k]
			switch {
			case !ok:
				t.Errorf("seed %d: no %s fault", seed, k)
			case k != faultClock && f.Target != "leader":
				t.Errorf("seed %d: the first %s hits the %s, want the leader", seed, k, f.Target)
			}
		}
	}
}

func TestNoFaultsWhenNoneAskedFor(t *testing.T) {
	p := newPlan(planOptions{Seed: 1, Nodes: 5, Duration: 10 * time.Minute, Interval: time.Second, Monitors: 8})
	if len(p.Faults) != 0 {
		t.Fatalf("%d faults planned with no fault kinds", len(p.Faults))
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{nil, ""},
		{[]string{"-duration", "2m", "-seed", "7", "-nodes", "5", "-faults", "kill,stop", "-stale-reads", "report"}, ""},
		{[]string{"-faults", "none", "-clients", "0"}, ""},
		{[]string{"-nodes", "4"}, "-nodes 4: want 3 or 5"},
		{[]string{"-duration", "30s"}, "-duration 30s: want 1m to 4h"},
		{[]string{"-settle", "5m"}, "-settle 5m0s: want 20s to 2m"},
		{[]string{"-faults", "kill,flood"}, `-faults: unknown kind "flood"`},
		{[]string{"-stale-reads", "ignore"}, `-stale-reads "ignore": want fail or report`},
		{[]string{"-monitors", "2"}, "-monitors 2: want 0 (no outages) or 4 to 100"},
		{[]string{"-monitors", "0", "-stale-reads", "report"}, ""},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		o, err := parseFlags(tt.args, &strings.Builder{})
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("parseFlags(%q): %v, want error with %q", tt.args, err, tt.err)
			continue
		}
		if err == nil && o.seed == 0 {
			t.Errorf("parseFlags(%q): seed 0 was not replaced by a random one", tt.args)
		}
	}
	o, _ := parseFlags([]string{"-seed", "7", "-duration", "2m", "-faults", "stop,kill", "-clients", "0"}, &strings.Builder{})
	if got, want := replayCommand(o), "go run ./bench/soak -seed 7 -duration 2m0s -nodes 3 -clients 0 -faults stop,kill"; got != want {
		t.Errorf("replay command %q, want %q", got, want)
	}
}
