package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// clusterSize is the number of nodes of the cluster rows (all voters).
const clusterSize = 3

// failoverTrial is one leader SIGKILL while it was sending.
type failoverTrial struct {
	Killed     string  `json:"killed_leader"`
	ResentBy   string  `json:"resent_by"`
	FailoverMS float64 `json:"failover_ms"` // SIGKILL -> the pending notification received from another node
	Deliveries int     `json:"deliveries_of_key"`
}

// clusterResult is the 3-node row.
type clusterResult struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
	Nodes     int    `json:"nodes"`
	// Load is the steady window over all nodes: checks and CPU summed,
	// RSS the largest node's; asked = vantage (3) x monitors / interval.
	Load             *loadRow        `json:"load,omitempty"`
	Detect           *detectResult   `json:"detection,omitempty"`
	Failover         []failoverTrial `json:"failover_trials,omitempty"`
	FailoverMedianMS float64         `json:"failover_median_ms"`
	FailoverMaxMS    float64         `json:"failover_max_ms"`
}

// errNoCluster marks a cluster that did not form: reported as "cluster:
// not available", not as a harness failure.
var errNoCluster = errors.New("cluster: not available")

// clusterView is the part of GET /api/v1/cluster the harness reads.
type clusterView struct {
	Node    string `json:"node"`
	Leader  string `json:"leader"`
	State   string `json:"state"`
	Applied uint64 `json:"applied_index"`
}

type clusterNodes struct {
	nodes []*node
	byID  map[string]*node
}

func (h *harness) startCluster(ctx context.Context, monitors int, interval time.Duration) (*clusterNodes, error) {
	type ports struct{ web, raft, gossip int }
	ps := make([]ports, clusterSize)
	for i := range ps {
		for _, p := range []*int{&ps[i].web, &ps[i].raft, &ps[i].gossip} {
			var err error
			if *p, err = freePort(h.webHost); err != nil {
				return nil, err
			}
		}
	}
	c := &clusterNodes{byID: map[string]*node{}}
	for i := range clusterSize {
		id := fmt.Sprintf("n%d", i+1)
		var join []string
		for j := range clusterSize {
			if j != i {
				join = append(join, fmt.Sprintf("%s:%d", h.webHost, ps[j].gossip))
			}
		}
		cfg := nodeConfig{ID: id, WebHost: h.webHost, WebPort: ps[i].web, Monitors: monitors, Interval: interval,
			Flip: true, Target: h.target, WebhookTo: h.sink.url(), Cluster: &clusterConfig{
				Bind: fmt.Sprintf("%s:%d", h.webHost, ps[i].raft), Gossip: fmt.Sprintf("%s:%d", h.webHost, ps[i].gossip),
				Join: join, Secret: "custodes-bench-cluster-secret"}}
		n, err := newNode(h.bin, id, filepath.Join(h.workDir, "cluster", id), fmt.Sprintf("%s:%d", h.webHost, ps[i].web), cfg.render())
		if err != nil {
			return c, err
		}
		c.nodes = append(c.nodes, n)
		c.byID[id] = n
	}
	for _, n := range c.nodes {
		if err := n.start(); err != nil {
			return c, err
		}
	}
	if err := c.waitFormed(ctx, 90*time.Second); err != nil {
		return c, err
	}
	return c, nil
}

// waitFormed waits until every node is ready and all agree on a leader.
func (c *clusterNodes) waitFormed(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "no answer yet"
	for {
		leader, why := c.agreedLeader(ctx)
		if leader != "" {
			return nil
		}
		last = why
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: no agreed leader %s after start (%s)", errNoCluster, timeout, last)
		}
		for _, n := range c.nodes {
			if !n.running() {
				return fmt.Errorf("%w: %s exited; log:\n%s", errNoCluster, n.name, n.tail())
			}
		}
		if err := sleepUntil(ctx, time.Now().Add(250*time.Millisecond)); err != nil {
			return err
		}
	}
}

// agreedLeader is the leader every node is ready under, or "" and why not.
func (c *clusterNodes) agreedLeader(ctx context.Context) (string, string) {
	leader := ""
	for _, n := range c.nodes {
		code, _, err := n.get(ctx, "/readyz", 1<<10)
		if err != nil || code != 200 {
			return "", fmt.Sprintf("%s not ready (%d %v)", n.name, code, err)
		}
		var v clusterView
		if err := n.getJSON(ctx, "/api/v1/cluster", &v); err != nil {
			return "", err.Error()
		}
		switch {
		case v.Leader == "":
			return "", n.name + " knows no leader"
		case leader == "":
			leader = v.Leader
		case v.Leader != leader:
			return "", fmt.Sprintf("%s follows %s, another node %s", n.name, v.Leader, leader)
		}
	}
	if c.byID[leader] == nil {
		return "", fmt.Sprintf("leader %q is not one of the bench's nodes", leader)
	}
	return leader, ""
}

func (c *clusterNodes) stopAll() {
	for _, n := range c.nodes {
		n.stop(30 * time.Second)
	}
}

// runCluster forms a 3-node cluster, measures a steady window, detection
// and failover. A cluster that does not form gives Available=false.
func (h *harness) runCluster(ctx context.Context, monitors int, interval, window time.Duration, trials int) (*clusterResult, error) {
	res := &clusterResult{Nodes: clusterSize}
	quiet := h.waitQuiet(ctx)
	h.target.reset(monitors)
	c, err := h.startCluster(ctx, monitors, interval)
	if c != nil {
		defer c.stopAll()
	}
	if errors.Is(err, errNoCluster) {
		res.Reason = err.Error()
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.Available = true
	if monitors > 0 {
		if res.Load, err = h.clusterWindow(ctx, c, monitors, interval, window); err != nil {
			return res, err
		}
		if quiet != "" {
			res.Load.Notes = append(res.Load.Notes, quiet)
		}
	}
	res.Detect = &detectResult{Nodes: clusterSize}
	var fos []time.Duration
	for i := range trials {
		var fo failoverTrial
		from := h.sink.mark()
		h.sink.setHold(true)
		tr, err := h.outage(ctx, i, c.nodes, func(d delivery) error { return h.failover(ctx, c, d, &fo) })
		h.sink.setHold(false)
		if err != nil {
			var dumps string
			for _, n := range c.nodes {
				dumps += h.postMortem(n)
			}
			return res, fmt.Errorf("failover trial %d: %w%s", i+1, err, dumps)
		}
		for _, d := range h.sink.deliveries()[from:] {
			if d.Key == tr.Key {
				fo.Deliveries++
			}
		}
		res.Detect.Trials = append(res.Detect.Trials, tr)
		res.Failover = append(res.Failover, fo)
		fos = append(fos, msDur(fo.FailoverMS))
		if err := c.waitFormed(ctx, 90*time.Second); err != nil {
			return res, fmt.Errorf("after failover trial %d: %w", i+1, err)
		}
	}
	res.Detect.summarise()
	res.FailoverMedianMS, res.FailoverMaxMS = durMS(median(fos)), durMS(maxOf(fos))
	return res, nil
}

// failover runs inside an outage, right after the leader's triggered
// delivery arrived and was held unanswered: SIGKILL the sender, release
// the sink, and time until another node delivers the same key. The killed
// node is restarted afterwards.
func (h *harness) failover(ctx context.Context, c *clusterNodes, held delivery, fo *failoverTrial) error {
	leader := c.byID[held.SentBy]
	if leader == nil {
		return fmt.Errorf("the triggered webhook was sent by %q, not a bench node", held.SentBy)
	}
	fo.Killed = held.SentBy
	from := h.sink.mark()
	leader.kill()
	killed := time.Now()
	h.sink.setHold(false)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	d, ok := h.sink.await(wctx, from, func(d delivery) bool {
		return d.Key == held.Key && d.Accepted && d.SentBy != held.SentBy
	})
	cancel()
	if !ok {
		return fmt.Errorf("%s was killed while sending %s; no other node sent it within 60s", held.SentBy, held.Key)
	}
	fo.ResentBy, fo.FailoverMS = d.SentBy, durMS(d.At.Sub(killed))
	if err := leader.start(); err != nil {
		return err
	}
	return leader.waitReady(ctx, 90*time.Second)
}

// clusterWindow measures all nodes over one steady window once every
// monitor has been checked.
func (h *harness) clusterWindow(ctx context.Context, c *clusterNodes, monitors int, interval, window time.Duration) (*loadRow, error) {
	row := &loadRow{Name: fmt.Sprintf("cluster %s@%s", count(monitors), interval), Kind: "cluster", Monitors: monitors,
		// + the detection monitor bench_flip, checked every second by every
		// node, which custodes_checks_total counts too.
		IntervalS: interval.Seconds(), AskedPerS: clusterSize * (float64(monitors)/interval.Seconds() + 1), FirstPassS: -1}
	if err := waitUntil(ctx, time.Now().Add(interval+interval/10), func() bool { _, all := h.target.progress(); return !all.IsZero() }); err != nil {
		return row, err
	}
	if _, all := h.target.progress(); !all.IsZero() {
		row.FirstPassS = all.Sub(c.nodes[0].started).Seconds()
	}
	// Two intervals (at least 10 s): every node reaches its steady share,
	// and the start-up burst of writes (each node's first observations,
	// then pulling the others' history) is over before the window.
	if err := sleepUntil(ctx, time.Now().Add(max(2*interval, 10*time.Second))); err != nil {
		return row, err
	}
	var s0, s1 []sample
	var c0, c1 counters
	var v0, v1 clusterView
	if err := c.nodes[0].getJSON(ctx, "/api/v1/cluster", &v0); err != nil {
		return row, err
	}
	t0 := time.Now()
	if err := h.clusterSample(ctx, c, true, &s0, &c0); err != nil {
		return row, err
	}
	if err := sleepUntil(ctx, time.Now().Add(window)); err != nil {
		return row, err
	}
	if err := h.clusterSample(ctx, c, false, &s1, &c1); err != nil {
		return row, err
	}
	if err := c.nodes[0].getJSON(ctx, "/api/v1/cluster", &v1); err != nil {
		return row, err
	}
	// Every log entry is one command (observations are batched into them).
	row.RaftCommandsPerS = ratio(float64(v1.Applied-v0.Applied), time.Since(t0).Seconds())
	// Sum the nodes into one pair of samples; RSS is the largest node's.
	sum := func(ss []sample) sample {
		out := ss[0]
		for _, s := range ss[1:] {
			out.proc.CPU += s.proc.CPU
			out.proc.Written += s.proc.Written
			out.proc.RSS = max(out.proc.RSS, s.proc.RSS)
			out.proc.HWM = max(out.proc.HWM, s.proc.HWM)
		}
		return out
	}
	h.fillWindow(row, sum(s0), sum(s1), c0, c1)
	row.Sustained = row.AchievedPerS >= sustainedShare*row.AskedPerS
	return row, nil
}

// clusterSample scrapes every node's counters and samples every node's
// /proc: at the window's start scrapes first, at its end /proc first, so
// the scrapes stay outside the CPU window as in single-node rows.
func (h *harness) clusterSample(ctx context.Context, c *clusterNodes, start bool, ss *[]sample, total *counters) error {
	scrape := func() error {
		for _, n := range c.nodes {
			cn, err := scrapeCounters(ctx, n)
			if err != nil {
				return err
			}
			total.checks += cn.checks
			total.delaySum += cn.delaySum
			total.delayCount += cn.delayCount
			total.at = cn.at
		}
		return nil
	}
	if start {
		if err := scrape(); err != nil {
			return err
		}
	}
	for _, n := range c.nodes {
		s, err := takeSample(n.pid(), h.target)
		if err != nil {
			return err
		}
		*ss = append(*ss, s)
	}
	if !start {
		return scrape()
	}
	return nil
}
