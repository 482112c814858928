package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// loadSpec is one single-node load row: n monitors at one interval,
// measured over a steady window.
type loadSpec struct {
	Name     string
	Kind     string // "size" or "maxrate"
	Monitors int
	Interval time.Duration
	Window   time.Duration // steady window length
	// StopAfter, when set, caps the whole run (start to stop) and so
	// shortens the window: "100k @60s, stop after two minutes".
	StopAfter time.Duration
}

// loadRow is what one load run measured. Per-check figures divide by the
// target's request count over exactly the /proc window; the achieved rate
// is the custodes_checks_total delta between the two scrapes.
type loadRow struct {
	Name          string  `json:"name"`
	Kind          string  `json:"kind"`
	Monitors      int     `json:"monitors"`
	IntervalS     float64 `json:"interval_s"`
	AskedPerS     float64 `json:"asked_checks_per_s"`
	AchievedPerS  float64 `json:"achieved_checks_per_s"`
	TargetPerS    float64 `json:"target_requests_per_s"`
	Sustained     bool    `json:"sustained"`
	WindowS       float64 `json:"window_s"`
	Checks        float64 `json:"window_checks"`
	CPUPerCheckMS float64 `json:"cpu_ms_per_check"`
	CPUCores      float64 `json:"custodes_cpu_cores"`
	RSSBytes      int64   `json:"rss_bytes"`
	PeakRSSBytes  int64   `json:"peak_rss_bytes"`
	WrittenPerChk float64 `json:"written_bytes_per_check"`
	// FileWritesPerChk is wchar minus the bytes custodes sent the target:
	// what it handed to write(2) for files (database, WAL, Raft log, log
	// output); single-node rows only (a cluster also writes to peers).
	FileWritesPerChk float64 `json:"file_write_syscall_bytes_per_check,omitempty"`
	StoredPerRes     float64 `json:"stored_bytes_per_result"`
	HistoryPerRes    float64 `json:"history_table_bytes_per_result,omitempty"`
	DBBytes          int64   `json:"db_bytes"`
	ResultsStored    int64   `json:"results_stored"`
	ReadyS           float64 `json:"ready_after_s"`
	// StartupWritten is write_bytes from process start to the window.
	StartupWritten int64 `json:"startup_written_bytes"`
	// StartupFileWrites is wchar less the check requests, start to window.
	StartupFileWrites int64   `json:"startup_file_write_syscall_bytes"`
	FirstPassS        float64 `json:"all_checked_once_after_s"` // from process start; -1: not within the run
	QueueDelayMS      float64 `json:"mean_queue_delay_ms"`
	ConnsPerCheck     float64 `json:"new_connections_per_check"`
	HarnessCores      float64 `json:"harness_cpu_cores"`
	OthersCores       float64 `json:"other_processes_cpu_cores"`
	ScrapeCPUMS       float64 `json:"custodes_cpu_ms_per_scrape"`
	ScrapeS           float64 `json:"scrape_s"`
	// RaftCommandsPerS is the growth of a node's applied Raft index over
	// the window: the commands the cluster committed (cluster row only).
	RaftCommandsPerS float64  `json:"raft_commands_per_s,omitempty"`
	Notes            []string `json:"notes,omitempty"`
}

// sample is one instant of a window: custodes' /proc counters, the
// machine's and the harness's CPU, and the target's request counts.
type sample struct {
	proc    procSample
	machine machineCPU
	self    procSample
	hits    int64
	conns   int64
	recv    int64 // bytes the target read from custodes
}

func takeSample(pid int, t *target) (sample, error) {
	var s sample
	var err error
	if s.proc, err = readProc(pid); err != nil {
		return s, err
	}
	s.hits, s.conns, s.recv = t.hits.Load(), t.conns.Load(), t.received.Load()
	if s.machine, err = readMachineCPU(); err != nil {
		return s, err
	}
	s.self, err = readProc(os.Getpid())
	return s, err
}

// scrapeCounters reads the checks and queue-delay counters.
type counters struct {
	checks, delaySum, delayCount float64
	at                           time.Time
}

func scrapeCounters(ctx context.Context, n *node) (counters, error) {
	s, err := n.scrape(ctx, "custodes_checks_total", "custodes_scheduler_queue_delay_seconds")
	if err != nil {
		return counters{}, err
	}
	c := counters{at: time.Now()}
	var found int
	c.checks, found = promSum(s, "custodes_checks_total", nil)
	if found == 0 {
		return c, fmt.Errorf("%s: no custodes_checks_total in /metrics", n.name)
	}
	c.delaySum, _ = promSum(s, "custodes_scheduler_queue_delay_seconds_sum", nil)
	c.delayCount, _ = promSum(s, "custodes_scheduler_queue_delay_seconds_count", nil)
	return c, nil
}

// runLoad runs one single-node load row from a fresh data dir. When it
// fails with the node still up, the node's goroutines are dumped to its
// log first; when the node had died, the error says how.
func (h *harness) runLoad(ctx context.Context, spec loadSpec) (row loadRow, err error) {
	var n *node
	defer func() {
		if n == nil {
			return
		}
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w%s", err, h.postMortem(n))
		}
		n.kill()
	}()
	row, n, err = h.load(ctx, spec)
	return row, err
}

func (h *harness) load(ctx context.Context, spec loadSpec) (loadRow, *node, error) {
	row := loadRow{Name: spec.Name, Kind: spec.Kind, Monitors: spec.Monitors, IntervalS: spec.Interval.Seconds(),
		AskedPerS: float64(spec.Monitors) / spec.Interval.Seconds(), FirstPassS: -1}
	if note := h.waitQuiet(ctx); note != "" {
		row.Notes = append(row.Notes, note)
	}
	h.target.reset(spec.Monitors)
	recvAtStart := h.target.received.Load()
	port, err := freePort(h.webHost)
	if err != nil {
		return row, nil, err
	}
	cfg := nodeConfig{ID: "bench", WebHost: h.webHost, WebPort: port, Monitors: spec.Monitors, Interval: spec.Interval, Target: h.target}
	dir := filepath.Join(h.workDir, spec.Name)
	n, err := newNode(h.bin, spec.Name, dir, fmt.Sprintf("%s:%d", h.webHost, port), cfg.render())
	if err != nil {
		return row, n, err
	}
	if err := n.start(); err != nil {
		return row, nil, err
	}
	if err := n.waitReady(ctx, 5*time.Minute); err != nil {
		return row, n, err
	}
	row.ReadyS = time.Since(n.started).Seconds()

	// The steady window starts a settling time after every monitor has
	// been checked once (so the start-up burst has passed), waiting at
	// most firstPassWait for that; a stop-after cap ends it early.
	stop := time.Time{}
	if spec.StopAfter > 0 {
		stop = n.started.Add(spec.StopAfter)
	}
	capped := func(t time.Time) time.Time {
		if !stop.IsZero() && t.After(stop) {
			return stop
		}
		return t
	}
	firstPassBy := capped(time.Now().Add(firstPassWait(spec.Interval)))
	if err := waitUntil(ctx, firstPassBy, func() bool { _, all := h.target.progress(); return !all.IsZero() }); err != nil {
		return row, n, err
	}
	if seen, all := h.target.progress(); !all.IsZero() {
		row.FirstPassS = all.Sub(n.started).Seconds()
	} else {
		row.Notes = append(row.Notes, fmt.Sprintf("only %d of %d monitors checked by %s after start", seen, spec.Monitors,
			time.Since(n.started).Round(time.Second)))
	}
	pause := settle(spec.Interval)
	if !stop.IsZero() {
		pause = min(pause, time.Until(stop)/4) // leave most of a capped run to the window
	}
	if err := sleepUntil(ctx, time.Now().Add(pause)); err != nil {
		return row, n, err
	}
	windowEnd := capped(time.Now().Add(spec.Window))
	if time.Until(windowEnd) < 5*time.Second {
		return row, n, fmt.Errorf("%s: no steady window left before the stop (%s after start)", spec.Name, spec.StopAfter)
	}

	c0, err := scrapeCounters(ctx, n)
	if err != nil {
		return row, n, err
	}
	s0, err := takeSample(n.pid(), h.target)
	if err != nil {
		return row, n, err
	}
	if err := sleepUntil(ctx, windowEnd); err != nil {
		return row, n, err
	}
	s1, err := takeSample(n.pid(), h.target)
	if err != nil {
		return row, n, err
	}
	c1, err := scrapeCounters(ctx, n)
	if err != nil {
		return row, n, err
	}
	// The CPU of one scrape: the scrapes are outside the /proc window, but
	// this bounds what they may leave behind in it (garbage to collect).
	h.fillWindow(&row, s0, s1, c0, c1)
	row.StartupWritten = s0.proc.Written
	row.StartupFileWrites = max(0, s0.proc.WChar-(s0.recv-recvAtStart))
	if after, err := readProc(n.pid()); err == nil {
		// Less what checking cost meanwhile, at the window's rate.
		wall := after.At.Sub(s1.proc.At)
		row.ScrapeS = wall.Seconds()
		row.ScrapeCPUMS = max(0, (after.CPU-s1.proc.CPU).Seconds()-row.CPUCores*wall.Seconds()) * 1000
	}
	row.Sustained = row.AchievedPerS >= sustainedShare*row.AskedPerS
	if row.AchievedPerS > (2-sustainedShare)*row.AskedPerS {
		row.Notes = append(row.Notes, fmt.Sprintf("achieved %.0f/s is above the asked %.0f/s: the window still held start-up backlog",
			row.AchievedPerS, row.AskedPerS))
	}

	if err := n.stop(2 * time.Minute); err != nil {
		row.Notes = append(row.Notes, err.Error())
	}
	db, err := readDBStats(ctx, filepath.Join(dir, "data", "custodes.db"))
	if err != nil {
		return row, n, err
	}
	row.DBBytes, row.ResultsStored = db.FileBytes, db.Results
	row.StoredPerRes = ratio(float64(db.FileBytes), float64(db.Results))
	if db.TableBytes != nil {
		row.HistoryPerRes = ratio(float64(db.historyBytes()), float64(db.Results))
	}
	return row, n, nil
}

// firstPassWait is how long after readiness a row waits for every
// monitor to have been checked once: one interval and 10%, at least 10 s.
func firstPassWait(interval time.Duration) time.Duration {
	return max(interval+interval/10, 10*time.Second)
}

// settle is the pause between the first pass and the window: one more
// interval (at least 2 s, at most 60 s). custodes writes heavily while it
// records each monitor's first results (Raft observations, events), for
// about two passes; the window measures the steady state after that.
func settle(interval time.Duration) time.Duration {
	return min(max(interval, 2*time.Second), time.Minute)
}

// sustainedShare is how much of the asked rate counts as keeping up: the
// window holds N*window/interval due checks up to rounding at its edges.
const sustainedShare = 0.98

func (h *harness) fillWindow(row *loadRow, s0, s1 sample, c0, c1 counters) {
	w := s1.proc.At.Sub(s0.proc.At)
	row.WindowS = w.Seconds()
	hits := float64(s1.hits - s0.hits)
	row.Checks = c1.checks - c0.checks
	row.AchievedPerS = ratio(row.Checks, c1.at.Sub(c0.at).Seconds())
	row.TargetPerS = ratio(hits, w.Seconds())
	cpu := s1.proc.CPU - s0.proc.CPU
	row.CPUPerCheckMS = ratio(float64(cpu)/float64(time.Millisecond), hits)
	row.CPUCores = ratio(cpu.Seconds(), w.Seconds())
	row.RSSBytes, row.PeakRSSBytes = s1.proc.RSS, s1.proc.HWM
	row.WrittenPerChk = ratio(float64(s1.proc.Written-s0.proc.Written), hits)
	if row.Kind != "cluster" {
		files := (s1.proc.WChar - s0.proc.WChar) - (s1.recv - s0.recv)
		row.FileWritesPerChk = ratio(float64(max(files, 0)), hits)
	}
	row.QueueDelayMS = 1000 * ratio(c1.delaySum-c0.delaySum, c1.delayCount-c0.delayCount)
	row.ConnsPerCheck = ratio(float64(s1.conns-s0.conns), hits)
	self := s1.self.CPU - s0.self.CPU
	row.HarnessCores = ratio(self.Seconds(), w.Seconds())
	others := (s1.machine.Busy - s0.machine.Busy) - cpu - self
	row.OthersCores = max(0, ratio(others.Seconds(), w.Seconds()))
	if row.OthersCores > 0.1 {
		row.Notes = append(row.Notes, fmt.Sprintf("other processes used %.2f cores during the window: figures may be skewed", row.OthersCores))
	}
}

// waitUntil polls cond every 100 ms until it holds or deadline passes
// (not an error: the caller looks at what it got).
func waitUntil(ctx context.Context, deadline time.Time, cond func() bool) error {
	for !cond() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(t)):
		return nil
	}
}

// quietBelow is how much CPU (in cores) other processes may use for the
// machine to count as quiet before a row starts.
const quietBelow = 0.2

// waitQuiet waits up to h.opts.quietWait for other processes to use less
// than quietBelow cores over one second, so a row does not start in the
// middle of someone else's build. It returns a note when they did not.
func (h *harness) waitQuiet(ctx context.Context) string {
	if h.opts.quietWait <= 0 {
		return ""
	}
	deadline := time.Now().Add(h.opts.quietWait)
	var others float64
	for {
		m0, err0 := readMachineCPU()
		s0, err1 := readProc(os.Getpid())
		if err := sleepUntil(ctx, time.Now().Add(time.Second)); err != nil {
			return ""
		}
		m1, err2 := readMachineCPU()
		s1, err3 := readProc(os.Getpid())
		if err0 != nil || err1 != nil || err2 != nil || err3 != nil {
			return ""
		}
		others = ((m1.Busy - m0.Busy) - (s1.CPU - s0.CPU)).Seconds() / s1.At.Sub(s0.At).Seconds()
		if others < quietBelow || time.Now().After(deadline) {
			break
		}
	}
	if others < quietBelow {
		return ""
	}
	return fmt.Sprintf("the machine was not quiet when the row started (other processes: %.2f cores after waiting %s)", others, h.opts.quietWait)
}
