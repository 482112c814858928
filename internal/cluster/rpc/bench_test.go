package rpc

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func benchPair(b *testing.B) (*Client, string) {
	srv := newTransport(b, "srv", nil)
	serve(b, srv, ServerConfig{}, func(s *Server) {
		Handle(s, "echo", func(_ context.Context, _ string, r string) (string, error) { return r, nil })
	})
	c := newClient(b, newTransport(b, "cli", nil), ClientConfig{})
	if err := c.Call(context.Background(), srv.Advertise(), "echo", "warm", nil); err != nil {
		b.Fatal(err)
	}
	return c, srv.Advertise()
}

// BenchmarkCallLatency is one caller's round trip over TLS on loopback.
func BenchmarkCallLatency(b *testing.B) {
	for _, size := range []int{16, 64 << 10} {
		b.Run(byteSize(size), func(b *testing.B) {
			c, addr := benchPair(b)
			msg := strings.Repeat("x", size)
			b.SetBytes(int64(2 * size))
			b.ResetTimer()
			for b.Loop() {
				if err := c.Call(context.Background(), addr, "echo", msg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCallThroughput is many callers multiplexed on one connection.
func BenchmarkCallThroughput(b *testing.B) {
	c, addr := benchPair(b)
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Call(context.Background(), addr, "echo", "hello", nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

func byteSize(n int) string {
	if n >= 1<<10 {
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}
