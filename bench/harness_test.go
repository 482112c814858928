package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/config"
)

// TestConfigsLoad renders the single-node and cluster configs and loads
// them with custodes' own loader, so a harness config never drifts from
// what custodes accepts.
func TestConfigsLoad(t *testing.T) {
	tg, err := startTarget([]string{"127.0.0.1", "127.0.0.2"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.close()
	for _, c := range []nodeConfig{
		{ID: "bench", WebHost: "127.0.0.1", WebPort: 18080, Monitors: 3, Interval: time.Minute, Target: tg},
		{ID: "n1", WebHost: "127.0.0.1", WebPort: 18081, Monitors: 2, Interval: 10 * time.Second, Flip: true, Target: tg,
			WebhookTo: "http://127.0.0.1:9/hook", Cluster: &clusterConfig{Bind: "127.0.0.1:18090", Gossip: "127.0.0.1:18091",
				Join: []string{"127.0.0.1:18092", "127.0.0.1:18093"}, Secret: "custodes-bench-cluster-secret"}},
	} {
		path := filepath.Join(t.TempDir(), "custodes.yaml")
		if err := os.WriteFile(path, []byte(c.render()), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(context.Background(), path, nil)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.ID, err, c.render())
		}
		want := c.Monitors
		if c.Flip {
			want++
		}
		if len(cfg.Monitors) != want || !cfg.Metrics || cfg.Node.ID != c.ID {
			t.Fatalf("%s: %d monitors, metrics %v, id %q", c.ID, len(cfg.Monitors), cfg.Metrics, cfg.Node.ID)
		}
		if c.Cluster != nil && (cfg.Cluster.Mode != config.ClusterEmbedded || cfg.Cluster.BootstrapExpect != 3) {
			t.Fatalf("cluster section %+v", cfg.Cluster)
		}
		for _, w := range cfg.Warnings {
			t.Errorf("%s: warning %s", c.ID, w.String())
		}
		last := cfg.Monitors[len(cfg.Monitors)-1]
		if last.Key != "load_m"+strconv.Itoa(c.Monitors-1) || last.Interval != c.Interval {
			t.Errorf("%s: last monitor %q every %v", c.ID, last.Key, last.Interval)
		}
	}
}

// TestTargetFirstPass checks the per-path first-hit log on a real server.
func TestTargetFirstPass(t *testing.T) {
	tg, err := startTarget([]string{"127.0.0.1", "127.0.0.2"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.close()
	tg.reset(3)
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if !strings.Contains(tg.url(1), tg.addrs[1]) || !strings.Contains(tg.url(2), tg.addrs[0]) {
		t.Fatalf("monitors are not spread round robin: %s %s", tg.url(1), tg.url(2))
	}
	for _, i := range []int{0, 2, 2, 0} {
		if code := get(tg.url(i)); code != 200 {
			t.Fatalf("GET %s: %d", tg.url(i), code)
		}
	}
	if seen, all := tg.progress(); seen != 2 || !all.IsZero() {
		t.Fatalf("after /m/0 and /m/2: seen %d, all %v; want 2 and none", seen, all)
	}
	get(tg.url(7)) // beyond n: served, not counted
	get(tg.url(1))
	seen, all := tg.progress()
	if seen != 3 || all.IsZero() {
		t.Fatalf("after all three: seen %d, all %v", seen, all)
	}
	if got := tg.hits.Load(); got != 6 {
		t.Errorf("hits %d, want 6", got)
	}
	if tg.received.Load() <= 0 {
		t.Errorf("received %d bytes, want > 0", tg.received.Load())
	}
	tg.flipFail.Store(true)
	if code := get(tg.flipURL()); code != 500 {
		t.Errorf("flipped: %d, want 500", code)
	}
	tg.flipFail.Store(false)
	if code := get(tg.flipURL()); code != 200 {
		t.Errorf("unflipped: %d, want 200", code)
	}
}

// TestSinkHold checks that a held delivery is recorded at once and
// answered only when released.
func TestSinkHold(t *testing.T) {
	s, err := startSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	body := `{"event":"triggered","idempotency_key":"m#1/triggered/webhook","sent_by":"n1","monitor":{"key":"m"}}`
	post := func() chan int {
		done := make(chan int, 1)
		go func() {
			resp, err := http.Post(s.url(), "application/json", bytes.NewBufferString(body))
			if err != nil {
				done <- -1
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		return done
	}
	if code := <-post(); code != 200 {
		t.Fatalf("accepting sink answered %d", code)
	}
	from := s.mark()
	s.setHold(true)
	done := post()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, ok := s.await(ctx, from, func(d delivery) bool { return d.Event == "triggered" })
	if !ok || d.Accepted || d.SentBy != "n1" || d.Monitor != "m" || d.Key != "m#1/triggered/webhook" {
		t.Fatalf("held delivery %+v, found %v", d, ok)
	}
	select {
	case code := <-done:
		t.Fatalf("held request answered %d before release", code)
	case <-time.After(100 * time.Millisecond):
	}
	s.setHold(false)
	if code := <-done; code != http.StatusServiceUnavailable {
		t.Fatalf("released request answered %d, want 503", code)
	}
	if got := len(s.deliveries()); got != 2 {
		t.Fatalf("%d deliveries, want 2", got)
	}
	resp, err := http.Post(s.url(), "application/json", strings.NewReader("not json"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad body answered %d, want 400", resp.StatusCode)
	}
}

func TestChart(t *testing.T) {
	rows := []loadRow{
		{Name: "1k@10s", Kind: "size", Monitors: 1000, IntervalS: 10, AchievedPerS: 100, CPUPerCheckMS: 0.3, Sustained: true},
		{Name: "10k@60s", Kind: "size", Monitors: 10000, IntervalS: 60, AchievedPerS: 166, CPUPerCheckMS: 0.12, Sustained: true},
		{Name: "max 2k@1s", Kind: "maxrate", Monitors: 2000, IntervalS: 1, AchievedPerS: 2000, CPUPerCheckMS: 0.1, Sustained: true},
		{Name: "max 4k@1s", Kind: "maxrate", Monitors: 4000, IntervalS: 1, AchievedPerS: 3100, CPUPerCheckMS: 0.15},
		{Name: "cluster", Kind: "cluster", Monitors: 1000, IntervalS: 10, AchievedPerS: 300},
	}
	svg := renderChart(rows)
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
	}
	// One point per single-node row and panel; the not-sustained one hollow.
	if n := strings.Count(svg, "<circle"); n != 8 {
		t.Errorf("%d points, want 8 (4 rows x 2 panels)", n)
	}
	if n := strings.Count(svg, `fill="white" stroke=`); n != 2 {
		t.Errorf("%d hollow points, want 2", n)
	}
	for _, want := range []string{"every 1s", "every 10s", "every 60s", "goal 5000/s", "goal 0.2 ms", ">10k<", ">1k<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	if !strings.Contains(renderChart(nil), "no single-node rows") {
		t.Error("an empty chart does not say so")
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.13: 0.2, 0.2: 0.2, 3.1: 5, 5000: 5000, 5001: 10000, 7200: 10000, 12: 20} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestGoals(t *testing.T) {
	r := &report{
		Rows: []loadRow{
			{Name: "1k@10s", Kind: "size", Monitors: 1000, IntervalS: 10, Sustained: true, AchievedPerS: 100, CPUPerCheckMS: 0.25, WrittenPerChk: 300, StoredPerRes: 40, FirstPassS: 9},
			{Name: "10k@60s", Kind: "size", Monitors: 10000, IntervalS: 60, Sustained: true, AchievedPerS: 166, CPUPerCheckMS: 0.1, WrittenPerChk: 100, StoredPerRes: 70, FirstPassS: 61.5, ReadyS: 1.2, RSSBytes: 30 << 20},
			{Name: "max 6k@1s", Kind: "maxrate", Monitors: 6000, IntervalS: 1, Sustained: true, AchievedPerS: 6000, CPUPerCheckMS: 0.1, WrittenPerChk: 200, StoredPerRes: 30},
			{Name: "max 8k@1s", Kind: "maxrate", Monitors: 8000, IntervalS: 1, Sustained: false, AchievedPerS: 7000, CPUPerCheckMS: 0.9, WrittenPerChk: 9000, StoredPerRes: 30},
		},
		Detection: &detectResult{Trials: []detectTrial{{NotifyMS: 20}, {NotifyMS: 120}}, NotifyMedianMS: 70, NotifyMaxMS: 120},
		Cluster:   &clusterResult{Reason: "cluster: not available"},
	}
	got := map[string]string{}
	for _, g := range evaluateGoals(r) {
		got[g.Goal] = g.Verdict() + " " + g.Measured
	}
	want := map[string]string{
		"CPU per HTTP check":                                "MISSED 0.250 ms (1k@10s)", // the not-sustained 8k row does not count
		"sustained checks/s":                                "met 6000/s (max 6k@1s)",
		"10k monitors all checked once":                     "MISSED 60.3 s (interval 60 s; 61.5 s from exec)",
		"stored bytes per result":                           "MISSED 70.0 B (10k@60s)",
		"bytes written per check":                           "met 300 B (1k@10s)",
		"RSS with 10k monitors":                             "met 30.0 MB (peak 0.0 MB)",
		"notification after the crossing check":             "MISSED median 70 ms, max 120 ms (2 trials)",
		"failover (leader SIGKILL -> pending notification)": "n/a cluster: not available",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d goals, want %d", len(got), len(want))
	}
}
