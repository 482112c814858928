package main

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// Chart geometry: two panels side by side.
const (
	chartW, chartH = 900, 320
	panelW         = 360
	panelH         = 220
	panelTop       = 40
	panelLeft      = 70 // of the first panel; the second is panelW+110 further
	panelGap       = 430
)

var seriesColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// panel is one plot: y against monitors (log x).
type panel struct {
	title  string
	y      func(loadRow) float64
	format string  // of the y tick labels
	goal   float64 // dashed line; 0 for none
	goalAt string  // its label
}

// renderChart draws achieved checks/s and CPU ms/check against the number
// of monitors for the single-node rows, one line per check interval.
func renderChart(rows []loadRow) string {
	rows = singleRows(rows)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		chartW, chartH, chartW, chartH)
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	if len(rows) == 0 {
		b.WriteString(`<text x="20" y="40">no single-node rows were measured</text>` + "\n</svg>\n")
		return b.String()
	}
	series := seriesOf(rows)
	panels := []panel{
		{title: "achieved checks/s", y: func(r loadRow) float64 { return r.AchievedPerS }, format: "%.0f", goal: goalChecksPerS, goalAt: "goal 5000/s"},
		{title: "custodes CPU ms per check", y: func(r loadRow) float64 { return r.CPUPerCheckMS }, format: "%.2f", goal: goalCPUPerCheckMS, goalAt: "goal 0.2 ms"},
	}
	lo, hi := xDomain(rows)
	for i, p := range panels {
		drawPanel(&b, float64(panelLeft+i*panelGap), p, series, lo, hi)
	}
	// Legend: one entry per interval.
	for i, s := range series {
		x := panelLeft + i*110
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/><text x="%d" y="%d">every %s</text>`+"\n",
			x, chartH-16, x+20, chartH-16, s.color, x+26, chartH-12, html.EscapeString(s.label))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

type series struct {
	label string
	color string
	rows  []loadRow // by monitors
}

// seriesOf groups rows by interval, shortest interval first.
func seriesOf(rows []loadRow) []series {
	var out []series
	for _, r := range rows {
		label := shortDur(secondsDur(r.IntervalS))
		i := slices.IndexFunc(out, func(s series) bool { return s.label == label })
		if i < 0 {
			out = append(out, series{label: label})
			i = len(out) - 1
		}
		out[i].rows = append(out[i].rows, r)
	}
	slices.SortFunc(out, func(a, b series) int { return cmpFloat(a.rows[0].IntervalS, b.rows[0].IntervalS) })
	for i := range out {
		out[i].color = seriesColors[i%len(seriesColors)]
		slices.SortFunc(out[i].rows, func(a, b loadRow) int { return a.Monitors - b.Monitors })
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// xDomain is the decades around the monitor counts: [10^a, 10^b], a < b.
func xDomain(rows []loadRow) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		lo, hi = min(lo, float64(r.Monitors)), max(hi, float64(r.Monitors))
	}
	a, b := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if b <= a {
		b = a + 1
	}
	return math.Pow(10, a), math.Pow(10, b)
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func drawPanel(b *strings.Builder, left float64, p panel, ss []series, xlo, xhi float64) {
	top := float64(panelTop)
	ymax := p.goal
	for _, s := range ss {
		for _, r := range s.rows {
			ymax = max(ymax, p.y(r))
		}
	}
	ymax = niceCeil(ymax * 1.05)
	px := func(m float64) float64 {
		return left + panelW*(math.Log10(m)-math.Log10(xlo))/(math.Log10(xhi)-math.Log10(xlo))
	}
	py := func(v float64) float64 { return top + panelH*(1-v/ymax) }

	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" font-size="13" font-weight="bold">%s</text>`+"\n", left, top-14, html.EscapeString(p.title))
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", left, top, panelW, panelH)
	for i := 0; i <= 5; i++ {
		v := ymax * float64(i) / 5
		y := py(v)
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#eee"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			left, y, left+panelW, y, left-4, y+4, fmt.Sprintf(p.format, v))
	}
	for m := xlo; m <= xhi*1.0001; m *= 10 {
		x := px(m)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#eee"/><text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n",
			x, top, x, top+panelH, x, top+panelH+14, count(int(m)))
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%.0f" text-anchor="middle">monitors (log scale)</text>`+"\n", left+panelW/2, top+panelH+30)
	if p.goal > 0 {
		y := py(p.goal)
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#555" stroke-dasharray="5,4"/><text x="%.0f" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n",
			left, y, left+panelW, y, left+panelW-4, y-4, html.EscapeString(p.goalAt))
	}
	for _, s := range ss {
		var pts []string
		for _, r := range s.rows {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(float64(r.Monitors)), py(p.y(r))))
		}
		if len(pts) > 1 {
			fmt.Fprintf(b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), s.color)
		}
		for i, r := range s.rows {
			fill := s.color
			if !r.Sustained {
				fill = "white" // hollow: not sustained
			}
			x, y, _ := strings.Cut(pts[i], ",")
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="4" fill="%s" stroke="%s" stroke-width="2"><title>%s: %s</title></circle>`+"\n",
				x, y, fill, s.color, html.EscapeString(r.Name), fmt.Sprintf(p.format, p.y(r)))
		}
	}
}
