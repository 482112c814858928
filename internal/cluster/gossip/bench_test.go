package gossip

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkFailureDetection measures, on loopback with DefaultTiming, how
// long after one member of a 3- or 5-node cluster stops (Close, no leave)
// every survivor lists it as failed. Run with -benchtime=Nx; each
// iteration takes a few seconds.
func BenchmarkFailureDetection(b *testing.B) {
	for _, size := range []int{3, 5} {
		b.Run(fmt.Sprintf("nodes=%d", size), func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				c := newTestCluster(b)
				for i := 1; i <= size; i++ {
					c.start(fmt.Sprintf("n%d", i))
					if i > 1 {
						c.join(fmt.Sprintf("n%d", i), "n1")
					}
				}
				c.waitView(c.ids(), c.allAlive())
				victim := fmt.Sprintf("n%d", size)
				c.stop(victim)
				took = append(took, c.waitView(c.ids(), map[string]string{victim: "failed"}))
				for _, id := range c.ids() {
					c.stop(id)
				}
			}
			reportDurations(b, took)
		})
	}
}

// BenchmarkPartitionHeal measures a 2|1 partition of a 3-node cluster:
// how long until every node sees the other side failed, and how long after
// heal until all are alive everywhere again.
func BenchmarkPartitionHeal(b *testing.B) {
	var split, healed []time.Duration
	for b.Loop() {
		c := threeNodes(b)
		c.net.partition([]string{"n1", "n2"}, []string{"n3"})
		split = append(split, waitFor(b, "each side to see the other failed", func() bool {
			return c.nodes["n1"].status("n3") == "failed" && c.nodes["n2"].status("n3") == "failed" &&
				c.nodes["n3"].status("n1") == "failed" && c.nodes["n3"].status("n2") == "failed"
		}))
		c.net.heal()
		healed = append(healed, c.waitView(c.ids(), c.allAlive()))
		for _, id := range c.ids() {
			c.stop(id)
		}
	}
	b.ReportMetric(float64(slices.Max(split).Milliseconds()), "max-ms/split")
	b.ReportMetric(float64(slices.Max(healed).Milliseconds()), "max-ms/heal")
	b.ReportMetric(float64(mean(healed).Milliseconds()), "mean-ms/heal")
	b.ReportMetric(float64(mean(split).Milliseconds()), "mean-ms/split")
	b.ReportMetric(0, "ns/op")
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func reportDurations(b *testing.B, ds []time.Duration) {
	b.ReportMetric(float64(slices.Min(ds).Milliseconds()), "min-ms/detect")
	b.ReportMetric(float64(mean(ds).Milliseconds()), "mean-ms/detect")
	b.ReportMetric(float64(slices.Max(ds).Milliseconds()), "max-ms/detect")
	b.ReportMetric(0, "ns/op")
}
