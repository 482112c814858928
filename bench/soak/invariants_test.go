package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// baseRun is a run where every promise held: one long outage of m0 paged
// and resolved, a short, a flapping and a partial outage paged nobody, the
// leader was killed once and one key was delivered twice right after.
func baseRun() checkInput {
	return checkInput{
		Nodes: 3,
		Outages: []outage{
			{ID: 1, Monitor: "soak_m0", Kind: longOutage, Pulses: []pulse{{sec(10), sec(40)}}},
			{ID: 2, Monitor: "soak_m1", Kind: shortOutage, Pulses: []pulse{{sec(12), sec(13)}}},
			{ID: 3, Monitor: "soak_m2", Kind: flapOutage, Pulses: []pulse{{sec(12), sec(12.5)}, {sec(15), sec(15.8)}}},
			{ID: 4, Monitor: "soak_m3", Kind: partialOutage, Pulses: []pulse{{sec(15), sec(30)}}, Node: 2},
			{ID: 5, Monitor: "soak_m1", Kind: longOutage, Pulses: []pulse{{sec(50), sec(80)}}},
		},
		Faults: []faultRecord{
			{Fault: fault{ID: 1, Kind: faultKill}, Node: "n1", At: sec(16.01), Healed: sec(22), WasLeader: true},
			{Fault: fault{ID: 2, Kind: faultStop}, Node: "n3", At: sec(60), Healed: sec(65)},
			{Fault: fault{ID: 3, Kind: faultPartition}, Skipped: "too late"},
		},
		Deliveries: []delivery{
			dl(16, "triggered", "soak_m0", "soak_m0#1", "n1"),
			dl(18, "triggered", "soak_m0", "soak_m0#1", "n2"), // re-sent: n1 was killed as leader
			dl(19, "node-down", "", "node:n1#40", "n2"),
			dl(24, "node-up", "", "node:n1#52", "n2"),
			dl(43, "resolved", "soak_m0", "soak_m0#1", "n2"),
			dl(82, "triggered", "soak_m1", "soak_m1#2", "n2"), // decided just before the end, delivered after
			dl(85, "resolved", "soak_m1", "soak_m1#2", "n2"),
		},
		Monitors:            []string{"soak_m0", "soak_m1", "soak_m2", "soak_m3"},
		Maintenance:         "soak_maint",
		CheckedFrom:         map[string]map[string]int{"soak_m0": {"n1": 5, "n2": 5, "n3": 5}, "soak_m1": {"n1": 5, "n2": 5, "n3": 5}, "soak_m2": {"n1": 5, "n2": 5, "n3": 5}, "soak_m3": {"n1": 5, "n2": 5, "n3": 5}},
		MaintenanceFailures: 90,
	}
}

// dl is a delivery with the key custodes would give it.
func dl(at float64, event, monitor, incident, by string) delivery {
	key := fmt.Sprintf("%s/%s/webhook", incident, event)
	return delivery{At: sec(at), Key: key, PayloadKey: key, Event: event, Monitor: monitor, Incident: incident, SentBy: by}
}

// Names of the checks, in checkInvariants' order.
const (
	cLong = iota
	cFalse
	cIdem
	cMaint
	cDegraded
	cCoverage
	cRecovery
)

func TestCheckInvariants(t *testing.T) {
	tests := []struct {
		name   string
		change func(in *checkInput)
		check  int    // the check that must fail (-1: none)
		count  int    // with this many violations
		want   string // in the first violation
		also   map[int]int
	}{
		{"every promise held", func(in *checkInput) {}, -1, 0, "", nil},
		{"a long outage that never paged", func(in *checkInput) {
			in.Deliveries = without(in.Deliveries, "soak_m1#2")
		}, cLong, 1, "outage #5 soak_m1 long +50.000s..+80.000s never paged", nil},
		{"a triggered delivered too long after the long outage is no page for it", func(in *checkInput) {
			in.Deliveries = without(in.Deliveries, "soak_m1#2")
			in.Deliveries = append(in.Deliveries, dl(96, "triggered", "soak_m1", "soak_m1#2", "n2"))
		}, cLong, 1, "never paged", map[int]int{cFalse: 1}},
		{"an incident never resolved", func(in *checkInput) {
			in.Deliveries = without(in.Deliveries, "soak_m0#1/resolved/webhook")
		}, cLong, 1, "incident soak_m0#1 of outage #1 soak_m0 long +10.000s..+40.000s was never resolved", nil},
		{"resolved while the target still failed", func(in *checkInput) {
			in.Deliveries[4].At = sec(30)
		}, cLong, 1, "incident soak_m0#1 resolved at +30.000s while its target was still failing", nil},
		{"a second incident within the outage", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(35, "triggered", "soak_m0", "soak_m0#3", "n2"), dl(44, "resolved", "soak_m0", "soak_m0#3", "n2"))
		}, cLong, 1, "paged a second incident soak_m0#3 (after soak_m0#1) while the target kept failing", nil},
		{"a second incident after the recovery (stale observations after a heal)", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(48, "triggered", "soak_m0", "soak_m0#3", "n2"), dl(48.01, "resolved", "soak_m0", "soak_m0#3", "n2"))
		}, cLong, 1, "paged a second incident soak_m0#3 (after soak_m0#1) 8s after the target recovered", nil},
		{"a short outage paged", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(12.9, "triggered", "soak_m1", "soak_m1#9", "n2"))
		}, cFalse, 1, "the latest outage of it was #2 soak_m1 short +12.000s..+13.000s", nil},
		{"a flapping outage paged", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(16, "triggered", "soak_m2", "soak_m2#9", "n2"))
		}, cFalse, 1, "the latest outage of it was #3 soak_m2 flap", nil},
		{"a partial outage paged", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(20, "triggered", "soak_m3", "soak_m3#9", "n2"))
		}, cFalse, 1, "#4 soak_m3 partial +15.000s..+30.000s (from n2 only)", nil},
		{"a page with no outage at all", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(5, "triggered", "soak_m3", "soak_m3#9", "n2"))
		}, cFalse, 1, "no outage of it had started", nil},
		{"a key delivered twice with no fault", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(44, "resolved", "soak_m0", "soak_m0#1", "n2"))
		}, cIdem, 1, "key soak_m0#1/resolved/webhook delivered twice (+43.000s by n2, +44.000s by n2) with no fault of the sending leader n2", nil},
		{"a key delivered twice after a fault of a follower", func(in *checkInput) {
			in.Faults[0].WasLeader = false
		}, cIdem, 1, "key soak_m0#1/triggered/webhook delivered twice", nil},
		{"a key delivered twice after a fault of another leader", func(in *checkInput) {
			in.Faults[0].Node = "n3"
		}, cIdem, 1, "no fault of the sending leader n1", nil},
		{"a key delivered twice long after the leader fault", func(in *checkInput) {
			in.Faults[0].At = sec(9)
		}, cIdem, 1, "within 5s of the first", nil},
		{"a clock restart of the leader excuses nothing", func(in *checkInput) {
			in.Faults[0].Fault.Kind = faultClock
		}, cIdem, 1, "delivered twice", nil},
		{"a partition of the leader excuses a re-send", func(in *checkInput) {
			in.Faults[0].Fault.Kind = faultPartition
		}, -1, 0, "", nil},
		{"a key delivered three times", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(20, "triggered", "soak_m0", "soak_m0#1", "n2"))
		}, cIdem, 1, "key soak_m0#1/triggered/webhook delivered 3 times (+16.000s by n1, +18.000s by n2, +20.000s by n2)", nil},
		{"a header key that is not the payload's", func(in *checkInput) {
			in.Deliveries[4].PayloadKey = "other"
		}, cIdem, 1, `Idempotency-Key header "soak_m0#1/resolved/webhook", payload key "other"`, nil},
		{"a delivery without a key", func(in *checkInput) {
			in.Deliveries[4].Key = ""
		}, cIdem, 1, `Idempotency-Key header ""`, nil},
		{"the maintenance monitor paged", func(in *checkInput) {
			in.Deliveries = append(in.Deliveries, dl(30, "triggered", "soak_maint", "soak_maint#7", "n2"))
		}, cMaint, 1, "triggered soak_maint key=soak_maint#7/triggered/webhook by n2 at +30.000s inside its maintenance window", nil},
		{"the maintenance monitor never failed", func(in *checkInput) {
			in.MaintenanceFailures = 0
		}, cMaint, 1, "soak_maint was never checked: the check is vacuous", nil},
		{"a degraded notification", func(in *checkInput) {
			in.Deliveries[0].Degraded = true
		}, cDegraded, 1, "marked degraded", nil},
		{"a monitor checked from two nodes of three", func(in *checkInput) {
			in.CheckedFrom["soak_m2"] = map[string]int{"n1": 4, "n2": 4, "n3": 0}
		}, cCoverage, 1, "soak_m2 was checked from 2 nodes", nil},
		{"with five nodes, three vantage points are enough", func(in *checkInput) {
			in.Nodes = 5
		}, -1, 0, "", nil},
		{"a violation found while running", func(in *checkInput) {
			in.Runtime = []violation{{At: sec(70), What: "n3 not ready 60s after it was healed"}}
		}, cRecovery, 1, "n3 not ready", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseRun()
			tt.change(&in)
			results := checkInvariants(in)
			if len(results) != 7 {
				t.Fatalf("%d checks, want 7", len(results))
			}
			for i, r := range results {
				want := tt.also[i]
				if i == tt.check {
					want = tt.count
				}
				if len(r.Violations) != want {
					t.Errorf("check %q: %d violations %v, want %d", r.Name, len(r.Violations), r.Violations, want)
					continue
				}
				if i == tt.check && !strings.Contains(r.Violations[0].What, tt.want) {
					t.Errorf("check %q: violation %q does not say %q", r.Name, r.Violations[0].What, tt.want)
				}
			}
		})
	}
}

func without(ds []delivery, keyPart string) []delivery {
	var out []delivery
	for _, d := range ds {
		if !strings.Contains(d.Key, keyPart) {
			out = append(out, d)
		}
	}
	return out
}

func TestCheckSummaries(t *testing.T) {
	results := checkInvariants(baseRun())
	want := []string{
		"2 long outages, 2 incidents",
		"1 short, 1 flapping, 1 partial outages; 0 false pages",
		"7 deliveries of 6 keys; 1 delivered twice after a leader fault: soak_m0#1/triggered/webhook (kill n1 as leader at +16.010s)",
		"0 notifications for soak_maint, 90 failing checks of it",
		"0 degraded",
		"4 monitors, 60 checks",
		"2 faults applied, 1 skipped",
	}
	for i, r := range results {
		if r.Summary != want[i] {
			t.Errorf("check %q: summary %q, want %q", r.Name, r.Summary, want[i])
		}
	}
	var b strings.Builder
	if !printResults(&b, results) {
		t.Fatalf("printResults says a check failed:\n%s", b.String())
	}
	if n := strings.Count(b.String(), "PASS"); n != 7 {
		t.Fatalf("%d PASS lines, want 7:\n%s", n, b.String())
	}
}

func TestPrintResultsShowsViolations(t *testing.T) {
	in := baseRun()
	in.Deliveries = append(in.Deliveries, dl(12.9, "triggered", "soak_m1", "soak_m1#9", "n2"))
	var b strings.Builder
	if printResults(&b, checkInvariants(in)) {
		t.Fatal("printResults passed a run with a false page")
	}
	out := b.String()
	for _, want := range []string{"FAIL  no page for short, flapping or partial outages", "+12.900s  triggered soak_m1 key=soak_m1#9/triggered/webhook"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAround(t *testing.T) {
	var events []event
	for i := 0; i < 100; i++ {
		events = append(events, event{At: sec(float64(i)), Kind: evNote, Text: fmt.Sprint(i)})
	}
	got := around(events, sec(50), sec(10), 5)
	var texts []string
	for _, e := range got {
		texts = append(texts, e.Text)
	}
	if strings.Join(texts, ",") != "48,49,50,51,52" {
		t.Fatalf("around 50s ±10s, 5 events: %v", texts)
	}
	if got := around(events, sec(50), sec(2), 100); len(got) != 5 {
		t.Fatalf("around 50s ±2s: %d events, want 5 (48..52)", len(got))
	}
}
