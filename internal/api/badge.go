package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Gatus's badge colours, best to worst.
const (
	colorAwesome  = "#40cc11"
	colorGreat    = "#94cc11"
	colorGood     = "#ccd311"
	colorPassable = "#ccb311"
	colorBad      = "#cc8111"
	colorVeryBad  = "#c7130a"
)

// defaultResponseTimeThresholds is Gatus's ui.badge.response-time default,
// in milliseconds.
var defaultResponseTimeThresholds = [5]int{50, 200, 300, 500, 750}

// uptimeColor grades an uptime (0..1) with Gatus's steps.
func uptimeColor(uptime float64) string {
	switch {
	case uptime >= 0.975:
		return colorAwesome
	case uptime >= 0.95:
		return colorGreat
	case uptime >= 0.9:
		return colorGood
	case uptime >= 0.8:
		return colorPassable
	case uptime >= 0.65:
		return colorBad
	}
	return colorVeryBad
}

// responseTimeColor grades an average response time against the monitor's
// five ascending thresholds (all zero: Gatus's defaults): at or under the
// first is awesome, ..., over the fifth very bad.
func responseTimeColor(ms int, thresholds [5]int) string {
	if thresholds == [5]int{} {
		thresholds = defaultResponseTimeThresholds
	}
	colors := [5]string{colorAwesome, colorGreat, colorGood, colorPassable, colorBad}
	for i, t := range thresholds {
		if ms <= t {
			return colors[i]
		}
	}
	return colorVeryBad
}

func healthColor(h health) string {
	switch h {
	case healthUp:
		return colorAwesome
	case healthDown:
		return colorVeryBad
	}
	return colorPassable
}

// wideLabel reports whether a window name takes Gatus's wider label (the
// three-character names 24h, 30d and 90d).
func wideLabel(windowName string) bool { return len(windowName) >= 3 }

// uptimeBadgeSVG draws "uptime <window> | 99.5%" as Gatus does: the value
// has two decimals at most, trailing zeros dropped.
func uptimeBadgeSVG(windowName string, uptime float64) []byte {
	labelWidth := 65
	if wideLabel(windowName) {
		labelWidth = 70
	}
	value := strconv.FormatFloat(uptime*100, 'f', 2, 64)
	value = strings.TrimRight(strings.TrimRight(value, "0"), ".") + "%"
	valueWidth := len(value) * 11
	if strings.Contains(value, ".") {
		valueWidth -= 10
	}
	return badgeSVG("uptime "+windowName, labelWidth, value, valueWidth, uptimeColor(uptime))
}

// responseTimeBadgeSVG draws "response time <window> | 123ms".
func responseTimeBadgeSVG(windowName string, ms int, thresholds [5]int) []byte {
	labelWidth := 105
	if wideLabel(windowName) {
		labelWidth = 110
	}
	value := strconv.Itoa(ms) + "ms"
	return badgeSVG("response time "+windowName, labelWidth, value, len(value)*11, responseTimeColor(ms, thresholds))
}

// healthBadgeSVG draws "health | up", "health | down" or "health | ?".
func healthBadgeSVG(h health) []byte {
	valueWidth := map[health]int{healthUp: 28, healthDown: 44, healthUnknown: 10}[h]
	return badgeSVG("health", 48, string(h), valueWidth, healthColor(h))
}

// badgeSVG lays out a two-part badge in Gatus's (shields-like) style: a
// grey label on the left, the coloured value on the right, each text drawn
// twice for the shadow. label and value are plain ASCII made here.
func badgeSVG(label string, labelWidth int, value string, valueWidth int, color string) []byte {
	width := labelWidth + valueWidth
	labelX, valueX := labelWidth/2, labelWidth+valueWidth/2
	var b strings.Builder
	fmt.Fprintf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"20\">\n", width)
	b.WriteString("  <linearGradient id=\"b\" x2=\"0\" y2=\"100%\">\n" +
		"    <stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/>\n" +
		"    <stop offset=\"1\" stop-opacity=\".1\"/>\n" +
		"  </linearGradient>\n")
	fmt.Fprintf(&b, "  <mask id=\"a\">\n    <rect width=\"%d\" height=\"20\" rx=\"3\" fill=\"#fff\"/>\n  </mask>\n", width)
	b.WriteString("  <g mask=\"url(#a)\">\n")
	fmt.Fprintf(&b, "    <path fill=\"#555\" d=\"M0 0h%dv20H0z\"/>\n", labelWidth)
	fmt.Fprintf(&b, "    <path fill=\"%s\" d=\"M%d 0h%dv20H%dz\"/>\n", color, labelWidth, valueWidth, labelWidth)
	fmt.Fprintf(&b, "    <path fill=\"url(#b)\" d=\"M0 0h%dv20H0z\"/>\n", width)
	b.WriteString("  </g>\n")
	b.WriteString("  <g fill=\"#fff\" text-anchor=\"middle\" font-family=\"DejaVu Sans,Verdana,Geneva,sans-serif\" font-size=\"11\">\n")
	for _, t := range []struct {
		x    int
		text string
	}{{labelX, label}, {valueX, value}} {
		fmt.Fprintf(&b, "    <text x=\"%d\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\">\n      %s\n    </text>\n", t.x, t.text)
		fmt.Fprintf(&b, "    <text x=\"%d\" y=\"14\">\n      %s\n    </text>\n", t.x, t.text)
	}
	b.WriteString("  </g>\n</svg>")
	return []byte(b.String())
}

// shieldsBadge is the shields.io endpoint schema; the fields are in the
// order Gatus's encoder writes them.
type shieldsBadge struct {
	Color         string `json:"color"`
	Label         string `json:"label"`
	Message       string `json:"message"`
	SchemaVersion int    `json:"schemaVersion"`
}

// shieldsLabel is the badge's left-hand text (Gatus writes "gatus").
const shieldsLabel = "custodes"

func healthShieldsJSON(h health) []byte {
	color := "yellow"
	switch h {
	case healthUp:
		color = "brightgreen"
	case healthDown:
		color = "red"
	}
	body, _ := json.Marshal(shieldsBadge{Color: color, Label: shieldsLabel, Message: string(h), SchemaVersion: 1})
	return body // marshalling four plain fields cannot fail
}
