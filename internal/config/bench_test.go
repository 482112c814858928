package config

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// benchConfig is a config with n HTTP endpoints, each with two conditions,
// headers, an alert merged with a default-alert and a maintenance window.
func benchConfig(n int) string {
	var b strings.Builder
	b.WriteString("alerting:\n  slack:\n    webhook-url: https://hooks.example/x\n    default-alert: {failure-threshold: 5, send-on-resolved: true}\nendpoints:\n")
	for i := range n {
		fmt.Fprintf(&b, `  - name: endpoint-%d
    group: group-%d
    url: https://service-%d.example.org/health
    interval: 30s
    headers: {Authorization: Bearer token-%d}
    conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 300"]
    alerts: [{type: slack, description: down}]
    maintenance-windows: [{start: "02:00", duration: 1h, timezone: Europe/Berlin}]
`, i, i%10, i, i)
	}
	return b.String()
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{10, 1000} {
		data := []byte(benchConfig(n))
		b.Run(fmt.Sprintf("endpoints=%d/memory", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := load("bench.yaml", []file{{"bench.yaml", data}}, noEnv); err != nil {
					b.Fatal(err)
				}
			}
		})
		dir := writeTree(b, map[string]string{"bench.yaml": string(data)})
		b.Run(fmt.Sprintf("endpoints=%d/file", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(context.Background(), filepath.Join(dir, "bench.yaml"), noEnv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
