package api

import (
	"net/http"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/monitor"
)

// badge is what a badge SVG shows.
type badge struct {
	width        int
	color        string
	label, value string
}

var (
	badgeWidthRE = regexp.MustCompile(`^<svg xmlns="http://www.w3.org/2000/svg" width="(\d+)" height="20">`)
	badgeColorRE = regexp.MustCompile(`<path fill="(#[0-9a-f]+)" d="M\d+ 0h`)
	badgeTextRE  = regexp.MustCompile(`<text x="\d+" y="14">\n      ([^\n]*)\n    </text>`)
)

func parseBadge(t *testing.T, svg string) badge {
	t.Helper()
	w := badgeWidthRE.FindStringSubmatch(svg)
	c := badgeColorRE.FindAllStringSubmatch(svg, -1)
	texts := badgeTextRE.FindAllStringSubmatch(svg, -1)
	if w == nil || len(c) != 2 || len(texts) != 2 {
		t.Fatalf("not a badge:\n%s", svg)
	}
	width, _ := strconv.Atoi(w[1])
	return badge{width: width, color: c[1][1], label: texts[0][1], value: texts[1][1]}
}

func TestUptimeBadgeGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/uptime-7d-99.5.svg")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(uptimeBadgeSVG("7d", 0.995))); diff != "" {
		t.Errorf("uptime badge (-want +got):\n%s", diff)
	}
}

func TestUptimeBadgeThresholds(t *testing.T) {
	cases := []struct {
		uptime float64
		window string
		want   badge
	}{
		{1, "7d", badge{65 + 44, colorAwesome, "uptime 7d", "100%"}},
		{1, "24h", badge{70 + 44, colorAwesome, "uptime 24h", "100%"}},
		{1, "90d", badge{70 + 44, colorAwesome, "uptime 90d", "100%"}},
		{0.975, "1h", badge{65 + 45, colorAwesome, "uptime 1h", "97.5%"}},
		{0.9749, "30d", badge{70 + 56, colorGreat, "uptime 30d", "97.49%"}},
		{0.95, "7d", badge{65 + 33, colorGreat, "uptime 7d", "95%"}},
		{0.9499, "7d", badge{65 + 56, colorGood, "uptime 7d", "94.99%"}},
		{0.9, "7d", badge{65 + 33, colorGood, "uptime 7d", "90%"}},
		{0.8999, "7d", badge{65 + 56, colorPassable, "uptime 7d", "89.99%"}},
		{0.8, "7d", badge{65 + 33, colorPassable, "uptime 7d", "80%"}},
		{0.65, "7d", badge{65 + 33, colorBad, "uptime 7d", "65%"}},
		{0.6499, "7d", badge{65 + 56, colorVeryBad, "uptime 7d", "64.99%"}},
		{0, "7d", badge{65 + 22, colorVeryBad, "uptime 7d", "0%"}},
	}
	for _, c := range cases {
		if got := parseBadge(t, string(uptimeBadgeSVG(c.window, c.uptime))); got != c.want {
			t.Errorf("uptime %v over %s: got %+v, want %+v", c.uptime, c.window, got, c.want)
		}
	}
}

func TestResponseTimeBadgeThresholds(t *testing.T) {
	var defaults [5]int
	custom := [5]int{10, 20, 30, 40, 50}
	cases := []struct {
		ms         int
		thresholds [5]int
		color      string
	}{
		{0, defaults, colorAwesome}, {50, defaults, colorAwesome}, {51, defaults, colorGreat},
		{200, defaults, colorGreat}, {201, defaults, colorGood}, {300, defaults, colorGood},
		{301, defaults, colorPassable}, {500, defaults, colorPassable}, {501, defaults, colorBad},
		{750, defaults, colorBad}, {751, defaults, colorVeryBad},
		{10, custom, colorAwesome}, {25, custom, colorGood}, {50, custom, colorBad}, {51, custom, colorVeryBad},
	}
	for _, c := range cases {
		got := parseBadge(t, string(responseTimeBadgeSVG("24h", c.ms, c.thresholds)))
		value := strconv.Itoa(c.ms) + "ms"
		want := badge{110 + len(value)*11, c.color, "response time 24h", value}
		if got != want {
			t.Errorf("%dms with %v: got %+v, want %+v", c.ms, c.thresholds, got, want)
		}
	}
	if got := parseBadge(t, string(responseTimeBadgeSVG("7d", 5, defaults))); got.width != 105+33 {
		t.Errorf("7d label width: badge width %d, want %d", got.width, 105+33)
	}
}

func TestBadgeRoutes(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			store := b.open(t)
			sp := windowFixture(t, store) // last result failed; 1h: 2/3 up, 200ms
			strict := &monitor.Spec{Key: "core_strict", Group: "core", Name: "strict", Kind: monitor.KindHTTP,
				UI: monitor.UIOptions{ResponseTimeBadgeThresholds: [5]int{100, 150, 180, 190, 199}}}
			up := &monitor.Spec{Key: "_up", Name: "up", Kind: monitor.KindTCP}
			idle := &monitor.Spec{Key: "_idle", Name: "idle", Kind: monitor.KindTCP}
			appendResults(t, store, 2, []monitor.Result{
				{Monitor: strict.Key, Time: testNow.Add(-time.Minute), Success: true, Duration: 200 * time.Millisecond},
				{Monitor: up.Key, Time: testNow.Add(-time.Minute), Success: false},
				{Monitor: up.Key, Time: testNow.Add(-time.Second), Success: true},
			})
			srv := serve(t, Options{Monitors: newMonitorSet(sp, strict, up, idle), History: store})
			cases := []struct {
				path string
				want badge
			}{
				{"core_api/uptimes/1h/badge.svg", badge{65 + 56, colorBad, "uptime 1h", "66.67%"}},
				{"core_api/uptimes/24h/badge.svg", badge{70 + 33, colorVeryBad, "uptime 24h", "60%"}},
				{"core_api/response-times/1h/badge.svg", badge{105 + 55, colorGreat, "response time 1h", "200ms"}},
				{"core_strict/response-times/1h/badge.svg", badge{105 + 55, colorVeryBad, "response time 1h", "200ms"}},
				{"core_api/health/badge.svg", badge{48 + 44, colorVeryBad, "health", "down"}},
				{"_up/health/badge.svg", badge{48 + 28, colorAwesome, "health", "up"}},
				{"_idle/health/badge.svg", badge{48 + 10, colorPassable, "health", "?"}},
			}
			for _, c := range cases {
				r := get(t, srv.URL+"/api/v1/endpoints/"+c.path)
				if r.code != http.StatusOK || r.header.Get("Content-Type") != "image/svg+xml" ||
					r.header.Get("Cache-Control") != "no-cache, no-store, must-revalidate" || r.header.Get("Expires") != "0" {
					t.Fatalf("GET %s: %d %v", c.path, r.code, r.header)
				}
				if got := parseBadge(t, r.body); got != c.want {
					t.Errorf("GET %s: got %+v, want %+v", c.path, got, c.want)
				}
			}
			shields := map[string]string{
				"_up":      `{"color":"brightgreen","label":"custodes","message":"up","schemaVersion":1}`,
				"core_api": `{"color":"red","label":"custodes","message":"down","schemaVersion":1}`,
				"_idle":    `{"color":"yellow","label":"custodes","message":"?","schemaVersion":1}`,
			}
			for key, want := range shields {
				r := get(t, srv.URL+"/api/v1/endpoints/"+key+"/health/badge.shields")
				if r.code != http.StatusOK || r.body != want || r.header.Get("Content-Type") != "application/json" {
					t.Errorf("shields %s: %d %q %q, want 200 %s", key, r.code, r.header.Get("Content-Type"), r.body, want)
				}
			}
		})
	}
}
