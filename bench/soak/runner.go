package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"syscall"
	"time"
)

// readyTimeout bounds how long a healed node may take to be ready again,
// and how long a fault waits for the cluster to recover from the last one.
const readyTimeout = 60 * time.Second

// runner carries out a plan: it flips the target and faults nodes.
type runner struct {
	plan plan
	c    *cluster
	lab  *lab
	tg   *target
	log  *eventLog

	mu       sync.Mutex
	impaired map[string]bool // faulted, or healed but not ready yet
	stopped  string          // the node a stop fault holds, if any
	outages  []outage        // as they happened
	faults   []faultRecord
	runtime  []violation
}

func newRunner(p plan, c *cluster, l *lab, tg *target, log *eventLog) *runner {
	return &runner{plan: p, c: c, lab: l, tg: tg, log: log, impaired: map[string]bool{}}
}

// sleepUntil waits until the schedule's clock reads at.
func (r *runner) sleepUntil(ctx context.Context, at time.Duration) error {
	return sleep(ctx, at-r.log.since())
}

func (r *runner) violate(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	at := r.log.add(evViolation, "%s", text)
	r.mu.Lock()
	r.runtime = append(r.runtime, violation{At: at, What: text})
	r.mu.Unlock()
}

// run plays the outages and the faults; it returns when all are over
// (or ctx ends), with every target healthy and every node healed.
func (r *runner) run(ctx context.Context) {
	byMonitor := map[string][]outage{}
	var monitors []string
	for _, o := range r.plan.Outages {
		if byMonitor[o.Monitor] == nil {
			monitors = append(monitors, o.Monitor)
		}
		byMonitor[o.Monitor] = append(byMonitor[o.Monitor], o)
	}
	lanes := map[int][]fault{}
	for _, f := range r.plan.Faults {
		lanes[f.Lane] = append(lanes[f.Lane], f)
	}
	var wg sync.WaitGroup
	for _, m := range monitors {
		wg.Add(1)
		go func() { defer wg.Done(); r.playOutages(ctx, byMonitor[m]) }()
	}
	for lane := range lanes {
		wg.Add(1)
		go func() { defer wg.Done(); r.playFaults(ctx, lanes[lane]) }()
	}
	wg.Wait()
}

// playOutages flips one monitor's target through its outages.
func (r *runner) playOutages(ctx context.Context, outs []outage) {
	for _, o := range outs {
		ip := ""
		if o.Kind == partialOutage {
			ip = r.lab.ips[o.Node-1]
		}
		done := o
		done.Pulses = nil
		for i, p := range o.Pulses {
			if r.sleepUntil(ctx, p.From) != nil {
				return
			}
			r.tg.set(o.Path, ip, true)
			from := r.log.add(evFlip, "outage #%d %s %s: failing%s (spell %d/%d)", o.ID, o.Monitor, o.Kind, fromNode(o), i+1, len(o.Pulses))
			err := r.sleepUntil(ctx, p.To)
			r.tg.set(o.Path, ip, false)
			to := r.log.add(evFlip, "outage #%d %s %s: healthy", o.ID, o.Monitor, o.Kind)
			done.Pulses = append(done.Pulses, pulse{from, to})
			if err != nil {
				break
			}
		}
		if len(done.Pulses) > 0 {
			r.mu.Lock()
			r.outages = append(r.outages, done)
			r.mu.Unlock()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func fromNode(o outage) string {
	if o.Kind == partialOutage {
		return fmt.Sprintf(" from n%d only", o.Node)
	}
	return ""
}

// playFaults applies one lane's faults in order.
func (r *runner) playFaults(ctx context.Context, fs []fault) {
	for _, f := range fs {
		if r.sleepUntil(ctx, f.At) != nil {
			return
		}
		rec := r.applyFault(ctx, f)
		r.mu.Lock()
		r.faults = append(r.faults, rec)
		r.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// healthyNodes are the nodes no lane is faulting or waiting for.
func (r *runner) healthyNodes() []*node {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*node
	for _, n := range r.c.nodes {
		if !r.impaired[n.name] {
			out = append(out, n)
		}
	}
	return out
}

// claim picks the fault's node, and marks it impaired, once the cluster
// has recovered from earlier faults.
func (r *runner) claim(ctx context.Context, f fault) (*node, bool, string) {
	healthy := r.healthyNodes()
	if len(r.c.nodes)-len(healthy) >= faultLanes(len(r.c.nodes)) {
		return nil, false, "a minority is already faulted"
	}
	if err := r.c.waitHealthy(ctx, healthy, len(healthy), readyTimeout); err != nil {
		if ctx.Err() == nil {
			r.violate("before fault #%d: the cluster did not recover from the earlier faults: %v", f.ID, err)
		}
		return nil, false, "the cluster did not recover"
	}
	if late := r.log.since() + f.For; late > r.plan.Duration-faultTail {
		return nil, false, fmt.Sprintf("too late: it would last until %s", fmtAt(late))
	}
	sts := r.c.statuses(ctx)
	leader := leaderOf(sts)
	var victim *node
	var others []*node
	for _, n := range r.healthyNodes() {
		if n.name == leader && f.Target == "leader" {
			victim = n
		}
		if n.name != leader {
			others = append(others, n)
		}
	}
	if victim == nil && len(others) > 0 {
		victim = others[f.Pick%len(others)]
	}
	if victim == nil {
		return nil, false, "no node to fault"
	}
	// Ask the node itself, right now: is it the leader?
	st, err := victim.status(ctx)
	wasLeader := (err == nil && st.State == "Leader") || (err != nil && victim.name == leader)
	r.mu.Lock()
	defer r.mu.Unlock()
	// Another lane may have claimed a node while this one waited: check
	// again, under the lock, that the victim is free and a minority stays
	// faulted.
	if r.impaired[victim.name] {
		return nil, false, victim.name + " was claimed by another fault meanwhile"
	}
	if len(r.impaired) >= faultLanes(len(r.c.nodes)) {
		return nil, false, "a minority is already faulted"
	}
	if f.Kind == faultStop && r.stopped != "" {
		// Two frozen checkers could both carry a failure streak across the
		// healthy spells of a flapping target (they miss them), so at most
		// one node is frozen at a time.
		return nil, false, r.stopped + " is frozen already"
	}
	if f.Kind == faultStop {
		r.stopped = victim.name
	}
	r.impaired[victim.name] = true
	return victim, wasLeader, ""
}

func (r *runner) release(n *node) {
	r.mu.Lock()
	delete(r.impaired, n.name)
	if r.stopped == n.name {
		r.stopped = ""
	}
	r.mu.Unlock()
}

func role(leader bool) string {
	if leader {
		return "leader"
	}
	return "follower"
}

// applyFault does f to a node and undoes it.
func (r *runner) applyFault(ctx context.Context, f fault) faultRecord {
	rec := faultRecord{Fault: f}
	n, wasLeader, why := r.claim(ctx, f)
	if n == nil {
		rec.Skipped = why
		r.log.add(evNote, "fault #%d (%s of the %s) skipped: %s", f.ID, f.Kind, f.Target, why)
		return rec
	}
	defer r.release(n)
	rec.Node, rec.WasLeader = n.name, wasLeader
	var err error
	switch f.Kind {
	case faultKill:
		rec.At = r.log.add(evFault, "#%d SIGKILL %s (%s) for %.1fs", f.ID, n.name, role(wasLeader), f.For.Seconds())
		if err = n.kill(); err == nil {
			sleep(ctx, f.For)
			err = n.start()
			rec.Healed = r.log.add(evHeal, "#%d restarted %s", f.ID, n.name)
		}
	case faultStop:
		rec.At = r.log.add(evFault, "#%d SIGSTOP %s (%s) for %.1fs", f.ID, n.name, role(wasLeader), f.For.Seconds())
		if err = n.signal(syscall.SIGSTOP); err == nil {
			sleep(ctx, f.For)
			err = n.signal(syscall.SIGCONT)
			rec.Healed = r.log.add(evHeal, "#%d SIGCONT %s", f.ID, n.name)
		}
	case faultPartition:
		rec.At = r.log.add(evFault, "#%d cut %s (%s) off the other nodes for %.1fs", f.ID, n.name, role(wasLeader), f.For.Seconds())
		if err = r.lab.cut(ctx, n.idx, true); err == nil {
			sleep(ctx, f.For)
			err = r.lab.cut(context.WithoutCancel(ctx), n.idx, false)
			rec.Healed = r.log.add(evHeal, "#%d healed the partition of %s", f.ID, n.name)
		}
	case faultClock:
		rec.At = r.log.add(evFault, "#%d restart %s (%s) with its clock off by %s", f.ID, n.name, role(wasLeader), f.Offset)
		if err = n.terminate(20 * time.Second); err == nil {
			n.mu.Lock()
			n.offset = f.Offset
			n.mu.Unlock()
			err = n.start()
			rec.Healed = r.log.add(evHeal, "#%d %s running with clock offset %s", f.ID, n.name, f.Offset)
		}
	}
	if err != nil {
		r.violate("fault #%d on %s: %v", f.ID, n.name, err)
		r.healNode(n)
		return rec
	}
	if err := n.waitReady(ctx, readyTimeout); err != nil && ctx.Err() == nil {
		r.violate("fault #%d: %s not ready %s after it was healed: %v", f.ID, n.name, readyTimeout, err)
	}
	return rec
}

// healNode undoes whatever may be done to n: thaw, reconnect, restart.
func (r *runner) healNode(n *node) {
	ctx := context.Background()
	if n.isFrozen() {
		n.signal(syscall.SIGCONT)
	}
	if r.lab.netns {
		r.lab.cut(ctx, n.idx, false)
	}
	if !n.alive() {
		if err := n.start(); err != nil {
			r.log.add(evNote, "restarting %s: %v", n.name, err)
		}
	}
}

// healAll makes sure every node runs, unfrozen and connected, and every
// target path is healthy.
func (r *runner) healAll() {
	for _, n := range r.c.nodes {
		r.healNode(n)
	}
	for _, o := range r.plan.Outages {
		r.tg.set(o.Path, "", false)
		for _, ip := range r.lab.ips {
			r.tg.set(o.Path, ip, false)
		}
	}
}

// results returns what happened, sorted by time.
func (r *runner) results() ([]outage, []faultRecord, []violation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	outs := append([]outage(nil), r.outages...)
	sort.SliceStable(outs, func(i, j int) bool { return outs[i].Start() < outs[j].Start() })
	fs := append([]faultRecord(nil), r.faults...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Fault.At < fs[j].Fault.At })
	return outs, fs, append([]violation(nil), r.runtime...)
}
