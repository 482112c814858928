package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// fleet generates the results of a fleet of HTTPS monitors: each has its
// own IP, certificate and conditions, and a duration that varies from
// check to check.
type fleet struct {
	keys  []string
	ips   []string
	conds [][]condition.Result
	certs []time.Time
}

func newFleet(n int) *fleet {
	f := &fleet{}
	for i := range n {
		f.keys = append(f.keys, fmt.Sprintf("team-%02d_service-%05d", i%40, i))
		f.ips = append(f.ips, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		c := []condition.Result{{Condition: "[STATUS] == 200", Success: true}}
		if i%3 == 0 {
			c = append(c, condition.Result{Condition: "[RESPONSE_TIME] < 500", Success: true})
		}
		if i%4 == 0 {
			c = append(c, condition.Result{Condition: "[CERTIFICATE_EXPIRATION] > 48h", Success: true})
		}
		f.conds = append(f.conds, c)
		f.certs = append(f.certs, base.Add(time.Duration(30+i%60)*24*time.Hour))
	}
	return f
}

// result is monitor i's check at t; seq varies the duration.
func (f *fleet) result(i int, t time.Time, seq int) monitor.Result {
	return monitor.Result{
		Monitor: f.keys[i], Node: "n1", Time: t, Success: true,
		Duration:   time.Duration(20000+(seq*7919+i*104729)%180000) * time.Microsecond,
		Status:     200,
		IP:         f.ips[i],
		Connected:  true,
		Conditions: f.conds[i],
		// Measured a few ms after the check started, as probes do.
		CertificateExpiration: f.certs[i].Sub(t) - time.Duration(3+seq%40)*time.Millisecond,
	}
}

// BenchmarkAppend measures batched inserts: batches of 5000 results (the
// Writer's default MaxBatch) of 5000 monitors into a file database.
func BenchmarkAppend(b *testing.B) {
	const perBatch = 5000
	f := newFleet(perBatch)
	st := openTest(b, filepath.Join(b.TempDir(), "h.db"), Options{})
	batches := make([]history.Batch, 8)
	for k := range batches {
		batches[k].Results = make([]monitor.Result, perBatch)
	}
	b.ResetTimer()
	for n := range b.N {
		batch := &batches[n%len(batches)]
		batch.Origin, batch.Seq = "n1", uint64(n+1)
		at := base.Add(time.Duration(n) * time.Second)
		for i := range batch.Results {
			batch.Results[i] = f.result(i, at.Add(time.Duration(i%1000)*time.Millisecond), n)
		}
		mustAppend(b, st, *batch)
	}
	b.ReportMetric(float64(b.N*perBatch)/b.Elapsed().Seconds(), "results/s")
}

// BenchmarkFootprint simulates a node's steady load, one iteration per
// second of result time (one flushed batch), and reports what it costs on
// disk: stored-B/result is the database size after a checkpoint divided by
// the results (schema, monitors and shapes included); written-B/result is
// what the process wrote (write(2) bytes) and disk-B/result what it sent to
// the storage layer (/proc/self/io write_bytes), checkpoints included.
// Run with -benchtime=3600x for one simulated hour.
func BenchmarkFootprint(b *testing.B) {
	scenarios := []struct {
		name     string
		monitors int
		every    int // seconds between checks of one monitor
	}{
		{"10k-monitors-every-60s", 10000, 60}, // ≈167 results/s
		{"1k-monitors-every-10s", 1000, 10},   // 100 results/s
		{"5k-monitors-every-1s", 5000, 1},     // 5000 results/s
	}
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) {
			f := newFleet(sc.monitors)
			path := filepath.Join(b.TempDir(), "h.db")
			st, err := Open(context.Background(), path, Options{})
			if err != nil {
				b.Fatal(err)
			}
			before := readIO(b)
			results := 0
			var batch history.Batch
			b.ResetTimer()
			for n := range b.N {
				sec := base.Add(time.Duration(n) * time.Second)
				batch = history.Batch{Origin: "n1", Seq: uint64(n + 1), Results: batch.Results[:0]}
				// Monitor i is checked when n ≡ i (mod every), at a phase
				// within the second.
				for i := n % sc.every; i < sc.monitors; i += sc.every {
					batch.Results = append(batch.Results, f.result(i, sec.Add(time.Duration(i*7%1000)*time.Millisecond), n))
				}
				results += len(batch.Results)
				mustAppend(b, st, batch)
			}
			if err := st.Close(); err != nil { // writes rollups, checkpoints
				b.Fatal(err)
			}
			b.StopTimer()
			after := readIO(b)
			info, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(info.Size())/float64(results), "stored-B/result")
			b.ReportMetric(float64(after.wchar-before.wchar)/float64(results), "written-B/result")
			b.ReportMetric(float64(after.writeBytes-before.writeBytes)/float64(results), "disk-B/result")
			b.ReportMetric(float64(results)/b.Elapsed().Seconds(), "results/s")
		})
	}
}

// BenchmarkResults reads page 1 (20 results) of one monitor after an hour
// of the 10k-monitors-every-60s load, the query the API serves most.
func BenchmarkResults(b *testing.B) {
	const monitors, every, seconds = 10000, 60, 3600
	f := newFleet(monitors)
	st := openTest(b, filepath.Join(b.TempDir(), "h.db"), Options{})
	for n := range seconds {
		sec := base.Add(time.Duration(n) * time.Second)
		batch := history.Batch{Origin: "n1", Seq: uint64(n + 1)}
		for i := n % every; i < monitors; i += every {
			batch.Results = append(batch.Results, f.result(i, sec, n))
		}
		mustAppend(b, st, batch)
	}
	ctx := context.Background()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ResetTimer()
	for n := range b.N {
		rs, err := st.Results(ctx, f.keys[n*7919%monitors], 1, 20)
		if err != nil || len(rs) != 20 {
			b.Fatalf("Results: %d, %v", len(rs), err)
		}
	}
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(rssKiB(b))/1024, "rss-MiB")
}

type ioCounters struct{ wchar, writeBytes int64 }

func readIO(tb testing.TB) ioCounters {
	tb.Helper()
	fh, err := os.Open("/proc/self/io")
	if err != nil {
		tb.Fatalf("reading write counters: %v", err)
	}
	defer fh.Close()
	var c ioCounters
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "wchar":
			c.wchar = n
		case "write_bytes":
			c.writeBytes = n
		}
	}
	return c
}

func rssKiB(tb testing.TB) int64 {
	tb.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Fatalf("reading RSS: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
