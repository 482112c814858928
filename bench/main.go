// Command bench is custodes' benchmark harness (`make bench`): it builds
// the binary, runs it against a loopback target under generated configs,
// and prints one table of throughput, CPU, memory, disk, first-pass time,
// detection latency and (3-node) failover time, measured from /proc and
// /metrics. It also writes bench/out/results.json and bench/out/chart.svg.
// See bench/README.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	sizes           []loadSpec
	window          time.Duration
	maxRate         []int
	maxRateInterval time.Duration
	maxRateWindow   time.Duration
	trials          int
	cluster         bool
	clusterMonitors int
	clusterInterval time.Duration
	clusterWindow   time.Duration
	targetHosts     int
	keepAlive       bool
	out             string
	workDir         string
	keep            bool
	quick           bool
	quietWait       time.Duration
	reprint         string
}

// harness holds what every run shares.
type harness struct {
	opts    options
	bin     string
	workDir string
	webHost string
	target  *target
	sink    *sink
	stdout  io.Writer
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if opts.reprint != "" {
		return reprint(opts, stdout, stderr)
	}
	rep, err := execute(ctx, opts, stdout, stderr)
	if rep != nil {
		printTable(stdout, rep)
		if werr := writeOutputs(opts.out, rep); werr != nil {
			fmt.Fprintln(stderr, "bench:", werr)
			return 1
		}
		fmt.Fprintf(stdout, "\nwrote %s and %s\n", filepath.Join(opts.out, "results.json"), filepath.Join(opts.out, "chart.svg"))
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if len(rep.Errors) > 0 {
		return 1
	}
	return 0
}

// reprint prints the table of a saved run and redraws its chart.
func reprint(o options, stdout, stderr io.Writer) int {
	b, err := os.ReadFile(o.reprint)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		fmt.Fprintf(stderr, "bench: %s: %v\n", o.reprint, err)
		return 1
	}
	if err := rep.validate(); err != nil {
		fmt.Fprintf(stderr, "bench: %s: %v\n", o.reprint, err)
		return 1
	}
	rep.Goals = evaluateGoals(&rep)
	printTable(stdout, &rep)
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	chart := filepath.Join(o.out, "chart.svg")
	if err := os.WriteFile(chart, []byte(renderChart(rep.Rows)), 0o644); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nredrew %s\n", chart)
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	sizes := fs.String("sizes", "1000@10s,10000@60s,100000@60s/2m",
		"single-node rows: monitors@interval[/stop-after], comma-separated (k = 1000); \"\" for none")
	fs.DurationVar(&o.window, "duration", 60*time.Second, "steady window of each -sizes row (after every monitor was checked once)")
	maxRate := fs.String("maxrate", "1000,2000,3000,4000,5000,6000,8000,10000,12000,15000,20000",
		"monitor counts for the maximum-rate search at -maxrate-interval, stopping at the first not sustained; \"\" for none")
	fs.DurationVar(&o.maxRateInterval, "maxrate-interval", time.Second, "interval of the maximum-rate rows")
	fs.DurationVar(&o.maxRateWindow, "maxrate-duration", 20*time.Second, "steady window of each maximum-rate row")
	fs.IntVar(&o.trials, "trials", 5, "detection and failover trials")
	fs.BoolVar(&o.cluster, "cluster", true, "run the 3-node rows (failover)")
	fs.IntVar(&o.clusterMonitors, "cluster-monitors", 1000, "load monitors of the 3-node row, besides the flip monitor")
	fs.DurationVar(&o.clusterInterval, "cluster-interval", 10*time.Second, "interval of the 3-node row's load monitors")
	fs.DurationVar(&o.clusterWindow, "cluster-duration", 30*time.Second, "steady window of the 3-node row")
	fs.IntVar(&o.targetHosts, "target-hosts", 1, "loopback addresses (127.0.0.1, .2, ...) the target listens on; monitors are spread over them")
	fs.BoolVar(&o.keepAlive, "keepalive", true, "the target keeps connections alive (false: one connection per check)")
	fs.StringVar(&o.out, "out", filepath.Join("bench", "out"), "directory for results.json and chart.svg")
	fs.StringVar(&o.workDir, "workdir", "", "where data dirs and logs go (default: a new temporary directory; must be a real disk for write_bytes)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (configs, logs, databases)")
	fs.DurationVar(&o.quietWait, "quiet-wait", 30*time.Second, "before each load row, wait up to this long for other processes to use < 0.2 cores (0: do not wait)")
	fs.StringVar(&o.reprint, "report", "", "measure nothing: print the table of a saved results.json and redraw its chart into -out")
	fs.BoolVar(&o.quick, "quick", false, "a CI-sized smoke run (< 60 s): 500@2s, one max-rate row, no cluster; explicit flags still win")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		// A smoke run must not overwrite the figures the READMEs quote.
		quickOut := filepath.Join("bench", "out", "quick")
		for name, v := range map[string]string{"sizes": "500@2s", "maxrate": "2000", "maxrate-duration": "5s", "cluster": "false", "quiet-wait": "0s", "out": quickOut} {
			if !set[name] {
				fs.Set(name, v)
			}
		}
		if !set["duration"] {
			o.window = 8 * time.Second
		}
	}
	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil {
		return o, fmt.Errorf("-sizes: %w", err)
	}
	for i := range o.sizes {
		o.sizes[i].Window = o.window
	}
	if o.maxRate, err = parseCounts(*maxRate); err != nil {
		return o, fmt.Errorf("-maxrate: %w", err)
	}
	switch {
	case o.window <= 0 || o.maxRateWindow <= 0 || o.clusterWindow <= 0:
		return o, fmt.Errorf("-duration, -maxrate-duration and -cluster-duration must be positive")
	case o.maxRateInterval <= 0 || o.clusterInterval <= 0:
		return o, fmt.Errorf("-maxrate-interval and -cluster-interval must be positive")
	case o.trials < 0 || o.trials > 100:
		return o, fmt.Errorf("-trials %d: want 0..100", o.trials)
	case o.targetHosts < 1 || o.targetHosts > 250:
		return o, fmt.Errorf("-target-hosts %d: want 1..250", o.targetHosts)
	case o.clusterMonitors < 0:
		return o, fmt.Errorf("-cluster-monitors must not be negative")
	}
	return o, nil
}

// parseSizes reads "1000@10s,10k@60s,100k@60s/2m".
func parseSizes(s string) ([]loadSpec, error) {
	var out []loadSpec
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		spec := loadSpec{Kind: "size"}
		rest, stop, hasStop := strings.Cut(item, "/")
		num, iv, ok := strings.Cut(rest, "@")
		if !ok {
			return nil, fmt.Errorf("%q: want monitors@interval[/stop-after], e.g. 10k@60s", item)
		}
		var err error
		if spec.Monitors, err = parseCount(num); err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		if spec.Interval, err = time.ParseDuration(iv); err != nil || spec.Interval < time.Second {
			return nil, fmt.Errorf("%q: interval %q: want a duration of at least 1s", item, iv)
		}
		if hasStop {
			if spec.StopAfter, err = time.ParseDuration(stop); err != nil || spec.StopAfter <= 0 {
				return nil, fmt.Errorf("%q: stop-after %q: want a positive duration", item, stop)
			}
		}
		spec.Name = fmt.Sprintf("%s@%s", count(spec.Monitors), shortDur(spec.Interval))
		out = append(out, spec)
	}
	return out, nil
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		n, err := parseCount(item)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// parseCount reads a monitor count: digits, optionally with a k suffix.
func parseCount(s string) (int, error) {
	mult := 1
	if t, ok := strings.CutSuffix(strings.ToLower(s), "k"); ok {
		s, mult = t, 1000
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1_000_000/mult {
		return 0, fmt.Errorf("monitor count %q: want 1..1000000 (k = 1000)", s)
	}
	return n * mult, nil
}

// count prints a monitor count the way the table does: 500, 1k, 2.5k, 100k.
func count(n int) string {
	if n < 1000 {
		return strconv.Itoa(n)
	}
	return strconv.FormatFloat(float64(n)/1000, 'f', -1, 64) + "k"
}

// shortDur prints 60s as "60s", 2m as "2m", 1.5s as "1.5s".
func shortDur(d time.Duration) string {
	if d%time.Minute == 0 && d >= 2*time.Minute {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// execute builds custodes and runs every row; the report holds whatever
// was measured even when a row failed.
func execute(ctx context.Context, o options, stdout, stderr io.Writer) (*report, error) {
	if err := checkModuleRoot(); err != nil {
		return nil, err
	}
	rep := newReport(o)
	h := &harness{opts: o, webHost: "127.0.0.1", stdout: stdout}
	var err error
	if h.workDir = o.workDir; h.workDir == "" {
		if h.workDir, err = os.MkdirTemp("", "custodes-bench-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(h.workDir, 0o755); err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintf(stderr, "bench: keeping %s\n", h.workDir)
	} else {
		defer os.RemoveAll(h.workDir)
	}
	rep.Machine.Filesystem = fsType(h.workDir)
	if rep.Machine.Filesystem == "tmpfs" {
		rep.Errors = append(rep.Errors, "the work dir is on tmpfs: write_bytes will read 0; use -workdir on a disk")
	}
	progress := func(format string, args ...any) {
		fmt.Fprintf(stderr, "bench: %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}

	progress("building custodes")
	h.bin = filepath.Join(h.workDir, "custodes")
	build := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-o", h.bin, "./cmd/custodes")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building custodes: %w\n%s", err, out)
	}
	var hosts []string
	for i := range o.targetHosts {
		hosts = append(hosts, fmt.Sprintf("127.0.0.%d", i+1))
	}
	if h.target, err = startTarget(hosts, o.keepAlive); err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	defer h.target.close()
	if h.sink, err = startSink(); err != nil {
		return nil, fmt.Errorf("webhook sink: %w", err)
	}
	defer h.sink.close()

	fail := func(what string, err error) {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", what, err))
		progress("%s: FAILED: %v", what, err)
	}
	for _, spec := range o.sizes {
		progress("row %s: %d monitors every %s, window %s", spec.Name, spec.Monitors, spec.Interval, spec.Window)
		row, err := h.runLoad(ctx, spec)
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if err != nil {
			fail("row "+spec.Name, err)
			continue
		}
		rep.Rows = append(rep.Rows, row)
		progress("  achieved %.0f/s of %.0f/s, %.3f CPU ms/check, RSS %.1f MB", row.AchievedPerS, row.AskedPerS, row.CPUPerCheckMS, mb(row.RSSBytes))
	}
	for _, n := range o.maxRate {
		spec := loadSpec{Kind: "maxrate", Monitors: n, Interval: o.maxRateInterval, Window: o.maxRateWindow,
			Name: fmt.Sprintf("max %s@%s", count(n), shortDur(o.maxRateInterval))}
		progress("row %s: %d monitors every %s, window %s", spec.Name, n, spec.Interval, spec.Window)
		row, err := h.runLoad(ctx, spec)
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if err != nil {
			fail("row "+spec.Name, err)
			break
		}
		rep.Rows = append(rep.Rows, row)
		progress("  achieved %.0f/s of %.0f/s, %.3f CPU ms/check, queue delay %.1f ms", row.AchievedPerS, row.AskedPerS, row.CPUPerCheckMS, row.QueueDelayMS)
		if !row.Sustained {
			break
		}
	}
	if o.trials > 0 {
		progress("detection: %d outages of a 1s monitor with failure-threshold 1", o.trials)
		d, err := h.runDetection(ctx, o.trials)
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if err != nil {
			fail("detection", err)
		} else {
			rep.Detection = d
		}
	}
	if o.cluster && o.trials > 0 {
		progress("cluster: %d nodes, %d monitors every %s, %d failover trials", clusterSize, o.clusterMonitors, o.clusterInterval, o.trials)
		c, err := h.runCluster(ctx, o.clusterMonitors, o.clusterInterval, o.clusterWindow, o.trials)
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		rep.Cluster = c
		if err != nil {
			fail("cluster", err)
		} else if !c.Available {
			progress("%s", c.Reason)
		}
	}
	rep.finish()
	return rep, nil
}

// checkModuleRoot makes sure paths like ./cmd/custodes and bench/out mean
// what they should.
func checkModuleRoot() error {
	b, err := os.ReadFile("go.mod")
	if err != nil || !strings.Contains(string(b), "module github.com/custodes/custodes\n") {
		return fmt.Errorf("run me from the custodes repository root (go run ./bench): no custodes go.mod here")
	}
	return nil
}

// goTool is $GO or the go command on $PATH.
func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// fsType names the file system holding dir (tmpfs matters: no disk writes).
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "unknown"
	}
	switch st.Type {
	case 0x01021994:
		return "tmpfs"
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x794c7630:
		return "overlayfs"
	}
	return fmt.Sprintf("0x%x", st.Type)
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// validate rejects a saved report the table and chart cannot draw.
func (r *report) validate() error {
	for i, row := range r.Rows {
		if row.Monitors <= 0 {
			return fmt.Errorf("rows[%d] (%q): monitors %d, want > 0", i, row.Name, row.Monitors)
		}
	}
	if c := r.Cluster; c != nil && c.Load != nil {
		if c.Load.Monitors <= 0 || !strings.HasPrefix(c.Load.Name, "cluster ") {
			return fmt.Errorf("cluster.load: name %q, monitors %d: want \"cluster ...\" and > 0", c.Load.Name, c.Load.Monitors)
		}
	}
	return nil
}
