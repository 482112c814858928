package http_test

import (
	"bufio"
	"context"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	probehttp "github.com/custodes/custodes/internal/probe/http"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
)

// targetEnv asks the test binary to be a benchmark target instead of
// running tests.
const targetEnv = "CUSTODES_HTTP_BENCH_TARGET"

// serveTargetIfAsked serves the benchmark target when this process was
// started as one: it prints its address, then answers until its standard
// input closes. It reports whether it did.
func serveTargetIfAsked() bool {
	if os.Getenv(targetEnv) != "1" {
		return false
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(2)
	}
	srv := &nethttp.Server{Handler: nethttp.HandlerFunc(healthy)}
	go func() { _ = srv.Serve(ln) }()
	os.Stdout.WriteString("ADDR " + ln.Addr().String() + "\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
	return true
}

func healthy(w nethttp.ResponseWriter, _ *nethttp.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"UP"}`)
}

// externalTarget starts the benchmark target in a child process, so that
// this process's CPU time is the prober's alone.
func externalTarget(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), targetEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	if err != nil || !ok {
		_ = cmd.Process.Kill()
		b.Fatalf("benchmark target did not start: %q, %v", line, err)
	}
	return "http://" + addr + "/health"
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHTTPProbe measures checks of one monitor against a loopback
// target, 8 checks in flight on GOMAXPROCS cores. cpu-ns/op is the CPU this
// process spent per check: with the target in-process it includes the
// server's share; with the external target it is the prober's alone.
func BenchmarkHTTPProbe(b *testing.B) {
	b.Run("in-process-target", func(b *testing.B) {
		srv := server(b, healthy)
		benchProbe(b, srv.URL+"/health")
	})
	b.Run("external-target", func(b *testing.B) {
		benchProbe(b, externalTarget(b))
	})
}

func benchProbe(b *testing.B, url string) {
	p := probehttp.New(probehttp.Options{})
	defer p.Close()
	spec := probetest.Spec(b, monitor.KindHTTP, url, "[STATUS] == 200", "[BODY].status == UP", "[RESPONSE_TIME] < 500")
	spec.Client.Timeout = 10 * time.Second
	if obs := p.Probe(context.Background(), spec); obs.Status != 200 || len(obs.Errors) != 0 {
		b.Fatalf("warm-up check: Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
	b.ReportAllocs()
	b.SetParallelism(4)
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), spec.Timeout())
			obs := p.Probe(ctx, spec)
			cancel()
			if obs.Status != 200 || len(obs.Errors) != 0 {
				b.Errorf("Status = %d, Errors = %q", obs.Status, obs.Errors)
				return
			}
		}
	})
	wall, cpu := time.Since(wall0), cpuTime()-cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/wall.Seconds(), "checks/s")
}
