package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("1000@10s, 10k@60s,100k@60s/2m,,2500@1.5s")
	if err != nil {
		t.Fatal(err)
	}
	want := []loadSpec{
		{Name: "1k@10s", Kind: "size", Monitors: 1000, Interval: 10 * time.Second},
		{Name: "10k@60s", Kind: "size", Monitors: 10000, Interval: time.Minute},
		{Name: "100k@60s", Kind: "size", Monitors: 100000, Interval: time.Minute, StopAfter: 2 * time.Minute},
		{Name: "2.5k@1.5s", Kind: "size", Monitors: 2500, Interval: 1500 * time.Millisecond},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if got, err := parseSizes(""); err != nil || len(got) != 0 {
		t.Fatalf(`parseSizes("") = %v, %v; want none`, got, err)
	}
	for in, want := range map[string]string{
		"1000":        "want monitors@interval",
		"0@10s":       `monitor count "0"`,
		"x@10s":       `monitor count "x"`,
		"2000k@10s":   `monitor count "2000"`,
		"10@fast":     `interval "fast"`,
		"10@100ms":    `interval "100ms": want a duration of at least 1s`,
		"10@1s/never": `stop-after "never"`,
		"10@1s/-1m":   `stop-after "-1m"`,
		"10@1s,11@1x": `"11@1x"`,
	} {
		if _, err := parseSizes(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", in, err, want)
		}
	}
}

func TestCountAndShortDur(t *testing.T) {
	for n, want := range map[int]string{1: "1", 999: "999", 1000: "1k", 2500: "2.5k", 100000: "100k"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{time.Second: "1s", 1500 * time.Millisecond: "1.5s", time.Minute: "60s", 2 * time.Minute: "2m", 90 * time.Second: "90s"} {
		if got := shortDur(d); got != want {
			t.Errorf("shortDur(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestParseFlagsQuick(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-maxrate", "3000,4k"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.sizes) != 1 || o.sizes[0].Name != "500@2s" || o.sizes[0].Window != 8*time.Second {
		t.Errorf("quick sizes %+v, want one 500@2s row with an 8s window", o.sizes)
	}
	if diff := cmp.Diff([]int{3000, 4000}, o.maxRate); diff != "" {
		t.Errorf("an explicit -maxrate must win over -quick (-want +got):\n%s", diff)
	}
	if o.cluster || o.quietWait != 0 || o.maxRateWindow != 5*time.Second {
		t.Errorf("quick: cluster %v, quiet-wait %v, maxrate window %v", o.cluster, o.quietWait, o.maxRateWindow)
	}
	if want := filepath.Join("bench", "out", "quick"); o.out != want {
		t.Errorf("quick: out %q, want %q (not the saved figures' directory)", o.out, want)
	}
	for _, args := range [][]string{{"-trials", "-1"}, {"-duration", "0s"}, {"-target-hosts", "0"}, {"extra"}, {"-sizes", "5"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

// TestReprint saves a report as results.json and prints it again: the
// JSON round trip keeps what the table shows.
func TestReprint(t *testing.T) {
	dir := t.TempDir()
	rep := &report{
		Rows: []loadRow{{Name: "1k@10s", Kind: "size", Monitors: 1000, IntervalS: 10, AskedPerS: 100, AchievedPerS: 99.5,
			Sustained: true, CPUPerCheckMS: 0.731, RSSBytes: 38 << 20, WrittenPerChk: 911, StoredPerRes: 64.9, FirstPassS: 10.5}},
		Detection: &detectResult{Trials: []detectTrial{{DetectionMS: 630, NotifyMS: 14}}, DetectMedianMS: 630, DetectMaxMS: 630, NotifyMedianMS: 14, NotifyMaxMS: 14},
		Cluster:   &clusterResult{Reason: "cluster: not available: no agreed leader"},
	}
	rep.finish()
	if err := writeOutputs(dir, rep); err != nil {
		t.Fatal(err)
	}
	var out, errs strings.Builder
	code := run(context.Background(), []string{"-report", filepath.Join(dir, "results.json"), "-out", filepath.Join(dir, "again")}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	for _, want := range []string{"1k@10s", "0.731", "38.0", "911", "64.9", "10.5s", "630/630", "14/14",
		"\ncluster: not available: no agreed leader\n", "met     notification after the crossing check"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("reprinted table lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "again", "chart.svg")); err != nil {
		t.Error(err)
	}
	if code := run(context.Background(), []string{"-report", filepath.Join(dir, "missing.json")}, &out, &errs); code != 1 {
		t.Errorf("a missing report gave exit %d, want 1", code)
	}
	// A saved report the chart cannot draw is refused, not looped over.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"rows":[{"name":"x","monitors":0}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	errs.Reset()
	if code := run(context.Background(), []string{"-report", bad, "-out", filepath.Join(dir, "bad")}, &out, &errs); code != 1 || !strings.Contains(errs.String(), `rows[0] ("x"): monitors 0`) {
		t.Errorf("a report with 0 monitors gave exit %d, stderr %q", code, errs.String())
	}
}
