package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// Bounds of the phases around the schedule.
const (
	formTimeout     = 90 * time.Second // the cluster forms and every node is ready
	coverageTimeout = 30 * time.Second // every monitor checked from its vantage points
	checkTimeout    = 60 * time.Second // each porcupine check
	finalReadBudget = 10 * time.Second // the end of the settle period spent on final reads
)

// soak runs everything and reports whether every invariant held; an error
// means the soak itself could not run.
func soak(ctx context.Context, o options, stdout io.Writer) (bool, error) {
	work, err := os.MkdirTemp("", "custodes-soak-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(work)
	bin := o.bin
	if bin == "" {
		if bin, err = build(ctx, work); err != nil {
			return false, err
		}
	}
	l, note, err := newLab(ctx, o.nodes, o.netns)
	if err != nil {
		return false, fmt.Errorf("network namespaces: %w", err)
	}
	defer l.close()
	if note != "" {
		fmt.Fprintln(stdout, "soak: NOTE:", note)
	}
	var echo io.Writer
	if o.verbose {
		echo = stdout
	}
	log := newEventLog(time.Now(), echo)
	tg, err := newTarget(l.hostIP, log)
	if err != nil {
		return false, err
	}
	defer tg.close()
	sk, err := newSink(l.hostIP, log)
	if err != nil {
		return false, err
	}
	defer sk.close()
	tg.set(maintenancePath, "", true) // fails throughout: only the window keeps it quiet

	var kinds []faultKind
	for _, k := range o.faults {
		if k == faultPartition && !l.netns {
			fmt.Fprintln(stdout, "soak: NOTE: partition faults SKIPPED: they need network namespaces (root, iproute2, -netns)")
			continue
		}
		kinds = append(kinds, k)
	}
	p := newPlan(planOptions{Seed: o.seed, Nodes: o.nodes, Duration: o.duration, Interval: o.interval,
		Monitors: o.monitors, Faults: kinds})
	p.print(stdout)

	now := time.Now().UTC()
	spec := clusterSpec{Nodes: o.nodes, Interval: o.interval, Monitors: o.monitors, Failure: failureThreshold,
		Success: successThreshold, TargetURL: tg.url, SinkURL: sk.url(),
		WindowStart: now.Add(-time.Hour).Truncate(time.Minute), WindowLen: 6 * time.Hour}
	mode := "loopback 127.0.0.1-" + fmt.Sprint(o.nodes)
	if l.netns {
		mode = "network namespaces on " + strings.TrimSuffix(l.hostIP, "254") + "0/24"
	}
	fmt.Fprintf(stdout, "soak: %d nodes (%s), %d monitors every %s (failure-threshold %d, success-threshold %d), target %s, sink %s\n",
		o.nodes, mode, o.monitors, o.interval, failureThreshold, successThreshold, tg.addr, sk.addr)
	c, err := startCluster(ctx, spec, l, bin, work, log)
	if err != nil {
		return false, err
	}
	defer c.killAll()
	if err := c.waitHealthy(ctx, c.nodes, o.nodes, formTimeout); err != nil {
		return false, fmt.Errorf("the cluster did not form: %w\n%s", err, tails(c, 20))
	}
	if err := waitCoverage(ctx, tg, l, o.monitors, min(3, o.nodes)); err != nil {
		return false, err
	}

	// Time zero of the schedule.
	tg.restartClock(func() time.Duration { return sk.restartClock(time.Now()) })
	fmt.Fprintf(stdout, "soak: cluster ready; schedule running for %s, then settling for %s\n", o.duration, o.settle)
	runCtx, cancel := context.WithTimeout(ctx, o.duration+o.settle+3*time.Minute)
	defer cancel()
	watchCtx, stopWatch := context.WithCancel(runCtx)
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); c.watchLeaders(watchCtx, 250*time.Millisecond) }()
	defer func() { stopWatch(); <-watchDone }()

	r := newRunner(p, c, l, tg, log)
	cl := newAPIClients(c, tg, log, o.keys)
	clientsDone := make(chan struct{})
	go func() {
		defer close(clientsDone)
		if o.clients > 0 {
			cl.run(runCtx, o.clients, o.seed, o.duration)
		}
	}()
	r.run(runCtx)
	<-clientsDone
	r.healAll()
	if err := interrupted(ctx, runCtx); err != nil {
		return false, err
	}
	log.add(evNote, "schedule over; settling for %s", o.settle)
	if err := c.waitHealthy(runCtx, c.nodes, o.nodes, readyTimeout); err != nil {
		r.violate("after the schedule: %v", err)
	}
	sleep(runCtx, o.duration+o.settle-finalReadBudget-log.since())
	finalNote := "none: no API clients"
	if o.clients > 0 {
		finalNote = cl.finalReads(runCtx, o.clients)
	}
	sleep(runCtx, o.duration+o.settle-log.since())
	stopWatch()
	<-watchDone
	if err := interrupted(ctx, runCtx); err != nil {
		return false, err
	}

	outs, faults, runtime := r.results()
	checkedFrom := map[string]map[string]int{}
	var monitors []string
	for m := 0; m < o.monitors; m++ {
		key := fmt.Sprintf("soak_m%d", m)
		monitors = append(monitors, key)
		checkedFrom[key] = byNode(tg.checksSince(fmt.Sprintf("/m/%d", m), 0), l)
	}
	cl.mu.Lock()
	runtime = append(runtime, cl.unexpected...)
	if n := sk.malformed(); n > 0 {
		runtime = append(runtime, violation{What: fmt.Sprintf("the sink got %d webhooks it could not parse (see the event log)", n)})
	}
	errors500 := cl.errors500
	cl.mu.Unlock()
	results := checkInvariants(checkInput{Nodes: o.nodes, Outages: outs, Faults: faults, Deliveries: sk.deliveries(),
		Monitors: monitors, Maintenance: maintenanceMonitor, CheckedFrom: checkedFrom,
		MaintenanceFailures: tg.failuresOf(maintenancePath), Runtime: runtime})
	fmt.Fprintf(stdout, "\ninvariants (seed %d, %d nodes, %s):\n", o.seed, o.nodes, o.duration)
	ok := printResults(stdout, results)

	ops := cl.hist.all()
	if o.clients == 0 {
		fmt.Fprintln(stdout, "\nlinearizability of the monitors API: NOT CHECKED (-clients 0)")
	} else if !checkAPI(stdout, o, ops, finalNote, errors500, filepath.Join(o.out, fmt.Sprintf("soak-%d", o.seed))) {
		ok = false
	}
	fmt.Fprintf(stdout, "\n%s\n", runSummary(sk.deliveries(), faults, log.all()))
	if !ok {
		dir := filepath.Join(o.out, fmt.Sprintf("soak-%d", o.seed))
		events := log.all()
		printExcerpts(stdout, results, events, tg)
		if err := saveArtifacts(dir, p, c, events, ops); err != nil {
			fmt.Fprintf(stdout, "soak: saving the artifacts: %v\n", err)
		} else {
			fmt.Fprintf(stdout, "soak: event log, schedule and node logs in %s\n", dir)
		}
	}
	return ok, nil
}

// checkAPI prints the linearizability verdicts of the API history and
// reports whether they pass.
func checkAPI(stdout io.Writer, o options, ops []linOp, finalNote string, errors500 int, dir string) bool {
	ok := true
	fmt.Fprintf(stdout, "\nlinearizability of the monitors API (porcupine; %s; final reads: %s; %d answers 500):\n",
		opCounts(ops), finalNote, errors500)
	hasFinal := false
	for _, op := range ops {
		hasFinal = hasFinal || op.Final
	}
	if !hasFinal {
		fmt.Fprintln(stdout, "  FAIL  no final reads: lost writes cannot be ruled out")
		ok = false
	}
	for i, lc := range []linCheck{
		checkHistory("acknowledged writes survive (writes + final reads)", ops, writesAndFinalReads, checkTimeout),
		checkHistory("every read sees the writes acknowledged before it (all operations)", ops, everything, checkTimeout),
	} {
		verdict := "PASS"
		if lc.Result != porcupine.Ok {
			verdict = "FAIL"
			if i == 1 && !o.staleReadsFail {
				verdict = "FAIL (reported only: -stale-reads=report)"
			} else {
				ok = false
			}
		}
		fmt.Fprintf(stdout, "  %s  %-72s %s: %d operations, %d ambiguous (checked in %s)\n",
			verdict, lc.Name, lc.Result, lc.Ops, lc.Ambiguous, lc.Took.Round(time.Millisecond))
		if lc.Result == porcupine.Illegal && i == 1 {
			stale := explainStale(ops, 1<<30)
			fmt.Fprintf(stdout, "        %d reads certainly missed an acknowledged write; the first ones:\n", len(stale))
			for j := 0; j < len(stale) && j < 8; j++ {
				fmt.Fprintf(stdout, "        %s\n", stale[j])
			}
			fmt.Fprintf(stdout, "        stale reads per serving node: %v\n", staleByNode(stale))
		}
		if lc.Result == porcupine.Illegal {
			if path, err := visualize(dir, lc); err != nil {
				fmt.Fprintf(stdout, "        visualization: %v\n", err)
			} else {
				fmt.Fprintf(stdout, "        visualization: %s\n", path)
			}
		}
	}
	return ok
}

// interrupted turns an ended context into the reason the soak stopped.
func interrupted(parent, run context.Context) error {
	switch {
	case parent.Err() != nil:
		return parent.Err()
	case run.Err() != nil:
		return errors.New("the soak overran its time budget (duration + settle + 3m)")
	}
	return nil
}

// build compiles ./cmd/custodes of the module the soak runs in.
func build(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(dir, "custodes")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/custodes")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building custodes: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the nearest directory up from here holding custodes'
// go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for i := 0; i < 64; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/custodes/custodes\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("run the soak inside the custodes module (or pass -bin)")
}

// waitCoverage waits until every soak monitor was checked from want nodes.
func waitCoverage(ctx context.Context, tg *target, l *lab, monitors, want int) error {
	deadline := time.Now().Add(coverageTimeout)
	for i := 0; i < 10000; i++ {
		missing := ""
		for m := 0; m < monitors && missing == ""; m++ {
			if from := byNode(tg.checksOf(fmt.Sprintf("/m/%d", m)), l); len(from) < want {
				missing = fmt.Sprintf("soak_m%d checked from %v", m, from)
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("monitors not checked from %d nodes after %s: %s", want, coverageTimeout, missing)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// byNode turns counts per source address into counts per node name.
func byNode(perIP map[string]int, l *lab) map[string]int {
	out := map[string]int{}
	for ip, n := range perIP {
		if name := l.nodeOf(ip); name != "" {
			out[name] += n
		}
	}
	return out
}

func tails(c *cluster, lines int) string {
	var b strings.Builder
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "---- last %d lines of %s (%s)\n%s\n", lines, n.name, n.log, n.tail(lines))
	}
	return b.String()
}

func opCounts(ops []linOp) string {
	count := map[linKind]int{}
	outcome := map[linStatus]int{}
	for _, o := range ops {
		count[o.In.Op]++
		outcome[o.Out.Status]++
	}
	return fmt.Sprintf("%d operations: %d creates, %d updates, %d deletes, %d reads; %d ok, %d absent, %d exists, %d unknown",
		len(ops), count[linCreate], count[linUpdate], count[linDelete], count[linRead],
		outcome[linOK], outcome[linAbsent], outcome[linExists], outcome[linUnknown])
}

func runSummary(ds []delivery, fs []faultRecord, events []event) string {
	perEvent := map[string]int{}
	for _, d := range ds {
		perEvent[d.Event]++
	}
	perFault := map[faultKind]int{}
	leaderFaults := 0
	for _, f := range fs {
		if f.Skipped == "" {
			perFault[f.Fault.Kind]++
			if f.WasLeader {
				leaderFaults++
			}
		}
	}
	leaders := 0
	for _, e := range events {
		if e.Kind == evLeader {
			leaders++
		}
	}
	return fmt.Sprintf("run: deliveries %v; faults applied: %d kill, %d stop, %d partition, %d clock (%d of them on the leader); %d leader changes seen",
		perEvent, perFault[faultKill], perFault[faultStop], perFault[faultPartition], perFault[faultClock], leaderFaults, leaders)
}

// printExcerpts prints the event log around the first violations.
func printExcerpts(w io.Writer, results []checkResult, events []event, tg *target) {
	shown := 0
	for _, r := range results {
		for _, v := range r.Violations {
			if shown == 5 {
				fmt.Fprintln(w, "\n(more violations: see the saved event log)")
				return
			}
			shown++
			fmt.Fprintf(w, "\n---- event log around %s: %s\n", fmtAt(v.At), v.What)
			writeAll(w, around(events, v.At, 30*time.Second, 80))
			if v.Monitor != "" {
				var m int
				if _, err := fmt.Sscanf(v.Monitor, "soak_m%d", &m); err == nil {
					fmt.Fprintf(w, "---- checks of %s in the 8s before: time, source, answer\n", v.Monitor)
					for _, h := range tg.hitsOf(fmt.Sprintf("/m/%d", m), v.At-8*time.Second, v.At) {
						fmt.Fprintf(w, "  %9s  %-15s failing=%v\n", fmtAt(h.At), h.IP, h.Failing)
					}
				}
			}
		}
	}
}

func saveArtifacts(dir string, p plan, c *cluster, events []event, ops []linOp) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b bytes.Buffer
	writeAll(&b, events)
	if err := os.WriteFile(filepath.Join(dir, "events.log"), b.Bytes(), 0o644); err != nil {
		return err
	}
	b.Reset()
	p.print(&b)
	if err := os.WriteFile(filepath.Join(dir, "schedule.txt"), b.Bytes(), 0o644); err != nil {
		return err
	}
	b.Reset()
	for _, op := range ops {
		fmt.Fprintf(&b, "%s %s %s\n", fmtAt(op.Call), fmtAt(op.Return), op)
	}
	if err := os.WriteFile(filepath.Join(dir, "api-history.txt"), b.Bytes(), 0o644); err != nil {
		return err
	}
	for _, n := range c.nodes {
		if err := n.saveLog(dir); err != nil {
			return err
		}
	}
	return nil
}

// staleByNode counts explainStale's findings per node that served the read.
func staleByNode(stale []string) map[string]int {
	out := map[string]int{}
	for _, s := range stale {
		if _, rest, ok := strings.Cut(s, " via "); ok {
			out[strings.Fields(rest)[0]]++
		}
	}
	return out
}

func visualize(dir string, lc linCheck) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := "linearizability-all.html"
	if strings.HasPrefix(lc.Name, "acknowledged") {
		name = "linearizability-writes.html"
	}
	path := filepath.Join(dir, name)
	return path, porcupine.VisualizePath(linModel, lc.Info, path)
}
