package main

import (
	"fmt"
	"math"
)

// goal is one product goal and how this run did against it.
type goal struct {
	Goal     string `json:"goal"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      *bool  `json:"met"` // nil: not measured in this run
	Basis    string `json:"basis"`
}

// Verdict is "met", "MISSED" or "n/a".
func (g goal) Verdict() string {
	switch {
	case g.Met == nil:
		return "n/a"
	case *g.Met:
		return "met"
	}
	return "MISSED"
}

func verdict(ok bool) *bool { return &ok }

// The product goals.
const (
	goalCPUPerCheckMS   = 0.2
	goalChecksPerS      = 5000
	goalStoredPerResult = 64
	goalWrittenPerCheck = 512
	goalRSSBytes10k     = 40 << 20
	goalNotifyMS        = 100
	goalFailoverMS      = 3000
)

// sustainedRows are the single-node rows that kept up with their asked rate.
func sustainedRows(rows []loadRow) []loadRow {
	var out []loadRow
	for _, r := range rows {
		if r.Sustained && r.Kind != "cluster" {
			out = append(out, r)
		}
	}
	return out
}

// largest is the row with the largest f over rows; ok is false for none.
func largest(rows []loadRow, f func(loadRow) float64) (loadRow, float64, bool) {
	best, v := loadRow{}, math.Inf(-1)
	for _, r := range rows {
		if x := f(r); x > v {
			best, v = r, x
		}
	}
	return best, v, len(rows) > 0
}

func evaluateGoals(r *report) []goal {
	sus := sustainedRows(r.Rows)
	var gs []goal

	g := goal{Goal: "CPU per HTTP check", Target: fmt.Sprintf("<= %.1f ms", goalCPUPerCheckMS), Basis: "worst sustained single-node row"}
	if row, v, ok := largest(sus, func(r loadRow) float64 { return r.CPUPerCheckMS }); ok {
		g.Measured, g.Met = fmt.Sprintf("%.3f ms (%s)", v, row.Name), verdict(v <= goalCPUPerCheckMS)
	}
	gs = append(gs, g)

	g = goal{Goal: "sustained checks/s", Target: fmt.Sprintf(">= %d", goalChecksPerS), Basis: "best sustained single-node row"}
	if row, v, ok := largest(sus, func(r loadRow) float64 { return r.AchievedPerS }); ok {
		g.Measured, g.Met = fmt.Sprintf("%.0f/s (%s)", v, row.Name), verdict(v >= goalChecksPerS)
	}
	gs = append(gs, g)

	// Judged from readiness (config loaded, store open, scheduler started):
	// the goal is about spreading the checks, and start-up is shown apart.
	g = goal{Goal: "10k monitors all checked once", Target: "within one interval of start", Basis: "first 10k row, from /readyz (and from exec)"}
	for _, row := range r.Rows {
		if row.Monitors == 10000 && row.Kind == "size" {
			if row.FirstPassS < 0 {
				g.Measured, g.Met = "not within the run", verdict(false)
			} else {
				fromReady := row.FirstPassS - row.ReadyS
				g.Measured = fmt.Sprintf("%.1f s (interval %.0f s; %.1f s from exec)", fromReady, row.IntervalS, row.FirstPassS)
				g.Met = verdict(fromReady <= row.IntervalS)
			}
			break
		}
	}
	gs = append(gs, g)

	g = goal{Goal: "stored bytes per result", Target: fmt.Sprintf("<= %d B", goalStoredPerResult), Basis: "worst single-node row: db file / results"}
	if row, v, ok := largest(singleRows(r.Rows), func(r loadRow) float64 { return r.StoredPerRes }); ok {
		g.Measured, g.Met = fmt.Sprintf("%.1f B (%s)", v, row.Name), verdict(v <= goalStoredPerResult)
	}
	gs = append(gs, g)

	g = goal{Goal: "bytes written per check", Target: fmt.Sprintf("<= %d B", goalWrittenPerCheck), Basis: "worst sustained single-node row"}
	if row, v, ok := largest(sus, func(r loadRow) float64 { return r.WrittenPerChk }); ok {
		g.Measured, g.Met = fmt.Sprintf("%.0f B (%s)", v, row.Name), verdict(v <= goalWrittenPerCheck)
	}
	gs = append(gs, g)

	g = goal{Goal: "RSS with 10k monitors", Target: "<= 40 MB", Basis: "first 10k row, VmRSS at the window's end"}
	for _, row := range r.Rows {
		if row.Monitors == 10000 && row.Kind == "size" {
			g.Measured = fmt.Sprintf("%.1f MB (peak %.1f MB)", mb(row.RSSBytes), mb(row.PeakRSSBytes))
			g.Met = verdict(row.RSSBytes <= goalRSSBytes10k)
			break
		}
	}
	gs = append(gs, g)

	g = goal{Goal: "notification after the crossing check", Target: fmt.Sprintf("<= %d ms", goalNotifyMS), Basis: "single node, max of the trials"}
	if d := r.Detection; d != nil && len(d.Trials) > 0 {
		complete := true
		for _, t := range d.Trials {
			complete = complete && t.NotifyMS >= 0
		}
		g.Measured = fmt.Sprintf("median %.0f ms, max %.0f ms (%d trials)", d.NotifyMedianMS, d.NotifyMaxMS, len(d.Trials))
		g.Met = verdict(complete && d.NotifyMaxMS <= goalNotifyMS)
	}
	gs = append(gs, g)

	g = goal{Goal: "failover (leader SIGKILL -> pending notification)", Target: "<= 3 s median", Basis: "3-node cluster"}
	switch c := r.Cluster; {
	case c != nil && !c.Available:
		g.Measured = "cluster: not available"
	case c != nil && len(c.Failover) > 0:
		g.Measured = fmt.Sprintf("median %.2f s, max %.2f s (%d trials)", c.FailoverMedianMS/1000, c.FailoverMaxMS/1000, len(c.Failover))
		g.Met = verdict(c.FailoverMedianMS <= goalFailoverMS)
	}
	gs = append(gs, g)
	return gs
}

// singleRows are the single-node rows, sustained or not.
func singleRows(rows []loadRow) []loadRow {
	var out []loadRow
	for _, r := range rows {
		if r.Kind != "cluster" {
			out = append(out, r)
		}
	}
	return out
}
