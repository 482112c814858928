package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCluster is three custodes processes on 127.0.0.1-3, each checking
// from its own address, alerting through one webhook sink.
type testCluster struct {
	t     *testing.T
	nodes []*node
	tg    *target
	sk    *sink
}

const clusterSecret = "e2e-cluster-secret-0123456789"

// clusterOpts tunes the generated config.
type clusterOpts struct {
	endpoints func(tg *target) string // YAML list items appended under endpoints:
	extra     string                  // more top-level YAML
	// perNode adds YAML endpoint items to one node's file only (drift).
	perNode map[int]string
	env     map[int][]string // extra environment per node (1-based)
}

func startCluster(t *testing.T, o clusterOpts) *testCluster {
	t.Helper()
	c := &testCluster{t: t, tg: newTarget(t), sk: newSink(t)}
	type ports struct{ web, bind, gossip int }
	var ps []ports
	var join []string
	for i := 1; i <= 3; i++ {
		ip := fmt.Sprintf("127.0.0.%d", i)
		p := ports{freePort(t, ip), freePort(t, ip), freePort(t, ip)}
		ps = append(ps, p)
		join = append(join, fmt.Sprintf("%s:%d", ip, p.gossip))
	}
	endpoints := ""
	if o.endpoints != nil {
		endpoints = o.endpoints(c.tg)
	}
	for i := 1; i <= 3; i++ {
		ip, p := fmt.Sprintf("127.0.0.%d", i), ps[i-1]
		cfg := fmt.Sprintf(`node:
  id: n%d
  data-dir: ./data
  source-address: %s
web:
  address: %s
  port: %d
metrics: true
security:
  admin-token: e2e-admin-token-0123456789
cluster:
  mode: embedded
  bind: %s:%d
  gossip-bind: %s:%d
  join: [%s]
  bootstrap-expect: 3
  secret: %s
alerting:
  webhook:
    url: %s
    default-alert:
      failure-threshold: 2
      success-threshold: 2
      send-on-resolved: true
endpoints:
  - name: api
    group: core
    url: %s
    interval: 1s
    conditions: ["[STATUS] == 200"]
    alerts: [{type: webhook}]
%s%s`, i, ip, ip, p.web, ip, p.bind, ip, p.gossip, strings.Join(join, ", "), clusterSecret,
			c.sk.url(), c.tg.url("/api"), endpoints+o.perNode[i], o.extra)
		n := startNode(t, fmt.Sprintf("n%d", i), "", fmt.Sprintf("%s:%d", ip, p.web), cfg, o.env[i]...)
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		n.waitReady(60 * time.Second)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.nodes {
				if n.alive() {
					if _, b, err := n.tryGet("/api/v1/monitors"); err == nil {
						t.Logf("monitors as %s sees them: %s", n.name, b)
					}
				}
			}
			for _, n := range c.nodes {
				n.dumpOnFailure()
			}
		}
	})
	c.waitHealthy(30 * time.Second)
	return c
}

type clusterInfo struct {
	Leader string `json:"leader"`
	Quorum struct {
		Healthy     bool `json:"healthy"`
		VotersAlive int  `json:"voters_alive"`
	} `json:"quorum"`
	Members []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Raft   string `json:"raft"`
	} `json:"members"`
}

// info asks any live node for the cluster view.
func (c *testCluster) info() (clusterInfo, *node) {
	for _, n := range c.nodes {
		if !n.alive() {
			continue
		}
		code, body, err := n.tryGet("/api/v1/cluster")
		if err != nil || code != 200 {
			continue
		}
		var ci clusterInfo
		if json.Unmarshal(body, &ci) == nil && ci.Leader != "" {
			return ci, n
		}
	}
	return clusterInfo{}, nil
}

func (c *testCluster) waitHealthy(timeout time.Duration) {
	c.t.Helper()
	eventually(c.t, timeout, "a healthy quorum with 3 voters", func() bool {
		ci, _ := c.info()
		return ci.Quorum.Healthy && ci.Quorum.VotersAlive == 3
	})
}

// leader returns the leader's node.
func (c *testCluster) leader() *node {
	c.t.Helper()
	var out *node
	eventually(c.t, 30*time.Second, "a known leader", func() bool {
		ci, _ := c.info()
		for _, n := range c.nodes {
			if n.name == ci.Leader && n.alive() {
				out = n
				return true
			}
		}
		return false
	})
	return out
}

func (c *testCluster) byName(name string) *node {
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	c.t.Fatalf("no node %q", name)
	return nil
}

// flipAndWaitTriggered flips /api to 500 and returns the triggered delivery.
func (c *testCluster) waitFirstChecks() {
	c.t.Helper()
	eventually(c.t, 20*time.Second, "checks from all three nodes", func() bool {
		ips := map[string]bool{}
		for _, h := range c.tg.hitsOf("/api") {
			ips[h.ip] = true
		}
		return len(ips) == 3
	})
}

func TestClusterOneTriggeredOneResolved(t *testing.T) {
	c := startCluster(t, clusterOpts{})
	c.waitFirstChecks()
	flipped := time.Now()
	c.tg.setFail("/api", 500)
	eventually(t, 20*time.Second, "triggered", func() bool { return len(c.sk.accepted("triggered")) == 1 })
	t.Logf("detection in a cluster (interval 1s, threshold 2, 2 of 3 confirm, fast confirmation): %s",
		c.sk.accepted("triggered")[0].At.Sub(flipped).Round(time.Millisecond))
	c.tg.setFail("/api", 0)
	eventually(t, 20*time.Second, "resolved", func() bool { return len(c.sk.accepted("resolved")) == 1 })
	time.Sleep(3 * time.Second)
	if per := c.sk.perKey(); len(per) != 2 || per["core_api#1/triggered/webhook"] != 1 || per["core_api#1/resolved/webhook"] != 1 {
		t.Fatalf("deliveries per key %v; want exactly one triggered and one resolved", per)
	}
	// Every node serves the whole history: results from all three nodes.
	for _, n := range c.nodes {
		_, body := n.get("/api/v1/endpoints/core_api/statuses")
		if strings.Count(string(body), `"success":false`) < 2 {
			t.Errorf("%s serves %d failed results", n.name, strings.Count(string(body), `"success":false`))
		}
	}
}

func TestClusterFailureSeenFromOneNodeDoesNotPage(t *testing.T) {
	c := startCluster(t, clusterOpts{})
	c.waitFirstChecks()
	c.tg.setFailFrom("/api", "127.0.0.2", 500)
	eventually(t, 20*time.Second, "the monitor shown degraded", func() bool {
		_, body := c.nodes[0].get("/api/v1/monitors/core_api")
		return strings.Contains(string(body), `"status":"degraded"`)
	})
	time.Sleep(6 * time.Second)
	if got := c.sk.accepted(""); len(got) != 0 {
		t.Fatalf("a failure seen from one of three vantage points paged: %+v", got)
	}
}

func TestClusterLeaderKilledBeforeItSends(t *testing.T) {
	c := startCluster(t, clusterOpts{})
	c.waitFirstChecks()
	old := c.leader()
	flipped := time.Now()
	c.tg.setFail("/api", 500)
	old.kill() // before the outage can be confirmed and sent
	eventually(t, 30*time.Second, "triggered from the new leader", func() bool { return len(c.sk.accepted("triggered")) >= 1 })
	d := c.sk.accepted("triggered")[0]
	t.Logf("leader %s killed at the flip; %s sent the triggered %s after the flip", old.name, d.SentBy, d.At.Sub(flipped).Round(time.Millisecond))
	if d.SentBy == old.name {
		t.Fatalf("the killed leader sent it")
	}
	if d.At.Sub(flipped) > 2*time.Second+5*time.Second+2*time.Second {
		t.Fatalf("triggered %s after the flip: more than 5 s later than the ~2-3 s without a kill", d.At.Sub(flipped))
	}
	time.Sleep(3 * time.Second)
	if got := c.sk.accepted("triggered"); len(got) != 1 {
		t.Fatalf("%d triggered deliveries, want exactly one", len(got))
	}
	if got := c.sk.accepted("node-down"); len(got) != 1 {
		t.Fatalf("%d node-down deliveries for the killed leader, want one", len(got))
	}
}

func TestClusterLeaderKilledRightAfterTheReceiverAccepted(t *testing.T) {
	c := startCluster(t, clusterOpts{})
	c.waitFirstChecks()
	killed := make(chan string, 1)
	c.sk.setOnAccept(func(d delivery) {
		if d.Event == "triggered" {
			c.sk.setOnAccept(nil)
			c.byName(d.SentBy).cmd.Process.Kill()
			killed <- d.SentBy
		}
	})
	c.tg.setFail("/api", 500)
	var victim string
	select {
	case victim = <-killed:
	case <-time.After(30 * time.Second):
		t.Fatal("no triggered delivery")
	}
	time.Sleep(8 * time.Second)
	per := c.sk.perKey()
	if n := per["core_api#1/triggered/webhook"]; n < 1 || n > 2 {
		t.Fatalf("the triggered key was delivered %d times (leader %s killed after the receiver accepted); want 1 or 2", n, victim)
	}
	t.Logf("leader %s killed after the receiver accepted: the key was delivered %d time(s)", victim, per["core_api#1/triggered/webhook"])
	c.tg.setFail("/api", 0)
	eventually(t, 30*time.Second, "resolved", func() bool { return len(c.sk.accepted("resolved")) >= 1 })
	time.Sleep(2 * time.Second)
	if n := c.sk.perKey()["core_api#1/resolved/webhook"]; n != 1 {
		t.Fatalf("resolved delivered %d times", n)
	}
}

func TestClusterLeaderFrozen15s(t *testing.T) {
	c := startCluster(t, clusterOpts{})
	c.waitFirstChecks()
	old := c.leader()
	old.signal(syscall.SIGSTOP)
	c.tg.setFail("/api", 500)
	eventually(t, 40*time.Second, "triggered from a new leader", func() bool { return len(c.sk.accepted("triggered")) >= 1 })
	time.Sleep(15 * time.Second)
	old.signal(syscall.SIGCONT)
	time.Sleep(8 * time.Second) // the thawed leader must find it was deposed and send nothing
	per := c.sk.perKey()
	if per["core_api#1/triggered/webhook"] != 1 || len(c.sk.accepted("triggered")) != 1 {
		t.Fatalf("deliveries %v after freezing leader %s for 15 s; want exactly one triggered", per, old.name)
	}
	for _, d := range c.sk.accepted("") {
		if d.SentBy == old.name {
			t.Fatalf("the frozen leader %s sent %s", old.name, d.Key)
		}
	}
	c.tg.setFail("/api", 0)
	eventually(t, 30*time.Second, "resolved", func() bool { return len(c.sk.accepted("resolved")) == 1 })
}

func TestClusterCheckerKilledMonitorsMoveAndNodeEventsOnce(t *testing.T) {
	const monitors = 6
	c := startCluster(t, clusterOpts{endpoints: func(tg *target) string {
		var b strings.Builder
		for i := 0; i < monitors; i++ {
			fmt.Fprintf(&b, "  - name: solo-%d\n    group: core\n    url: %s\n    interval: 2s\n    vantage: 1\n    conditions: [\"[STATUS] == 200\"]\n", i, tg.url(fmt.Sprintf("/solo/%d", i)))
		}
		return b.String()
	}})
	leader := c.leader()
	// Find a monitor checked by a follower (vantage 1: one owner each).
	var path string
	var victim *node
	eventually(t, 20*time.Second, "a monitor owned by a follower", func() bool {
		for i := 0; i < monitors; i++ {
			p := fmt.Sprintf("/solo/%d", i)
			hits := c.tg.hitsOf(p)
			if len(hits) < 2 {
				continue
			}
			owner := "n" + strings.TrimPrefix(hits[len(hits)-1].ip, "127.0.0.")
			if owner != leader.name {
				path, victim = p, c.byName(owner)
				return true
			}
		}
		return false
	})
	victim.kill()
	killedAt := time.Now()
	victimIP := "127.0.0." + strings.TrimPrefix(victim.name, "n")
	eventually(t, 20*time.Second, "checks of "+path+" from another node", func() bool {
		for _, h := range c.tg.hitsOf(path) {
			if h.at.After(killedAt) && h.ip != victimIP {
				return true
			}
		}
		return false
	})
	// The largest gap between consecutive checks of the path.
	hits := c.tg.hitsOf(path)
	var gap time.Duration
	for i := 1; i < len(hits); i++ {
		gap = max(gap, hits[i].at.Sub(hits[i-1].at))
	}
	t.Logf("checker %s killed: largest gap between checks of %s was %s (interval 2s)", victim.name, path, gap.Round(time.Millisecond))
	if gap > 2*time.Second+5*time.Second {
		t.Fatalf("check gap %s exceeds interval + 5 s", gap)
	}
	eventually(t, 20*time.Second, "node-down", func() bool { return len(c.sk.accepted("node-down")) == 1 })
	victim.restart()
	victim.waitReady(60 * time.Second)
	eventually(t, 30*time.Second, "node-up", func() bool { return len(c.sk.accepted("node-up")) == 1 })
	time.Sleep(4 * time.Second)
	if down, up := len(c.sk.accepted("node-down")), len(c.sk.accepted("node-up")); down != 1 || up != 1 {
		t.Fatalf("node-down %d, node-up %d; want one each", down, up)
	}
}

func TestClusterRollingRestartDuringAnIncident(t *testing.T) {
	c := startCluster(t, clusterOpts{})
	c.waitFirstChecks()
	c.tg.setFail("/api", 500)
	eventually(t, 20*time.Second, "triggered", func() bool { return len(c.sk.accepted("triggered")) == 1 })
	for _, n := range c.nodes {
		if err := n.stop(); err != nil {
			t.Fatal(err)
		}
		n.restart()
		n.waitReady(60 * time.Second)
		c.waitHealthy(60 * time.Second)
	}
	time.Sleep(3 * time.Second)
	if got := len(c.sk.accepted("triggered")); got != 1 {
		t.Fatalf("%d triggered after a rolling restart during the incident, want 1", got)
	}
	c.tg.setFail("/api", 0)
	eventually(t, 30*time.Second, "resolved", func() bool { return len(c.sk.accepted("resolved")) == 1 })
	time.Sleep(3 * time.Second)
	if tr, rs := len(c.sk.accepted("triggered")), len(c.sk.accepted("resolved")); tr != 1 || rs != 1 {
		t.Fatalf("deliveries %v; want one triggered and one resolved", c.sk.perKey())
	}
}

func TestClusterWritesThroughAnyNodeAndWrongSecretRefused(t *testing.T) {
	c := startCluster(t, clusterOpts{})
	leader := c.leader()
	var follower, other *node
	for _, n := range c.nodes {
		if n != leader {
			if follower == nil {
				follower = n
			} else {
				other = n
			}
		}
	}
	body := fmt.Sprintf(`{"name":"web","group":"api","url":%q,"interval":"1s","conditions":["[STATUS] == 200"]}`, c.tg.url("/web"))
	code, resp := follower.do("POST", "/api/v1/monitors", body, "e2e-admin-token-0123456789")
	if code != 201 {
		t.Fatalf("POST at follower %s: %d %s", follower.name, code, resp)
	}
	// Reads are linearizable: acknowledged through one node, the write is
	// seen at once through any other (it waits for the leader's read index).
	if code, resp := other.get("/api/v1/monitors/api_web"); code != 200 {
		t.Fatalf("GET at %s right after the POST was acknowledged at %s: %d %s", other.name, follower.name, code, resp)
	}
	eventually(t, 15*time.Second, "the new monitor checked", func() bool { return c.tg.hitCount("/web") >= 3 })
	if code, resp := other.do("PUT", "/api/v1/monitors/core_api", strings.Replace(body, `"name":"web","group":"api"`, `"name":"api","group":"core"`, 1), "e2e-admin-token-0123456789"); code != 409 {
		t.Fatalf("replacing a file-declared monitor through the API: %d %s, want 409", code, resp)
	}
	if code, _ := other.do("DELETE", "/api/v1/monitors/api_web", "", "wrong-token"); code != 401 {
		t.Fatalf("DELETE with a wrong token: %d, want 401", code)
	}
	if code, resp := other.do("DELETE", "/api/v1/monitors/api_web", "", "e2e-admin-token-0123456789"); code != 204 {
		t.Fatalf("DELETE: %d %s", code, resp)
	}
	if code, resp := follower.get("/api/v1/monitors/api_web"); code != 404 {
		t.Fatalf("GET at %s right after the DELETE was acknowledged at %s: %d %s", follower.name, other.name, code, resp)
	}

	// A node with another secret cannot join.
	ip := "127.0.0.4"
	web, bind, gsp := freePort(t, ip), freePort(t, ip), freePort(t, ip)
	cfg := fmt.Sprintf(`node: {id: intruder, data-dir: ./data}
web: {address: %s, port: %d}
cluster:
  mode: embedded
  bind: %s:%d
  gossip-bind: %s:%d
  join: [%s]
  bootstrap-expect: 3
  secret: not-the-cluster-secret-0123
endpoints:
  - {name: x, url: "http://127.0.0.1:1/", conditions: ["[STATUS] == 200"]}
`, ip, web, ip, bind, ip, gsp, c.nodes[0].gossipAddr())
	intruder := startNode(t, "intruder", "", fmt.Sprintf("%s:%d", ip, web), cfg)
	time.Sleep(6 * time.Second)
	ci, _ := c.info()
	for _, m := range ci.Members {
		if m.ID == "intruder" {
			t.Fatalf("a node with another secret became a member: %+v", ci.Members)
		}
	}
	if !strings.Contains(intruder.logs(), "refused") && !strings.Contains(intruder.logs(), "secret") && !strings.Contains(intruder.logs(), "key") {
		t.Errorf("the intruder's log does not say why it could not join:\n%s", intruder.logs())
	}
}

func TestClusterClockSkewChangesNothingButAWarning(t *testing.T) {
	c := startCluster(t, clusterOpts{
		env: map[int][]string{3: {"CUSTODES_TEST_CLOCK_OFFSET=5m"}},
		perNode: map[int]string{2: `  - name: only-on-n2
    group: drift
    url: http://127.0.0.1:1/
    conditions: ["[STATUS] == 200"]
`},
	})
	c.waitFirstChecks()
	c.tg.setFail("/api", 500)
	eventually(t, 20*time.Second, "triggered", func() bool { return len(c.sk.accepted("triggered")) == 1 })
	c.tg.setFail("/api", 0)
	eventually(t, 20*time.Second, "resolved", func() bool { return len(c.sk.accepted("resolved")) == 1 })
	time.Sleep(3 * time.Second)
	if tr, rs := len(c.sk.accepted("triggered")), len(c.sk.accepted("resolved")); tr != 1 || rs != 1 {
		t.Fatalf("with n3's clock 5 minutes ahead: %d triggered, %d resolved; want 1 and 1", tr, rs)
	}
	// The skew is measured and warned about.
	eventually(t, 45*time.Second, "the skew warning and metric", func() bool {
		_, body, err := c.nodes[0].tryGet("/metrics")
		if err != nil {
			return false
		}
		for _, l := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(l, `custodes_clock_skew_seconds{peer="n3"} `); ok {
				var f float64
				fmt.Sscan(v, &f)
				return f > 290 && f < 310 && strings.Contains(c.nodes[0].logs(), "clock skew with a peer")
			}
		}
		return false
	})
	// n2's file differs: the cluster reports drift.
	eventually(t, 30*time.Second, "drift reported", func() bool {
		_, body := c.nodes[0].get("/api/v1/cluster")
		_, m, _ := c.nodes[0].tryGet("/metrics")
		return strings.Contains(string(body), `"config_drift":true`) && !strings.Contains(string(m), "custodes_config_drift_nodes 0")
	})
}
