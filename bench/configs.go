package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// flipMonitorKey is the key custodes gives the detection monitor
// (group "bench", name "flip").
const flipMonitorKey = "bench_flip"

// nodeConfig is what differs between the configs the harness writes.
type nodeConfig struct {
	ID        string
	WebHost   string
	WebPort   int
	Monitors  int           // load monitors /m/0 .. /m/<n-1>
	Interval  time.Duration // of the load monitors
	Flip      bool          // add the detection monitor (1 s, failure-threshold 1)
	Target    *target
	WebhookTo string // sink URL; empty: no alerting section
	Cluster   *clusterConfig
}

type clusterConfig struct {
	Bind, Gossip string   // host:port
	Join         []string // gossip addresses of the others
	Secret       string
}

// render writes the YAML. Load monitors are one flow mapping per line so
// a 100k-monitor file stays ~10 MB.
func (c nodeConfig) render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "node:\n  id: %s\n  data-dir: ./data\n", c.ID)
	fmt.Fprintf(&b, "web:\n  address: %s\n  port: %d\n", c.WebHost, c.WebPort)
	b.WriteString("metrics: true\n")
	if c.Cluster != nil {
		fmt.Fprintf(&b, "cluster:\n  mode: embedded\n  bind: %s\n  gossip-bind: %s\n  bootstrap-expect: 3\n  secret: %s\n  join:\n",
			c.Cluster.Bind, c.Cluster.Gossip, c.Cluster.Secret)
		for _, j := range c.Cluster.Join {
			fmt.Fprintf(&b, "    - %s\n", j)
		}
	}
	if c.WebhookTo != "" {
		fmt.Fprintf(&b, "alerting:\n  webhook:\n    url: %s\n", c.WebhookTo)
	}
	b.WriteString("endpoints:\n")
	if c.Flip {
		fmt.Fprintf(&b, "  - name: flip\n    group: bench\n    url: %s\n    interval: 1s\n"+
			"    conditions: [\"[STATUS] == 200\"]\n"+
			"    alerts: [{type: webhook, failure-threshold: 1, success-threshold: 1, send-on-resolved: true}]\n",
			c.Target.flipURL())
	}
	iv := c.Interval.String()
	for i := range c.Monitors {
		b.WriteString(`  - {name: m`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`, group: load, url: "`)
		b.WriteString(c.Target.url(i))
		b.WriteString(`", interval: `)
		b.WriteString(iv)
		b.WriteString(`, conditions: ["[STATUS] == 200"]}` + "\n")
	}
	return b.String()
}
