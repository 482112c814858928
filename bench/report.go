package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one run measured; it is written as results.json.
type report struct {
	StartedAt time.Time      `json:"started_at"`
	TookS     float64        `json:"took_s"`
	Args      []string       `json:"args"`
	Machine   machineInfo    `json:"machine"`
	Rows      []loadRow      `json:"rows"`
	Detection *detectResult  `json:"detection,omitempty"`
	Cluster   *clusterResult `json:"cluster,omitempty"`
	Goals     []goal         `json:"goals"`
	Errors    []string       `json:"errors,omitempty"`
}

type machineInfo struct {
	CPUs       int    `json:"cpus"`
	CPUModel   string `json:"cpu_model"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Filesystem string `json:"work_dir_filesystem"`
	MemTotalMB int64  `json:"mem_total_mb"`
}

func newReport(o options) *report {
	r := &report{StartedAt: time.Now(), Args: os.Args[1:]}
	r.Machine = machineInfo{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		r.Machine.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				r.Machine.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		if m, err := parseKB(f, "Mem"); err == nil {
			r.Machine.MemTotalMB = m["MemTotal"] / (1 << 20)
		}
		f.Close()
	}
	return r
}

func (r *report) finish() {
	r.TookS = time.Since(r.StartedAt).Seconds()
	r.Goals = evaluateGoals(r)
}

// printTable prints the one table, the goals and the notes.
func printTable(w io.Writer, r *report) {
	fmt.Fprintf(w, "\ncustodes bench: %d CPUs (%s), kernel %s, %s, work dir on %s\n\n",
		r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Kernel, r.Machine.Go, r.Machine.Filesystem)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "row\tmonitors\tasked/s\tachieved/s\tCPU ms/check\tRSS MB\twritten B/check\tstored B/result\tall checked once\tqueue delay ms\tdetection med/max ms\tnotify med/max ms\tfailover med/max s\t")
	dash := "-"
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%.3f\t%.1f\t%.0f\t%.1f\t%s\t%.1f\t%s\t%s\t%s\t\n",
			row.Name, count(row.Monitors), row.AskedPerS, achieved(row), row.CPUPerCheckMS, mb(row.RSSBytes),
			row.WrittenPerChk, row.StoredPerRes, firstPass(row), row.QueueDelayMS, dash, dash, dash)
	}
	if d := r.Detection; d != nil {
		fmt.Fprintf(tw, "detect 1@1s\t1\t1\t-\t-\t-\t-\t-\t-\t-\t%s\t%s\t-\t\n", medMax(d.DetectMedianMS, d.DetectMaxMS), medMax(d.NotifyMedianMS, d.NotifyMaxMS))
	}
	if c := r.Cluster; c != nil && c.Available {
		name, mons, asked, ach, cpu, rss, wr, fp, qd := "cluster 3 nodes", dash, dash, dash, dash, dash, dash, dash, dash
		if l := c.Load; l != nil {
			name = "3x " + l.Name[len("cluster "):]
			mons, asked, ach = count(l.Monitors), fmt.Sprintf("%.0f", l.AskedPerS), achieved(*l)
			cpu, rss, wr = fmt.Sprintf("%.3f", l.CPUPerCheckMS), fmt.Sprintf("%.1f", mb(l.RSSBytes)), fmt.Sprintf("%.0f", l.WrittenPerChk)
			fp, qd = firstPass(*l), fmt.Sprintf("%.1f", l.QueueDelayMS)
		}
		det, not := dash, dash
		if d := c.Detect; d != nil && len(d.Trials) > 0 {
			det, not = medMax(d.DetectMedianMS, d.DetectMaxMS), medMax(d.NotifyMedianMS, d.NotifyMaxMS)
		}
		fo := dash
		if len(c.Failover) > 0 {
			fo = fmt.Sprintf("%.2f/%.2f", c.FailoverMedianMS/1000, c.FailoverMaxMS/1000)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, mons, asked, ach, cpu, rss, wr, dash, fp, qd, det, not, fo)
	}
	tw.Flush()
	if c := r.Cluster; c != nil && c.Load != nil && c.Load.RaftCommandsPerS > 0 {
		fmt.Fprintf(w, "\ncluster: %.1f Raft commands/s committed over the window (%s monitors @%gs)\n",
			c.Load.RaftCommandsPerS, count(c.Load.Monitors), c.Load.IntervalS)
	}
	if c := r.Cluster; c != nil && !c.Available {
		fmt.Fprintf(w, "\n%s\n", firstLine(c.Reason)) // "cluster: not available: why"
	}

	fmt.Fprintln(w, "\ngoals:")
	gw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, g := range r.Goals {
		fmt.Fprintf(gw, "  %s\t%s\t%s\t%s\t%s\n", g.Verdict(), g.Goal, g.Target, g.Measured, g.Basis)
	}
	gw.Flush()

	var notes []string
	for _, row := range r.Rows {
		for _, n := range row.Notes {
			notes = append(notes, row.Name+": "+firstLine(n))
		}
	}
	if c := r.Cluster; c != nil && c.Load != nil {
		for _, n := range c.Load.Notes {
			notes = append(notes, "cluster: "+firstLine(n))
		}
	}
	if d := r.Detection; d != nil {
		for _, n := range d.Notes {
			notes = append(notes, "detection: "+n)
		}
	}
	notes = append(notes, r.Errors...)
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range notes {
			fmt.Fprintln(w, "  "+firstLine(n))
		}
	}
	fmt.Fprintln(w, "\n! = not sustained (achieved < 98% of asked). Per-check figures: custodes' /proc counters over the steady window")
	fmt.Fprintln(w, "divided by the checks the target served in it; stored B/result = database file / rows, after a clean stop.")
}

func achieved(r loadRow) string {
	s := fmt.Sprintf("%.0f", r.AchievedPerS)
	if !r.Sustained {
		s += "!"
	}
	return s
}

func firstPass(r loadRow) string {
	if r.FirstPassS < 0 {
		return "no"
	}
	return fmt.Sprintf("%.1fs", r.FirstPassS)
}

func medMax(med, mx float64) string { return fmt.Sprintf("%.0f/%.0f", med, mx) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// writeOutputs writes results.json and chart.svg into dir.
func writeOutputs(dir string, r *report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "chart.svg"), []byte(renderChart(r.Rows)), 0o644)
}
