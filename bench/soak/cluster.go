package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	adminToken    = "soak-admin-token-0123456789"
	clusterSecret = "soak-cluster-secret-0123456789"
	// maintenanceMonitor's target fails all the time; its window covers
	// the run, so it must never notify.
	maintenanceMonitor = "soak_maint"
	maintenancePath    = "/maint"
)

// cluster is the running nodes.
type cluster struct {
	nodes []*node
	lab   *lab
	log   *eventLog
}

// clusterSpec is what the generated configs say.
type clusterSpec struct {
	Nodes     int
	Interval  time.Duration
	Monitors  int
	Failure   int // failure-threshold of the soak monitors
	Success   int // success-threshold
	TargetURL func(path string) string
	SinkURL   string
	// Window is the maintenance window of the maintenance monitor (UTC).
	WindowStart time.Time
	WindowLen   time.Duration
}

// renderConfig is node i's config file.
func renderConfig(s clusterSpec, l *lab, i, web, bind, gossip int, join []string) string {
	ip := l.ips[i-1]
	var b strings.Builder
	fmt.Fprintf(&b, "node:\n  id: n%d\n  data-dir: ./data\n", i)
	if !l.netns {
		fmt.Fprintf(&b, "  source-address: %s\n", ip)
	}
	fmt.Fprintf(&b, `web:
  address: %s
  port: %d
metrics: true
security:
  admin-token: %s
cluster:
  mode: embedded
  bind: %s:%d
  gossip-bind: %s:%d
  join: [%s]
  bootstrap-expect: %d
  secret: %s
alerting:
  webhook:
    url: %s
    default-alert:
      failure-threshold: %d
      success-threshold: %d
      send-on-resolved: true
endpoints:
`, ip, web, adminToken, ip, bind, ip, gossip, strings.Join(join, ", "), s.Nodes, clusterSecret,
		s.SinkURL, s.Failure, s.Success)
	for m := 0; m < s.Monitors; m++ {
		fmt.Fprintf(&b, `  - name: m%d
    group: soak
    url: %s
    interval: %s
    conditions: ["[STATUS] == 200"]
    alerts: [{type: webhook}]
`, m, s.TargetURL(fmt.Sprintf("/m/%d", m)), s.Interval)
	}
	fmt.Fprintf(&b, `  - name: maint
    group: soak
    url: %s
    interval: %s
    conditions: ["[STATUS] == 200"]
    alerts: [{type: webhook, failure-threshold: 2, success-threshold: 2, send-on-resolved: true}]
    maintenance-windows:
      - start: "%s"
        duration: %s
        timezone: UTC
`, s.TargetURL(maintenancePath), s.Interval, s.WindowStart.UTC().Format("15:04"), s.WindowLen)
	return b.String()
}

// startCluster writes the configs under dir and starts every node.
func startCluster(ctx context.Context, s clusterSpec, l *lab, bin, dir string, log *eventLog) (*cluster, error) {
	c := &cluster{lab: l, log: log}
	type ports struct{ web, bind, gossip int }
	var ps []ports
	var join []string
	for i := 1; i <= s.Nodes; i++ {
		web, bind, gossip, err := l.ports(i)
		if err != nil {
			return nil, err
		}
		ps = append(ps, ports{web, bind, gossip})
		join = append(join, fmt.Sprintf("%s:%d", l.ips[i-1], gossip))
	}
	for i := 1; i <= s.Nodes; i++ {
		nd := filepath.Join(dir, fmt.Sprintf("n%d", i))
		if err := os.MkdirAll(nd, 0o755); err != nil {
			return nil, err
		}
		n := &node{name: fmt.Sprintf("n%d", i), idx: i, ip: l.ips[i-1], web: ps[i-1].web, ns: l.ns[i-1], bin: bin,
			dir: nd, config: filepath.Join(nd, "custodes.yaml"), log: filepath.Join(nd, "custodes.log")}
		cfg := renderConfig(s, l, i, ps[i-1].web, ps[i-1].bind, ps[i-1].gossip, join)
		if err := os.WriteFile(n.config, []byte(cfg), 0o600); err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		if err := n.start(); err != nil {
			c.killAll()
			return nil, err
		}
	}
	return c, nil
}

func (c *cluster) killAll() {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Add(1)
		go func() { defer wg.Done(); n.kill() }()
	}
	wg.Wait()
}

// statuses asks every running, unfrozen node for its cluster view, in
// parallel.
func (c *cluster) statuses(ctx context.Context) map[string]clusterStatus {
	var mu sync.Mutex
	out := map[string]clusterStatus{}
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if !n.alive() || n.isFrozen() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if st, err := n.status(ctx); err == nil {
				mu.Lock()
				out[n.name] = st
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// leader is the node that says it leads, with the highest term if more
// than one does (a cut-off old leader may not know yet).
func leaderOf(sts map[string]clusterStatus) string {
	best, bestTerm := "", ""
	for name, st := range sts {
		if st.State != "Leader" {
			continue
		}
		if best == "" || termLess(bestTerm, st.Term) {
			best, bestTerm = name, st.Term
		}
	}
	return best
}

// termLess compares decimal terms.
func termLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// waitHealthy waits until every node in want is running, unfrozen and
// ready, and some node reports a healthy quorum with at least voters
// voters alive.
func (c *cluster) waitHealthy(ctx context.Context, want []*node, voters int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var why string
	for i := 0; i < 10000; i++ {
		why = c.unhealthy(ctx, want, voters)
		if why == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy after %s: %s", timeout, why)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return errors.New("not healthy: " + why)
}

// unhealthy says what is missing for waitHealthy, or "".
func (c *cluster) unhealthy(ctx context.Context, want []*node, voters int) string {
	for _, n := range want {
		if !n.alive() || n.isFrozen() || !n.ready(ctx) {
			return n.name + " is not ready"
		}
	}
	for _, st := range c.statuses(ctx) {
		if st.Quorum.Healthy && st.Quorum.VotersAlive >= voters && st.Leader != "" {
			return ""
		}
	}
	return fmt.Sprintf("no node reports a healthy quorum with %d voters alive", voters)
}

// watchLeaders records in the log every change of which nodes say they
// lead (and in which term), until ctx ends.
func (c *cluster) watchLeaders(ctx context.Context, every time.Duration) {
	last := ""
	for i := 0; i < 10_000_000; i++ {
		sts := c.statuses(ctx)
		var leaders []string
		for name, st := range sts {
			if st.State == "Leader" {
				leaders = append(leaders, fmt.Sprintf("%s (term %s)", name, st.Term))
			}
		}
		sort.Strings(leaders)
		now := strings.Join(leaders, ", ")
		if now == "" {
			now = "none"
		}
		if now != last && ctx.Err() == nil {
			c.log.add(evLeader, "leader: %s", now)
			last = now
		}
		if sleep(ctx, every) != nil {
			return
		}
	}
}
