package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// delivery is one webhook request the sink accepted.
type delivery struct {
	At         time.Duration
	Key        string // Idempotency-Key header
	PayloadKey string // idempotency_key in the body
	Event      string
	Monitor    string
	Incident   string
	SentBy     string
	Degraded   bool
}

func (d delivery) String() string {
	return fmt.Sprintf("%s %s key=%s by %s at %s", d.Event, d.Monitor, d.Key, d.SentBy, fmtAt(d.At))
}

// faultRecord is a fault as it was applied.
type faultRecord struct {
	Fault     fault
	Node      string        // the node it hit ("" when skipped)
	At        time.Duration // when it was applied
	Healed    time.Duration // when it was undone
	WasLeader bool          // the node said it was the leader just before
	Skipped   string        // why it was not applied
}

// checkInput is everything the invariants are judged on.
type checkInput struct {
	Nodes       int
	Outages     []outage // with the times the target really flipped
	Faults      []faultRecord
	Deliveries  []delivery
	Monitors    []string // the soak monitors' keys
	Maintenance string   // the key of the monitor in maintenance
	// CheckedFrom counts checks per monitor key and node name.
	CheckedFrom map[string]map[string]int
	// MaintenanceFailures is how many failing answers the maintenance
	// monitor's target gave (so "it never paged" is not vacuous).
	MaintenanceFailures int
	// Runtime are violations found while running (e.g. no recovery).
	Runtime []violation
}

// Tolerances of the checks.
const (
	// triggerSlack: a "triggered" decided during a long outage may arrive
	// this long after the outage ended (a failover in between).
	triggerSlack = 15 * time.Second
	// dupWindow: a repeated delivery is excused by a fault of the leader
	// that sent the first copy within this long of it.
	dupWindow = 5 * time.Second
)

// violation is one broken promise.
type violation struct {
	At      time.Duration
	What    string
	Monitor string // the monitor concerned, when there is one
}

// checkResult is one invariant's verdict.
type checkResult struct {
	Name       string
	Summary    string
	Violations []violation
}

func (c checkResult) ok() bool { return len(c.Violations) == 0 }

// checkInvariants judges a run. Every check is returned, passed or not.
func checkInvariants(in checkInput) []checkResult {
	return []checkResult{
		checkLongOutages(in),
		checkNoFalsePages(in),
		checkIdempotency(in),
		checkMaintenance(in),
		checkNotDegraded(in),
		checkCoverage(in),
		{Name: "cluster recovered after every fault", Summary: recoverySummary(in), Violations: in.Runtime},
	}
}

func triggered(in checkInput, monitor string) []delivery {
	var out []delivery
	for _, d := range in.Deliveries {
		if d.Event == "triggered" && d.Monitor == monitor {
			out = append(out, d)
		}
	}
	return out
}

// checkLongOutages: every long outage paged (one incident) and that
// incident resolved, after the target recovered.
func checkLongOutages(in checkInput) checkResult {
	res := checkResult{Name: "every long outage paged once and resolved"}
	n, incidents := 0, 0
	for _, o := range in.Outages {
		if o.Kind != longOutage {
			continue
		}
		n++
		ids := map[string]bool{}
		var order []string
		var firsts []delivery
		for _, d := range triggered(in, o.Monitor) {
			if d.At >= o.Start() && d.At <= o.End()+triggerSlack && !ids[d.Incident] {
				ids[d.Incident] = true
				order = append(order, d.Incident)
				firsts = append(firsts, d)
			}
		}
		incidents += len(order)
		if len(order) == 0 {
			res.Violations = append(res.Violations, violation{At: o.End(), What: fmt.Sprintf("outage %s never paged", o), Monitor: o.Monitor})
			continue
		}
		for _, d := range firsts[1:] {
			when := "while the target kept failing (it resolved and re-triggered)"
			if d.At > o.End() {
				when = fmt.Sprintf("%s after the target recovered", d.At-o.End())
			}
			res.Violations = append(res.Violations, violation{At: d.At, What: fmt.Sprintf("outage %s paged a second incident %s (after %s) %s", o, d.Incident, strings.Join(order[:1], ""), when), Monitor: o.Monitor})
		}
		for _, id := range order {
			var resolved []delivery
			for _, d := range in.Deliveries {
				if d.Event == "resolved" && d.Incident == id {
					resolved = append(resolved, d)
				}
			}
			if len(resolved) == 0 {
				res.Violations = append(res.Violations, violation{At: o.End(), What: fmt.Sprintf("incident %s of outage %s was never resolved", id, o)})
			}
			for _, d := range resolved {
				if d.At < o.End() {
					res.Violations = append(res.Violations, violation{At: d.At, What: fmt.Sprintf("incident %s resolved at %s while its target was still failing (outage %s)", id, fmtAt(d.At), o)})
				}
			}
		}
	}
	res.Summary = fmt.Sprintf("%d long outages, %d incidents", n, incidents)
	return res
}

// checkNoFalsePages: every "triggered" belongs to a long outage of its
// monitor; short, flapping and partial outages page nobody.
func checkNoFalsePages(in checkInput) checkResult {
	res := checkResult{Name: "no page for short, flapping or partial outages"}
	for _, d := range in.Deliveries {
		if d.Event != "triggered" || d.Monitor == in.Maintenance {
			continue // the maintenance monitor has its own check
		}
		var last *outage
		explained := false
		for i := range in.Outages {
			o := &in.Outages[i]
			if o.Monitor != d.Monitor || o.Start() > d.At {
				continue
			}
			if o.Kind == longOutage && d.At <= o.End()+triggerSlack {
				explained = true
				break
			}
			if last == nil || o.Start() > last.Start() {
				last = o
			}
		}
		if explained {
			continue
		}
		why := "no outage of it had started"
		if last != nil {
			why = fmt.Sprintf("the latest outage of it was %s", last)
		}
		res.Violations = append(res.Violations, violation{At: d.At, What: fmt.Sprintf("%s outside every long outage: %s", d, why), Monitor: d.Monitor})
	}
	c := map[outageKind]int{}
	for _, o := range in.Outages {
		c[o.Kind]++
	}
	res.Summary = fmt.Sprintf("%d short, %d flapping, %d partial outages; %d false pages", c[shortOutage], c[flapOutage], c[partialOutage], len(res.Violations))
	return res
}

// checkIdempotency: no key delivered more than twice, and twice only when
// the leader that sent the first copy was killed, frozen or cut off within
// dupWindow of it (it could not record the delivery; its successor sent
// it again, as at-least-once delivery must).
func checkIdempotency(in checkInput) checkResult {
	res := checkResult{Name: "idempotency keys delivered at most twice, twice only after a leader fault"}
	per := map[string][]delivery{}
	var keys []string
	for _, d := range in.Deliveries {
		if d.Key == "" || d.Key != d.PayloadKey {
			res.Violations = append(res.Violations, violation{At: d.At, What: fmt.Sprintf("%s: Idempotency-Key header %q, payload key %q", d, d.Key, d.PayloadKey)})
			continue
		}
		if per[d.Key] == nil {
			keys = append(keys, d.Key)
		}
		per[d.Key] = append(per[d.Key], d)
	}
	var excused []string
	for _, k := range keys {
		ds := per[k]
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].At < ds[j].At })
		switch {
		case len(ds) == 1:
		case len(ds) > 2:
			res.Violations = append(res.Violations, violation{At: ds[2].At, What: fmt.Sprintf("key %s delivered %d times (%s)", k, len(ds), deliveryTimes(ds))})
		default:
			if f, ok := dupExcuse(in.Faults, ds[0], ds[1]); ok {
				excused = append(excused, fmt.Sprintf("%s (%s %s as leader at %s)", k, f.Fault.Kind, f.Node, fmtAt(f.At)))
				continue
			}
			res.Violations = append(res.Violations, violation{At: ds[1].At, What: fmt.Sprintf("key %s delivered twice (%s) with no fault of the sending leader %s within %s of the first", k, deliveryTimes(ds), ds[0].SentBy, dupWindow)})
		}
	}
	res.Summary = fmt.Sprintf("%d deliveries of %d keys; %d delivered twice after a leader fault", len(in.Deliveries), len(keys), len(excused))
	if len(excused) > 0 {
		res.Summary += ": " + strings.Join(excused, "; ")
	}
	return res
}

// dupExcuse finds the fault that explains a second delivery of a key.
func dupExcuse(faults []faultRecord, first, second delivery) (faultRecord, bool) {
	for _, f := range faults {
		if f.Skipped != "" || !f.WasLeader || f.Node != first.SentBy {
			continue
		}
		switch f.Fault.Kind {
		case faultKill, faultStop, faultPartition:
		default:
			continue
		}
		if f.At >= first.At-dupWindow && f.At <= first.At+dupWindow && f.At <= second.At {
			return f, true
		}
	}
	return faultRecord{}, false
}

func deliveryTimes(ds []delivery) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s by %s", fmtAt(d.At), d.SentBy))
	}
	return strings.Join(parts, ", ")
}

// checkMaintenance: the monitor whose window covers the run never pages,
// although its target fails throughout.
func checkMaintenance(in checkInput) checkResult {
	res := checkResult{Name: "monitor in maintenance never notified"}
	n := 0
	for _, d := range in.Deliveries {
		if d.Monitor == in.Maintenance {
			n++
			res.Violations = append(res.Violations, violation{At: d.At, What: fmt.Sprintf("%s inside its maintenance window", d)})
		}
	}
	if in.MaintenanceFailures == 0 {
		res.Violations = append(res.Violations, violation{At: 0, What: fmt.Sprintf("%s was never checked: the check is vacuous", in.Maintenance)})
	}
	res.Summary = fmt.Sprintf("%d notifications for %s, %d failing checks of it", n, in.Maintenance, in.MaintenanceFailures)
	return res
}

// checkNotDegraded: with a majority always live, the cluster never falls
// back to degraded (quorum-less) notifications.
func checkNotDegraded(in checkInput) checkResult {
	res := checkResult{Name: "no degraded notifications (a majority was always live)"}
	for _, d := range in.Deliveries {
		if d.Degraded {
			res.Violations = append(res.Violations, violation{At: d.At, What: fmt.Sprintf("%s marked degraded", d)})
		}
	}
	res.Summary = fmt.Sprintf("%d degraded", len(res.Violations))
	return res
}

// checkCoverage: every soak monitor was checked from as many nodes as its
// vantage, so the other checks judged real checking.
func checkCoverage(in checkInput) checkResult {
	res := checkResult{Name: "every monitor checked from its vantage points"}
	want := min(3, in.Nodes)
	total := 0
	for _, m := range in.Monitors {
		from := in.CheckedFrom[m]
		nodes := 0
		for _, c := range from {
			total += c
			if c > 0 {
				nodes++
			}
		}
		if nodes < want {
			res.Violations = append(res.Violations, violation{At: 0, What: fmt.Sprintf("%s was checked from %d nodes (%v), want at least %d", m, nodes, from, want)})
		}
	}
	res.Summary = fmt.Sprintf("%d monitors, %d checks", len(in.Monitors), total)
	return res
}

func recoverySummary(in checkInput) string {
	applied, skipped := 0, 0
	for _, f := range in.Faults {
		if f.Skipped != "" {
			skipped++
		} else {
			applied++
		}
	}
	return fmt.Sprintf("%d faults applied, %d skipped", applied, skipped)
}

// printResults writes one line per check and returns whether all passed.
func printResults(w io.Writer, results []checkResult) bool {
	ok := true
	for _, r := range results {
		verdict := "PASS"
		if !r.ok() {
			verdict, ok = "FAIL", false
		}
		fmt.Fprintf(w, "  %s  %-72s %s\n", verdict, r.Name, r.Summary)
		for _, v := range r.Violations {
			fmt.Fprintf(w, "        %s  %s\n", fmtAt(v.At), v.What)
		}
	}
	return ok
}
