// Command soak is custodes' randomized fault soak: it starts a real
// 3- (or 5-) node cluster, a target server and a webhook sink, plays a
// schedule derived from a seed (target outages of several kinds, node
// kills, freezes, partitions and clock offsets), writes and reads monitors
// through the API meanwhile, and at the end checks the notification
// invariants over the sink's log and the API history for
// linearizability. See bench/soak/README.md.
//
//	go run ./bench/soak -duration 10m [-seed N] [-nodes 3|5]
//
// Exit status: 0 every invariant held, 1 a violation (the event log around
// it is printed and saved under -out), 2 the soak itself could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the command line.
type options struct {
	duration time.Duration
	settle   time.Duration
	seed     uint64
	nodes    int
	monitors int
	clients  int
	keys     int
	interval time.Duration
	bin      string
	out      string
	netns    bool
	verbose  bool
	// staleReadsFail: a read missing an acknowledged write fails the run
	// (else it is reported only).
	staleReadsFail bool
	faults         []faultKind // the fault kinds to inject
}

// Fixed alert thresholds of the soak monitors (see shortMax).
const (
	failureThreshold = minFailureThreshold
	successThreshold = 2
)

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 10*time.Minute, "length of the fault schedule (start-up and settling come on top)")
	fs.DurationVar(&o.settle, "settle", 30*time.Second, "quiet period after the schedule before the checks (20s to 2m)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the schedule (0: a random one, printed)")
	fs.IntVar(&o.nodes, "nodes", 3, "cluster size: 3 or 5")
	fs.IntVar(&o.monitors, "monitors", 8, "monitors with scripted outages (0: none, an API and fault soak)")
	fs.IntVar(&o.clients, "clients", 3, "concurrent API clients for the linearizability check")
	fs.IntVar(&o.keys, "keys", 3, "monitors the API clients create, update, delete and read")
	fs.DurationVar(&o.interval, "interval", time.Second, "check interval of the soak monitors")
	fs.StringVar(&o.bin, "bin", "", "custodes binary to run (default: build ./cmd/custodes)")
	fs.StringVar(&o.out, "out", "", "where a failed run leaves its event log, node logs and linearizability HTML (default: bench/out of the module)")
	fs.BoolVar(&o.netns, "netns", true, "as root, put nodes in network namespaces (needed for partitions)")
	fs.BoolVar(&o.verbose, "v", false, "print the event log as it happens")
	faults := fs.String("faults", "kill,stop,partition,clock", "fault kinds to inject, comma-separated (\"none\" for none)")
	staleReads := fs.String("stale-reads", "fail", "a read that misses an acknowledged write: fail the run, or report it only")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.nodes != 3 && o.nodes != 5:
		return o, fmt.Errorf("-nodes %d: want 3 or 5", o.nodes)
	case o.duration < time.Minute || o.duration > 4*time.Hour:
		// The maintenance window spans 6 h from an hour before the start.
		return o, fmt.Errorf("-duration %s: want 1m to 4h", o.duration)
	case o.settle < 20*time.Second || o.settle > 2*time.Minute:
		return o, fmt.Errorf("-settle %s: want 20s to 2m", o.settle)
	case o.monitors != 0 && (o.monitors < 4 || o.monitors > 100):
		return o, fmt.Errorf("-monitors %d: want 0 (no outages) or 4 to 100 (4 so that every outage kind appears)", o.monitors)
	case o.clients < 0 || o.clients > 20:
		return o, fmt.Errorf("-clients %d: want 0 (no API traffic) to 20", o.clients)
	case o.keys < 1 || o.keys > 20:
		return o, fmt.Errorf("-keys %d: want 1 to 20", o.keys)
	case *staleReads != "fail" && *staleReads != "report":
		return o, fmt.Errorf("-stale-reads %q: want fail or report", *staleReads)
	case o.interval < 500*time.Millisecond || o.interval > 3*time.Second:
		// Long outages last 20 s at least: 6 failing checks need ≤ 3 s.
		return o, fmt.Errorf("-interval %s: want 500ms to 3s", o.interval)
	}
	o.staleReadsFail = *staleReads == "fail"
	if o.out == "" {
		o.out = filepath.Join("bench", "out")
		if root, err := moduleRoot(); err == nil {
			o.out = filepath.Join(root, "bench", "out")
		}
	}
	if *faults != "none" {
		seen := map[faultKind]bool{}
		for _, f := range strings.Split(*faults, ",") {
			k := faultKind(strings.TrimSpace(f))
			switch k {
			case faultKill, faultStop, faultPartition, faultClock:
			default:
				return o, fmt.Errorf("-faults: unknown kind %q: want kill, stop, partition, clock or none", f)
			}
			if !seen[k] {
				seen[k] = true
				o.faults = append(o.faults, k)
			}
		}
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano()) % 1_000_000_000
	}
	return o, nil
}

// run is the whole soak; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 2
	}
	fmt.Fprintf(stdout, "soak: seed %d; replay with: %s\n", o.seed, replayCommand(o))
	fmt.Fprintf(stdout, "soak: load average at start: %s\n", loadAverage())
	res, err := soak(ctx, o, stdout)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "soak: interrupted; processes and namespaces cleaned up")
		} else {
			fmt.Fprintln(stderr, "soak:", err)
		}
		return 2
	}
	if !res {
		fmt.Fprintf(stdout, "soak: load average at the end: %s\n", loadAverage())
		fmt.Fprintf(stdout, "soak: FAILED (seed %d)\n", o.seed)
		return 1
	}
	fmt.Fprintf(stdout, "soak: load average at the end: %s\n", loadAverage())
	fmt.Fprintf(stdout, "soak: PASSED (seed %d)\n", o.seed)
	return 0
}

// replayCommand is the command line that replays this run's schedule.
func replayCommand(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "go run ./bench/soak -seed %d -duration %s -nodes %d", o.seed, o.duration, o.nodes)
	def, _ := parseFlags(nil, io.Discard)
	if o.settle != def.settle {
		fmt.Fprintf(&b, " -settle %s", o.settle)
	}
	if o.monitors != def.monitors {
		fmt.Fprintf(&b, " -monitors %d", o.monitors)
	}
	if o.clients != def.clients {
		fmt.Fprintf(&b, " -clients %d", o.clients)
	}
	if o.keys != def.keys {
		fmt.Fprintf(&b, " -keys %d", o.keys)
	}
	if o.interval != def.interval {
		fmt.Fprintf(&b, " -interval %s", o.interval)
	}
	if fmt.Sprint(o.faults) != fmt.Sprint(def.faults) {
		var ks []string
		for _, k := range o.faults {
			ks = append(ks, string(k))
		}
		if len(ks) == 0 {
			ks = []string{"none"}
		}
		fmt.Fprintf(&b, " -faults %s", strings.Join(ks, ","))
	}
	if !o.netns {
		b.WriteString(" -netns=false")
	}
	if !o.staleReadsFail {
		b.WriteString(" -stale-reads report")
	}
	return b.String()
}

// loadAverage is /proc/loadavg's first three fields: timing faults on an
// overloaded machine (elections without a fault) are worth knowing about.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
