package api

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// hourlyAverages resolves {duration} (chart windows) and {key} and reads
// the monitor's hourly rollups over the window. On failure it has answered
// and returns ok=false.
func (s *server) hourlyAverages(w http.ResponseWriter, r *http.Request) (spec *monitor.Spec, win window, from, to time.Time, hours []history.Hour, ok bool) {
	win, err := parseWindow(r.PathValue("duration"), chartWindows)
	if err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	spec, found := s.lookup(r)
	if !found {
		textError(w, http.StatusNotFound, errEndpointNotFound)
		return
	}
	from, to = chartRange(s.now(), win)
	hours, err = s.history.Hourly(r.Context(), spec.Key, from, to)
	if err != nil {
		s.internalError(w, r, "read hourly stats of "+spec.Key, err)
		return
	}
	return spec, win, from, to, hours, true
}

// responseTimeHistoryJSON is Gatus's response-time history: hour starts in
// Unix milliseconds and the average response time of each, in whole
// milliseconds.
type responseTimeHistoryJSON struct {
	Timestamps []int64 `json:"timestamps"`
	Values     []int   `json:"values"`
}

// responseTimeHistory is GET .../response-times/{duration}/history. As
// Gatus, the hours from the start of the window to the first hour with
// results are filled with zeros; later hours without results are left out.
func (s *server) responseTimeHistory(w http.ResponseWriter, r *http.Request) {
	_, _, from, _, hours, ok := s.hourlyAverages(w, r)
	if !ok {
		return
	}
	out := responseTimeHistoryJSON{Timestamps: []int64{}, Values: []int{}}
	if len(hours) > 0 {
		for t := from; t.Before(hours[0].Start); t = t.Add(time.Hour) {
			out.Timestamps = append(out.Timestamps, t.UnixMilli())
			out.Values = append(out.Values, 0)
		}
		for _, h := range hours {
			out.Timestamps = append(out.Timestamps, h.Start.UnixMilli())
			out.Values = append(out.Values, meanMilliseconds(h.Stats))
		}
	}
	s.writeJSON(w, r, out)
}

// responseTimeChart is GET .../response-times/{duration}/chart.svg: the
// hourly average response time as an SVG line chart, or 204 without data,
// as Gatus.
func (s *server) responseTimeChart(w http.ResponseWriter, r *http.Request) {
	_, win, from, to, hours, ok := s.hourlyAverages(w, r)
	if !ok {
		return
	}
	if len(hours) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Cache-Control", "no-cache, no-store")
	w.Header().Set("Expires", "0")
	writeBody(w, "image/svg+xml", http.StatusOK, responseTimeChartSVG(hours, from, to, win))
}

// Chart geometry, in pixels: Gatus's 1280x300 canvas.
const (
	chartWidth   = 1280
	chartHeight  = 300
	chartLeft    = 70 // room for the y tick labels and axis name
	chartRight   = 20
	chartTop     = 15
	chartBottom  = 30 // room for the x tick labels
	chartPlotW   = chartWidth - chartLeft - chartRight
	chartPlotH   = chartHeight - chartTop - chartBottom
	chartGrid    = `stroke="#777777" stroke-opacity="0.16"`
	chartText    = "#777777"
	chartLine    = "#0074d9"
	chartYAxisAt = 14
)

// responseTimeChartSVG draws the hourly averages over [from, to): y from 0
// to 1.25 times the highest average (rounded up), hours without results
// left out of the line.
func responseTimeChartSVG(hours []history.Hour, from, to time.Time, win window) []byte {
	maxMs := 0.0
	for _, h := range hours {
		maxMs = math.Max(maxMs, float64(meanMilliseconds(h.Stats)))
	}
	yMax := math.Ceil(maxMs * 1.25)
	if yMax < 1 {
		yMax = 1
	}
	span := to.Sub(from).Seconds()
	x := func(t time.Time) float64 {
		return chartLeft + math.Max(0, math.Min(1, t.Sub(from).Seconds()/span))*chartPlotW
	}
	y := func(ms float64) float64 { return chartTop + chartPlotH - ms/yMax*chartPlotH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n",
		chartWidth, chartHeight, chartWidth, chartHeight)
	b.WriteString(`  <title>Average response time per hour</title>` + "\n")
	fmt.Fprintf(&b, `  <g font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11" fill="%s">`+"\n", chartText)
	// Horizontal grid and y ticks.
	step := niceStep(yMax / 5)
	for v := 0.0; v <= yMax+step/1e9; v += step {
		fmt.Fprintf(&b, `    <line x1="%d" y1="%.1f" x2="%d" y2="%.1f" %s/>`+"\n",
			chartLeft, y(v), chartLeft+chartPlotW, y(v), chartGrid)
		fmt.Fprintf(&b, `    <text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", chartLeft-6, y(v)+4, formatMs(v))
	}
	// Vertical grid and x ticks.
	every, layout := xTicks(win)
	for t := from.Truncate(every); !t.After(to); t = t.Add(every) {
		if t.Before(from) {
			continue
		}
		fmt.Fprintf(&b, `    <line x1="%.1f" y1="%d" x2="%.1f" y2="%d" %s/>`+"\n",
			x(t), chartTop, x(t), chartTop+chartPlotH, chartGrid)
		fmt.Fprintf(&b, `    <text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x(t), chartHeight-10, t.UTC().Format(layout))
	}
	fmt.Fprintf(&b, `    <text transform="translate(%d %d) rotate(-90)" text-anchor="middle">Average response time</text>`+"\n",
		chartYAxisAt, chartTop+chartPlotH/2)
	b.WriteString("  </g>\n")
	// The series.
	points := make([]string, len(hours))
	for i, h := range hours {
		points[i] = fmt.Sprintf("%.1f,%.1f", x(h.Start), y(float64(meanMilliseconds(h.Stats))))
	}
	fmt.Fprintf(&b, `  <polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", chartLine, strings.Join(points, " "))
	fmt.Fprintf(&b, `  <g fill="%s">`+"\n", chartLine)
	for i, h := range hours {
		fmt.Fprintf(&b, `    <circle cx="%s" r="2"><title>%s: %dms</title></circle>`+"\n",
			strings.Replace(points[i], ",", `" cy="`, 1), h.Start.UTC().Format(time.RFC3339), meanMilliseconds(h.Stats))
	}
	b.WriteString("  </g>\n</svg>\n")
	return []byte(b.String())
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return math.Max(1, m*p)
		}
	}
	return 10 * p
}

func formatMs(v float64) string { return fmt.Sprintf("%.0fms", v) }

// xTicks says how often the time axis is labelled and how.
func xTicks(win window) (time.Duration, string) {
	switch win.name {
	case "24h":
		return 3 * time.Hour, "3:04PM"
	case "7d":
		return day, "Jan 2"
	case "30d":
		return 5 * day, "Jan 2"
	}
	return 15 * day, "Jan 2"
}
