package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// outageKind says how a target fails and what custodes must do about it.
type outageKind string

const (
	// longOutage fails from everywhere for well above the thresholds: it
	// must page once and resolve once.
	longOutage outageKind = "long"
	// shortOutage fails from everywhere, too briefly for any node to see
	// failure-threshold consecutive failures: it must not page.
	shortOutage outageKind = "short"
	// flapOutage alternates short failures with healthy spells longer than
	// an interval, so every checker sees a success between failures: it
	// must not page.
	flapOutage outageKind = "flap"
	// partialOutage fails only for requests from one node's address: one
	// of three vantage points is not a confirmation, so it must not page.
	partialOutage outageKind = "partial"
)

var outageKinds = []outageKind{longOutage, shortOutage, flapOutage, partialOutage}

// pulse is one failing spell of an outage, relative to the schedule start.
type pulse struct{ From, To time.Duration }

// outage is one scripted failure of one monitor's target.
type outage struct {
	ID      int
	Monitor string // monitor key, e.g. soak_m3
	Path    string // the target path the monitor checks
	Kind    outageKind
	Pulses  []pulse // one for long/short/partial, several for flap
	Node    int     // partial: the 1-based node whose requests fail
}

func (o outage) Start() time.Duration { return o.Pulses[0].From }
func (o outage) End() time.Duration   { return o.Pulses[len(o.Pulses)-1].To }

func (o outage) String() string {
	s := fmt.Sprintf("#%d %s %s %s..%s", o.ID, o.Monitor, o.Kind, fmtAt(o.Start()), fmtAt(o.End()))
	switch o.Kind {
	case flapOutage:
		var parts []string
		for _, p := range o.Pulses {
			parts = append(parts, fmt.Sprintf("%.2fs", (p.To-p.From).Seconds()))
		}
		s += fmt.Sprintf(" (%d failing spells: %s)", len(o.Pulses), strings.Join(parts, " "))
	case partialOutage:
		s += fmt.Sprintf(" (from n%d only)", o.Node)
	}
	return s
}

// faultKind is what is done to a node.
type faultKind string

const (
	faultKill      faultKind = "kill"      // SIGKILL, then restart on the same data
	faultStop      faultKind = "stop"      // SIGSTOP, then SIGCONT
	faultPartition faultKind = "partition" // cut from the other nodes, then heal
	faultClock     faultKind = "clock"     // graceful restart with a wall-clock offset
)

// fault is one scripted fault. Which node it hits is decided at run time
// from Target (the leader, or the Pick-th other healthy node), since the
// leader is only known then.
type fault struct {
	ID     int
	Lane   int // faults of one lane never overlap; lanes never fault the same node
	Kind   faultKind
	At     time.Duration // not before this time (later if the cluster is still recovering)
	For    time.Duration // how long the node stays down, frozen or cut off
	Target string        // "leader" or "other"
	Pick   int
	Offset time.Duration // clock: the new offset
}

func (f fault) String() string {
	s := fmt.Sprintf("#%d lane %d %s %s", f.ID, f.Lane, fmtAt(f.At), f.Kind)
	if f.Kind == faultClock {
		return s + fmt.Sprintf(" of the %s, offset %s", f.Target, f.Offset)
	}
	return s + fmt.Sprintf(" the %s for %.1fs", f.Target, f.For.Seconds())
}

// planOptions fix what the schedule is generated for.
type planOptions struct {
	Seed     uint64
	Nodes    int
	Duration time.Duration // length of the schedule
	Interval time.Duration // every soak monitor's check interval
	Monitors int
	Faults   []faultKind // the kinds to inject (partitions only with namespaces)
}

// plan is everything a run does, fixed by the options (and so by the seed).
type plan struct {
	planOptions
	Outages []outage
	Faults  []fault
}

// Bounds of the generated schedule, in intervals where they relate to the
// checks. See shortMax for why short outages cannot page.
const (
	warmup        = 8 * time.Second  // nothing happens before this
	endMarginLong = 10 * time.Second // long outages end this long before the schedule does
	faultTail     = 5 * time.Second  // every fault is healed this long before the end
)

// shortMax is the longest failing spell that cannot page. Within a spell
// of d, a node runs at most floor(d/I)+1 scheduled checks (jitter is
// under 1% of I), at most 2 checks asked for by the other checkers' first
// failures (fast confirmation), and at most 1 overdue check after a
// SIGCONT: with d < 2I that is at most 5, below a failure-threshold of 6.
func shortMax(interval time.Duration) time.Duration { return 7 * interval / 5 }

// minFailureThreshold is the smallest failure-threshold shortMax is safe for.
const minFailureThreshold = 6

// newPlan generates the schedule for o. Every monitor gets a sequence of
// outages of every kind (the first four monitors start with one kind each),
// separated by healthy gaps; each fault lane gets a sequence of faults, the
// first few covering every kind and hitting the leader.
func newPlan(o planOptions) plan {
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	p := plan{planOptions: o}
	I := o.Interval
	id := 0
	for m := 0; m < o.Monitors; m++ {
		key, path := fmt.Sprintf("soak_m%d", m), fmt.Sprintf("/m/%d", m)
		t := warmup + between(r, 0, 6*time.Second)
		for n := 0; n < 1000; n++ {
			kind := outageKinds[r.IntN(len(outageKinds))]
			if n == 0 {
				kind = outageKinds[m%len(outageKinds)]
			}
			out := outage{Monitor: key, Path: path, Kind: kind}
			limit := o.Duration
			switch kind {
			case longOutage:
				d := between(r, 20*time.Second, 35*time.Second)
				out.Pulses = []pulse{{t, t + d}}
				limit = o.Duration - endMarginLong
			case shortOutage:
				d := between(r, 3*I/10, shortMax(I))
				out.Pulses = []pulse{{t, t + d}}
			case flapOutage:
				at := t
				for i, spells := 0, 3+r.IntN(5); i < spells; i++ {
					if i > 0 {
						at += between(r, 2*I, 3*I) // healthy: every checker succeeds once
					}
					d := between(r, 3*I/10, I)
					out.Pulses = append(out.Pulses, pulse{at, at + d})
					at += d
				}
			case partialOutage:
				d := between(r, 5*time.Second, 25*time.Second)
				out.Pulses = []pulse{{t, t + d}}
				out.Node = 1 + r.IntN(o.Nodes)
			}
			if out.End() > limit {
				if kind == longOutage || n == 0 {
					continue // try another kind
				}
				break
			}
			id++
			out.ID = id
			p.Outages = append(p.Outages, out)
			gap := between(r, 4*time.Second, 8*time.Second)
			if kind == longOutage {
				gap = between(r, 12*time.Second, 20*time.Second) // time to resolve
			}
			t = out.End() + gap
			if t > o.Duration {
				break
			}
		}
	}
	sort.SliceStable(p.Outages, func(i, j int) bool { return p.Outages[i].Start() < p.Outages[j].Start() })

	kinds := o.Faults
	fid := 0
	for lane := 0; lane < faultLanes(o.Nodes) && len(kinds) > 0; lane++ {
		t := 12*time.Second + time.Duration(lane)*7*time.Second + between(r, 0, 5*time.Second)
		first := append([]faultKind(nil), kinds...)
		r.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
		leaderHit := map[faultKind]bool{}
		for n := 0; n < 1000; n++ {
			f := fault{Lane: lane, At: t, Target: "other", Pick: r.IntN(o.Nodes)}
			if n < len(first) {
				f.Kind = first[n]
			} else {
				f.Kind = kinds[r.IntN(len(kinds))]
			}
			switch f.Kind {
			case faultKill:
				f.For = between(r, 3*time.Second, 12*time.Second)
			case faultStop:
				f.For = between(r, 2*time.Second, 12*time.Second)
			case faultPartition:
				f.For = between(r, 4*time.Second, 15*time.Second)
			case faultClock:
				f.For = 2 * time.Second // the restart itself
				f.Offset = between(r, 30*time.Second, 10*time.Minute).Round(time.Second)
				if r.IntN(2) == 0 {
					f.Offset = -f.Offset
				}
			}
			// The first kill, stop and partition of the first lane hit the
			// leader; later ones do half of the time.
			if (lane == 0 && !leaderHit[f.Kind]) || r.IntN(2) == 0 {
				f.Target = "leader"
				leaderHit[f.Kind] = true
			}
			if f.At+f.For > o.Duration-faultTail {
				break
			}
			fid++
			f.ID = fid
			p.Faults = append(p.Faults, f)
			t = f.At + f.For + between(r, 4*time.Second, 10*time.Second)
		}
	}
	sort.SliceStable(p.Faults, func(i, j int) bool { return p.Faults[i].At < p.Faults[j].At })
	return p
}

// faultLanes is how many nodes may be faulted at once: a minority.
func faultLanes(nodes int) int { return (nodes - 1) / 2 }

// between is a uniform duration in [lo, hi], at millisecond resolution.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	ms := int64((hi - lo) / time.Millisecond)
	return lo + time.Duration(r.Int64N(ms+1))*time.Millisecond
}

// counts returns how many outages of each kind the plan has.
func (p plan) counts() map[outageKind]int {
	m := map[outageKind]int{}
	for _, o := range p.Outages {
		m[o.Kind]++
	}
	return m
}

// print writes the schedule, so that a run can be read and replayed.
func (p plan) print(w io.Writer) {
	c := p.counts()
	fmt.Fprintf(w, "schedule (seed %d): %d outages (%d long, %d short, %d flapping, %d partial), %d faults over %s\n",
		p.Seed, len(p.Outages), c[longOutage], c[shortOutage], c[flapOutage], c[partialOutage], len(p.Faults), p.Duration)
	for _, o := range p.Outages {
		fmt.Fprintf(w, "  outage %s\n", o)
	}
	for _, f := range p.Faults {
		fmt.Fprintf(w, "  fault  %s\n", f)
	}
}
